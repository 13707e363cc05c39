/**
 * The pure parts of reporting listeners Envoy cannot bind: reading Envoy's LDS NACK (the error_detail text
 * Envoy 1.36 sends, as captured from the real Envoy of test/standalone/listener-bind.test.ts), tracking
 * failures per stream, and marking Gateway statuses.
 */
import assert from "node:assert/strict";
import { ListenerFailures, listenerBindErrors, withListenerFailures } from "../../operator/src/pipeline/listener-nack";
import type { Condition } from "../../operator/src/resources/meta";
import { EMPTY_SNAPSHOT, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import type { StatusUpdate } from "../../operator/src/translate/conditions";
import type { XdsEvent } from "../../operator/src/xds/server/types";
import { TypeUrl } from "../../operator/src/xds/types";
import { conditionOf, gatewayObject } from "../support/objects";

const INUSE =
  "Error adding/updating listener(s) default/eg/busy: cannot bind '127.0.0.1:35999': Address already in use\n";

function lds(kind: "ack" | "nack", names: string[], error?: string, streamId = 1): XdsEvent {
  return { kind, nodeId: "default/eg", streamId, typeUrl: TypeUrl.Listener, names, ...(error ? { error } : {}) };
}

describe("listener NACKs: reading Envoy's error", () => {
  it("maps each listener line to its name among those sent", () => {
    assert.deepEqual(
      listenerBindErrors(INUSE, ["default/eg/busy", "default/eg/38495"]),
      new Map([["default/eg/busy", "cannot bind '127.0.0.1:35999': Address already in use"]]),
    );
    const two =
      "Error adding/updating listener(s) default/eg/http: cannot bind '0.0.0.0:80': Permission denied\n" +
      "default/eg/http-quic: cannot bind '0.0.0.0:80': Permission denied\n";
    assert.deepEqual(
      [...(listenerBindErrors(two, ["default/eg/dns", "default/eg/http-quic", "default/eg/http"]) ?? []).keys()],
      ["default/eg/http", "default/eg/http-quic"],
    );
  });

  it("leaves other NACKs to the route bisection: not a listener error, an unknown name, not a socket error", () => {
    assert.equal(listenerBindErrors("Proto constraint validation failed", ["default/eg/http"]), undefined);
    assert.equal(listenerBindErrors(INUSE, ["default/eg/http"]), undefined);
    const invalid = "Error adding/updating listener(s) default/eg/http: error adding listener: invalid filter chain\n";
    assert.equal(listenerBindErrors(invalid, ["default/eg/http"]), undefined);
  });
});

describe("listener NACKs: failures per stream", () => {
  it("records a bind failure, clears it on an ACK naming the listener or when the stream ends", () => {
    const f = new ListenerFailures();
    assert.equal(f.apply(lds("nack", ["default/eg/busy", "default/eg/38495"], INUSE)), true);
    assert.deepEqual(
      f.list().map((x) => x.listener),
      ["default/eg/busy"],
    );
    assert.equal(f.apply(lds("nack", ["default/eg/busy"], INUSE)), false, "the same failure again: no change");
    assert.equal(f.apply(lds("ack", ["default/eg/38495"])), false, "an ACK of another listener");
    assert.equal(f.apply(lds("ack", ["default/eg/busy"])), true);
    assert.deepEqual(f.list(), []);
    f.apply(lds("nack", ["default/eg/busy"], INUSE, 2));
    assert.equal(f.apply({ kind: "disconnect", nodeId: "default/eg", streamId: 2 }), true);
    assert.deepEqual(f.list(), []);
  });
});

describe("listener NACKs: statuses", () => {
  const ok = (type: string): Condition => ({
    type,
    status: "True",
    reason: type,
    message: "ok",
    observedGeneration: 3,
  });
  const gatewayStatus = (): StatusUpdate => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    namespace: "default",
    name: "eg",
    status: {
      conditions: [ok("Accepted"), ok("Programmed")],
      listeners: ["busy", "free", "dns"].map((name) => ({ name, conditions: [ok("Accepted"), ok("Programmed")] })),
    },
  });
  const snapshot: ResourceSnapshot = {
    ...EMPTY_SNAPSHOT,
    gateways: [
      gatewayObject([
        { name: "busy", protocol: "HTTP", port: 35999 },
        { name: "free", protocol: "HTTP", port: 38495 },
        { name: "dns", protocol: "UDP", port: 35999 },
      ]),
    ],
  };

  it("marks the listeners on the failed port and transport, and the Gateway", () => {
    const reason = "cannot bind '127.0.0.1:35999': Address already in use";
    const [u] = withListenerFailures(
      [gatewayStatus()],
      [{ nodeId: "default/eg", listener: "default/eg/busy", error: reason }],
      snapshot,
    );
    assert.deepEqual(conditionOf(u.status, "Programmed", "busy"), {
      type: "Programmed",
      status: "False",
      reason: "Invalid",
      message: `Envoy could not program the listener: ${reason}`,
      observedGeneration: 3,
    });
    assert.equal(conditionOf(u.status, "Programmed", "free")?.status, "True");
    assert.equal(
      conditionOf(u.status, "Programmed", "dns")?.status,
      "True",
      "the UDP listener on that port is another socket",
    );
    assert.deepEqual(conditionOf(u.status, "Programmed"), {
      type: "Programmed",
      status: "False",
      reason: "Invalid",
      message: `Envoy could not program 1 of 3 listeners: busy (${reason}). The other listeners serve`,
      observedGeneration: 3,
    });
  });

  it("marks a ListenerSet's listener on the failed port, and the ListenerSet", () => {
    const set: StatusUpdate = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "ListenerSet",
      namespace: "apps",
      name: "extra",
      status: {
        conditions: [ok("Accepted"), ok("Programmed")],
        listeners: [{ name: "extra-http", conditions: [ok("Accepted"), ok("Programmed")] }],
      },
    };
    const withSet: ResourceSnapshot = {
      ...snapshot,
      listenerSets: [
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "ListenerSet",
          metadata: { name: "extra", namespace: "apps" },
          spec: {
            parentRef: { name: "eg", namespace: "default" },
            listeners: [{ name: "extra-http", protocol: "HTTP", port: 8081 }],
          },
        },
      ],
    };
    const reason = "cannot bind '127.0.0.1:8081': Address already in use";
    const failures = [{ nodeId: "default/eg", listener: "default/eg/apps/extra/extra-http", error: reason }];
    const [g, ls] = withListenerFailures([gatewayStatus(), set], failures, withSet);
    assert.deepEqual(g, gatewayStatus(), "no Gateway listener on 8081");
    assert.equal(
      conditionOf(ls.status, "Programmed", "extra-http")?.message,
      `Envoy could not program the listener: ${reason}`,
    );
    assert.equal(conditionOf(ls.status, "Programmed")?.status, "False");
  });

  it("changes nothing without failures, or for another node's", () => {
    assert.deepEqual(withListenerFailures([gatewayStatus()], [], snapshot), [gatewayStatus()]);
    const other = [{ nodeId: "default/other", listener: "default/other/busy", error: "cannot bind" }];
    assert.deepEqual(withListenerFailures([gatewayStatus()], other, snapshot), [gatewayStatus()]);
  });
});
