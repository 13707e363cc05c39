/** Reading a log file another process (Envoy) is still writing. */
import { existsSync, readFileSync } from "node:fs";

/**
 * The whole lines of `text`, empty ones left out. Envoy flushes its log files in chunks, so the last line of a read
 * may be half-written: text after the last newline is left out until its newline comes.
 */
export function wholeLines(text: string): string[] {
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** {@link wholeLines} of `file` (none while it does not exist). */
export function wholeLinesOf(file: string): string[] {
  return existsSync(file) ? wholeLines(readFileSync(file, "utf8")) : [];
}
