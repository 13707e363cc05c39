/**
 * KubeClient against a real HTTPS server that asks for client certificates, as an API server does, with
 * kubeconfig files on disk: consecutive requests share their TLS connection (Agents per TLS identity, ADR
 * 0016/0017); a burst of requests shares at most REQUEST_CONNECTIONS, watches apart (ADR 0036); a client
 * certificate or token rotated on disk is picked up after a 401 (the KubeConfig reads its source again and the
 * request is sent once more) with a new connection presenting the new certificate; `tls-server-name`,
 * `insecure-skip-tls-verify` and basic credentials reach the wire; an exec credential plugin (a real script) gives
 * the bearer token, runs once per token lifetime and again after a 401, asynchronously: the event loop goes on
 * while it sleeps, and a token about to expire is used while the plugin runs again.
 */
import * as assert from "node:assert/strict";
import { setMaxListeners } from "node:events";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server, TLSSocket } from "node:tls";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  describeError,
  HttpMethod,
  KubeApiError,
  KubeClient,
  loadKubeConfig,
} from "../../operator/src/provider/kubernetes/client";
import {
  EXEC_REFRESH_AHEAD_MS,
  REQUEST_CONNECTIONS,
} from "../../operator/src/provider/kubernetes/kubeconfig/kube-config";
import { eventually } from "../support/http";
import { makeCa, type KeyPair, type TestCa } from "../support/pki";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** A kubeconfig (YAML) with `cluster` and `user` fields (flow mappings' contents). */
function kubeconfig(cluster: string, user: string): string {
  return `apiVersion: v1
kind: Config
current-context: c
clusters: [{ name: c, cluster: { ${cluster} } }]
users: [{ name: u, user: { ${user} } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
`;
}

describe("KubeClient connections (TLS with client certificates, kubeconfig files)", function () {
  this.timeout(30_000);
  let ca: TestCa;
  let server: ReturnType<typeof createHttpsServer>;
  let port: number;
  let dir: string;
  /** The client certificate's common name of each TLS connection the server accepted. */
  const connections: string[] = [];
  /** Client certificate common names and bearer tokens the server answers 401 to. */
  const refused = new Set<string>();

  before(async () => {
    ca = makeCa("kube-ca");
    dir = mkdtempSync(join(tmpdir(), "egts-kubeconfig-"));
    const serving = ca.issue("kube.example", ["kube.example"]);
    server = createHttpsServer(
      { cert: serving.cert, key: serving.key, ca: ca.cert, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const cn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN);
        const auth = req.headers.authorization ?? "";
        res.setHeader("content-type", "application/json");
        if (refused.has(cn) || refused.has(auth)) {
          res.statusCode = 401;
          res.end(JSON.stringify({ kind: "Status", reason: "Unauthorized", message: "Unauthorized" }));
          return;
        }
        if (req.url?.includes("watch=true")) {
          // A watch: one event, then held open until the client leaves.
          res.write(`${JSON.stringify({ type: "ADDED", object: { kind: "Status", cn } })}\n`);
          return;
        }
        const body: Buffer[] = [];
        req.on("data", (c: Buffer) => body.push(c));
        // `/slow/…` answers after 20 ms, so that a burst of requests overlaps.
        const delay = req.url?.startsWith("/slow/") ? 20 : 0;
        req.on("end", () =>
          setTimeout(
            () =>
              res.end(
                JSON.stringify({
                  kind: "Status",
                  method: req.method,
                  path: req.url,
                  cn,
                  auth,
                  length: req.headers["content-length"],
                  body: Buffer.concat(body).toString(),
                }),
              ),
            delay,
          ),
        );
      },
    );
    (server as unknown as Server).on("secureConnection", (s: TLSSocket) =>
      connections.push(String(s.getPeerCertificate().subject?.CN)),
    );
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    port = address.port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    connections.length = 0;
    refused.clear();
  });

  /** The verified cluster fields: the CA and the serving certificate's name. */
  const verified = (): string =>
    `server: "https://127.0.0.1:${port}", certificate-authority-data: ${b64(ca.cert)}, tls-server-name: kube.example`;
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const pairData = (pair: KeyPair): string =>
    `client-certificate-data: ${b64(pair.cert)}, client-key-data: ${b64(pair.key)}`;

  it("sends consecutive requests over one connection", async () => {
    const client = new KubeClient(
      loadKubeConfig(write("one.kubeconfig", kubeconfig(verified(), pairData(ca.issue("controller"))))),
    );
    for (let i = 0; i < 20; i++) {
      const r = await client.request<{ path: string; cn: string }>(HttpMethod.GET, `/api/v1/namespaces/n${i}`);
      assert.equal(r.path, `/api/v1/namespaces/n${i}`);
      assert.equal(r.cn, "controller");
    }
    // undici may open a second connection while the first request's socket goes back to its pool; one per
    // request (20) was client-node's behaviour.
    assert.ok(connections.length <= 2, `20 requests, ${connections.length} TLS handshakes`);
    assert.deepEqual([...new Set(connections)], ["controller"]);
  });

  it("sends a burst of requests over at most REQUEST_CONNECTIONS connections, while more watches than that stay open", async () => {
    const client = new KubeClient(
      loadKubeConfig(write("burst.kubeconfig", kubeconfig(verified(), pairData(ca.issue("burst"))))),
    );
    const watches = new AbortController();
    const watching = REQUEST_CONNECTIONS + 4;
    setMaxListeners(watching + 1, watches.signal);
    let opened = 0;
    const streams = Array.from({ length: watching }, (_, i) =>
      client.watch(
        `/api/v1/namespaces/w${i}/configmaps`,
        "1",
        () => undefined,
        watches.signal,
        () => opened++,
      ),
    );
    try {
      await eventually(async () => opened === watching, 5_000, "every watch answered");
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => client.request<{ path: string }>(HttpMethod.GET, `/slow/${i}`)),
      );
      assert.deepEqual(
        answers.map((a) => a.path),
        Array.from({ length: 200 }, (_, i) => `/slow/${i}`),
      );
      const handshakes = connections.filter((cn) => cn === "burst").length;
      assert.equal(opened, watching, "the watches stayed open");
      assert.ok(
        handshakes <= watching + REQUEST_CONNECTIONS,
        `${watching} watches and 200 requests: ${handshakes} TLS connections (unbounded: one per request in flight)`,
      );
      assert.ok(handshakes > watching, "the requests had their own connections");
    } finally {
      watches.abort();
      await Promise.all(streams);
    }
  });

  it("sends an urgent request (the Lease's) at once while a burst waits for the bounded connections", async () => {
    const client = new KubeClient(
      loadKubeConfig(write("urgent.kubeconfig", kubeconfig(verified(), pairData(ca.issue("urgent"))))),
    );
    const order: string[] = [];
    const answered = (what: string) => (a: unknown) => (order.push(what), a);
    // 160 requests of 20 ms over 16 connections: ~200 ms until the last one.
    const burst = Array.from({ length: 160 }, (_, i) =>
      client.request(HttpMethod.GET, `/slow/${i}`).then(answered("burst")),
    );
    const urgent = client.request(HttpMethod.GET, "/apis/coordination.k8s.io/v1/leases/l", { urgent: true });
    const queued = client.request(HttpMethod.GET, "/apis/coordination.k8s.io/v1/leases/q");
    await Promise.all([urgent.then(answered("urgent")), queued.then(answered("queued")), ...burst]);
    // Its own connection's handshake lets some of the burst go by, not the most of it (without `urgent`: ≥ 144).
    assert.ok(order.indexOf("urgent") < 80, `the urgent request answered after ${order.indexOf("urgent")} others`);
    // It goes out with the burst's last 16 at the earliest.
    assert.ok(order.indexOf("queued") >= 160 - REQUEST_CONNECTIONS, "the same request without `urgent` waits its turn");
  });

  it("sends each request's body with its length, a DELETE's too, and the connection serves the next request", async () => {
    const client = new KubeClient(
      loadKubeConfig(write("bodies.kubeconfig", kubeconfig(verified(), pairData(ca.issue("bodies"))))),
    );
    type Seen = { method: string; path: string; length?: string; body: string };
    await client.delete("/api/v1/namespaces/default/configmaps/c");
    const created = await client.request<Seen>(HttpMethod.POST, "/api/v1/namespaces/default/configmaps", {
      body: '{"kind":"ConfigMap"}',
      contentType: "application/json",
    });
    assert.deepEqual(
      { method: created.method, length: created.length, body: created.body },
      { method: "POST", length: "20", body: '{"kind":"ConfigMap"}' },
    );
    const deleted = await client.request<Seen>(HttpMethod.DELETE, "/api/v1/namespaces/default/configmaps/c", {
      body: '{"propagationPolicy":"Background"}',
      contentType: "application/json",
    });
    assert.deepEqual(
      { method: deleted.method, length: deleted.length, body: deleted.body },
      { method: "DELETE", length: "34", body: '{"propagationPolicy":"Background"}' },
    );
    // Without the length the DELETE's body was read as the start of the next request on the same connection.
    const next = await client.request<Seen>(HttpMethod.GET, "/api/v1/namespaces/default/configmaps");
    assert.deepEqual(
      { method: next.method, path: next.path, body: next.body },
      {
        method: "GET",
        path: "/api/v1/namespaces/default/configmaps",
        body: "",
      },
    );
    assert.ok(connections.length <= 2, `${connections.length} TLS handshakes for 4 requests`);
  });

  it("picks up client certificate files rewritten on disk after a 401, on a new connection", async () => {
    const first = ca.issue("first");
    write("client.crt", first.cert);
    write("client.key", first.key);
    // Relative paths: resolved against the kubeconfig's directory.
    const kc = loadKubeConfig(
      write("files.kubeconfig", kubeconfig(verified(), "client-certificate: client.crt, client-key: client.key")),
    );
    const client = new KubeClient(kc);
    const agent = kc.dispatcher("bounded");
    assert.equal((await client.request<{ cn: string }>(HttpMethod.GET, "/version")).cn, "first");
    assert.equal((await client.request<{ cn: string }>(HttpMethod.GET, "/version")).cn, "first");
    const second = ca.issue("second");
    write("client.crt", second.cert);
    write("client.key", second.key);
    // Not read per request: the same identity until the API server refuses it.
    assert.equal((await client.request<{ cn: string }>(HttpMethod.GET, "/version")).cn, "first");
    refused.add("first");
    assert.equal((await client.request<{ cn: string }>(HttpMethod.GET, "/version")).cn, "second");
    assert.notEqual(kc.dispatcher("bounded"), agent, "a new Agent for the new identity");
    const runs = connections.filter((cn, i) => cn !== connections[i - 1]);
    assert.deepEqual(runs, ["first", "second"], `connections: ${connections.join(", ")}`);
  });

  it("keeps the Agent when reloading finds the same identity", async () => {
    const kc = loadKubeConfig(write("same.kubeconfig", kubeconfig(verified(), pairData(ca.issue("same")))));
    const agent = kc.dispatcher("bounded");
    assert.equal(await kc.reload(), false);
    assert.equal(kc.dispatcher("bounded"), agent);
  });

  it("frees the connection of a 401 whose reload fails: more of them than REQUEST_CONNECTIONS do not stall the client", async () => {
    const pair = ca.issue("broken-later");
    const path = write("broken-later.kubeconfig", kubeconfig(verified(), pairData(pair)));
    const client = new KubeClient(loadKubeConfig(path));
    assert.equal((await client.request<{ cn: string }>(HttpMethod.GET, "/version")).cn, "broken-later");
    // The source breaks (a certificate without its key) and the API server refuses the identity in use.
    write("broken-later.kubeconfig", kubeconfig(verified(), `client-certificate-data: ${b64(pair.cert)}`));
    refused.add("broken-later");
    const start = Date.now();
    for (let i = 0; i < REQUEST_CONNECTIONS + 4; i++) {
      // Without reading the refused answer's body, each would hold a connection until our idle timeout (300 s) or
      // the server closes it (this one: node's keepAliveTimeout, 5 s).
      await assert.rejects(client.request(HttpMethod.GET, `/refused/${i}`), /client-key: missing/);
    }
    refused.delete("broken-later");
    assert.equal((await client.request<{ cn: string }>(HttpMethod.GET, "/version")).cn, "broken-later");
    const ms = Date.now() - start;
    assert.ok(ms < 3_000, `${REQUEST_CONNECTIONS + 5} requests took ${ms} ms: connections were held`);
  });

  it("answers a 401 that reloading does not change with KubeApiError (no second try)", async () => {
    const client = new KubeClient(
      loadKubeConfig(write("refused.kubeconfig", kubeconfig(verified(), pairData(ca.issue("gone"))))),
    );
    refused.add("gone");
    await assert.rejects(client.request(HttpMethod.GET, "/version"), (e: KubeApiError) => e.status === 401);
  });

  it("reads a rotated tokenFile again after a 401", async () => {
    write("token", "old-token\n");
    const client = new KubeClient(
      loadKubeConfig(write("token.kubeconfig", kubeconfig(verified(), "tokenFile: token"))),
    );
    assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer old-token");
    write("token", "new-token\n");
    refused.add("Bearer old-token");
    assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer new-token");
  });

  /**
   * Writes `plugin.sh` beside the kubeconfigs: it counts its runs in `plugin.runs`, keeps KUBERNETES_EXEC_INFO in
   * `plugin.info`, sleeps the seconds in `plugin.sleep` and prints an ExecCredential with the token in
   * `plugin.token` (expiring at the time in `plugin.expiry`, when set).
   */
  const writePlugin = (token: string, expiry?: string): void => {
    write("plugin.token", token);
    write("plugin.expiry", expiry ?? "");
    write("plugin.sleep", "0");
    write(
      "plugin.sh",
      `#!/bin/sh
d=$(dirname "$0")
echo run >> "$d/plugin.runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/plugin.info"
[ -n "$FAIL" ] && { echo "no credentials for $FAIL" >&2; exit 3; }
sleep "$(cat "$d/plugin.sleep")"
expiry=$(cat "$d/plugin.expiry")
[ -n "$expiry" ] && expires=',"expirationTimestamp":"'"$expiry"'"'
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"%s}}' "$(cat "$d/plugin.token")" "$expires"
`,
    );
    chmodSync(join(dir, "plugin.sh"), 0o755);
    write("plugin.runs", "");
  };
  const pluginRuns = (): number => readFileSync(join(dir, "plugin.runs"), "utf8").split("\n").filter(Boolean).length;
  const execUser = (extra = ""): string =>
    `exec: { apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, interactiveMode: Never${extra} }`;

  it("sends an exec plugin's token, runs it once per token lifetime and again after a 401", async () => {
    writePlugin("plugin-one");
    const client = new KubeClient(
      loadKubeConfig(write("exec.kubeconfig", kubeconfig(verified(), execUser(", provideClusterInfo: true")))),
    );
    for (let i = 0; i < 3; i++)
      assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer plugin-one");
    assert.equal(pluginRuns(), 1);
    const info = JSON.parse(readFileSync(join(dir, "plugin.info"), "utf8")) as {
      kind: string;
      spec: { interactive: boolean; cluster?: { server: string; "certificate-authority-data"?: string } };
    };
    assert.equal(info.kind, "ExecCredential");
    assert.equal(info.spec.interactive, false);
    assert.equal(info.spec.cluster?.server, `https://127.0.0.1:${port}`);
    assert.equal(info.spec.cluster?.["certificate-authority-data"], b64(ca.cert));
    write("plugin.token", "plugin-two");
    refused.add("Bearer plugin-one");
    assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer plugin-two");
    assert.equal(pluginRuns(), 2);
  });

  it("runs an exec plugin again once its token expired; a failing plugin's error names it and its stderr", async () => {
    writePlugin("short-lived", new Date(Date.now() - 1000).toISOString());
    const client = new KubeClient(loadKubeConfig(write("expired.kubeconfig", kubeconfig(verified(), execUser()))));
    await client.request(HttpMethod.GET, "/version");
    await client.request(HttpMethod.GET, "/version");
    assert.equal(pluginRuns(), 2);
    const failing = new KubeClient(
      loadKubeConfig(
        write("failing.kubeconfig", kubeconfig(verified(), execUser(", env: [{ name: FAIL, value: ann }]"))),
      ),
    );
    await assert.rejects(failing.request(HttpMethod.GET, "/version"), (e: Error) => {
      assert.match(
        e.message,
        /failing\.kubeconfig: users\[name=u\]\.user\.exec: command: .*plugin\.sh failed: no credentials for ann/,
      );
      return true;
    });
  });

  /** The longest gap between ticks of a 10 ms interval while `work` runs, and how long it ran (ms). */
  const loopGaps = async (work: () => Promise<unknown>): Promise<{ maxGap: number; took: number }> => {
    let last = performance.now();
    let maxGap = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const start = performance.now();
    try {
      await work();
    } finally {
      clearInterval(tick);
    }
    const end = performance.now();
    return { maxGap: Math.max(maxGap, end - last), took: end - start };
  };

  it("runs an exec plugin without blocking the event loop while it sleeps", async () => {
    writePlugin("slow-token");
    write("plugin.sleep", "1");
    const client = new KubeClient(loadKubeConfig(write("slow.kubeconfig", kubeconfig(verified(), execUser()))));
    let auth = "";
    const { maxGap, took } = await loopGaps(async () => {
      auth = (await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth;
    });
    assert.equal(auth, "Bearer slow-token");
    assert.ok(took >= 900, `the request waited for the plugin's 1 s sleep (${took.toFixed(0)} ms)`);
    // A synchronous run (execFileSync) stops every timer for the whole second.
    assert.ok(maxGap < 500, `the event loop stalled ${maxGap.toFixed(0)} ms while the plugin ran`);
    assert.equal(pluginRuns(), 1);
  });

  it("sends the cached token while the plugin runs again in the background before the token expires", async () => {
    // Expires within EXEC_REFRESH_AHEAD_MS: a request after the first starts a background run.
    writePlugin("first-token", new Date(Date.now() + EXEC_REFRESH_AHEAD_MS / 2).toISOString());
    const client = new KubeClient(loadKubeConfig(write("ahead.kubeconfig", kubeconfig(verified(), execUser()))));
    assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer first-token");
    write("plugin.token", "second-token");
    write("plugin.expiry", new Date(Date.now() + 3_600_000).toISOString());
    write("plugin.sleep", "1");
    let auth = "";
    const { took } = await loopGaps(async () => {
      auth = (await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth;
    });
    assert.equal(auth, "Bearer first-token", "the still valid token, not waiting for the plugin");
    assert.ok(took < 900, `the request did not wait for the plugin's 1 s sleep (${took.toFixed(0)} ms)`);
    assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer first-token");
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const r = await client.request<{ auth: string }>(HttpMethod.GET, "/version");
      if (r.auth === "Bearer second-token") break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.equal((await client.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer second-token");
    assert.equal(pluginRuns(), 2, "one background run, however many requests came meanwhile");
  });

  it("sends a token, or basic credentials", async () => {
    const token = new KubeClient(loadKubeConfig(write("t.kubeconfig", kubeconfig(verified(), "token: abc"))));
    assert.equal((await token.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer abc");
    const basic = new KubeClient(
      loadKubeConfig(write("b.kubeconfig", kubeconfig(verified(), "username: ann, password: 's3:cret'"))),
    );
    assert.equal(
      (await basic.request<{ auth: string }>(HttpMethod.GET, "/version")).auth,
      `Basic ${b64("ann:s3:cret")}`,
    );
  });

  it("verifies the server against tls-server-name; skips verification only when told", async () => {
    const noName = `server: "https://127.0.0.1:${port}", certificate-authority-data: ${b64(ca.cert)}`;
    const wrongName = new KubeClient(loadKubeConfig(write("n.kubeconfig", kubeconfig(noName, "token: x"))));
    await assert.rejects(wrongName.request(HttpMethod.GET, "/version"), (e) => /altnames/.test(describeError(e)));
    const noCa = `server: "https://127.0.0.1:${port}", tls-server-name: kube.example`;
    const untrusted = new KubeClient(loadKubeConfig(write("u.kubeconfig", kubeconfig(noCa, "token: x"))));
    await assert.rejects(untrusted.request(HttpMethod.GET, "/version"), (e) =>
      /unable to verify|self-signed/.test(describeError(e)),
    );
    const skip = `server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true`;
    const skipping = new KubeClient(loadKubeConfig(write("s.kubeconfig", kubeconfig(skip, "token: x"))));
    assert.equal((await skipping.request<{ auth: string }>(HttpMethod.GET, "/version")).auth, "Bearer x");
  });
});
