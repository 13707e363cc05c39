/**
 * The host addresses standalone gives the translator (pipeline/local-addresses.ts): read only when a Gateway requests
 * an address by value, and then this machine's, loopback included.
 */
import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { localAddressesFor } from "../../operator/src/pipeline/local-addresses";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";

const gateway = (name: string, addresses?: object[]): KubeObject =>
  ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "default" },
    spec: {
      gatewayClassName: "eg",
      listeners: [{ name: "http", port: 8080, protocol: "HTTP" }],
      ...(addresses ? { addresses } : {}),
    },
  }) as unknown as KubeObject;

describe("standalone: the host addresses a pass reads", () => {
  it("reads none while no Gateway requests an address by value", () => {
    const snapshot = snapshotFromObjects([gateway("a"), gateway("b", []), gateway("c", [{ type: "IPAddress" }])]);
    assert.deepEqual(localAddressesFor(snapshot), []);
  });

  it("takes a Gateway of any shape without throwing (it runs before the intake reports the bad ones)", () => {
    const bad = (spec: unknown): KubeObject =>
      ({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "bad", namespace: "default" },
        ...(spec === undefined ? {} : { spec }),
      }) as unknown as KubeObject;
    assert.deepEqual(localAddressesFor(snapshotFromObjects([bad(undefined), bad(null), bad({ addresses: null })])), []);
    for (const spec of [{ addresses: "10.0.0.1" }, { addresses: [null] }, { addresses: ["10.0.0.1"] }]) {
      const snapshot = snapshotFromObjects([bad(spec)]);
      assert.ok(localAddressesFor(snapshot).includes("127.0.0.1"), JSON.stringify(spec));
    }
  });

  it("reads this machine's interface addresses once a Gateway requests one", () => {
    const snapshot = snapshotFromObjects([gateway("a"), gateway("b", [{ type: "IPAddress", value: "127.0.0.1" }])]);
    const expected = Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address));
    assert.ok(expected.includes("127.0.0.1"), "this machine has a loopback interface");
    assert.deepEqual(localAddressesFor(snapshot), expected);
  });
});
