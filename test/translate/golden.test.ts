/**
 * Translator golden tests: every testdata/translate/X.in.yaml is translated and its statuses and IR
 * are compared with X.out.yaml (regenerate with UPDATE_GOLDEN=1, then review the diff by eye). Each case is
 * translated with an EnvoyGateway configuration file (see envoyGatewayConfigFor).
 */
import * as assert from "node:assert/strict";
import { extensionKindsOption } from "../../operator/src/pipeline/extension-stage";
import { renderTranslation } from "../../operator/src/cmd/translate";
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { caseName, checkGolden, envoyGatewayConfigFor, goldenInputs, readCase, testdataDir } from "../support/golden";
import { GOLDEN_WASM_OPTIONS } from "../support/wasm-golden";

export { readCase } from "../support/golden";

/** The one golden case that lists GatewayClass `supportedFeatures` in full. */
const FEATURES_CASE = "gatewayclass-status";

/**
 * Statuses, then the IR, as one multi-document YAML text. Outside FEATURES_CASE a GatewayClass's
 * `supportedFeatures` is replaced by a pointer to that case (not by a count, which every added feature
 * would change), so adding a feature changes one golden file, not all.
 */
export function renderStatusAndIr(
  objects: readonly KubeObject[],
  fullFeatures = false,
  opts: TranslateOptions = {},
): string {
  const translated = translate(snapshotFromObjects(objects), opts);
  const result = fullFeatures ? translated : { ...translated, statuses: translated.statuses.map(elideFeatures) };
  const statuses = renderTranslation(result, "status");
  const ir = renderTranslation(result, "ir");
  return `# statuses\n${statuses}${statuses ? "---\n" : ""}# ir\n${ir}`;
}

function elideFeatures<S extends { kind: string; status: unknown }>(s: S): S {
  const status = s.status as { supportedFeatures?: unknown[] };
  if (s.kind !== "GatewayClass" || !status.supportedFeatures) return s;
  return { ...s, status: { ...status, supportedFeatures: `listed in ${FEATURES_CASE}.out.yaml` } };
}

describe("translate golden files (testdata/translate)", () => {
  for (const inFile of goldenInputs(testdataDir("translate"))) {
    const name = caseName(inFile);
    const opts = (): TranslateOptions => {
      const config = loadEnvoyGatewayConfig(envoyGatewayConfigFor(inFile));
      return {
        backends: config.backends,
        extensionApis: config.extensionApis,
        ...GOLDEN_WASM_OPTIONS,
        ...extensionKindsOption(config.extensionManagers),
      };
    };
    it(name, () => {
      checkGolden(inFile, renderStatusAndIr(readCase(inFile), name === FEATURES_CASE, opts()));
    });
    it(`${name}: output does not depend on the order of the input objects`, () => {
      const objects = readCase(inFile);
      assert.equal(renderStatusAndIr([...objects].reverse(), false, opts()), renderStatusAndIr(objects, false, opts()));
    });
  }
});
