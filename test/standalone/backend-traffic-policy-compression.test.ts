/**
 * BackendTrafficPolicy `compressor` / `compression` on the wire (real Envoy, standalone, an echo backend whose
 * JSON answer shows the request headers it got), one route and policy per case. Each compressed body is decoded
 * by a real decoder: gzip and brotli by node:zlib, zstd by the `zstd` command (Node 20's zlib has no zstd):
 * - gzip, brotli, zstd: `content-encoding` set, the body decodes to the backend's JSON, and the backend saw no
 *   accept-encoding (Envoy removed it, so the backend answers uncompressed);
 * - no accept-encoding: not compressed;
 * - the first listed algorithm wins a q-value tie (`br, gzip` with gzip listed first → gzip);
 * - minContentLength 1Ki: a small answer stays uncompressed, a larger one is compressed;
 * - the deprecated `compression` field works the same.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { EchoResponse } from "../../operator/src/demo/echo-backend";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";

const CASES = {
  gzip: `  compressor:\n    - { type: Gzip, gzip: {} }`,
  brotli: `  compressor:\n    - { type: Brotli, brotli: {} }`,
  zstd: `  compressor:\n    - { type: Zstd, zstd: {} }`,
  "gzip-first": `  compressor:\n    - { type: Gzip, gzip: {} }\n    - { type: Brotli, brotli: {} }`,
  "min-length": `  compressor:\n    - { type: Gzip, gzip: {}, minContentLength: 1Ki }`,
  deprecated: `  compression:\n    - { type: Gzip }`,
};

/** One GET; the raw body bytes and the headers. */
function rawGet(
  port: number,
  host: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** zstd-decoded bytes, by the zstd command. */
function unzstd(data: Buffer): Buffer {
  try {
    return execFileSync("zstd", ["-d", "-c", "-q"], { input: data });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("the zstd command is needed to decode zstd answers: apt-get install zstd", { cause: err });
    }
    throw err;
  }
}

describe("BackendTrafficPolicy compressor / compression (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startPolicyGateway(CASES);
  });
  after(async () => {
    await g?.close();
  });

  const get = (name: string, acceptEncoding?: string, path = "/") =>
    rawGet(
      (g as PolicyGateway).port,
      (g as PolicyGateway).host(name),
      path,
      acceptEncoding ? { "accept-encoding": acceptEncoding } : {},
    );

  /** The echo JSON of a decoded answer: the backend saw no accept-encoding. */
  const echoed = (text: Buffer): EchoResponse => {
    const echo = JSON.parse(text.toString()) as EchoResponse;
    assert.equal(echo.headers["accept-encoding"], undefined, "the backend must not see accept-encoding");
    return echo;
  };

  for (const [name, encoding, decode] of [
    ["gzip", "gzip", gunzipSync],
    ["brotli", "br", brotliDecompressSync],
    ["zstd", "zstd", unzstd],
  ] as const) {
    it(`${name}: compressed, decoded by a real ${encoding} decoder`, async () => {
      const r = await get(name, encoding);
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-encoding"], encoding);
      assert.equal(echoed(decode(r.body)).host, (g as PolicyGateway).host(name));
    });
  }

  it("without accept-encoding: not compressed", async () => {
    const r = await get("gzip");
    assert.equal(r.headers["content-encoding"], undefined);
    echoed(r.body);
  });

  it("a q-value tie goes to the first listed algorithm (gzip before brotli)", async () => {
    const tie = await get("gzip-first", "br, gzip");
    assert.equal(tie.headers["content-encoding"], "gzip");
    echoed(gunzipSync(tie.body));
    const preferred = await get("gzip-first", "br;q=1.0, gzip;q=0.5");
    assert.equal(preferred.headers["content-encoding"], "br");
    echoed(brotliDecompressSync(preferred.body));
  });

  it("minContentLength 1Ki: a small answer stays uncompressed, a large one is compressed", async () => {
    const small = await get("min-length", "gzip");
    assert.ok(small.body.length < 1024, `small answer ${small.body.length} bytes`);
    assert.equal(small.headers["content-encoding"], undefined);
    const large = await get("min-length", "gzip", `/?pad=${"x".repeat(2000)}`);
    assert.equal(large.headers["content-encoding"], "gzip");
    assert.ok(echoed(gunzipSync(large.body)).path.length > 2000);
  });

  it("the deprecated compression field compresses too", async () => {
    const r = await get("deprecated", "gzip");
    assert.equal(r.headers["content-encoding"], "gzip");
    echoed(gunzipSync(r.body));
  });
});
