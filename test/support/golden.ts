/**
 * Golden files: a test case is an input file `X.in.yaml` beside its expected output `X.out.yaml`.
 *
 * `checkGolden(inFile, actual)` compares `actual` with `X.out.yaml`. With `UPDATE_GOLDEN=1` in the
 * environment it writes `actual` to `X.out.yaml` instead (and passes). A missing `.out` file is a
 * failure that says how to create it. Review every (re)written `.out` file before committing it:
 * a golden file that records a wrong answer is worse than none.
 */
import * as assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { KubeObject } from "../../operator/src/resources/meta";

/** Suffix of golden inputs. */
export const IN_SUFFIX = ".in.yaml";
/** Suffix of golden outputs. */
export const OUT_SUFFIX = ".out.yaml";

/** True when golden files are being (re)written rather than checked. */
export function updatingGolden(): boolean {
  return process.env.UPDATE_GOLDEN === "1";
}

/** The repository root: the nearest ancestor of this file (source or compiled) holding package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** Absolute path of a folder under the repository's testdata/. */
export function testdataDir(...parts: string[]): string {
  return join(repoRoot(), "testdata", ...parts);
}

/** The `.in.yaml` files of a folder, sorted, as absolute paths. Throws when there are none. */
export function goldenInputs(dir: string): string[] {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(IN_SUFFIX))
    .sort();
  if (names.length === 0) throw new Error(`no *${IN_SUFFIX} files in ${dir}`);
  return names.map((n) => join(dir, n));
}

/**
 * The EnvoyGateway configuration file a golden case is translated with: `X.envoy-gateway.yaml` beside
 * `X.in.yaml`, else the folder's `envoy-gateway.yaml`.
 */
export function envoyGatewayConfigFor(inFile: string): string {
  const own = inFile.slice(0, -IN_SUFFIX.length) + ".envoy-gateway.yaml";
  return existsSync(own) ? own : join(dirname(inFile), "envoy-gateway.yaml");
}

/** The case name of an input file: its base name without `.in.yaml`. */
export function caseName(inFile: string): string {
  const base = inFile.slice(dirname(inFile).length + 1);
  return base.slice(0, -IN_SUFFIX.length);
}

/** The golden output path for an input path. */
export function outFileFor(inFile: string): string {
  if (!inFile.endsWith(IN_SUFFIX)) throw new Error(`golden input ${inFile} must end with ${IN_SUFFIX}`);
  return inFile.slice(0, -IN_SUFFIX.length) + OUT_SUFFIX;
}

/** Normalises text for comparison and storage: LF line ends and exactly one trailing newline. */
export function normalize(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(/\n*$/, "\n");
}

/**
 * Compares `actual` with the golden output of `inFile`, or writes it when UPDATE_GOLDEN=1.
 * Fails (with a diff from assert) when they differ, and when the golden file does not exist.
 */
export function checkGolden(inFile: string, actual: string): void {
  const outFile = outFileFor(inFile);
  const text = normalize(actual);
  const shown = relative(process.cwd(), outFile) || outFile;
  if (updatingGolden()) {
    const old = existsSync(outFile) ? readFileSync(outFile, "utf8") : undefined;
    if (old !== text) writeFileSync(outFile, text);
    return;
  }
  if (!existsSync(outFile)) {
    assert.fail(
      `golden file ${shown} does not exist; create it by running the test with UPDATE_GOLDEN=1 ` +
        `(e.g. \`npx tsc -p . && UPDATE_GOLDEN=1 npx mocha 'dist/test/**/golden.test.js'\`), then review it by eye before committing`,
    );
  }
  const expected = normalize(readFileSync(outFile, "utf8"));
  assert.equal(
    text,
    expected,
    `output differs from ${shown}; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff`,
  );
}

/** Reads a golden input file into objects; a parse error fails the test with file:line:column. */
export function readCase(inFile: string): KubeObject[] {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  return objects;
}
