/**
 * Translator golden tests: every testdata/translate/X.in.yaml is translated and its statuses and IR
 * are compared with X.out.yaml (regenerate with UPDATE_GOLDEN=1, then review the diff by eye).
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { renderTranslation } from "../../operator/src/cmd/translate";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";

/** Reads a golden input file into objects; a parse error fails the test with file:line:column. */
export function readCase(inFile: string): KubeObject[] {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  return objects;
}

/** Statuses, then the IR, as one multi-document YAML text. */
export function renderStatusAndIr(objects: readonly KubeObject[]): string {
  const result = translate(snapshotFromObjects(objects));
  const statuses = renderTranslation(result, "status");
  const ir = renderTranslation(result, "ir");
  return `# statuses\n${statuses}${statuses ? "---\n" : ""}# ir\n${ir}`;
}

describe("translate golden files (testdata/translate)", () => {
  for (const inFile of goldenInputs(testdataDir("translate"))) {
    const name = caseName(inFile);
    it(name, () => {
      checkGolden(inFile, renderStatusAndIr(readCase(inFile)));
    });
    it(`${name}: output does not depend on the order of the input objects`, () => {
      const objects = readCase(inFile);
      assert.equal(renderStatusAndIr([...objects].reverse()), renderStatusAndIr(objects));
    });
  }
});
