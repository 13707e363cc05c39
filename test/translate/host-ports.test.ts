/**
 * Standalone's shared host (translate option `sharedHost`): a port one Gateway's proxy holds on an address
 * is PortUnavailable for a younger Gateway on an overlapping address; other addresses, the other port space
 * (UDP), and Kubernetes mode (no `sharedHost`) are no conflict.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { GATEWAY_CLASS_YAML } from "../support/manifests";

function gateway(name: string, listener: string, addresses = ""): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default, creationTimestamp: "2026-01-0${name === "old" ? 1 : 2}T00:00:00Z" }
spec:
  gatewayClassName: eg
${addresses}  listeners: [${listener}]
`;
}

/** Accepted reason of the `young` Gateway's first listener. */
function youngListener(yaml: string, opts: TranslateOptions): { reason: string; message: string } {
  const objects = parseAllDocuments(`${GATEWAY_CLASS_YAML}---\n${yaml}`).map((d) => d.toJS() as KubeObject);
  const { statuses } = translate(snapshotFromObjects(objects), opts);
  const st = statuses.find((s) => s.kind === "Gateway" && s.name === "young")?.status as {
    listeners: { conditions: { type: string; reason: string; message: string }[] }[];
  };
  const accepted = st.listeners[0].conditions.find((c) => c.type === "Accepted");
  return { reason: accepted?.reason ?? "", message: accepted?.message ?? "" };
}

const HTTP = "{ name: web, protocol: HTTP, port: 8080 }";
const SHARED: TranslateOptions = { sharedHost: true, listenAddress: "127.0.0.1", localAddresses: ["127.0.0.2"] };

describe("translate: ports on a shared host (standalone)", () => {
  it("the younger Gateway on the same address and port is PortUnavailable, naming the older one", () => {
    const r = youngListener(`${gateway("young", HTTP)}---\n${gateway("old", HTTP)}`, SHARED);
    assert.equal(r.reason, "PortUnavailable");
    assert.equal(
      r.message,
      "port 8080 on 127.0.0.1 is already used by HTTP listener web of Gateway default/old, whose Envoy runs on " +
        "this host too (the older Gateway keeps the port); use another port or address",
    );
  });

  it("other addresses, or UDP against TCP, or Kubernetes mode: no conflict", () => {
    const other = "  addresses: [{ type: IPAddress, value: 127.0.0.2 }]\n";
    assert.equal(
      youngListener(`${gateway("young", HTTP, other)}---\n${gateway("old", HTTP)}`, SHARED).reason,
      "Accepted",
    );
    const udp = "{ name: dns, protocol: UDP, port: 8080 }";
    assert.equal(youngListener(`${gateway("young", udp)}---\n${gateway("old", HTTP)}`, SHARED).reason, "Accepted");
    const k8s = { listenAddress: "0.0.0.0" };
    assert.equal(youngListener(`${gateway("young", HTTP)}---\n${gateway("old", HTTP)}`, k8s).reason, "Accepted");
  });

  it("a wildcard address overlaps every address", () => {
    const any = "  addresses: [{ type: IPAddress, value: 0.0.0.0 }]\n";
    const opts = { ...SHARED, localAddresses: ["0.0.0.0"] };
    assert.equal(
      youngListener(`${gateway("young", HTTP, any)}---\n${gateway("old", HTTP)}`, opts).reason,
      "PortUnavailable",
    );
  });
});
