/**
 * What a backend's cluster carries for load balancing (translate/backends.ts): each endpoint's zone (from a Backend
 * endpoint's or an EndpointSlice endpoint's `zone`, for zone-aware policy variants) and a Service's cluster IP and
 * Service port (for routingType Service), absent for headless Services and Backends.
 */
import assert from "node:assert/strict";
import type { ClusterIr } from "../../operator/src/ir/xds-ir";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { BackendIndex, isProblem } from "../../operator/src/translate/backends";

const service = (name: string, clusterIP?: string): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: { ...(clusterIP !== undefined ? { clusterIP } : {}), ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  }) as unknown as KubeObject;

const slice = (svc: string): KubeObject =>
  ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${svc}-1`, namespace: "default", labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080 }],
    endpoints: [{ addresses: ["10.0.0.1"], zone: "zone-a" }, { addresses: ["10.0.0.2"] }],
  }) as unknown as KubeObject;

const backend: KubeObject = {
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "Backend",
  metadata: { name: "pool", namespace: "default" },
  spec: {
    endpoints: [{ ip: { address: "10.1.0.1", port: 80 }, zone: "zone-b" }, { ip: { address: "10.1.0.2", port: 80 } }],
  },
} as unknown as KubeObject;

describe("backend clusters: endpoint zones and Service cluster IPs", () => {
  const objects = [service("web", "10.96.0.10"), slice("web"), service("headless", "None"), slice("headless"), backend];
  const index = new BackendIndex(snapshotFromObjects(objects), { enabled: true });
  const resolve = (ref: object): ClusterIr => {
    const r = index.resolve(ref as never, "default");
    assert.ok(!isProblem(r), JSON.stringify(r));
    return r;
  };

  it("an EndpointSlice endpoint's zone is its endpoint's; the Service's cluster IP and port are kept", () => {
    const c = resolve({ name: "web", port: 80 });
    assert.deepEqual(c.endpoints, [
      { host: "10.0.0.1", port: 8080, zone: "zone-a" },
      { host: "10.0.0.2", port: 8080 },
    ]);
    assert.deepEqual(c.serviceAddress, { host: "10.96.0.10", port: 80 });
  });

  it("a headless Service has no service address", () => {
    assert.equal(resolve({ name: "headless", port: 80 }).serviceAddress, undefined);
  });

  it("a Backend endpoint's zone is its endpoint's; a Backend has no service address", () => {
    const c = resolve({ group: "gateway.envoyproxy.io", kind: "Backend", name: "pool" });
    assert.deepEqual(c.endpoints, [
      { host: "10.1.0.1", port: 80, zone: "zone-b" },
      { host: "10.1.0.2", port: 80 },
    ]);
    assert.equal(c.serviceAddress, undefined);
  });
});
