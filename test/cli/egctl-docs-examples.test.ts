/**
 * The egctl examples of Envoy Gateway's documentation (the "Use egctl" task page, the tasks that call egctl, and
 * the examples in egctl's own help), each with its egts counterpart: those that run offline are run here with
 * `egts` in place of `egctl`; those that need a live proxy are run by config-envoy-proxy.test.ts against
 * standalone's real Envoy and by e2e/test/cli-kubernetes.test.ts against proxy and controller pods in a real
 * API server (through its port-forward); those without a counterpart are listed with the reason, and egts refuses them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { egts } from "../support/egts-cli";
import { testdataDir } from "../support/golden";

const INPUT = testdataDir("cli", "eg-docs-translate.yaml");

/** Examples run here: the egctl command line, with `<input file>` for the docs page's input. */
const OFFLINE: readonly string[] = [
  "egctl x translate --from gateway-api --to xds -f -",
  "egctl experimental translate --from gateway-api --to xds --file <input file>",
  "egctl experimental translate --from gateway-api --to xds --type all --output json --file <input file>",
  "egctl experimental translate --from gateway-api --to xds --type all --output yaml --file <input file>",
  "egctl experimental translate --from gateway-api --to xds --type bootstrap --file <input file>",
  "egctl experimental translate --from gateway-api --to xds --type cluster --file <input file>",
  "egctl experimental translate --from gateway-api --to xds --type listener --file <input file>",
  "egctl experimental translate --from gateway-api --to xds --type route --file <input file>",
  "egctl x translate --from gateway-api --to xds -t cluster -o yaml -f <input file>",
  "egctl x translate --from gateway-api --to xds -t cluster --add-missing-resources -f <input file>",
  "egctl experimental translate --from gateway-api --to gateway-api,xds --type all --output yaml --file <input file>",
  "egctl experimental translate --from gateway-api --to ir --output yaml --file <input file>",
  "egctl x translate --from gateway-api --to gateway-api -f -",
  "egctl x status gatewayclass",
  "egctl x status gateway -q",
  "egctl x status gateway -v",
  "egctl x status httproute -v -n foobar",
  "egctl x status xroute -A",
  "egctl x status all -A",
  "egctl version --remote=false",
];

/**
 * Examples that need a running proxy or controller: covered by config-envoy-proxy.test.ts (standalone, real
 * Envoy) and e2e/test/cli-kubernetes.test.ts (pods in a real API server, through its port-forward).
 */
export const LIVE: readonly string[] = [
  "egctl config envoy-proxy route",
  "egctl config envoy-proxy all <pod-name> -n <pod-namespace> -o yaml",
  "egctl c proxy all <pod-name> -n <pod-namespace>",
  "egctl config envoy-proxy listener|cluster|endpoint|bootstrap <pod-name> -n <pod-namespace>",
  "egctl experimental stats envoy-proxy <pod-name> -n <namespace> --output prom",
  "egctl experimental stats envoy-proxy <pod-name> -n <namespace> --type clusters",
  "egctl config envoy-gateway all <pod-name> -n <pod-namespace>",
  "egctl config envoy-gateway all --labels control-plane=envoy-gateway",
  "egctl c gateway gateway <pod-name> -n <pod-namespace> -o yaml",
];

/** Examples without a counterpart in egts, and why; egts answers each with `unknown command`. */
const NOT_APPLICABLE: readonly [string, string][] = [
  ["egctl config envoy-ratelimit", "the rate limit service's debug endpoint (6070) is not exposed by egts's ratelimit"],
  [
    "egctl x dashboard envoy-proxy",
    "opens a browser on a port-forward; egts standalone proxies' admin is local already",
  ],
  ["egctl x install", "egts installs with its Helm chart (helm install egts helm/egts)"],
  ["egctl x uninstall", "likewise, helm uninstall"],
  ["egctl x collect", "the support bundle collector is not implemented"],
  ["egctl x validate -f <file>", "`egts x translate --to gateway-api` reports the same problems as statuses"],
];

/** An egctl example as egts arguments, with the docs input for `<input file>`; status examples read it offline (-f). */
function asEgts(example: string): string[] {
  const args = example.replaceAll("<input file>", INPUT).split(" ").slice(1);
  return args[1] === "status" ? [...args, "-f", INPUT] : args;
}

describe("egctl examples from Envoy Gateway's docs, with egts in place of egctl", function () {
  this.timeout(120_000);

  for (const example of OFFLINE) {
    it(example, () => {
      const args = asEgts(example);
      const r = egts(args, args.includes("-") ? { input: readFileSync(INPUT, "utf8") } : {});
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(r.stdout.length > 0);
    });
  }

  for (const [example, why] of NOT_APPLICABLE) {
    it(`not applicable: ${example} (${why})`, () => {
      const r = egts(example.split(" ").slice(1));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error: unknown command/);
    });
  }
});
