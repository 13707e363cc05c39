/**
 * EnvoyExtensionPolicy `extProc` on real Envoy against a real gRPC external processor started here
 * (test/support/ext-proc-server.ts), one route and policy per case:
 * - request headers mutated (the backend sees them) and response headers mutated (the client sees them);
 * - request and response bodies replaced in Buffered mode (the backend and the client see the new bodies),
 *   upper-cased chunk by chunk in Streamed mode, and in BufferedPartial mode; in FullDuplexStreamed mode the
 *   processor streams the request body back changed (sent on chunked, without a content-length);
 * - an immediate response from the processor reaches the client;
 * - metadata: what one processor writes into a writable namespace is forwarded to the next (accessible namespace);
 * - `allowModeOverride`: the processor turns the response body off for one request, and never receives it;
 * - `messageTimeout`: a processor slower than it fails the request with 504 after about the timeout;
 * - a processor that is down: 500 (fail closed), `statusOnError: 503` → 503, `failOpen` → 200 unmodified;
 * - a processor that does not resolve: Accepted=False and 500.
 * The processor tells the cases apart by the request's host.
 */
import * as assert from "node:assert/strict";
import { eepYaml, startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";
import { startBodyEcho, type BodyEcho } from "../support/body-echo";
import {
  startExtProcServer,
  type ExtProcAction,
  type ExtProcMessage,
  type ExtProcServer,
} from "../support/ext-proc-server";
import { freePort, httpGet, type HttpResult } from "../support/http";
import { backendYaml, routeYaml } from "../support/manifests";

/** The messageTimeout of the `slow` case and how long the processor takes there. */
const MESSAGE_TIMEOUT_MS = 300;
const SLOW_MS = 3_000;

const ref = (backend: string): string => `[{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`;

/** One processor entry on Backend `backend` (`extra`: more fields, indented for the entry). */
function entry(backend: string, extra = ""): string {
  return `  extProc:
    - backendRefs: ${ref(backend)}
${extra.replace(/\n?$/, "\n")}`;
}

/** Cases on the echo backend. */
const CASES: Readonly<Record<string, string>> = {
  headers: entry("processor", "      processingMode: { request: {}, response: {} }"),
  immediate: entry("processor", "      processingMode: { request: {} }"),
  override: entry(
    "processor",
    "      processingMode: { request: {}, response: { body: Buffered }, allowModeOverride: true }",
  ),
  metadata: `  extProc:
    - backendRefs: ${ref("processor")}
      processingMode: { request: {} }
      metadata: { writableNamespaces: [egts.test] }
    - backendRefs: ${ref("processor")}
      processingMode: { request: {} }
      metadata: { accessibleNamespaces: [egts.test] }`,
  slow: entry("processor", `      processingMode: { request: {} }\n      messageTimeout: ${MESSAGE_TIMEOUT_MS}ms`),
  down: entry("processor-down", "      processingMode: { request: {} }"),
  "down-status": entry("processor-down", "      processingMode: { request: {} }\n      statusOnError: 503"),
  "down-open": entry("processor-down", "      processingMode: { request: {}, response: {} }\n      failOpen: true"),
  unresolved: entry("nowhere", "      processingMode: { request: {} }"),
};

/** Cases on the body echo backend (their routes are in the extra file). */
const BODY_CASES: Readonly<Record<string, string>> = {
  buffered: entry("processor", "      processingMode: { request: { body: Buffered }, response: { body: Buffered } }"),
  streamed: entry("processor", "      processingMode: { request: { body: Streamed }, response: { body: Streamed } }"),
  partial: entry("processor", "      processingMode: { request: { body: BufferedPartial } }"),
  duplex: entry("processor", "      processingMode: { request: { body: FullDuplexStreamed } }"),
};

/**
 * A buffered body replaced by `body`: Envoy refuses a body whose length differs from the content-length the
 * headers carry, so the processor sets it along (the headers are still held in Buffered mode).
 */
function wholeBody(body: string): ExtProcAction {
  return { body, setHeaders: { "content-length": String(Buffer.byteLength(body)) } };
}

/** What the processor does, by case (the request's host without `.example.com`). */
function decide(m: ExtProcMessage): ExtProcAction | undefined {
  const name = m.host.replace(/\.example\.com$/, "");
  switch (`${name} ${m.phase}`) {
    case "headers requestHeaders":
    case "down-open requestHeaders":
      return { setHeaders: { "x-extproc-request": `seen ${m.path}` }, removeHeaders: ["x-remove-me"] };
    case "headers responseHeaders":
      return { setHeaders: { "x-extproc-response": "added" } };
    case "immediate requestHeaders":
      return m.headers["x-deny"] ? { immediate: { status: 403, body: "denied by processor" } } : undefined;
    case "override requestHeaders":
      return m.path === "/skip" ? { skipResponseBody: true } : undefined;
    case "override responseBody":
      return wholeBody("response body replaced");
    case "metadata requestHeaders":
      // The first processor writes; the second one sees what the first wrote.
      return m.metadata["egts.test"] ? undefined : { dynamicMetadata: { "egts.test": { user: "alice" } } };
    case "slow requestHeaders":
      return { delayMs: SLOW_MS };
    case "buffered requestBody":
      return wholeBody(`request:${m.body.toString().toUpperCase()}`);
    case "buffered responseBody":
      return wholeBody(`${m.body.toString()}|response`);
    case "streamed requestBody":
    case "streamed responseBody":
    case "partial requestBody":
      return { body: m.body.toString().toUpperCase() };
    case "duplex requestBody":
      return { streamedBody: m.body.length > 0 ? `<${m.body.toString().toUpperCase()}>` : "" };
    default:
      return undefined;
  }
}

describe("EnvoyExtensionPolicy extProc (real Envoy, a real gRPC processor)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let processor: ExtProcServer | undefined;
  let bodyEcho: BodyEcho | undefined;
  const gw = (): PolicyGateway => g as PolicyGateway;
  const send = (name: string, path = "/", opts: Parameters<typeof httpGet>[3] = {}): Promise<HttpResult> =>
    httpGet(gw().port, gw().host(name), path, opts);
  const post = (name: string, body: string): Promise<HttpResult> =>
    send(name, "/", { method: "POST", body, headers: { "content-length": String(Buffer.byteLength(body)) } });
  const upstream = (r: HttpResult): Record<string, string> =>
    (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
  const accepted = (name: string): { status: string; message: string } | undefined => {
    const s = gw().t.gw.statuses.get("EnvoyExtensionPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string; message: string }[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };
  const seen = (name: string, path: string): ExtProcMessage[] =>
    (processor as ExtProcServer).messages.filter((m) => m.host === gw().host(name) && m.path === path);

  before(async () => {
    processor = await startExtProcServer(decide);
    bodyEcho = await startBodyEcho();
    const down = await freePort();
    const extra = [
      backendYaml("processor", processor.port),
      backendYaml("processor-down", down),
      backendYaml("body-echo", bodyEcho.port),
      ...Object.entries(BODY_CASES).flatMap(([name, spec]) => [
        routeYaml(name, `${name}.example.com`, "body-echo"),
        eepYaml(name, spec),
      ]),
    ].join("---\n");
    g = await startPolicyGateway(CASES, { "extproc.yaml": extra }, eepYaml);
  });
  after(async () => {
    await g?.close();
    await processor?.close();
    await bodyEcho?.close();
  });

  it("policies whose processor resolves are accepted", () => {
    for (const name of [...Object.keys(CASES), ...Object.keys(BODY_CASES)].filter((n) => n !== "unresolved"))
      assert.equal(accepted(name)?.status, "True", `${name}: ${accepted(name)?.message}`);
  });

  it("mutates request headers (the backend sees them) and response headers (the client sees them)", async () => {
    const r = await send("headers", "/h", { headers: { "x-remove-me": "1" } });
    assert.equal(r.status, 200, r.body);
    assert.equal(upstream(r)["x-extproc-request"], "seen /h");
    assert.equal(upstream(r)["x-remove-me"], undefined);
    assert.equal(r.headers["x-extproc-response"], "added");
    const phases = seen("headers", "/h").map((m) => m.phase);
    assert.deepEqual(phases, ["requestHeaders", "responseHeaders"]);
  });

  it("Buffered: replaces the request body (the backend sees it) and the response body (the client sees it)", async () => {
    const r = await post("buffered", "hello processor");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "request:HELLO PROCESSOR|response");
    const bodies = seen("buffered", "/").filter((m) => m.phase === "requestBody");
    assert.equal(bodies.at(-1)?.body.toString(), "hello processor");
    assert.equal(bodies.at(-1)?.endOfStream, true, "the whole body in one message");
  });

  it("Streamed: each chunk of the request and response bodies is replaced", async () => {
    const r = await post("streamed", "stream me");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "STREAM ME");
    const phases = new Set(seen("streamed", "/").map((m) => m.phase));
    assert.ok(phases.has("requestBody") && phases.has("responseBody"), [...phases].join());
  });

  it("BufferedPartial: the request body is replaced", async () => {
    const r = await post("partial", "partial body");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "PARTIAL BODY");
  });

  it("FullDuplexStreamed: the processor streams the request body back, changed", async () => {
    const r = await post("duplex", "duplex body");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "<DUPLEX BODY>");
    assert.equal(r.headers["x-request-transfer-encoding"], "chunked");
    assert.equal(r.headers["x-request-content-length"], "", "Envoy drops the content-length of a streamed body");
  });

  it("an immediate response from the processor reaches the client", async () => {
    const no = await send("immediate", "/", { headers: { "x-deny": "1" } });
    assert.equal(no.status, 403);
    assert.equal(no.body, "denied by processor");
    assert.equal((await send("immediate")).status, 200);
  });

  it("allowModeOverride: the processor turns the response body off for one request", async () => {
    const replaced = await send("override", "/body");
    assert.equal(replaced.body, "response body replaced");
    const skipped = await send("override", "/skip");
    assert.equal(skipped.status, 200);
    assert.equal((JSON.parse(skipped.body) as { path: string }).path, "/skip");
    assert.ok(!seen("override", "/skip").some((m) => m.phase === "responseBody"), "no response body sent");
  });

  it("metadata: one processor writes a writable namespace, the next one is forwarded it", async () => {
    assert.equal((await send("metadata", "/md")).status, 200);
    const msgs = seen("metadata", "/md");
    assert.equal(msgs.length, 2, "both processors were called");
    assert.deepEqual(msgs[0].metadata, {}, "nothing is forwarded to the first");
    assert.deepEqual(msgs[1].metadata["egts.test"], { user: "alice" });
  });

  it("messageTimeout: a processor slower than it fails the request after about the timeout", async () => {
    const start = Date.now();
    const r = await send("slow");
    const took = Date.now() - start;
    assert.equal(r.status, 504, "Envoy's answer to a per-message timeout");
    assert.ok(took < SLOW_MS - 1_000, `answered after ${took} ms, not after the processor's ${SLOW_MS} ms`);
    assert.ok(took >= MESSAGE_TIMEOUT_MS - 50, `answered after ${took} ms, before the timeout`);
  });

  it("a processor that is down: 500, statusOnError 503, failOpen 200 unmodified", async () => {
    assert.equal((await send("down")).status, 500);
    assert.equal((await send("down-status")).status, 503);
    const open = await send("down-open");
    assert.equal(open.status, 200);
    assert.equal(upstream(open)["x-extproc-request"], undefined);
  });

  it("a processor that does not resolve: Accepted=False naming it, and the route answers 500", async () => {
    assert.equal(accepted("unresolved")?.status, "False");
    assert.match(accepted("unresolved")?.message ?? "", /^ExtProc: Backend default\/nowhere/);
    assert.equal((await send("unresolved")).status, 500);
  });
});
