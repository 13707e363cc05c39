/**
 * Users files made by Apache's real `htpasswd` (Debian apache2-utils, installed by `bash scripts/install-htpasswd.sh`),
 * as Envoy Gateway's basic auth task makes them. A missing tool fails the test with that install step.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How `htpasswd` hashes a password: `-s` SHA-1 (the one Envoy takes), `-B` bcrypt, `-m` Apache MD5 ($apr1$). */
export type HtpasswdHash = "-s" | "-B" | "-m";

/** One user of a users file. */
export interface HtpasswdUser {
  readonly user: string;
  readonly password: string;
  /** Hash format; SHA-1 (`-s`) unless given. */
  readonly hash?: HtpasswdHash;
}

/**
 * A users file as `htpasswd` writes it: the first user with `htpasswd -cb<hash> <file>` (create), the others with
 * `htpasswd -b<hash> <file>` (add), the page's commands.
 */
export function htpasswdFile(users: readonly HtpasswdUser[]): string {
  const dir = mkdtempSync(join(tmpdir(), "egts-htpasswd-"));
  const file = join(dir, ".htpasswd");
  try {
    for (const [i, u] of users.entries()) {
      const flags = `-${i === 0 ? "c" : ""}b${(u.hash ?? "-s").slice(1)}`;
      run([flags, file, u.user, u.password]);
    }
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(args: readonly string[]): void {
  try {
    execFileSync("htpasswd", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error("htpasswd not found on PATH: run `bash scripts/install-htpasswd.sh` (Debian apache2-utils)", {
        cause: err,
      });
    throw err;
  }
}
