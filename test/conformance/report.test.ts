/**
 * The conformance runner's reading of the suite's output (e2e/conformance/report.ts): the official report
 * plus our per-test results give the README table and the verdict that sets `npm run conformance`'s exit code.
 */
import assert from "node:assert/strict";
import {
  failureMessages,
  markdownTable,
  parseReport,
  parseResults,
  replaceTable,
  summarize,
  TABLE_BEGIN,
  TABLE_END,
  verdict,
} from "../../e2e/conformance/report";

/** A report in the official format, as the v1.7.0 suite writes it (sigs.k8s.io/yaml of confv1.ConformanceReport). */
const REPORT = `apiVersion: gateway.networking.k8s.io/v1
date: "2026-12-03T23:00:00Z"
gatewayAPIChannel: standard
gatewayAPIVersion: v1.7.0
implementation:
  contact:
  - '@egts/maintainers'
  organization: egts
  project: egts
  url: https://github.com/egts/egts
  version: v0.1.0
kind: ConformanceReport
mode: default
profiles:
- core:
    result: partial
    failedTests:
    - HTTPRouteSimpleSameNamespace
    statistics:
      Failed: 1
      Passed: 30
      Skipped: 0
  extended:
    result: partial
    failedTests:
    - HTTPRouteRequestMirror
    statistics:
      Failed: 1
      Passed: 20
      Skipped: 0
    supportedFeatures:
    - HTTPRouteRequestMirror
    - HTTPRouteMethodMatching
  name: GATEWAY-HTTP
  summary: Core tests partially succeeded with 1 test failures.
- core:
    result: success
    statistics:
      Failed: 0
      Passed: 3
      Skipped: 0
  name: GATEWAY-UDP
  summary: Core tests succeeded.
`;

const RESULTS = [
  { test: "HTTPRouteSimpleSameNamespace", features: ["Gateway", "HTTPRoute"], provisional: false, result: "failed" },
  {
    test: "HTTPRouteRequestMirror",
    features: ["HTTPRoute", "HTTPRouteRequestMirror"],
    provisional: false,
    result: "failed",
  },
  {
    test: "HTTPRouteMethodMatching",
    features: ["HTTPRoute", "HTTPRouteMethodMatching"],
    provisional: false,
    result: "passed",
  },
  { test: "UDPRouteTest", features: ["UDPRoute"], provisional: false, result: "passed" },
  { test: "MeshThing", features: ["Mesh"], provisional: false, result: "notSupported" },
]
  .map((r) => JSON.stringify(r))
  .join("\n");

describe("conformance report (e2e/conformance/report.ts)", () => {
  const claimed = ["HTTPRoute", "HTTPRouteMethodMatching", "HTTPRouteRequestMirror", "UDPRoute", "ListenerSet"];
  const summary = summarize(parseReport(REPORT), parseResults(RESULTS), claimed);

  it("gives each claimed feature's outcome from the tests that exercise it", () => {
    assert.deepEqual(summary.featuresPassed, ["HTTPRouteMethodMatching", "UDPRoute"]);
    assert.deepEqual(summary.featuresFailed, [
      { feature: "HTTPRoute", tests: ["HTTPRouteRequestMirror", "HTTPRouteSimpleSameNamespace"] },
      { feature: "HTTPRouteRequestMirror", tests: ["HTTPRouteRequestMirror"] },
    ]);
    assert.deepEqual(summary.featuresUntested, ["ListenerSet"]);
  });

  it("fails the run on a failed core test, a failed extended test and a failed claimed feature", () => {
    assert.deepEqual(verdict(summary), [
      "GATEWAY-HTTP: core tests failed: HTTPRouteSimpleSameNamespace",
      "GATEWAY-HTTP: extended tests failed: HTTPRouteRequestMirror",
      "claimed feature HTTPRoute failed: HTTPRouteRequestMirror, HTTPRouteSimpleSameNamespace",
      "claimed feature HTTPRouteRequestMirror failed: HTTPRouteRequestMirror",
    ]);
  });

  it("passes a run whose profiles all succeeded", () => {
    const ok = REPORT.replace(/Failed: 1/g, "Failed: 0").replace(/\n\s+failedTests:\n\s+- \w+/g, "");
    const s = summarize(parseReport(ok), parseResults(RESULTS.replace(/"failed"/g, '"passed"')), claimed);
    assert.deepEqual(verdict(s), []);
  });

  it("fails the run on a skipped core test (a gap, not a result)", () => {
    const skipped = REPORT.replace("Skipped: 0", "Skipped: 1\n    skippedTests:\n    - GatewayWithAttachedRoutes");
    assert.ok(
      verdict(summarize(parseReport(skipped), [], [])).includes(
        "GATEWAY-HTTP: core tests skipped: GatewayWithAttachedRoutes",
      ),
    );
  });

  it("writes the table per profile and replaces only what lies between the README markers", () => {
    const table = markdownTable(summary);
    assert.match(table, /\| GATEWAY-HTTP \| 30 \/ 1 \/ 0 +\| 20 \/ 1 \/ 0 +\| 2 +\|/);
    assert.match(table, /\| GATEWAY-UDP +\| 3 \/ 0 \/ 0 +\| – +\| 0 +\|/);
    const readme = `# x\n${TABLE_BEGIN}\nold\n${TABLE_END}\nrest\n`;
    assert.equal(replaceTable(readme, "new"), `# x\n${TABLE_BEGIN}\n\nnew\n${TABLE_END}\nrest\n`);
    assert.throws(() => replaceTable("# no markers", "new"), /markers/);
  });

  it("rejects a file that is not a ConformanceReport", () => {
    assert.throws(() => parseReport("kind: Gateway\n"), /not a ConformanceReport \(kind "Gateway"\)/);
  });

  it("picks each failed test's assertion messages out of the go test -v log", () => {
    const log = [
      "=== RUN   TestConformance/GatewayWithAttachedRoutes",
      "=== PAUSE TestConformance/GatewayWithAttachedRoutes",
      "=== RUN   TestConformance/HTTPRouteSimpleSameNamespace",
      "    helpers.go:300: 2026-12-03T23:00:00Z: Gateway gateway-conformance-infra/same-namespace not Programmed yet",
      "=== CONT  TestConformance/GatewayWithAttachedRoutes",
      "    helpers.go:1090: 2026-12-03T23:00:01.5Z: Expected AttachedRoutes to be 1, got 0",
      "    helpers.go:1090: 2026-12-03T23:00:02.5Z: Expected AttachedRoutes to be 1, got 0",
      "    helpers.go:841: ",
      "        \tError Trace:\t/root/go/pkg/mod/sigs.k8s.io/gateway-api/conformance@v1.7.0/utils/kubernetes/helpers.go:841",
      "        \tError:      \tReceived unexpected error:",
      "        \t            \tcontext deadline exceeded",
      "        \tTest:       \tTestConformance/GatewayWithAttachedRoutes/attached",
      "        \tMessages:   \terror waiting for listener attachedRoutes: expected 1, got 0",
      "=== NAME  TestConformance/HTTPRouteSimpleSameNamespace",
      "    http.go:200: Request passed",
      "--- FAIL: TestConformance/GatewayWithAttachedRoutes (60.00s)",
      "    --- FAIL: TestConformance/GatewayWithAttachedRoutes/attached (60.00s)",
      "--- PASS: TestConformance/HTTPRouteSimpleSameNamespace (3.00s)",
    ].join("\n");
    assert.deepEqual(
      [...failureMessages(log)],
      [
        [
          "GatewayWithAttachedRoutes",
          [
            "Error: Received unexpected error:",
            "context deadline exceeded",
            "Messages: error waiting for listener attachedRoutes: expected 1, got 0",
            "log: Expected AttachedRoutes to be 1, got 0",
          ],
        ],
      ],
    );
  });
});
