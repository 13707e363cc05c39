/**
 * BackendTrafficPolicy connection settings on the wire (real Envoy, standalone), against a backend that records
 * each TCP connection Envoy opens (when it opened and closed, and the PROXY protocol header it started with) and
 * answers HTTP on it:
 * - proxyProtocol V1 and V2: each connection starts with the header, naming the client's address (none without);
 * - timeout.http.connectionIdleTimeout 500ms: Envoy closes its idle connection about half a second after the last
 *   answer (without it, the connection stays open);
 * - timeout.http.maxConnectionDuration 1s: a client sending a request every 100 ms for 2.5 s makes Envoy open new
 *   backend connections as each one reaches a second;
 * - tcpKeepalive: Envoy's socket to the backend has a keepalive timer (`ss -o`), none without the policy;
 * - connection.preconnect perEndpointPercent 300: one request in flight makes Envoy open more than one connection;
 * - connection.socketBufferLimit 48Ki: Envoy's sockets to the backend have SO_RCVBUF / SO_SNDBUF of 48 KiB, which
 *   Linux doubles (`ss -m`: rb98304, tb98304; without it, the kernel's defaults).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { applyPolicy, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "conn.example.com";
const V2_SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

/** One connection Envoy opened to the backend. */
interface Conn {
  readonly openedAt: number;
  closedAt?: number;
  /** The PROXY header: "v1 <line>" or "v2 <source ip>:<port>", or "none". */
  proxy: string;
}

/** Strips a PROXY protocol header off `data`; returns what it said and the rest. */
function readProxyHeader(data: Buffer): { proxy: string; rest: Buffer } {
  if (data.subarray(0, 6).toString() === "PROXY ") {
    const end = data.indexOf("\r\n");
    return { proxy: `v1 ${data.subarray(0, end).toString()}`, rest: data.subarray(end + 2) };
  }
  if (data.subarray(0, 12).equals(V2_SIGNATURE)) {
    const len = data.readUInt16BE(14);
    const body = data.subarray(16, 16 + len);
    const family = data[13] >> 4 === 1 ? `${[...body.subarray(0, 4)].join(".")}:${body.readUInt16BE(8)}` : "other";
    return { proxy: `v2 ${family}`, rest: data.subarray(16 + len) };
  }
  return { proxy: "none", rest: data };
}

/** The backend: a TCP server handing each connection, past its PROXY header, to an HTTP server. */
function startRecordingBackend(): Promise<{ server: Server; port: number; conns: Conn[] }> {
  const conns: Conn[] = [];
  const http = createHttpServer((req, res) => {
    const delay = req.url === "/slow" ? 500 : 0;
    setTimeout(() => res.end("ok"), delay);
  });
  const server = createServer((socket: Socket) => {
    const c: Conn = { openedAt: Date.now(), proxy: "none" };
    conns.push(c);
    socket.on("close", () => (c.closedAt = Date.now()));
    socket.once("data", (data: Buffer) => {
      const { proxy, rest } = readProxyHeader(data);
      c.proxy = proxy;
      socket.pause();
      socket.unshift(rest);
      http.emit("connection", socket);
      socket.resume();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port, conns })),
  );
}

/** `ss -tno` lines of the established TCP connections to `port` (Envoy's sockets to the backend). */
function socketsTo(port: number): string[] {
  const out = execFileSync("ss", ["-tnoH", "state", "established", `dport = :${port}`], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.trim() !== "");
}

/** `ss -m` socket memory of Envoy's established sockets to `port`: rb (receive) and tb (send buffer) of each. */
function bufferSizesTo(port: number): { rb: number; tb: number }[] {
  const out = execFileSync("ss", ["-tmnH", "state", "established", `dport = :${port}`], { encoding: "utf8" });
  return [...out.matchAll(/rb(\d+),t\d+,tb(\d+)/g)].map((m) => ({ rb: Number(m[1]), tb: Number(m[2]) }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("standalone: BackendTrafficPolicy connection settings (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let backend: Awaited<ReturnType<typeof startRecordingBackend>>;
  let port: number;

  before(async () => {
    backend = await startRecordingBackend();
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${backendYaml("rec", backend.port)}---\n${routeYaml("rec", HOST, "rec")}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  after(async () => {
    await t?.close();
    backend?.server.close();
  });

  /** The connections opened from now on while `fn` runs. */
  async function opened(fn: () => Promise<void>): Promise<Conn[]> {
    const from = backend.conns.length;
    await fn();
    return backend.conns.slice(from);
  }

  it("without a policy: no PROXY header, no keepalive timer, the idle connection stays open", async () => {
    const conns = await opened(async () => {
      assert.equal((await httpGet(port, HOST)).status, 200);
    });
    assert.ok(backend.conns.every((c) => c.proxy === "none"));
    assert.ok(socketsTo(backend.port).length > 0, "Envoy holds a connection to the backend");
    assert.ok(
      socketsTo(backend.port).every((l) => !l.includes("keepalive")),
      socketsTo(backend.port).join("\n"),
    );
    await sleep(1500);
    assert.ok(
      backend.conns.some((c) => c.closedAt === undefined),
      "an idle connection is still open after 1.5 s",
    );
    assert.ok(conns.length <= 1);
  });

  for (const version of ["V1", "V2"] as const) {
    it(`proxyProtocol ${version}: each connection starts with the header, naming the client`, async () => {
      await applyPolicy(t, "btp.yaml", btpYaml("conn", "rec", `  proxyProtocol: { version: ${version} }`));
      const conns = await opened(async () => {
        assert.equal((await httpGet(port, HOST)).status, 200);
      });
      const mine = conns.length > 0 ? conns : backend.conns.slice(-1);
      const expected = version === "V1" ? /^v1 PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+$/ : /^v2 127\.0\.0\.1:\d+$/;
      assert.match(mine[mine.length - 1].proxy, expected);
    });
  }

  it("connectionIdleTimeout 500ms: Envoy closes its idle backend connection after about half a second", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("conn", "rec", "  timeout: { http: { connectionIdleTimeout: 500ms } }"));
    const conns = await opened(async () => {
      assert.equal((await httpGet(port, HOST)).status, 200);
    });
    const answered = Date.now();
    assert.equal(conns.length, 1, "a new variant opens a new connection");
    await eventually(async () => conns[0].closedAt !== undefined, 5000, "the idle connection to close");
    const idle = (conns[0].closedAt ?? 0) - answered;
    assert.ok(idle >= 300 && idle < 2000, `closed ${idle} ms after the answer`);
  });

  it("maxConnectionDuration 1s: a steady client gets new backend connections as each reaches a second", async () => {
    await applyPolicy(t, "btp.yaml", btpYaml("conn", "rec", "  timeout: { http: { maxConnectionDuration: 1s } }"));
    const conns = await opened(async () => {
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        assert.equal((await httpGet(port, HOST)).status, 200);
        await sleep(100);
      }
    });
    assert.ok(conns.length >= 2, `${conns.length} connections in 2.5 s`);
    const closed = conns.filter((c) => c.closedAt !== undefined);
    assert.ok(closed.length >= 1, "Envoy closed at least one after its second");
    for (const c of closed) {
      const life = (c.closedAt ?? 0) - c.openedAt;
      assert.ok(life >= 900 && life < 2000, `a connection lived ${life} ms`);
    }
  });

  it("tcpKeepalive: Envoy's socket to the backend has a keepalive timer", async () => {
    await applyPolicy(
      t,
      "btp.yaml",
      btpYaml("conn", "rec", "  tcpKeepalive: { probes: 3, idleTime: 7s, interval: 2s }"),
    );
    assert.equal((await httpGet(port, HOST)).status, 200);
    const lines = socketsTo(backend.port);
    assert.ok(
      lines.some((l) => /timer:\(keepalive,[0-9.]+(sec|ms)?,0\)/.test(l)),
      lines.join("\n"),
    );
    const timer = /timer:\(keepalive,([0-9.]+)(sec|ms)/.exec(lines.find((l) => l.includes("keepalive")) ?? "");
    const seconds = timer ? Number(timer[1]) / (timer[2] === "ms" ? 1000 : 1) : Number.NaN;
    assert.ok(seconds > 0 && seconds <= 7, `the first probe is due within the 7 s idle time (${seconds})`);
  });

  it("socketBufferLimit 48Ki: Envoy's sockets to the backend get SO_RCVBUF / SO_SNDBUF of 48 KiB", async () => {
    const kernelDefault = bufferSizesTo(backend.port);
    assert.ok(kernelDefault.length > 0, "Envoy holds connections to the backend");
    assert.ok(
      kernelDefault.every((b) => b.rb !== 98_304 || b.tb !== 98_304),
      `before: ${JSON.stringify(kernelDefault)}`,
    );
    await applyPolicy(t, "btp.yaml", btpYaml("conn", "rec", "  connection: { socketBufferLimit: 48Ki }"));
    const conns = await opened(async () => {
      assert.equal((await httpGet(port, HOST)).status, 200);
    });
    assert.equal(conns.length, 1, "the new variant opened its connection");
    // Linux doubles the values set (socket(7)); the variant's connection is the one with them.
    const sizes = bufferSizesTo(backend.port);
    assert.ok(
      sizes.some((b) => b.rb === 98_304 && b.tb === 98_304),
      `after: ${JSON.stringify(sizes)}`,
    );
  });

  it("preconnect perEndpointPercent 300: one request in flight makes Envoy open more than one connection", async () => {
    await applyPolicy(
      t,
      "btp.yaml",
      btpYaml("conn", "rec", "  connection: { preconnect: { perEndpointPercent: 300 } }"),
    );
    const conns = await opened(async () => {
      assert.equal((await httpGet(port, HOST, "/slow")).status, 200);
    });
    assert.ok(conns.length >= 2, `${conns.length} connection(s) for one request`);
  });
});
