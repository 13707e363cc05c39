/**
 * The fuzzing property: whatever the objects, `translate` does not throw and isolates no crash (no object
 * rejected because its translation threw), every xDS IR passes `validateXdsIr`, `buildNodeResources` does
 * not throw, and `translateAndPublish` publishes every Gateway.
 */
import * as assert from "node:assert/strict";
import { stringify } from "yaml";
import { validateXdsIr } from "../../operator/src/ir/validate";
import { translateAndPublish } from "../../operator/src/pipeline/translate-step";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";

/** Throws (an assertion error) when the property does not hold for these objects. */
export function checkTranslation(objects: readonly unknown[]): void {
  const snapshot = snapshotFromObjects(objects.filter(isObject) as KubeObject[]);
  const result = translate(snapshot);
  const crashes = result.rejected.filter((r) => / translation failed: |: unreadable: /.test(r.message));
  assert.deepEqual(
    crashes.map((r) => r.message),
    [],
    "an object's translation threw (a translator bug: reject it with a status reason instead)",
  );
  for (const ir of result.xdsIr) {
    assert.deepEqual(validateXdsIr(ir), [], `IR of ${ir.name} validates`);
    buildNodeResources(ir);
  }
  const pass = translateAndPublish(snapshot, new XdsCache(), {});
  assert.deepEqual(pass.invalid, [], "every Gateway is published");
}

function isObject(o: unknown): boolean {
  return typeof o === "object" && o !== null && typeof (o as { kind?: unknown }).kind === "string";
}

/** The objects as YAML documents, to paste into a regression case. */
export function asYaml(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n");
}
