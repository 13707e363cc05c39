/**
 * BackendTrafficPolicy `healthCheck` on the wire (real Envoy, standalone), over a Backend with three endpoints
 * that answer their own name, `/healthz` 200 "ok" or 503 (a switch per endpoint), and every other path 200 or 500
 * (another switch):
 * - active HTTP (path, expectedResponse): an endpoint whose /healthz fails stops getting traffic, and gets it
 *   again once it passes;
 * - active TCP (send an HTTP request as text, expect "HTTP/1.1 200"): the same;
 * - panicThreshold: with every endpoint failing its check, Envoy's default (50) still sends traffic to them all
 *   (panic mode), 0 answers 503;
 * - overrides.port: the probes go to that port, not the traffic port (a failing health server there, with
 *   panicThreshold 0, makes the route answer 503 although every endpoint's own /healthz passes);
 * - active gRPC (grpc.health.v1, service name sent) towards an HTTP/2 Backend: an endpoint answering NOT_SERVING
 *   is taken out and comes back once SERVING;
 * - passive (consecutive5XxErrors 3): an endpoint answering 500 is ejected, then no request gets a 500;
 * - an empty health check path: Accepted=False naming the field, the route answers 500;
 * - active.healthCheckLog to a file: with matches FailureSeriesStart and HealthyTransition, Envoy writes the
 *   ejection of an endpoint whose /healthz fails and its return, and no passed probe; with no matches (every
 *   outcome), every passed probe too.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import { createServer as createH2cServer, type Http2Server } from "node:http2";
import { applyPolicy, btpConditions, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { wholeLinesOf } from "../support/log-lines";
import { backendPoolYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "hc.example.com";
/** Longest wait for Envoy to write its health check event log (it flushes log files every 10 s). */
const FLUSH_WAIT_MS = 25_000;

interface Endpoint {
  readonly name: string;
  readonly server: Server;
  readonly port: number;
  /** /healthz answers 200 "ok" when true, 503 otherwise. */
  healthy: boolean;
  /** Other paths answer 500 when true. */
  failing: boolean;
}

function startEndpoint(name: string): Promise<Endpoint> {
  const server = createServer();
  const e: Endpoint = { name, server, port: 0, healthy: true, failing: false };
  server.on("request", (req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(e.healthy ? 200 : 503).end(e.healthy ? "ok" : "down");
      return;
    }
    res.writeHead(e.failing ? 500 : 200).end(name);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(Object.assign(e, { port: (server.address() as { port: number }).port })),
    ),
  );
}

/** Backend `default/pool` with the endpoints. */
function poolYaml(endpoints: readonly Endpoint[]): string {
  return backendPoolYaml(
    "pool",
    endpoints.map((e) => e.port),
  );
}

/** Statuses and bodies of `n` sequential requests, counted. */
async function answers(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await httpGet(port, HOST);
    const key = `${r.status} ${r.body}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Waits until `n` requests all satisfy `ok` (each key is "<status> <body>"). */
async function until(port: number, what: string, ok: (keys: string[]) => boolean, n = 30): Promise<void> {
  let last: Record<string, number> = {};
  try {
    await eventually(
      async () => {
        last = await answers(port, n);
        return ok(Object.keys(last));
      },
      15_000,
      what,
      100,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last answers: ${JSON.stringify(last)})`, { cause: err });
  }
}

/** How many endpoints of the policy variants Envoy marks as failing their active health check (admin /clusters). */
async function failedChecks(t: TestGateway): Promise<number> {
  const admin = await t.gw.runner?.adminUrl("default/eg");
  const text = await (await fetch(`${admin}/clusters`)).text();
  return text.split("\n").filter((l) => /\/btp-.*::health_flags::.*failed_active_hc/.test(l)).length;
}

/** An h2c endpoint: its name for requests, and the gRPC health protocol (SERVING unless `serving` is false). */
interface GrpcEndpoint {
  readonly name: string;
  readonly server: Http2Server;
  readonly port: number;
  serving: boolean;
  /** Service names the health checks asked about. */
  readonly asked: Set<string>;
}

function startGrpcEndpoint(name: string): Promise<GrpcEndpoint> {
  const server = createH2cServer();
  const e: GrpcEndpoint = { name, server, port: 0, serving: true, asked: new Set() };
  server.on("stream", (stream, headers) => {
    if (headers[":path"] !== "/grpc.health.v1.Health/Check") {
      stream.respond({ ":status": 200 });
      stream.end(name);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      // HealthCheckRequest { string service = 1 } after the 5-byte gRPC frame header.
      const body = Buffer.concat(chunks).subarray(5);
      if (body[0] === 0x0a) e.asked.add(body.subarray(2, 2 + body[1]).toString());
      // HealthCheckResponse { status = 1 }: SERVING 1, NOT_SERVING 2.
      const message = Buffer.from([0x08, e.serving ? 1 : 2]);
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(Object.assign(e, { port: (server.address() as { port: number }).port })),
    ),
  );
}

describe("standalone: BackendTrafficPolicy healthCheck (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let eps: Endpoint[];
  let port: number;
  const all = (keys: string[]): boolean => ["200 a", "200 b", "200 c"].every((k) => keys.includes(k));

  before(async () => {
    eps = await Promise.all(["a", "b", "c"].map(startEndpoint));
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${poolYaml(eps)}---\n${routeYaml("pool", HOST, "pool")}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  afterEach(() => {
    for (const e of eps) Object.assign(e, { healthy: true, failing: false });
  });

  after(async () => {
    await t?.close();
    for (const e of eps ?? []) e.server.close();
  });

  const active = (probe: string, extra = ""): string => `  healthCheck:
${extra}    active:
      interval: 200ms
      timeout: 500ms
      unhealthyThreshold: 1
      healthyThreshold: 1
${probe}`;

  it("active HTTP: an endpoint failing /healthz is taken out, and comes back once it passes", async () => {
    const probe = "      type: HTTP\n      http: { path: /healthz, expectedResponse: { type: Text, text: ok } }\n";
    await applyPolicy(t, "btp.yaml", btpYaml("hc", "pool", active(probe)));
    await until(port, "all three endpoints serve", all);
    eps[2].healthy = false;
    await until(port, "c is taken out", (keys) => !keys.includes("200 c") && keys.every((k) => k.startsWith("200")));
    eps[2].healthy = true;
    await until(port, "c comes back", all);
  });

  it("active TCP: the same, from bytes sent and expected", async () => {
    const probe = `      type: TCP
      tcp:
        send: { type: Text, text: "GET /healthz HTTP/1.1\\r\\nHost: probe\\r\\n\\r\\n" }
        receive: { type: Text, text: "HTTP/1.1 200" }
`;
    await applyPolicy(t, "btp.yaml", btpYaml("hc", "pool", active(probe)));
    await until(port, "all three endpoints serve", all);
    eps[0].healthy = false;
    await until(port, "a is taken out", (keys) => !keys.includes("200 a") && keys.every((k) => k.startsWith("200")));
    eps[0].healthy = true;
    await until(port, "a comes back", all);
  });

  it("panicThreshold: every endpoint failing its check still serves in panic mode (default), 0 answers 503", async () => {
    const probe = "      type: HTTP\n      http: { path: /healthz }\n";
    await applyPolicy(t, "btp.yaml", btpYaml("hc", "pool", active(probe)));
    for (const e of eps) e.healthy = false;
    await eventually(async () => (await failedChecks(t)) === 3, 15_000, "Envoy to mark all three endpoints failed");
    await until(port, "panic mode: all three still serve", all, 60);
    await applyPolicy(t, "btp.yaml", btpYaml("hc", "pool", active(probe, "    panicThreshold: 0\n")));
    await until(port, "no healthy upstream: 503", (keys) => keys.length === 1 && keys[0].startsWith("503"));
  });

  it("overrides.port: the probes go to the override port", async () => {
    let healthy = false;
    const health = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((r) => health.listen(0, "127.0.0.1", r));
    const healthPort = (health.address() as { port: number }).port;
    try {
      const probe = `      type: HTTP\n      http: { path: /healthz }\n      overrides: { port: ${healthPort} }\n`;
      await applyPolicy(t, "btp.yaml", btpYaml("hc", "pool", active(probe, "    panicThreshold: 0\n")));
      await until(
        port,
        "503: the override port fails every probe",
        (keys) => keys.length === 1 && keys[0].startsWith("503"),
      );
      healthy = true;
      await until(port, "all three serve once it passes", all);
    } finally {
      health.close();
    }
  });

  it("active gRPC: an endpoint answering NOT_SERVING is taken out, and comes back once SERVING", async () => {
    const grpc = await Promise.all(["g1", "g2"].map(startGrpcEndpoint));
    const host = "grpc-hc.example.com";
    const backend = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: h2pool, namespace: default }
spec:
  appProtocols: [gateway.envoyproxy.io/h2c]
  endpoints:
${grpc.map((e) => `    - ip: { address: 127.0.0.1, port: ${e.port} }`).join("\n")}
`;
    try {
      await t.write("grpc.yaml", `${backend}---\n${routeYaml("h2pool", host, "h2pool")}`);
      await eventually(async () => (await httpGet(port, host)).status === 200, 15_000, "the h2c route");
      const probe = "      type: GRPC\n      grpc: { service: echo.Echo }\n";
      await applyPolicy(t, "btp-grpc.yaml", btpYaml("grpc-hc", "h2pool", active(probe)));
      const served = async (): Promise<string[]> => {
        const seen = new Set<string>();
        for (let i = 0; i < 20; i++) seen.add((await httpGet(port, host)).body);
        return [...seen].sort();
      };
      await eventually(async () => (await served()).join() === "g1,g2", 15_000, "both endpoints serve");
      grpc[1].serving = false;
      await eventually(async () => (await served()).join() === "g1", 15_000, "g2 taken out");
      grpc[1].serving = true;
      await eventually(async () => (await served()).join() === "g1,g2", 15_000, "g2 back");
      assert.deepEqual([...grpc[0].asked], ["echo.Echo"], "the checks name the service");
    } finally {
      await t.remove("btp-grpc.yaml");
      await t.remove("grpc.yaml");
      for (const e of grpc) e.server.close();
    }
  });

  it("passive: an endpoint answering 500 is ejected after three in a row", async () => {
    const spec = `  healthCheck:
    passive: { consecutive5XxErrors: 3, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100 }
`;
    await applyPolicy(t, "btp.yaml", btpYaml("hc", "pool", spec));
    eps[1].failing = true;
    const first = await answers(port, 30);
    assert.ok((first["500 b"] ?? 0) >= 3, `b answered 500 before its ejection: ${JSON.stringify(first)}`);
    const after = await answers(port, 60);
    assert.deepEqual(Object.keys(after).sort(), ["200 a", "200 c"], JSON.stringify(after));
  });

  describe("healthCheckLog", () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), "egts-hc-log-"))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** The events Envoy wrote to `file` (one JSON object a line), for `endpoint`'s port. */
    const events = (file: string, endpoint: Endpoint): Record<string, unknown>[] => {
      return wholeLinesOf(file)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => JSON.stringify(e.host).includes(`"port_value":${endpoint.port}`));
    };
    const kinds = (list: readonly Record<string, unknown>[]): string[] =>
      list.map((e) => Object.keys(e).find((k) => k.endsWith("_event")) ?? "?");

    it("FailureSeriesStart + HealthyTransition: the ejection and the return are logged, passed probes are not", async () => {
      const file = join(dir, "transitions.log");
      const log = `      healthCheckLog:
        sinks: [{ type: File, file: { path: ${file} } }]
        matches: [FailureSeriesStart, HealthyTransition]
`;
      await applyPolicy(
        t,
        "btp.yaml",
        btpYaml("hc", "pool", active(`      type: HTTP\n      http: { path: /healthz }\n${log}`)),
      );
      await until(port, "all three endpoints serve", all);
      eps[1].healthy = false;
      await until(port, "b is taken out", (keys) => !keys.includes("200 b") && keys.every((k) => k.startsWith("200")));
      eps[1].healthy = true;
      await until(port, "b serves again", all);
      // Envoy flushes its log files every 10 s (bootstrap file_flush_interval's default).
      await eventually(
        async () =>
          ["eject_unhealthy_event", "add_healthy_event"].every((k) => kinds(events(file, eps[1])).includes(k)),
        FLUSH_WAIT_MS,
        "b's ejection and return logged",
      );
      const logged = kinds(events(file, eps[1]));
      assert.ok(
        !logged.includes("successful_health_check_event"),
        `passed probes are not logged: ${logged.join(", ")}`,
      );
      const ejection = events(file, eps[1]).find((e) => "eject_unhealthy_event" in e);
      assert.equal(ejection?.health_checker_type, "HTTP");
      assert.match(String(ejection?.cluster_name), /\/btp-/);
    });

    it("no matches: every outcome is logged, passed probes included", async () => {
      const file = join(dir, "all.log");
      const log = `      healthCheckLog:\n        sinks: [{ type: File, file: { path: ${file} } }]\n`;
      await applyPolicy(
        t,
        "btp.yaml",
        btpYaml("hc", "pool", active(`      type: HTTP\n      http: { path: /healthz }\n${log}`)),
      );
      await eventually(
        async () => kinds(events(file, eps[0])).filter((k) => k === "successful_health_check_event").length >= 3,
        FLUSH_WAIT_MS,
        "a's passed probes logged",
      );
    });
  });

  it("an empty health check path: Accepted=False naming the field, the route answers 500", async () => {
    await t.write("btp.yaml", btpYaml("hc", "pool", active('      type: HTTP\n      http: { path: "" }\n')));
    await eventually(async () => (await httpGet(port, HOST)).status === 500, 15_000, "the route to answer 500");
    const accepted = btpConditions(t, "hc").find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.match(accepted?.message ?? "", /spec\.healthCheck\.active\.http\.path: "" must be set/);
  });
});
