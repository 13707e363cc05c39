/**
 * A listener Envoy cannot bind, against real Envoy: a plain TCP server holds the port of one Gateway
 * listener. Envoy NACKs that listener (`cannot bind …: Address already in use`) and serves the rest; the
 * NACK comes back as status: that listener Programmed=False (Invalid) with Envoy's reason, the Gateway's
 * Programmed=False naming it, and the other listener, the other Gateway and the route are unaffected (no
 * route is quarantined: no route causes a bind failure). Once the port is free, the listener is retried,
 * bound and programmed. And a privileged port for an Envoy without CAP_NET_BIND_SERVICE (Permission denied).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../operator/src/log";
import { StandaloneGateway } from "../../operator/src/pipeline/standalone";
import { requireEnvoy } from "../support/envoy";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, routeYaml } from "../support/manifests";
import { startTestGateway, TEST_BACKENDS, type TestGateway } from "../support/standalone";

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

/** A free port below 1024 (the kernel's unprivileged ports start at 1024 here, checked by the test). */
async function freePrivilegedPort(): Promise<number> {
  for (let port = 1023; port > 900; port--) {
    const probe = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (ok) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
  }
  throw new Error("no free port in 901-1023");
}

describe("a listener on a privileged port, Envoy without CAP_NET_BIND_SERVICE, against real Envoy", function () {
  this.timeout(60_000);

  it("reports Permission denied on that listener; the other listener serves", async () => {
    const start = Number((await readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8")).trim());
    assert.ok(start >= 1024, `this test needs net.ipv4.ip_unprivileged_port_start >= 1024 (is ${start})`);
    const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
    assert.ok(
      setpriv,
      "needs util-linux setpriv (apt-get install util-linux) to start Envoy without CAP_NET_BIND_SERVICE",
    );
    const dir = await mkdtemp(join(tmpdir(), "egts-privileged-"));
    // Envoy through a wrapper that drops the capability (root keeps its uid; only binding low ports is refused).
    const envoyBin = join(dir, "envoy-without-net-bind");
    const drop = "-net_bind_service";
    await writeFile(
      envoyBin,
      `#!/bin/sh\nexec ${setpriv} --bounding-set=${drop} --inh-caps=${drop} ${requireEnvoy()} "$@"\n`,
    );
    await chmod(envoyBin, 0o755);
    const config = join(dir, "config");
    await mkdir(config);
    const [low, high] = [await freePrivilegedPort(), await freePort()];
    const backend = await startEchoBackend({ name: "web" });
    const listeners = [
      `    - { name: low, protocol: HTTP, port: ${low} }`,
      `    - { name: high, protocol: HTTP, port: ${high} }`,
    ].join("\n");
    await writeFile(join(config, "gateway.yaml"), gatewayWithListenersYaml(listeners));
    await writeFile(
      join(config, "routes.yaml"),
      `${backendYaml("web", backend.port)}---\n${routeYaml("web", "www.example.com", "web")}`,
    );
    const gw = new StandaloneGateway({
      configDir: config,
      envoyBin,
      xdsPort: 0,
      stateDir: join(dir, "state"),
      envoyOutput: "ignore",
      backends: TEST_BACKENDS,
      logger: silentLogger,
    });
    try {
      await gw.start();
      const status = (): GatewayStatus | undefined =>
        gw.statuses.get("Gateway", "default", "eg")?.status as GatewayStatus | undefined;
      await eventually(
        async () =>
          cond(status()?.listeners.find((l) => l.name === "low")?.conditions, "Programmed")?.status === "False",
        30_000,
        "listener low Programmed=False",
      );
      assert.equal(
        cond(status()?.listeners.find((l) => l.name === "low")?.conditions, "Programmed")?.message,
        `Envoy could not program the listener: cannot bind '127.0.0.1:${low}': Permission denied`,
      );
      assert.equal(cond(status()?.conditions, "Programmed")?.status, "False");
      await eventually(
        async () => (await httpGet(high, "www.example.com")).status === 200,
        15_000,
        "the other listener",
      );
    } finally {
      await gw.stop();
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
