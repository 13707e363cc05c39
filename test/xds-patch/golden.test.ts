/**
 * EnvoyPatchPolicy golden files (testdata/patch): each X.in.yaml is translated with its EnvoyGateway configuration
 * (X.envoy-gateway.yaml, else the folder's, which enables the kind), its nodes' Envoy resources built and patched
 * (the pure patch step, schema only); X.out.yaml holds every EnvoyPatchPolicy status (Accepted from translation,
 * Programmed from the patch step) and, per node, the resources the patches added, changed or removed.
 * Regenerate with UPDATE_GOLDEN=1 and review by eye.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { xdsDoc } from "../../operator/src/cmd/translate";
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import { patchNode } from "../../operator/src/pipeline/patch-step";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { withPolicyConditions } from "../../operator/src/xds/patch/status";
import { buildNodeResources, type NodeResources } from "../../operator/src/xds/translate/resources";
import { caseName, checkGolden, envoyGatewayConfigFor, goldenInputs, testdataDir } from "../support/golden";

/** The resources of `after` that differ from `before` (added or changed), and the names `after` lacks. */
function changed(before: NodeResources, after: NodeResources): { patched: NodeResources; removed: string[] } {
  const patched: NodeResources = new Map();
  const removed: string[] = [];
  for (const [type, byName] of after) {
    for (const [name, any] of byName) {
      const old = before.get(type)?.get(name);
      if (old && Buffer.compare(old.value, any.value) === 0) continue;
      const m = patched.get(type) ?? new Map();
      m.set(name, any);
      patched.set(type, m);
    }
  }
  for (const [type, byName] of before) {
    for (const name of byName.keys()) if (!after.get(type)?.has(name)) removed.push(`${type}/${name}`);
  }
  return { patched, removed };
}

/** The golden text of one case. */
function render(inFile: string): string {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  const config = loadEnvoyGatewayConfig(envoyGatewayConfigFor(inFile));
  const result = translate(snapshotFromObjects(objects), {
    backends: config.backends,
    ...(config.extensionApis ? { extensionApis: config.extensionApis } : {}),
  });
  const docs: unknown[] = [];
  const conditions = [];
  for (const ir of [...result.xdsIr].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const built = buildNodeResources(ir);
    const step = patchNode(ir, built, undefined);
    conditions.push(...step.conditions);
    if ((ir.patches ?? []).length === 0) continue;
    const { patched, removed } = changed(built, step.resources ?? built);
    docs.push({ node: ir.name, patched: xdsDoc(patched), ...(removed.length > 0 ? { removed } : {}) });
  }
  const statuses = withPolicyConditions(result.statuses, conditions)
    .filter((s) => s.kind === "EnvoyPatchPolicy")
    .map((s) => ({ kind: s.kind, metadata: { name: s.name, namespace: s.namespace }, status: s.status }));
  return [...statuses, ...docs].map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

describe("EnvoyPatchPolicy golden files (testdata/patch)", () => {
  for (const inFile of goldenInputs(testdataDir("patch"))) {
    it(caseName(inFile), () => checkGolden(inFile, render(inFile)));
  }
});
