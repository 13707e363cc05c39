/**
 * A listener Envoy cannot bind, against real Envoy: a plain TCP server holds the port of one Gateway
 * listener. Envoy NACKs that listener (`cannot bind …: Address already in use`) and serves the rest; the
 * NACK comes back as status: that listener Programmed=False (Invalid) with Envoy's reason, the Gateway's
 * Programmed=False naming it, and the other listener, the other Gateway and the route are unaffected (no
 * route is quarantined: no route causes a bind failure). Once the port is free, the listener is retried,
 * bound and programmed.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

interface GatewayStatus {
  readonly conditions: readonly Condition[];
  readonly listeners: readonly { readonly name: string; readonly conditions: readonly Condition[] }[];
}

function gatewayStatus(t: TestGateway, name: string): GatewayStatus | undefined {
  return t.gw.statuses.get("Gateway", "default", name)?.status as GatewayStatus | undefined;
}

function cond(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** A second Gateway `default/other` of class eg with one HTTP listener and a route to `web`. */
function otherGatewayYaml(port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: other, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: http, protocol: HTTP, port: ${port} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: other, namespace: default }
spec:
  parentRefs: [{ name: other }]
  hostnames: [other.example.com]
  rules:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: web }]
`;
}

describe("a listener Envoy cannot bind (port held by another process), against real Envoy", function () {
  this.timeout(60_000);
  let busy: Server;
  let busyPort: number;
  let freeListenerPort: number;
  let otherPort: number;
  let backend: EchoBackend;
  let t: TestGateway;

  before(async function () {
    busy = createServer((socket) => socket.end("not envoy\n"));
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as { port: number }).port;
    [freeListenerPort, otherPort] = [await freePort(), await freePort()];
    backend = await startEchoBackend({ name: "web" });
    const listeners = [
      `    - { name: busy, protocol: HTTP, port: ${busyPort} }`,
      `    - { name: free, protocol: HTTP, port: ${freeListenerPort} }`,
    ].join("\n");
    t = await startTestGateway(
      {
        "gateway.yaml": gatewayWithListenersYaml(listeners),
        "routes.yaml": `${backendYaml("web", backend.port)}---\n${routeYaml("web", "www.example.com", "web")}`,
        "other.yaml": otherGatewayYaml(otherPort),
      },
      { listenerRetryMs: 500 },
    );
  });

  after(async function () {
    await t?.close();
    await backend?.close();
    if (busy?.listening) await new Promise((resolve) => busy.close(resolve));
  });

  it("reports the listener Programmed=False with Envoy's reason, and the Gateway's Programmed names it", async () => {
    await eventually(
      async () =>
        cond(gatewayStatus(t, "eg")?.listeners.find((l) => l.name === "busy")?.conditions, "Programmed")?.status ===
        "False",
      30_000,
      `Programmed=False on listener busy (status: ${JSON.stringify(gatewayStatus(t, "eg"))})`,
    );
    const status = gatewayStatus(t, "eg");
    const envoyReason = `cannot bind '127.0.0.1:${busyPort}': Address already in use`;
    const busyProgrammed = cond(status?.listeners.find((l) => l.name === "busy")?.conditions, "Programmed");
    assert.equal(busyProgrammed?.reason, "Invalid");
    assert.equal(busyProgrammed?.message, `Envoy could not program the listener: ${envoyReason}`);
    const freeProgrammed = cond(status?.listeners.find((l) => l.name === "free")?.conditions, "Programmed");
    assert.equal(freeProgrammed?.status, "True", "the other listener is programmed");
    const gw = cond(status?.conditions, "Programmed");
    assert.equal(gw?.status, "False");
    assert.equal(gw?.reason, "Invalid");
    assert.equal(
      gw?.message,
      `Envoy could not program 1 of 2 listeners: busy (${envoyReason}). The other listeners serve`,
    );
    assert.equal(cond(status?.conditions, "Accepted")?.status, "True", "the Gateway stays accepted");
  });

  it("keeps serving the other listener and the other Gateway; no route is quarantined", async () => {
    await eventually(
      async () => (await httpGet(freeListenerPort, "www.example.com")).status === 200,
      15_000,
      "the route on the free listener",
    );
    await eventually(
      async () => (await httpGet(otherPort, "other.example.com")).status === 200,
      15_000,
      "the other Gateway",
    );
    assert.equal(cond(gatewayStatus(t, "other")?.conditions, "Programmed")?.status, "True");
    const route = t.gw.statuses.get("HTTPRoute", "default", "web")?.status as {
      parents: { conditions: Condition[] }[];
    };
    assert.equal(cond(route.parents[0]?.conditions, "Accepted")?.status, "True", "the route is not quarantined");
    const bisected = t.logs.filter((l) =>
      /NACK bisection|Envoy rejected a route|even without the changed routes/.test(l),
    );
    assert.deepEqual(bisected, [], "a bind failure is not bisected");
  });

  it("binds the listener once the port is free (retried), and the Gateway is programmed again", async () => {
    await new Promise((resolve) => busy.close(resolve));
    await eventually(
      async () => (await httpGet(busyPort, "www.example.com").catch(() => undefined))?.status === 200,
      15_000,
      "the route on the freed port",
    );
    await eventually(
      async () => cond(gatewayStatus(t, "eg")?.conditions, "Programmed")?.status === "True",
      15_000,
      "Gateway Programmed=True",
    );
    const busyProgrammed = cond(
      gatewayStatus(t, "eg")?.listeners.find((l) => l.name === "busy")?.conditions,
      "Programmed",
    );
    assert.equal(busyProgrammed?.status, "True");
  });
});
