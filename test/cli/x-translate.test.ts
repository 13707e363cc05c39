/**
 * `egts x translate` with egctl's flags, run as a user runs it: the input of Envoy Gateway's "Use egctl" page on
 * stdin (`-f -`) or from a file, Gateway API resources with status, the IR, and Envoy's configuration per node in
 * the shape of its /config_dump; egctl's `--add-missing-resources`; egctl's errors for wrong flag values.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { egts } from "../support/egts-cli";
import { testdataDir } from "../support/golden";

const DOCS_INPUT = testdataDir("cli", "eg-docs-translate.yaml");
const ADMIN = "type.googleapis.com/envoy.admin.v3.";
const NODE = "default/eg";

type Json = Record<string, unknown>;

/** Runs x translate and parses its output (YAML, or JSON with -o json). */
function translate(args: readonly string[], input?: string): Json {
  const r = egts(["x", "translate", ...args], input === undefined ? {} : { input });
  assert.equal(r.code, 0, r.stderr);
  return (args.includes("json") ? JSON.parse(r.stdout) : parse(r.stdout)) as Json;
}

/** The names of one resource type in `egts translate --to xds` (egts's own output) of the same input. */
function ownXdsNames(short: string): string[] {
  const r = egts(["translate", "-f", DOCS_INPUT, "--to", "xds"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = parse(r.stdout) as { resources: Record<string, { name: string }[]> };
  return (doc.resources[short] ?? []).map((x) => x.name).sort();
}

function conditions(status: unknown): Record<string, string> {
  const list = (status as { conditions?: { type: string; status: string }[] }).conditions ?? [];
  return Object.fromEntries(list.map((c) => [c.type, c.status]));
}

describe("egts x translate (egctl's flags)", function () {
  this.timeout(60_000);

  it("the docs example: `cat <<EOF | egts x translate --from gateway-api --to xds -f -` prints a config dump per node", () => {
    const doc = translate(["--from", "gateway-api", "--to", "xds", "-f", "-"], readFileSync(DOCS_INPUT, "utf8"));
    assert.deepEqual(Object.keys(doc), ["xds"]);
    const dump = (doc.xds as Json)[NODE] as { configs: Json[] };
    assert.deepEqual(
      dump.configs.map((c) => c["@type"]),
      [
        "BootstrapConfigDump",
        "EndpointsConfigDump",
        "ClustersConfigDump",
        "ListenersConfigDump",
        "RoutesConfigDump",
      ].map((t) => ADMIN + t),
    );
    const listeners = (dump.configs[3].dynamicListeners as { activeState: { listener: Json } }[]).map(
      (l) => l.activeState.listener,
    );
    assert.deepEqual(listeners.map((l) => l.name).sort(), ownXdsNames("lds"), "the listeners egts translate prints");
    for (const l of listeners) assert.equal(l["@type"], "type.googleapis.com/envoy.config.listener.v3.Listener");
    const routes = (dump.configs[4].dynamicRouteConfigs as { routeConfig: Json }[]).map((r) => r.routeConfig);
    assert.deepEqual(routes.map((r) => r.name).sort(), ownXdsNames("rds"));
  });

  it("-t cluster -o json: the ClustersConfigDump alone, as JSON with JSON field names", () => {
    const doc = translate(["--to", "xds", "-t", "cluster", "-o", "json", "-f", DOCS_INPUT]);
    const dump = (doc.xds as Json)[NODE] as Json;
    assert.equal(dump["@type"], `${ADMIN}ClustersConfigDump`);
    const clusters = (dump.dynamicActiveClusters as { cluster: Json }[]).map((c) => c.cluster);
    assert.deepEqual(clusters.map((c) => c.name).sort(), ownXdsNames("cds"));
    assert.ok(clusters.every((c) => typeof c.connectTimeout === "string" && !("connect_timeout" in c)));
  });

  it("-t endpoint: the Service's cluster IP and port (the input's 1.1.1.1:3000) in the EndpointsConfigDump", () => {
    const doc = translate(["--to", "xds", "--type", "endpoint", "--file", DOCS_INPUT]);
    const dump = (doc.xds as Json)[NODE] as Json;
    assert.equal(dump["@type"], `${ADMIN}EndpointsConfigDump`);
    assert.match(JSON.stringify(dump.dynamicEndpointConfigs), /"address":"1\.1\.1\.1","portValue":3000/);
  });

  it("-t bootstrap: the bootstrap egts controller renders for the proxy (node id, admin on 127.0.0.1:19000)", () => {
    const doc = translate(["--to", "xds", "-t", "bootstrap", "-f", DOCS_INPUT, "-n", "gateway-system"]);
    const dump = (doc.xds as Json)[NODE] as { "@type": string; bootstrap: Json };
    assert.equal(dump["@type"], `${ADMIN}BootstrapConfigDump`);
    assert.deepEqual(dump.bootstrap.node, { cluster: NODE, id: NODE });
    assert.deepEqual(dump.bootstrap.admin, { address: { socketAddress: { address: "127.0.0.1", portValue: 19000 } } });
    assert.match(
      JSON.stringify(dump.bootstrap),
      /envoy-gateway\.gateway-system\.svc\.cluster\.local/,
      "-n names the xDS Service",
    );
  });

  it("the default --to (gateway-api,xds): the resources with their status, keys sorted as egctl's", () => {
    const doc = translate(["-f", DOCS_INPUT]);
    assert.deepEqual(Object.keys(doc), ["gatewayClass", "gateways", "httpRoutes", "namespaces", "services", "xds"]);
    assert.equal(conditions((doc.gatewayClass as Json).status).Accepted, "True");
    const gw = (doc.gateways as Json[])[0];
    assert.equal(conditions(gw.status).Programmed, "True");
    const parent = ((doc.httpRoutes as Json[])[0].status as { parents: Json[] }).parents[0];
    assert.deepEqual(conditions(parent), { Accepted: "True", ResolvedRefs: "True" });
  });

  it("--to ir: the IR keyed by node (xdsIR, infraIR) with the resources", () => {
    const doc = translate(["--to", "ir", "-f", DOCS_INPUT]);
    assert.ok((doc.xdsIR as Json)[NODE], Object.keys(doc).join());
    assert.ok((doc.infraIR as Json)[NODE]);
    assert.ok(doc.httpRoutes);
    assert.equal(doc.xds, undefined);
  });

  it("--add-missing-resources: the GatewayClass gets the controller name, the missing Service is added (1.2.3.4)", () => {
    const input = testdataDir("cli", "missing-resources.yaml");
    const without = translate(["--to", "gateway-api", "-f", input]);
    assert.equal(without.services, undefined);
    assert.equal(
      (without.httpRoutes as Json[])[0].status,
      undefined,
      "the GatewayClass without controller is not ours",
    );
    const doc = translate(["--to", "gateway-api,xds", "-t", "endpoint", "--add-missing-resources", "-f", input]);
    assert.equal(
      ((doc.gatewayClass as Json).spec as Json).controllerName,
      "gateway.envoyproxy.io/gatewayclass-controller",
    );
    assert.deepEqual((doc.services as Json[])[0].spec, {
      clusterIP: "1.2.3.4",
      ports: [{ name: "TCP-3000", port: 3000, protocol: "TCP" }],
    });
    const parent = ((doc.httpRoutes as Json[])[0].status as { parents: Json[] }).parents[0];
    assert.equal(conditions(parent).ResolvedRefs, "True");
    assert.match(JSON.stringify((doc.xds as Json)[NODE]), /"address":"1\.2\.3\.4","portValue":3000/);
  });

  it("wrong flag values are refused as egctl refuses them, exit 1", () => {
    const cases: [string[], RegExp][] = [
      [["--from", "xds"], /xds is not a valid input type\. Valid types are \[gateway-api\]/],
      [["--to", "xds,envoy"], /envoy is not a valid output type\. Valid types are \[xds gateway-api ir\]/],
      [["-t", "scoped-route"], /scoped-route is not a valid output type\. Valid types are \[bootstrap endpoint/],
      [["-o", "toml"], /invalid output format "toml"/],
    ];
    for (const [args, message] of cases) {
      const r = egts(["x", "translate", "-f", DOCS_INPUT, ...args]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, message);
    }
    const noClass = egts(["x", "translate", "-f", "-"], {
      input: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
    });
    assert.equal(noClass.code, 1);
    assert.match(noClass.stderr, /^Error: the GatewayClass resource is required/);
  });
});
