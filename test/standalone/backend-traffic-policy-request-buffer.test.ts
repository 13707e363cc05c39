/**
 * BackendTrafficPolicy `requestBuffer` on the wire (real Envoy, standalone, the echo backend showing the request
 * headers it got), limit 4 KiB:
 * - a 2 KiB chunked upload (no content-length) reaches the backend whole: Envoy buffered it and set
 *   content-length 2048, which it does not do on a route without the policy;
 * - an 8 KiB upload is answered 413 by Envoy.
 */
import * as assert from "node:assert/strict";
import { request } from "node:http";
import type { EchoResponse } from "../../operator/src/demo/echo-backend";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";

const CASES = { buffered: `  requestBuffer: { limit: 4Ki }` };

/** A POST whose body is written in two chunks (transfer-encoding: chunked, no content-length). */
function chunkedPost(port: number, host: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", method: "POST", headers: { host } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.write(Buffer.alloc(size / 2, "a"));
    req.end(Buffer.alloc(size / 2, "b"));
  });
}

describe("BackendTrafficPolicy requestBuffer (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startPolicyGateway(CASES);
  });
  after(async () => {
    await g?.close();
  });

  const post = (name: string, size: number) =>
    chunkedPost((g as PolicyGateway).port, (g as PolicyGateway).host(name), size);

  it("a 2 KiB chunked upload reaches the backend buffered, with content-length set by Envoy", async () => {
    const plain = await post("probe", 2048);
    assert.equal(plain.status, 200);
    assert.equal((JSON.parse(plain.body) as EchoResponse).headers["content-length"], undefined);
    const r = await post("buffered", 2048);
    assert.equal(r.status, 200, r.body);
    const echo = JSON.parse(r.body) as EchoResponse;
    assert.equal(echo.headers["content-length"], "2048");
    assert.equal(echo.headers["transfer-encoding"], undefined);
  });

  it("an 8 KiB upload is refused with 413", async () => {
    const r = await post("buffered", 8192);
    assert.equal(r.status, 413, r.body);
  });
});
