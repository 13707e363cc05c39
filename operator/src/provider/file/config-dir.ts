/**
 * The startup check of `egts standalone --config-dir`: the folder must exist, be a directory and be
 * readable. Later, while running, a folder that disappears is an input error and the last good
 * configuration keeps serving (see file-provider.ts); at startup there is no good configuration to keep,
 * so a wrong path ends the command with a message naming it.
 */
import { accessSync, constants, readdirSync, statSync } from "node:fs";

/** Throws an Error naming `dir` and the reason (no such directory, not a directory, unreadable). */
export function checkConfigDir(dir: string): void {
  const where = `--config-dir ${JSON.stringify(dir)}`;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new Error(`${where}: no such directory`, { cause: err });
    throw new Error(`${where}: cannot be read: ${code ?? (err as Error).message}`, { cause: err });
  }
  if (!isDirectory) throw new Error(`${where}: is not a directory (give the folder holding the YAML files)`);
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
    readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`${where}: cannot be read: ${code} (the folder needs read and search permission)`, {
      cause: err,
    });
  }
}
