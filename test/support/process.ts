/** Process checks shared by the CLI tests. */
import { readFileSync } from "node:fs";

/** True while `pid` exists and is not a zombie (an exited child not yet reaped still has a /proc entry). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
