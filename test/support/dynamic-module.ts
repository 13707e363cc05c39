/**
 * The test dynamic module (test/support/dynamic-module/header-module.c), compiled with the system C compiler into
 * the egts cache (`dynamic-module-<source hash>/lib<name>.so`), once per source version. Envoy 1.36 loads it by name
 * from ENVOY_DYNAMIC_MODULES_SEARCH_PATH, which the host runner points at a folder of links to the EnvoyProxy's
 * module paths.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { loadEnv } from "../../operator/src/config/env";
import { repoRoot } from "./golden";

/** The C source of the test module. */
const SOURCE = join(repoRoot(), "test", "support", "dynamic-module", "header-module.c");

/** Builds (or finds) the test module; its path. Throws naming the install step when there is no C compiler. */
export function buildHeaderModule(): string {
  const source = readFileSync(SOURCE);
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const dir = join(loadEnv().cacheDir, `dynamic-module-${hash}`);
  const out = join(dir, "libheader-module.so");
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync("cc", ["-shared", "-fPIC", "-O2", "-o", tmp, SOURCE], { stdio: "pipe" });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT")
      throw new Error("no C compiler (cc) to build the test dynamic module: apt-get install gcc", { cause: err });
    throw new Error(`cc failed on ${SOURCE}: ${e.stderr?.toString() ?? e.message}`, { cause: err });
  }
  renameSync(tmp, out);
  return out;
}
