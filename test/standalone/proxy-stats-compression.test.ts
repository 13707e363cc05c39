/**
 * EnvoyProxy `telemetry.metrics.prometheus.compression` on real Envoy (standalone): the stats listener compresses
 * `GET /stats/prometheus` for a scraper that sends `Accept-Encoding` (Gzip and Brotli decompressed here and read as
 * Prometheus text; Zstd checked by its frame's magic number, Node 20 has no zstd), and answers plain text to one that
 * does not; a type that is none of the three refuses the EnvoyProxy, naming the field.
 */
import * as assert from "node:assert/strict";
import { request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { Condition } from "../../operator/src/resources/meta";
import { eventually, freePort } from "../support/http";
import { gatewayWithListenersYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** Gateway `default/eg` on `port` with its own EnvoyProxy whose `telemetry.metrics.prometheus` is `prometheusYaml`. */
function gatewayWithProxy(port: number, prometheusYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: eg, namespace: default }
spec: { telemetry: { metrics: { prometheus: ${prometheusYaml} } } }
---
${gatewayWithListenersYaml(
  `    - { name: http, protocol: HTTP, port: ${port} }`,
  "  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: eg } }\n",
)}`;
}

/** A scrape: its Content-Encoding and raw body. */
interface Scrape {
  readonly encoding: string | undefined;
  readonly body: Buffer;
}

/** GETs `url` with `Accept-Encoding: acceptEncoding` (none when undefined), without decoding the body. */
function scrape(url: string, acceptEncoding?: string): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding !== undefined ? { "accept-encoding": acceptEncoding } : {};
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

describe("EnvoyProxy prometheus compression (real Envoy: Gzip, Brotli, Zstd on the stats listener)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let port: number;

  before(async () => {
    port = await freePort();
    t = await startTestGateway({ "gateway.yaml": gatewayWithProxy(port, "{ compression: { type: Gzip } }") });
  });
  after(async () => t?.close());

  /** Scrapes the proxy's stats URL until it answers with `encoding`; returns that scrape. */
  async function scrapeEncoded(acceptEncoding: string, encoding: string): Promise<Scrape> {
    let last: Scrape | undefined;
    await eventually(
      async () => {
        // Between the old process and the new one (a runtime change restarts the proxy) there is no URL.
        const url = await t.gw.runner?.statsUrl("default/eg").catch(() => undefined);
        last = url ? await scrape(url, acceptEncoding).catch(() => undefined) : undefined;
        return last?.encoding === encoding;
      },
      20_000,
      `a scrape encoded ${encoding} (last: ${last?.encoding ?? "none"})`,
    );
    assert.ok(last);
    return last;
  }

  it("Gzip: compressed for a scraper that accepts gzip, plain text for one that does not", async () => {
    const gz = await scrapeEncoded("gzip", "gzip");
    const text = gunzipSync(gz.body).toString("utf8");
    assert.match(text, /^# TYPE envoy_/m);
    const url = await t.gw.runner?.statsUrl("default/eg");
    assert.ok(url);
    const plain = await scrape(url);
    assert.equal(plain.encoding, undefined);
    assert.match(plain.body.toString("utf8"), /^# TYPE envoy_/m);
    assert.ok(gz.body.length < plain.body.length / 3, `compressed ${gz.body.length} of ${plain.body.length} bytes`);
  });

  it("Brotli", async () => {
    await t.write("gateway.yaml", gatewayWithProxy(port, "{ compression: { type: Brotli } }"));
    const br = await scrapeEncoded("br", "br");
    assert.match(brotliDecompressSync(br.body).toString("utf8"), /^# TYPE envoy_/m);
  });

  it("Zstd", async () => {
    await t.write("gateway.yaml", gatewayWithProxy(port, "{ compression: { type: Zstd } }"));
    const zstd = await scrapeEncoded("zstd", "zstd");
    assert.deepEqual(zstd.body.subarray(0, 4), ZSTD_MAGIC, "a zstd frame");
  });

  it("a type that is none of them refuses the EnvoyProxy, naming the field", async () => {
    await t.write("gateway.yaml", gatewayWithProxy(port, "{ compression: { type: Lz4 } }"));
    const accepted = (): Condition | undefined =>
      (
        t.gw.statuses.get("Gateway", "default", "eg")?.status as { conditions?: Condition[] } | undefined
      )?.conditions?.find((x) => x.type === "Accepted");
    await eventually(async () => accepted()?.status === "False", 20_000, "the refusal");
    assert.match(
      accepted()?.message ?? "",
      /spec\.telemetry\.metrics\.prometheus\.compression\.type: "Lz4" is not one of Gzip, Brotli, Zstd/,
    );
  });
});
