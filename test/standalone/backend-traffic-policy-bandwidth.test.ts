/**
 * BackendTrafficPolicy `bandwidthLimit` on the wire (real Envoy, standalone, the echo backend's `/bytes/<n>`
 * answers and a POST body), timed:
 * - response limit 32 KiB/s: a 128 KiB answer takes about 4 s (measured 3967 ms), while the same answer on a
 *   route without a limit takes a few milliseconds;
 * - request limit 32 KiB/s: a 128 KiB upload likewise, less the first second's worth (Envoy 1.40.0: 3009 ms; 1.37.0
 *   took about 4 s);
 * - responseTrailers: the delay trailers Envoy adds, named with the prefix (over HTTP/2: an HTTP/1.1 answer with a
 *   content-length has no room for trailers), e.g. `x-bw-bandwidth-response-delay-ms: 3970` for 128 KiB (Envoy
 *   1.40.0 sends none for a 32 KiB answer, which 1.37.0 delayed: the test asks for 128 KiB).
 */
import * as assert from "node:assert/strict";
import { request } from "node:http";
import { connect, type IncomingHttpHeaders } from "node:http2";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";

const CASES = {
  "response-limit": `  bandwidthLimit:\n    response:\n      limit: { value: 32Ki, unit: Second }`,
  "response-trailers": `  bandwidthLimit:\n    response:\n      limit: { value: 32Ki, unit: Second }\n      responseTrailers: { prefix: x-bw }`,
  "request-limit": `  bandwidthLimit:\n    request:\n      limit: { value: 1920Ki, unit: Minute }`,
};

const SIZE = 128 * 1024;

/** One request with an optional body; the status, the bytes received and the time taken. */
function timed(
  port: number,
  host: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; bytes: number; ms: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: body ? "POST" : "GET", headers: { host } }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - start }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The trailers of one GET over cleartext HTTP/2. */
function h2Trailers(port: number, host: string, path: string): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":path": path, ":authority": host });
    let trailers: IncomingHttpHeaders = {};
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", () => undefined);
    stream.on("end", () => {
      session.close();
      resolve(trailers);
    });
    stream.on("error", reject);
  });
}

describe("BackendTrafficPolicy bandwidthLimit (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startPolicyGateway(CASES);
  });
  after(async () => {
    await g?.close();
  });

  const run = (name: string, path: string, body?: Buffer) =>
    timed((g as PolicyGateway).port, (g as PolicyGateway).host(name), path, body);

  it("response 32 KiB/s: a 128 KiB answer takes seconds; unlimited it takes well under one", async () => {
    const free = await run("probe", `/bytes/${SIZE}`);
    assert.equal(free.bytes, SIZE);
    const limited = await run("response-limit", `/bytes/${SIZE}`);
    assert.equal(limited.status, 200);
    assert.equal(limited.bytes, SIZE);
    assert.ok(free.ms < 500, `unlimited: ${Math.round(free.ms)} ms`);
    assert.ok(limited.ms >= 3500 && limited.ms < 8000, `limited: ${Math.round(limited.ms)} ms`);
    console.log(`      128 KiB answer: ${Math.round(free.ms)} ms unlimited, ${Math.round(limited.ms)} ms at 32 KiB/s`);
  });

  it("request 1920 KiB/min (32 KiB/s): a 128 KiB upload takes seconds; unlimited it takes well under one", async () => {
    const body = Buffer.alloc(SIZE, "y");
    const free = await run("probe", "/", body);
    assert.equal(free.status, 200);
    const limited = await run("request-limit", "/", body);
    assert.equal(limited.status, 200);
    assert.ok(free.ms < 500, `unlimited: ${Math.round(free.ms)} ms`);
    assert.ok(limited.ms >= 2500 && limited.ms < 8000, `limited: ${Math.round(limited.ms)} ms`);
    console.log(`      128 KiB upload: ${Math.round(free.ms)} ms unlimited, ${Math.round(limited.ms)} ms at 32 KiB/s`);
  });

  it("responseTrailers: Envoy's delay trailers carry the prefix (HTTP/2)", async () => {
    const trailers = await h2Trailers(
      (g as PolicyGateway).port,
      (g as PolicyGateway).host("response-trailers"),
      `/bytes/${SIZE}`,
    );
    console.log(`      trailers: ${JSON.stringify(trailers)}`);
    // The delay Envoy reports (measured 976-3970 ms for 128 KiB at 32 KiB/s over HTTP/2, on a route of its own).
    const delay = Number(trailers["x-bw-bandwidth-response-delay-ms"]);
    assert.ok(delay > 0, `trailers ${JSON.stringify(trailers)}`);
    assert.ok(Number(trailers["x-bw-bandwidth-response-filter-delay-ms"]) > 0, `trailers ${JSON.stringify(trailers)}`);
  });
});
