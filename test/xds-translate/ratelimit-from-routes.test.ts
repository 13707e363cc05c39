/**
 * The rate limit service's configuration derived from the published routes (testdata/ratelimit-routes/X.in.yaml
 * → X.out.yaml: the GlobalRateLimitIr and the RateLimitConfig messages our rate limit xDS server sends), and the
 * refusal of a global rule when the EnvoyGateway configuration has no `rateLimit`, with Envoy Gateway's message.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { inClusterRateLimit } from "../../operator/src/config/envoy-gateway-ratelimit";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { buildRateLimitConfigs } from "../../operator/src/xds/ratelimit/translate";
import { validateRateLimitIr } from "../../operator/src/ir/ratelimit-ir";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";

const RATE_LIMIT = inClusterRateLimit(
  {
    backend: { type: "Redis", redis: { url: "redis:6379" } },
    timeoutMs: 20,
    failClosed: false,
    telemetry: { prometheusDisabled: false },
  },
  "envoy-gateway-system",
);

function objects(inFile: string) {
  const { objects: objs, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  return objs;
}

describe("rate limit service configuration from routes (testdata/ratelimit-routes)", () => {
  for (const inFile of goldenInputs(testdataDir("ratelimit-routes"))) {
    it(caseName(inFile), () => {
      const { rateLimitIr } = translate(snapshotFromObjects(objects(inFile)), { rateLimit: RATE_LIMIT });
      assert.deepEqual(validateRateLimitIr(rateLimitIr), []);
      const configs = buildRateLimitConfigs(rateLimitIr);
      checkGolden(inFile, stringify({ ir: rateLimitIr, configs }, { lineWidth: 0, aliasDuplicateObjects: false }));
    });
  }

  it("without rateLimit in the EnvoyGateway configuration a global rule is refused with Envoy Gateway's message", () => {
    const result = translate(snapshotFromObjects(objects(`${testdataDir("ratelimit-routes")}/global.in.yaml`)));
    const status = result.statuses.find((s) => s.kind === "BackendTrafficPolicy")?.status as {
      ancestors: { conditions: { type: string; status: string; message: string }[] }[];
    };
    const accepted = status.ancestors[0].conditions.find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.equal(
      accepted?.message,
      "spec.rateLimit.global: enable Ratelimit in the EnvoyGateway config to configure global rateLimit",
    );
    assert.deepEqual(result.rateLimitIr.domains, []);
  });
});
