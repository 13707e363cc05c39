/**
 * Global rate limit IR → RateLimitConfig: golden files (testdata/ratelimit/X.in.yaml is the IR, X.out.yaml the
 * messages as the service receives them: packed in an Any, then decoded back by our codec), the codec's
 * bytes against a hand-computed encoding, and the IR validation. The real service loading these messages is
 * test/standalone/ratelimit-service.test.ts.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { validateRateLimitIr, type GlobalRateLimitIr } from "../../operator/src/ir/ratelimit-ir";
import { RateLimitConfigType, rateLimitDescriptor, rateLimitPolicy } from "../../operator/src/xds/ratelimit/rls-conf";
import { buildRateLimitConfigs } from "../../operator/src/xds/ratelimit/translate";
import { expandAny, pack, unpack } from "../../proto/any";
import { Any } from "../../proto/gen/google/protobuf/any";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";

function render(ir: GlobalRateLimitIr): string {
  const resources = buildRateLimitConfigs(ir).map((c) => expandAny(Any.toJSON(pack(RateLimitConfigType, c))));
  return stringify({ resources }, { lineWidth: 0, aliasDuplicateObjects: false });
}

describe("global rate limit IR → RateLimitConfig (testdata/ratelimit)", () => {
  for (const inFile of goldenInputs(testdataDir("ratelimit"))) {
    const ir = parse(readFileSync(inFile, "utf8")) as GlobalRateLimitIr;
    it(caseName(inFile), () => {
      assert.deepEqual(validateRateLimitIr(ir), [], "golden IR is valid");
      checkGolden(inFile, render(ir));
    });
    it(`${caseName(inFile)}: every message survives encode and decode unchanged`, () => {
      for (const c of buildRateLimitConfigs(ir))
        assert.deepEqual(unpack(RateLimitConfigType, pack(RateLimitConfigType, c)), c);
    });
  }
});

describe("RateLimitConfig codec", () => {
  it("writes the field numbers of rls_conf.proto", () => {
    const bytes = RateLimitConfigType.codec
      .encode({
        name: "d",
        domain: "d",
        descriptors: [
          rateLimitDescriptor({
            key: "k",
            value: "v",
            rateLimit: rateLimitPolicy({ unit: 2, requestsPerUnit: 3 }),
            shadowMode: true,
          }),
        ],
      })
      .finish();
    // name (1) "d", domain (2) "d", descriptors (3) { key (1) "k", value (2) "v",
    // rate_limit (3) { unit (1) MINUTE = 2, requests_per_unit (2) 3 }, shadow_mode (5) true }
    const expected = [
      0x0a, 1, 0x64, 0x12, 1, 0x64, 0x1a, 14, 0x0a, 1, 0x6b, 0x12, 1, 0x76, 0x1a, 4, 0x08, 2, 0x10, 3, 0x28, 1,
    ];
    assert.deepEqual([...bytes], expected);
  });

  it("skips fields it does not know (quota_mode = 7 on a descriptor)", () => {
    const withUnknown = Uint8Array.from([0x1a, 5, 0x0a, 1, 0x6b, 0x38, 1]);
    assert.deepEqual(RateLimitConfigType.codec.decode(withUnknown).descriptors[0]?.key, "k");
  });
});

describe("global rate limit IR validation", () => {
  it("reports what the service would refuse", () => {
    const ir = {
      domains: [
        { name: "a", descriptors: [{ key: "k", value: "v" }, { key: "k", value: "v" }, { key: "" }] },
        { name: "a", descriptors: [{ key: "k", rateLimit: { requestsPerUnit: -1, unit: "Fortnight" } }] },
      ],
    } as unknown as GlobalRateLimitIr;
    assert.deepEqual(validateRateLimitIr(ir), [
      'domain "a", descriptor "k=v" appears twice on one level',
      'domain "a": a descriptor has an empty key',
      'duplicate domain "a"',
      'domain "a", descriptor "k": requestsPerUnit -1 is not a uint32',
      'domain "a", descriptor "k": unit "Fortnight" is not one of Second, Minute, Hour, Day, Week, Month, Year',
    ]);
  });
});
