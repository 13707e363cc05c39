/**
 * EnvoyExtensionPolicy `wasm` on real Envoy: a real proxy-wasm module (AssemblyScript, built by the test) that adds
 * `x-wasm: <its config>` to responses, fetched by egts over HTTP or pulled from a real OCI registry (the
 * distribution registry, `bash scripts/install-registry.sh`), checked against the policy's sha256 and served to
 * Envoy by egts's module server (a free port here). A checksum mismatch puts both digests in the policy's status
 * and its route answers 500; a module that cannot be fetched, with `failOpen`, leaves its route served without it.
 */
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { pushWasmImage, startRegistry, type TestRegistry } from "../support/oci-registry";
import { testWasmModule, TEST_WASM_ROOT_ID } from "../support/wasm-module";

/** An EnvoyExtensionPolicy `default/<name>` on HTTPRoute `<name>` with one `wasm` entry (`entry`: YAML fields). */
function eepYaml(name: string, entry: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
  wasm:
    - rootID: ${TEST_WASM_ROOT_ID}
      ${entry.trim().split("\n").join("\n      ")}
`;
}

const WRONG_SHA = "ab".repeat(32);

describe("EnvoyExtensionPolicy wasm (real Envoy, HTTP and OCI sources)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let files: Server | undefined;
  let registry: TestRegistry | undefined;
  let digests: { module: string; artifact: string; compat: string } | undefined;
  /** Whether the file server has `/late.wasm` yet (503 until then). */
  let lateReady = false;
  const gw = (): PolicyGateway => g as PolicyGateway;
  const send = (name: string): Promise<HttpResult> => httpGet(gw().port, gw().host(name), "/");
  const accepted = (name: string): { status: string; message: string } | undefined => {
    const s = gw().t.gw.statuses.get("EnvoyExtensionPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };

  before(async function () {
    this.timeout(120_000); // the first run of a machine compiles the module (a few seconds, more on busy cores)
    const module = await testWasmModule();
    files = createServer((req, res) => {
      const ok = req.url === "/plugin.wasm" || (req.url === "/late.wasm" && lateReady);
      if (ok) res.writeHead(200, { "content-type": "application/wasm" }).end(module.bytes);
      else res.writeHead(req.url === "/late.wasm" ? 503 : 404).end("no such module");
    });
    await new Promise<void>((r) => files?.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    registry = await startRegistry();
    const image = `${registry.host}/egts/config-header`;
    digests = {
      module: module.sha256,
      artifact: await pushWasmImage(registry, { repository: "egts/config-header", tag: "v1" }, module.bytes),
      compat: await pushWasmImage(
        registry,
        { repository: "egts/config-header", tag: "compat", variant: "compat" },
        module.bytes,
      ),
    };
    const cases: Record<string, string> = {
      http: `name: config-header
code: { type: HTTP, http: { url: "${url}/plugin.wasm", sha256: ${module.sha256} } }
config: from-http
env: { hostKeys: [HOME] }`,
      mismatch: `code: { type: HTTP, http: { url: "${url}/plugin.wasm", sha256: ${WRONG_SHA} } }
config: never`,
      artifact: `code: { type: Image, image: { url: "${image}:v1" } }
config: from-oci-artifact`,
      compat: `code: { type: Image, image: { url: "${image}:compat", sha256: ${digests.compat} } }
config: from-oci-compat`,
      "image-mismatch": `code: { type: Image, image: { url: "${image}:v1", sha256: ${WRONG_SHA} } }
config: never`,
      late: `code: { type: HTTP, http: { url: "${url}/late.wasm", sha256: ${module.sha256} } }
config: from-late`,
      "fail-open": `code: { type: HTTP, http: { url: "${url}/missing.wasm" } }
config: never
failOpen: true`,
    };
    g = await startPolicyGateway(cases, {}, eepYaml, { wasm: { port: await freePort() } });
    await eventually(async () => (await send("http")).headers["x-wasm"] === "from-http", 30_000, "the http module");
  });
  after(async () => {
    await g?.close();
    await registry?.stop();
    await new Promise((r) => (files ? files.close(r) : r(undefined)));
  });

  it("runs a module fetched over HTTP: its config is on the response", async () => {
    const r = await send("http");
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-wasm"], "from-http");
    assert.equal(accepted("http")?.status, "True");
  });

  it("refuses a module whose sha256 differs, naming both digests, and its route answers 500", async () => {
    const c = accepted("mismatch");
    assert.equal(c?.status, "False");
    assert.match(c?.message ?? "", new RegExp(`has checksum ${digests?.module}, which does not match: ${WRONG_SHA}`));
    const r = await send("mismatch");
    assert.equal(r.status, 500);
    assert.equal(r.headers["x-wasm"], undefined);
  });

  it("runs a module pulled from an OCI registry (artifact variant, by tag)", async () => {
    await eventually(async () => (await send("artifact")).headers["x-wasm"] === "from-oci-artifact", 20_000, "oci");
    assert.equal(accepted("artifact")?.status, "True");
  });

  it("runs a module pulled from an OCI registry (compat variant, checked by manifest digest)", async () => {
    await eventually(async () => (await send("compat")).headers["x-wasm"] === "from-oci-compat", 20_000, "compat");
    assert.equal(accepted("compat")?.status, "True");
  });

  it("refuses an image whose manifest digest differs, naming both digests", async () => {
    const c = accepted("image-mismatch");
    assert.equal(c?.status, "False");
    assert.match(c?.message ?? "", new RegExp(`has checksum ${digests?.artifact}, which does not match: ${WRONG_SHA}`));
    assert.equal((await send("image-mismatch")).status, 500);
  });

  it("retries a failed fetch with back-off: the module runs once its server answers, without an Envoy restart", async () => {
    const c = accepted("late");
    assert.equal(c?.status, "False");
    assert.match(c?.message ?? "", /status code 503/);
    assert.equal((await send("late")).status, 500);
    const envoyPid = gw().t.gw.runner?.list()[0]?.pid;
    lateReady = true;
    await eventually(async () => (await send("late")).headers["x-wasm"] === "from-late", 30_000, "the late module");
    assert.equal(accepted("late")?.status, "True");
    assert.equal(gw().t.gw.runner?.list()[0]?.pid, envoyPid);
  });

  it("serves a fail-open route without a module that cannot be fetched, and says why", async () => {
    const r = await send("fail-open");
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-wasm"], undefined);
    const c = accepted("fail-open");
    assert.equal(c?.status, "False");
    assert.match(
      c?.message ?? "",
      /Wasm: could not fetch Wasm binary: wasm module download request failed: status code 404/,
    );
  });
});

describe("EnvoyExtensionPolicy wasm failOpen when the module fails in Envoy (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let files: Server | undefined;
  const send = (name: string): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), "/");

  before(async function () {
    this.timeout(120_000);
    const module = await testWasmModule();
    files = createServer((_req, res) => res.writeHead(200).end(module.bytes));
    await new Promise<void>((r) => files?.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/plugin.wasm`;
    // No config: the AssemblyScript SDK's onConfigure traps on an empty plugin configuration.
    g = await startPolicyGateway(
      {
        closed: `code: { type: HTTP, http: { url: "${url}" } }`,
        open: `code: { type: HTTP, http: { url: "${url}" } }\nfailOpen: true`,
      },
      {},
      eepYaml,
      { wasm: { port: await freePort() } },
    );
  });
  after(async () => {
    await g?.close();
    await new Promise((r) => (files ? files.close(r) : r(undefined)));
  });

  it("fail closed: Envoy answers 503; failOpen: the request passes without the module", async () => {
    await eventually(async () => (await send("closed")).status === 503, 20_000, "the failed module");
    const open = await send("open");
    assert.equal(open.status, 200);
    assert.equal(open.headers["x-wasm"], undefined);
  });
});
