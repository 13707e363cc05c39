/**
 * `cdk8s synth` previews what the controller applies: the real cdk8s CLI (node_modules/.bin/cdk8s, reading
 * the repository's cdk8s.yaml) runs constructs/synth.ts on examples/kubernetes/, and its manifests must equal
 * those of a Controller's `render` for the same YAML, with `egts controller`'s default flags.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proxyObjectName } from "../../constructs/names";
import type { Manifest } from "../../constructs/render";
import { CONTROLLER_DEFAULTS, controllerRenderOptions } from "../../operator/src/config/controller-defaults";
import { Controller } from "../../operator/src/pipeline/controller";
import type { ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { repoRoot } from "../support/golden";
import {
  DEFAULT_NAMESPACE,
  defaultControllerManifests,
  kubernetesExampleDir,
  readSnapshot,
  runCdk8sSynth,
  sortManifests,
  spawnCdk8sSynth,
} from "../support/synth";

/** Rendered manifests are free-form Kubernetes JSON; the tests walk them by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

/** The child environment of a default run: none of the variables that change what synth renders. */
const DEFAULT_ENV = {
  EGTS_SYNTH_INPUT: undefined,
  ENVOY_GATEWAY_NAMESPACE: undefined,
  CDK8S_OUTDIR: undefined,
  EGTS_SYNTH_DEPLOY_TYPE: undefined,
};

function find(manifests: readonly Manifest[], kind: string): Loose {
  const m = manifests.find((x) => x.kind === kind);
  assert.ok(m, `no ${kind} among ${manifests.map((x) => x.kind).join(", ")}`);
  return m;
}

describe("constructs: cdk8s synth", function () {
  this.timeout(120_000);
  let tmp: string;
  /** A Controller as `egts controller` builds it with default flags; never started (no API server needed). */
  let controller: Controller;
  /** The same in GatewayNamespace deploy mode. */
  let gatewayNamespaceController: Controller;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "egts-synth-"));
    const kubeconfig = join(tmp, "kubeconfig");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "none", cluster: { server: "https://127.0.0.1:1" } }],
        users: [{ name: "none", user: { token: "unused" } }],
        contexts: [{ name: "none", context: { cluster: "none", user: "none" } }],
        "current-context": "none",
      }),
    );
    controller = new Controller({
      kubeconfig,
      namespace: DEFAULT_NAMESPACE,
      controllerName: CONTROLLER_DEFAULTS.controllerName,
      identity: "synth-test",
      render: controllerRenderOptions({ namespace: DEFAULT_NAMESPACE }),
      logger: () => undefined,
    });
    gatewayNamespaceController = new Controller({
      kubeconfig,
      namespace: DEFAULT_NAMESPACE,
      controllerName: CONTROLLER_DEFAULTS.controllerName,
      identity: "synth-test",
      render: controllerRenderOptions({ namespace: DEFAULT_NAMESPACE, deploy: "GatewayNamespace" }),
      logger: () => undefined,
    });
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** What the controller's render applies for a snapshot (translated as its pass does). */
  function applied(snapshot: ResourceSnapshot, by = controller): Manifest[] {
    const infra = translate(snapshot, { controllerName: CONTROLLER_DEFAULTS.controllerName }).infraIr;
    return by.render(infra, snapshot).manifests;
  }

  it("writes, for examples/kubernetes, exactly the manifests the controller applies", async () => {
    const out = join(tmp, "example");
    const run = runCdk8sSynth(out, DEFAULT_ENV);
    const name = proxyObjectName("default", "eg");
    assert.deepEqual(run.files, [`${name}.k8s.yaml`], "one chart per proxy, named after its objects");
    const snapshot = await readSnapshot(kubernetesExampleDir());
    const expected = applied(snapshot);
    assert.deepEqual(sortManifests(run.manifests), sortManifests(expected));
    assert.deepEqual(sortManifests(defaultControllerManifests(snapshot)), sortManifests(expected));
    assert.match(
      run.stderr,
      new RegExp(`Gateway default/eg: ${name}\\.k8s\\.yaml \\(listeners HTTP/80, with its EnvoyProxy\\)`),
    );
  });

  it("applies the example's EnvoyProxy and the controller's defaults", () => {
    const run = runCdk8sSynth(join(tmp, "concrete"), DEFAULT_ENV);
    const manifests = run.manifests;
    assert.deepEqual(manifests.map((m) => m.kind).sort(), ["ConfigMap", "Deployment", "Service", "ServiceAccount"]);
    for (const m of manifests) {
      assert.equal(m.metadata.namespace, "envoy-gateway-system");
      assert.equal(m.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-name"], "eg");
      assert.equal(m.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-namespace"], "default");
    }
    const deploy = find(manifests, "Deployment");
    assert.equal(deploy.spec.replicas, 2, "EnvoyProxy envoyDeployment.replicas");
    const envoy = deploy.spec.template.spec.containers[0];
    assert.equal(envoy.image, CONTROLLER_DEFAULTS.envoyImage);
    assert.deepEqual(deploy.spec.template.spec.volumes[1], {
      name: "xds-certs",
      secret: { secretName: `${deploy.metadata.name}-xds` },
    });
    const svc = find(manifests, "Service");
    assert.equal(svc.metadata.annotations?.["service.beta.kubernetes.io/aws-load-balancer-internal"], "true");
    assert.deepEqual(svc.spec.ports, [{ name: "http-80", port: 80, targetPort: 10080, protocol: "TCP" }]);
    const bootstrap = JSON.parse(find(manifests, "ConfigMap").data["envoy.json"]);
    const xds = bootstrap.static_resources.clusters.find((c: { name: string }) => c.name === "xds_cluster");
    assert.deepEqual(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
      address: "envoy-gateway.envoy-gateway-system.svc.cluster.local",
      port_value: 18000,
    });
  });

  it("renders the YAML named by EGTS_SYNTH_INPUT instead", async () => {
    const input = join(repoRoot(), "examples", "quickstart");
    const run = runCdk8sSynth(join(tmp, "quickstart"), { ...DEFAULT_ENV, EGTS_SYNTH_INPUT: input });
    assert.deepEqual(sortManifests(run.manifests), sortManifests(applied(await readSnapshot(input))));
    assert.equal(find(run.manifests, "Deployment").spec.replicas, 1, "no EnvoyProxy: one replica");
  });

  it("previews GatewayNamespace mode (EGTS_SYNTH_DEPLOY_TYPE): objects in the Gateway's namespace, xDS token", async () => {
    const run = runCdk8sSynth(join(tmp, "gwns"), { ...DEFAULT_ENV, EGTS_SYNTH_DEPLOY_TYPE: "GatewayNamespace" });
    assert.deepEqual(run.files, ["eg.k8s.yaml"], "named after the Gateway, as its objects are");
    const expected = applied(await readSnapshot(kubernetesExampleDir()), gatewayNamespaceController);
    assert.deepEqual(sortManifests(run.manifests), sortManifests(expected));
    for (const m of run.manifests)
      assert.equal(m.metadata.namespace, "default", `${m.kind} in the Gateway's namespace`);
    const volumes = find(run.manifests, "Deployment").spec.template.spec.volumes as Loose[];
    const token = volumes.find((v) => v.name === "sa-token");
    assert.equal(
      token?.projected?.sources?.[0]?.serviceAccountToken?.audience,
      "envoy-gateway.envoy-gateway-system.svc.cluster.local",
    );
  });

  it("refuses an unknown EGTS_SYNTH_DEPLOY_TYPE, naming it", () => {
    const r = spawnCdk8sSynth(join(tmp, "bad-deploy"), { ...DEFAULT_ENV, EGTS_SYNTH_DEPLOY_TYPE: "Elsewhere" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /EGTS_SYNTH_DEPLOY_TYPE=Elsewhere is not one of ControllerNamespace, GatewayNamespace/);
  });

  it("fails with file and line when the input does not parse", () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(bad, "apiVersion: v1\nkind: Service\nmetadata: [unclosed\n");
    const r = spawnCdk8sSynth(join(tmp, "bad"), { ...DEFAULT_ENV, EGTS_SYNTH_INPUT: bad });
    assert.notEqual(r.status, 0, `synth of bad YAML succeeded:\n${r.stderr}`);
    assert.match(r.stderr, /error: .*bad\.yaml:\d+:\d+: /);
  });
});
