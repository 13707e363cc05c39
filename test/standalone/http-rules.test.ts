/**
 * HTTPRoute rule behaviour that needs many requests or timing, through real Envoy: session persistence
 * (cookie and header), mirror and weight shares (checked against the binomial distribution), per-attempt
 * timeouts with retries and backoff, CORS wildcards with credentials, backendRef URLRewrite, and the
 * "Dropped Rule" handling of a partially invalid route. One gateway serves every route.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { backendPoolYaml, backendYaml, gatewayYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const ref = (name: string, extra = ""): string =>
  `{ group: gateway.envoyproxy.io, kind: Backend, name: ${name}${extra} }`;

function route(name: string, host: string, rules: string): string {
  return `${httpRouteYaml(name, host, rules)}---\n`;
}

const ROUTES = [
  route(
    "sticky",
    "sticky.example",
    `    - matches: [{ path: { type: PathPrefix, value: /cookie } }]
      sessionPersistence: { cookie: { name: sticky } }
      backendRefs: [${ref("pair")}]
    - matches: [{ path: { type: PathPrefix, value: /permanent } }]
      sessionPersistence: { absoluteTimeout: 1h, cookie: { name: long, lifetimeType: Permanent } }
      backendRefs: [${ref("pair")}]
    - matches: [{ path: { type: PathPrefix, value: /header } }]
      sessionPersistence: { type: Header, header: { name: x-session } }
      backendRefs: [${ref("pair")}]
    - matches: [{ path: { type: PathPrefix, value: /plain } }]
      backendRefs: [${ref("pair")}]
`,
  ),
  route(
    "mirror-share",
    "mirror-share.example",
    `    - matches: [{ path: { type: PathPrefix, value: /percent } }]
      filters:
        - type: RequestMirror
          requestMirror: { backendRef: ${ref("mirror-half")}, percent: 50 }
      backendRefs: [${ref("app")}]
    - matches: [{ path: { type: PathPrefix, value: /fraction } }]
      filters:
        - type: RequestMirror
          requestMirror: { backendRef: ${ref("mirror-quarter")}, fraction: { numerator: 1, denominator: 4 } }
      backendRefs: [${ref("app")}]
`,
  ),
  route(
    "split",
    "split.example",
    `    - backendRefs: [${ref("heavy", ", weight: 80")}, ${ref("light", ", weight: 20")}, ${ref("never", ", weight: 0")}]
    - matches: [{ path: { type: PathPrefix, value: /all-zero } }]
      backendRefs: [${ref("heavy", ", weight: 0")}, ${ref("light", ", weight: 0")}]
`,
  ),
  route(
    "slow",
    "slow.example",
    `    - timeouts: { backendRequest: 200ms }
      retry: { attempts: 2, backoff: 250ms }
      backendRefs: [${ref("slow")}]
`,
  ),
  route(
    "backoff",
    "backoff.example",
    `    - retry: { codes: [503], attempts: 1, backoff: 400ms }
      backendRefs: [${ref("unavailable")}]
`,
  ),
  route(
    "cors-any",
    "cors-any.example",
    `    - filters:
        - type: CORS
          cors: { allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"], exposeHeaders: ["*"], allowCredentials: true }
      backendRefs: [${ref("app")}]
    - matches: [{ path: { type: PathPrefix, value: /anonymous } }]
      filters:
        - type: CORS
          cors: { allowOrigins: ["*"], allowMethods: ["*"], exposeHeaders: ["*"] }
      backendRefs: [${ref("app")}]
`,
  ),
  route(
    "backend-rewrite",
    "backend-rewrite.example",
    `    - matches: [{ path: { type: PathPrefix, value: /api } }]
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: app
          filters:
            - type: URLRewrite
              urlRewrite: { hostname: app.internal, path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2 } }
    - matches: [{ path: { type: PathPrefix, value: /split } }]
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: heavy
          filters: [{ type: URLRewrite, urlRewrite: { hostname: heavy.internal } }]
        - group: gateway.envoyproxy.io
          kind: Backend
          name: light
          filters: [{ type: URLRewrite, urlRewrite: { hostname: light.internal } }]
`,
  ),
  route(
    "partly-invalid",
    "partly.example",
    `    - matches: [{ path: { type: PathPrefix, value: /ok } }]
      backendRefs: [${ref("app")}]
    - matches: [{ path: { type: PathPrefix, value: /dropped } }]
      filters: [{ type: ExternalAuth }]
      backendRefs: [${ref("app")}]
`,
  ),
].join("");

/** A backend that records when each request arrived and answers with `status` after `delayMs`. */
interface Recorder {
  readonly server: Server;
  readonly port: number;
  /** Arrival times (ms, monotonic) per request path. */
  readonly arrivals: Map<string, number[]>;
}

function startRecorder(status: number, delayMs: number): Promise<Recorder> {
  const arrivals = new Map<string, number[]>();
  const server = createServer((req, res) => {
    req.resume();
    const path = req.url ?? "/";
    arrivals.set(path, [...(arrivals.get(path) ?? []), performance.now()]);
    const timer = setTimeout(() => {
      res.statusCode = status;
      res.end(`status ${status}`);
    }, delayMs);
    res.on("close", () => clearTimeout(timer));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port, arrivals })),
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The echo backend that answered. */
function servedBy(r: HttpResult): string {
  assert.equal(r.status, 200, `status ${r.status}: ${r.body}`);
  return (JSON.parse(r.body) as EchoResponse).backend;
}

/** Counts answers per backend over `n` sequential requests. */
async function tally(n: number, send: (i: number) => Promise<HttpResult>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const b = servedBy(await send(i));
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return counts;
}

/** Waits until a counter has not moved for `quietMs` (mirrored requests arrive asynchronously). */
async function settled(read: () => number, quietMs = 300): Promise<number> {
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 25));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/** [mean - k·σ, mean + k·σ] of a binomial count. */
function binomialBounds(n: number, p: number, k: number): [number, number] {
  const sigma = Math.sqrt(n * p * (1 - p));
  return [n * p - k * sigma, n * p + k * sigma];
}

function setCookieOf(r: HttpResult): string[] {
  const v = r.headers["set-cookie"];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

describe("HTTPRoute rule traffic through real Envoy (sessions, shares, timeouts, CORS, rewrites)", function () {
  this.timeout(90_000);
  let t: TestGateway;
  let port: number;
  const echo: Record<string, EchoBackend> = {};
  let slow: Recorder;
  let unavailable: Recorder;

  before(async () => {
    for (const name of ["s1", "s2", "app", "mirror-half", "mirror-quarter", "heavy", "light", "never"]) {
      echo[name] = await startEchoBackend({ name });
    }
    slow = await startRecorder(200, 2000);
    unavailable = await startRecorder(503, 0);
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backends.yaml": [
        backendPoolYaml("pair", [echo.s1.port, echo.s2.port]),
        ...["app", "mirror-half", "mirror-quarter", "heavy", "light", "never"].map((n) => backendYaml(n, echo[n].port)),
        backendYaml("slow", slow.port),
        backendYaml("unavailable", unavailable.port),
      ].join("---\n"),
      "routes.yaml": ROUTES,
    });
    await eventually(
      async () => (await httpGet(port, "partly.example", "/ok")).status === 200,
      15_000,
      "the routes to be served",
    );
  });

  after(async () => {
    await t?.close();
    for (const b of Object.values(echo)) await b.close();
    for (const r of [slow, unavailable]) if (r) await closeServer(r.server);
  });

  describe("session persistence", () => {
    it("without a session, requests spread over both endpoints", async () => {
      const counts = await tally(40, () => httpGet(port, "sticky.example", "/plain"));
      assert.ok((counts.get("s1") ?? 0) > 0 && (counts.get("s2") ?? 0) > 0, `spread: ${[...counts]}`);
    });

    it("cookie: the first answer sets a session cookie (no Max-Age); sending it back always reaches that endpoint", async () => {
      const first = await httpGet(port, "sticky.example", "/cookie/start");
      const cookies = setCookieOf(first);
      assert.equal(cookies.length, 1, `set-cookie: ${cookies}`);
      assert.match(cookies[0], /^sticky=[^;]+; Path=\/; HttpOnly$/);
      const cookie = cookies[0].split(";")[0];
      const pinned = servedBy(first);
      const counts = await tally(30, () => httpGet(port, "sticky.example", "/cookie/x", { headers: { cookie } }));
      assert.deepEqual([...counts], [[pinned, 30]]);
      // The cookie reaches the backend too (the spec: SHOULD forward it).
      const seen = JSON.parse((await httpGet(port, "sticky.example", "/cookie", { headers: { cookie } })).body);
      assert.equal((seen as EchoResponse).headers.cookie, cookie);
    });

    it("cookie: each endpoint's cookie pins to that endpoint; a request without it gets a new cookie", async () => {
      const pins = new Map<string, string>();
      for (let i = 0; i < 20 && pins.size < 2; i++) {
        const r = await httpGet(port, "sticky.example", "/cookie/new");
        const c = setCookieOf(r)[0];
        assert.ok(c, "a request without the cookie gets one");
        pins.set(servedBy(r), c.split(";")[0]);
      }
      assert.deepEqual([...pins.keys()].sort(), ["s1", "s2"]);
      for (const [backend, cookie] of pins) {
        const counts = await tally(15, () => httpGet(port, "sticky.example", "/cookie", { headers: { cookie } }));
        assert.deepEqual([...counts], [[backend, 15]]);
      }
    });

    it("cookie lifetimeType Permanent: Max-Age is the absoluteTimeout", async () => {
      const cookies = setCookieOf(await httpGet(port, "sticky.example", "/permanent"));
      assert.equal(cookies.length, 1);
      assert.match(cookies[0], /^long=[^;]+; Max-Age=3600; Path=\/; HttpOnly$/);
      const cookie = cookies[0].split(";")[0];
      const counts = await tally(20, () => httpGet(port, "sticky.example", "/permanent", { headers: { cookie } }));
      assert.equal(counts.size, 1);
    });

    it("header: the answer carries the session header; sending it back always reaches that endpoint", async () => {
      const first = await httpGet(port, "sticky.example", "/header");
      const session = first.headers["x-session"];
      assert.equal(typeof session, "string");
      const pinned = servedBy(first);
      const counts = await tally(30, () =>
        httpGet(port, "sticky.example", "/header", { headers: { "x-session": String(session) } }),
      );
      assert.deepEqual([...counts], [[pinned, 30]]);
      // A rule without session persistence sets nothing.
      const plain = await httpGet(port, "sticky.example", "/plain");
      assert.equal(plain.headers["x-session"], undefined);
      assert.deepEqual(setCookieOf(plain), []);
    });
  });

  describe("shares", () => {
    it("RequestMirror percent 50: about half of 200 requests are mirrored", async () => {
      const mirror = echo["mirror-half"];
      const before = mirror.requests;
      for (let i = 0; i < 200; i++)
        assert.equal(servedBy(await httpGet(port, "mirror-share.example", "/percent")), "app");
      const mirrored = (await settled(() => mirror.requests)) - before;
      const [lo, hi] = binomialBounds(200, 0.5, 5);
      assert.ok(mirrored > lo && mirrored < hi, `${mirrored} of 200 mirrored; expected within (${lo}, ${hi})`);
      assert.ok(mirrored > 0 && mirrored < 200);
    });

    it("RequestMirror fraction 1/4: about a quarter of 200 requests are mirrored", async () => {
      const mirror = echo["mirror-quarter"];
      const before = mirror.requests;
      for (let i = 0; i < 200; i++) servedBy(await httpGet(port, "mirror-share.example", "/fraction"));
      const mirrored = (await settled(() => mirror.requests)) - before;
      const [lo, hi] = binomialBounds(200, 0.25, 5);
      assert.ok(mirrored > lo && mirrored < hi, `${mirrored} of 200 mirrored; expected within (${lo}, ${hi})`);
    });

    it("weights 80/20 over 500 requests are within 5σ of the binomial mean; weight 0 is never served", async () => {
      const neverBefore = echo.never.requests;
      const counts = await tally(500, () => httpGet(port, "split.example", "/"));
      const heavy = counts.get("heavy") ?? 0;
      const [lo, hi] = binomialBounds(500, 0.8, 5);
      assert.ok(heavy > lo && heavy < hi, `heavy served ${heavy} of 500; expected within (${lo}, ${hi})`);
      assert.equal(heavy + (counts.get("light") ?? 0), 500, `only heavy and light answer: ${[...counts]}`);
      assert.equal(echo.never.requests, neverBefore);
    });

    it("all weights 0: every request gets 500", async () => {
      for (let i = 0; i < 5; i++) assert.equal((await httpGet(port, "split.example", "/all-zero")).status, 500);
    });
  });

  describe("timeouts and retries", () => {
    it("backendRequest timeout: every attempt to a slow backend is cut at 200 ms and retried; the client gets 504", async () => {
      const start = performance.now();
      const r = await httpGet(port, "slow.example", "/slow-1");
      const elapsed = performance.now() - start;
      assert.equal(r.status, 504);
      const at = slow.arrivals.get("/slow-1") ?? [];
      assert.equal(at.length, 3, "1 attempt + 2 retries");
      // The gap between attempts is the per-attempt timeout plus a jittered backoff in [0, 2^(N-1)·250 ms).
      const gaps = at.slice(1).map((x, i) => x - at[i]);
      gaps.forEach((g, i) => {
        assert.ok(g >= 190, `gap ${i + 1} is ${g} ms, shorter than the 200 ms per-attempt timeout`);
        assert.ok(g < 200 + 250 * 2 ** i + 100, `gap ${i + 1} is ${g} ms, longer than timeout + backoff cap`);
      });
      assert.ok(elapsed >= 600 && elapsed < 2000, `request took ${elapsed} ms (3 attempts of 200 ms)`);
    });

    it("retry backoff: the wait before a retry is Envoy's jittered backoff, averaging about half the base", async () => {
      // Envoy's first retry waits uniformly in [0, backoff): with 400 ms, 16 retries average 200 ms (σ of
      // the mean ≈ 29 ms). Without the configured backoff (Envoy's default 25 ms) the mean would be ~12 ms.
      const waits: number[] = [];
      for (let i = 0; i < 16; i++) {
        const path = `/backoff-${i}`;
        assert.equal((await httpGet(port, "backoff.example", path)).status, 503);
        const at = unavailable.arrivals.get(path) ?? [];
        assert.equal(at.length, 2, "1 attempt + 1 retry on 503");
        waits.push(at[1] - at[0]);
      }
      const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
      assert.ok(
        waits.every((w) => w < 400 + 60),
        `a wait exceeds the 400 ms backoff: ${waits.map(Math.round)}`,
      );
      assert.ok(mean > 60, `mean wait ${Math.round(mean)} ms: ${waits.map(Math.round)}`);
    });
  });

  describe("CORS with * and allowCredentials", () => {
    it("a preflight gets the request's origin, method and headers echoed, never *", async () => {
      const r = await httpGet(port, "cors-any.example", "/x", {
        method: "OPTIONS",
        headers: {
          origin: "https://app.test",
          "access-control-request-method": "PATCH",
          "access-control-request-headers": "x-one, x-two",
        },
      });
      assert.ok(r.status === 200 || r.status === 204, `status ${r.status}`);
      assert.equal(r.headers["access-control-allow-origin"], "https://app.test");
      assert.equal(r.headers["access-control-allow-methods"], "PATCH");
      assert.equal(r.headers["access-control-allow-headers"], "x-one, x-two");
      assert.equal(r.headers["access-control-allow-credentials"], "true");
      // Without Access-Control-Request-Headers the spec wants no Access-Control-Allow-Headers; Envoy
      // echoes the missing header as an empty value, which allows no header either.
      const bare = await httpGet(port, "cors-any.example", "/x", {
        method: "OPTIONS",
        headers: { origin: "https://app.test", "access-control-request-method": "GET" },
      });
      assert.equal(bare.headers["access-control-allow-methods"], "GET");
      assert.equal(bare.headers["access-control-allow-headers"] ?? "", "");
    });

    it("an actual request gets its origin echoed and no * expose header; without credentials * is kept", async () => {
      const r = await httpGet(port, "cors-any.example", "/x", { headers: { origin: "https://app.test" } });
      assert.equal(r.status, 200);
      assert.equal(r.headers["access-control-allow-origin"], "https://app.test");
      assert.equal(r.headers["access-control-allow-credentials"], "true");
      assert.equal(r.headers["access-control-expose-headers"], undefined);
      const anon = await httpGet(port, "cors-any.example", "/anonymous", { headers: { origin: "https://app.test" } });
      assert.equal(anon.headers["access-control-expose-headers"], "*");
      assert.equal(anon.headers["access-control-allow-credentials"], undefined);
    });
  });

  describe("backendRef URLRewrite", () => {
    it("the only backendRef's URLRewrite changes host and path prefix", async () => {
      const seen = JSON.parse((await httpGet(port, "backend-rewrite.example", "/api/users?id=1")).body) as EchoResponse;
      assert.equal(seen.host, "app.internal");
      assert.equal(seen.path, "/v2/users?id=1");
    });

    it("with two weighted backendRefs each gets its own Host", async () => {
      const hosts = new Map<string, Set<string>>();
      for (let i = 0; i < 30; i++) {
        const seen = JSON.parse((await httpGet(port, "backend-rewrite.example", "/split")).body) as EchoResponse;
        hosts.set(seen.backend, new Set([...(hosts.get(seen.backend) ?? []), seen.host]));
      }
      assert.deepEqual([...(hosts.get("heavy") ?? [])], ["heavy.internal"]);
      assert.deepEqual([...(hosts.get("light") ?? [])], ["light.internal"]);
    });
  });

  describe("a partially invalid route", () => {
    it("serves its valid rule, answers its dropped one with 500, and says so in PartiallyInvalid", async () => {
      assert.equal((await httpGet(port, "partly.example", "/ok")).status, 200);
      assert.equal((await httpGet(port, "partly.example", "/dropped")).status, 500);
      const status = t.gw.statuses.get("HTTPRoute", "default", "partly-invalid")?.status as {
        parents: { conditions: { type: string; status: string; reason: string; message: string }[] }[];
      };
      const conds = status.parents[0].conditions;
      assert.deepEqual(
        conds.map((c) => [c.type, c.status, c.reason]),
        [
          ["Accepted", "True", "Accepted"],
          ["ResolvedRefs", "True", "ResolvedRefs"],
          ["PartiallyInvalid", "True", "UnsupportedValue"],
        ],
      );
      assert.match(conds[2].message, /^Dropped Rule: rule 1: filter type ExternalAuth is not supported/);
    });

    it("the session persistence routes are accepted without PartiallyInvalid", () => {
      const status = t.gw.statuses.get("HTTPRoute", "default", "sticky")?.status as {
        parents: { conditions: { type: string; status: string }[] }[];
      };
      assert.deepEqual(
        status.parents[0].conditions.map((c) => [c.type, c.status]),
        [
          ["Accepted", "True"],
          ["ResolvedRefs", "True"],
        ],
      );
    });
  });
});
