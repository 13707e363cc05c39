/** Runs the built `egts` command (bin/egts.js) as a user does, as a child process. */
import { spawn, spawnSync } from "node:child_process";
import { repoRoot } from "./golden";

/** What one run of `egts` gave. */
export interface EgtsRun {
  /** Exit code. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  readonly ms: number;
}

/** Options of {@link egts}. */
export interface EgtsOptions {
  /** Written to its stdin. @default nothing */
  readonly input?: string;
  /** Extra environment variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `node bin/egts.js ...args` to completion (synchronously: for quick commands). */
export function egts(args: readonly string[], o: EgtsOptions = {}): EgtsRun {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("node", ["bin/egts.js", ...args], {
    cwd: repoRoot(),
    encoding: "utf8",
    input: o.input ?? "",
    env: { ...process.env, ...o.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms };
}

/** Runs `node bin/egts.js ...args` without blocking the event loop (for commands that talk to servers in this process). */
export function egtsAsync(args: readonly string[], o: EgtsOptions = {}): Promise<EgtsRun> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["bin/egts.js", ...args], { cwd: repoRoot(), env: { ...process.env, ...o.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    child.stdin.end(o.input ?? "");
  });
}
