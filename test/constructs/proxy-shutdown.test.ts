/**
 * The proxy pod's graceful shutdown in the Kubernetes render, as Envoy Gateway's: the shutdown-manager container
 * (the controller's image), the preStop hooks (Envoy's waits on `/shutdown/ready`, the shutdown manager's runs
 * `egts envoy shutdown` with the EnvoyProxy's durations), and terminationGracePeriodSeconds = drainTimeout + 300 s.
 */
import assert from "node:assert/strict";
import { renderProxies, type Manifest, type ProxyToRender } from "../../constructs/render";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";

const OPTIONS = { image: "envoyproxy/envoy:distroless-v1.37.0", xds: { host: "envoy-gateway" } };
const PROXY: ProxyToRender = {
  name: "default/eg",
  namespace: "default",
  gatewayName: "eg",
  ports: [{ name: "http", port: 8080, protocol: "HTTP" }],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

function podSpec(envoyProxy?: ProxyToRender["envoyProxy"], options: object = {}): Loose {
  const proxy = { ...PROXY, ...(envoyProxy ? { envoyProxy } : {}) };
  const out: readonly Manifest[] = renderProxies([proxy], { ...OPTIONS, ...options });
  return (out.find((m) => m.kind === "Deployment") as Loose).spec.template.spec;
}

describe("constructs: proxy shutdown (shutdown manager, preStop, grace period)", () => {
  it("renders Envoy Gateway's defaults: a 360 s grace period and durations left to the commands", () => {
    const spec = podSpec();
    assert.equal(spec.terminationGracePeriodSeconds, 360);
    const [envoy, manager] = spec.containers;
    assert.deepEqual(envoy.lifecycle, {
      preStop: { httpGet: { path: "/shutdown/ready", port: 19002, scheme: "HTTP" } },
    });
    assert.equal(manager.name, "shutdown-manager");
    assert.equal(manager.image, "ghcr.io/egts/controller:0.1.0");
    assert.deepEqual(manager.args, ["envoy", "shutdown-manager"]);
    assert.deepEqual(manager.lifecycle.preStop.exec.command, [
      "/usr/local/bin/node",
      "/app/bin/egts.js",
      "envoy",
      "shutdown",
    ]);
    assert.deepEqual(manager.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
    assert.ok(!JSON.stringify(spec.containers).includes("19000"), "nothing reaches the admin port from outside");
  });

  it("takes drainTimeout and minDrainDuration from the EnvoyProxy, and the controller's image", () => {
    const spec = podSpec(
      { shutdown: { drainTimeout: "45s", minDrainDuration: "5s" } },
      { shutdownManagerImage: "registry.example/egts:1.2.3" },
    );
    assert.equal(spec.terminationGracePeriodSeconds, 345);
    const [envoy, manager] = spec.containers;
    assert.ok(envoy.args.join(" ").includes("--drain-time-s 45"), envoy.args.join(" "));
    assert.equal(manager.image, "registry.example/egts:1.2.3");
    assert.deepEqual(manager.args, ["envoy", "shutdown-manager", "--ready-timeout=55s"]);
    assert.deepEqual(manager.lifecycle.preStop.exec.command.slice(2), [
      "envoy",
      "shutdown",
      "--drain-timeout=45s",
      "--min-drain-duration=5s",
    ]);
  });

  it("passes healthCheckFailureDelay to the drain (`egts envoy shutdown --health-check-failure-delay`)", () => {
    const spec = podSpec({ shutdown: { healthCheckFailureDelay: "1m30s" } });
    assert.deepEqual(spec.containers[1].lifecycle.preStop.exec.command.slice(2), [
      "envoy",
      "shutdown",
      "--health-check-failure-delay=90000ms",
    ]);
    assert.equal(spec.terminationGracePeriodSeconds, 360, "the delay is part of the drain, not added to it");
    assert.match(
      envoyProxyProblem({ shutdown: { healthCheckFailureDelay: "later" } }, "Gateway") ?? "",
      /spec\.shutdown\.healthCheckFailureDelay \(later\) is not a duration/,
    );
  });

  it("accepts minDrainDuration and refuses one that is not a duration", () => {
    assert.equal(envoyProxyProblem({ shutdown: { minDrainDuration: "15s" } }, "Gateway"), undefined);
    assert.match(envoyProxyProblem({ shutdown: { minDrainDuration: "soon" } }, "Gateway") ?? "", /minDrainDuration/);
  });
});
