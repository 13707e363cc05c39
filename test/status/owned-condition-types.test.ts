/**
 * The status writer keeps every condition whose type is not in CondType as another controller's
 * (merge-status.ts). This checks that each condition type the translator writes, over every golden input,
 * is in CondType, so none of ours would linger after we stop reporting it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { CondType } from "../../operator/src/translate/conditions";
import { translate } from "../../operator/src/translate/translate";
import { goldenInputs, testdataDir } from "../support/golden";

/** Every `conditions[].type` anywhere in `v`. */
function conditionTypes(v: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const item of v) conditionTypes(item, out);
  else if (typeof v === "object" && v !== null) {
    for (const [key, value] of Object.entries(v)) {
      if (key === "conditions" && Array.isArray(value)) {
        for (const c of value as { type?: unknown }[]) if (typeof c.type === "string") out.add(c.type);
      } else conditionTypes(value, out);
    }
  }
  return out;
}

describe("condition types the translator writes", () => {
  it("are all in CondType (the types the status writer owns)", () => {
    const types = new Set<string>();
    for (const inFile of [...goldenInputs(testdataDir("translate")), ...goldenInputs(testdataDir("xds"))]) {
      const { objects } = parseManifests(inFile, readFileSync(inFile, "utf8"));
      for (const s of translate(snapshotFromObjects(objects)).statuses) conditionTypes(s.status, types);
    }
    const owned = new Set<string>(Object.values(CondType));
    assert.ok(types.size >= 5, `found condition types: ${[...types].join(", ")}`);
    assert.deepEqual(
      [...types].filter((t) => !owned.has(t)),
      [],
      "condition types written but missing from CondType",
    );
  });
});
