/**
 * xDS translator golden tests: every testdata/xds/X.in.yaml goes through the translator and the xDS
 * builders; the Envoy resources of each node (one YAML document per node and resource type, resources
 * sorted by name) are compared with X.out.yaml. Regenerate with UPDATE_GOLDEN=1 and review by eye.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { xdsDoc } from "../../operator/src/cmd/translate";
import { validateXdsIr } from "../../operator/src/ir/validate";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";
import { xdsGoldenOptions } from "../support/xds-golden";

function readCase(inFile: string): KubeObject[] {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  return objects;
}

/** One YAML document per (node, resource type), in node then type order. */
export function renderXds(objects: readonly KubeObject[], opts: TranslateOptions = {}): string {
  const { xdsIr } = translate(snapshotFromObjects(objects), opts);
  const docs: string[] = [];
  for (const ir of [...xdsIr].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const byType = xdsDoc(buildNodeResources(ir));
    for (const type of Object.keys(byType).sort()) {
      docs.push(
        stringify({ node: ir.name, type, resources: byType[type] }, { lineWidth: 0, aliasDuplicateObjects: false }),
      );
    }
  }
  return docs.join("---\n");
}

describe("xDS translate golden files (testdata/xds)", () => {
  for (const inFile of goldenInputs(testdataDir("xds"))) {
    const name = caseName(inFile);
    const opts = (): TranslateOptions => xdsGoldenOptions(inFile);
    it(name, () => {
      checkGolden(inFile, renderXds(readCase(inFile), opts()));
    });
    it(`${name}: the IR passes validation`, () => {
      for (const ir of translate(snapshotFromObjects(readCase(inFile)), opts()).xdsIr) {
        assert.deepEqual(validateXdsIr(ir), [], `IR of ${ir.name}`);
      }
    });
  }
});
