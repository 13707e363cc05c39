import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Local port of the client socket, to tell whether a connection was reused. */
  localPort: number | undefined;
}

function get(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          localPort: req.socket?.localPort,
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

describe("demo/echo-backend", () => {
  let backend: EchoBackend;

  beforeEach(async () => {
    backend = await startEchoBackend({ name: "demo-a" });
  });

  afterEach(async () => {
    await backend.close();
  });

  it("listens on a free port on 127.0.0.1 by default", () => {
    assert.ok(backend.port > 0);
    assert.equal(backend.url, `http://127.0.0.1:${backend.port}`);
  });

  it("echoes method, path with query, host and headers as JSON", async () => {
    const res = await get(`${backend.url}/some/path?x=1&y=two`, {
      method: "POST",
      headers: { host: "www.example.com", "x-test": "yes", "content-type": "text/plain" },
      body: "hello",
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /^application\/json/);
    const body = JSON.parse(res.body) as EchoResponse;
    assert.equal(body.backend, "demo-a");
    assert.equal(body.method, "POST");
    assert.equal(body.path, "/some/path?x=1&y=two");
    assert.equal(body.host, "www.example.com");
    assert.equal(body.headers["x-test"], "yes");
  });

  it("answers /status/<code> with that status", async () => {
    const res = await get(`${backend.url}/status/503`);
    assert.equal(res.status, 503);
    assert.equal((JSON.parse(res.body) as EchoResponse).path, "/status/503");
    const noContent = await get(`${backend.url}/status/204`);
    assert.equal(noContent.status, 204);
    assert.equal(noContent.body, "");
  });

  it("rejects a bad status code with 400", async () => {
    assert.equal((await get(`${backend.url}/status/abc`)).status, 400);
    assert.equal((await get(`${backend.url}/status/99`)).status, 400);
  });

  it("answers /delay/<ms> after the delay", async () => {
    const start = Date.now();
    const res = await get(`${backend.url}/delay/150`);
    assert.equal(res.status, 200);
    assert.ok(Date.now() - start >= 140, `answered after ${Date.now() - start}ms`);
  });

  it("counts requests", async () => {
    assert.equal(backend.requests, 0);
    await get(`${backend.url}/`);
    await get(`${backend.url}/status/404`);
    assert.equal(backend.requests, 2);
  });

  it("reuses keep-alive connections, also after a request with a body", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await get(`${backend.url}/one`, { agent, method: "PUT", body: "x".repeat(10_000) });
      const b = await get(`${backend.url}/two`, { agent });
      const c = await get(`${backend.url}/status/500`, { agent });
      assert.equal(a.status, 200);
      assert.equal(c.status, 500);
      assert.ok(a.localPort !== undefined);
      assert.equal(b.localPort, a.localPort);
      assert.equal(c.localPort, a.localPort);
    } finally {
      agent.destroy();
    }
  });

  it("close() ends idle keep-alive connections and frees the port", async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      await get(`${backend.url}/`, { agent });
      await backend.close();
      await assert.rejects(get(`${backend.url}/`), /ECONNREFUSED/);
    } finally {
      agent.destroy();
      backend = await startEchoBackend({}); // afterEach closes it
    }
  });

  it("close() does not wait for delayed requests", async () => {
    const pending = get(`${backend.url}/delay/30000`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const start = Date.now();
    await backend.close();
    assert.ok(Date.now() - start < 1000);
    assert.ok((await pending) instanceof Error);
    backend = await startEchoBackend({});
  });
});
