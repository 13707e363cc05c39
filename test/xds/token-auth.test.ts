/**
 * Service-account token authentication of xDS streams (GatewayNamespace mode), with real Envoy: the bootstrap's
 * credential injector sends the projected token file's content on the xDS stream; the server serves the node
 * only when the reviewed token is the node's service account's; after the token file is rotated the way the
 * kubelet does (a `..data` swap), a reconnect sends the new token; a token of another namespace's service
 * account, and a stream with no token, are refused with their gRPC status and a log line. The API server's
 * review is a table here (the Kubernetes tier, e2e/test/helm-gateway-namespace.test.ts, asks a real one).
 */
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { writeAtomicVolume } from "../../e2e/harness/atomic-writer";
import { buildBootstrap } from "../../operator/src/infra/bootstrap";
import { xdsTokenSdsFile } from "../../operator/src/infra/bootstrap-xds-token";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { XdsServer, serviceAccountTokenAuthorizer } from "../../operator/src/xds/server";
import { judgeTokenReview, type TokenReviewStatus } from "../../operator/src/xds/server/token-auth";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort } from "../support/http";
import { tryNodeStream } from "../support/xds-stream";

const NODE = "team-a/eg";
const AUDIENCE = "envoy-gateway.envoy-gateway-system.svc.cluster.local";

/** What the API server would answer for each token. */
function reviewed(namespace: string, name: string): TokenReviewStatus {
  return {
    authenticated: true,
    audiences: [AUDIENCE],
    user: {
      username: `system:serviceaccount:${namespace}:${name}`,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
    },
  };
}

describe("xDS service-account token authentication (real Envoy)", function () {
  this.timeout(60_000);
  const tokens = new Map<string, TokenReviewStatus>([
    ["token-1", reviewed("team-a", "eg")],
    ["token-2", reviewed("team-a", "eg")],
    ["intruder", reviewed("team-b", "eg")],
  ]);
  const seen: string[] = [];
  const logs: string[] = [];
  let server: XdsServer;
  let port: number;
  let dir: string;
  let envoy: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "egts-xds-token-"));
    const cache = new XdsCache();
    cache.setNode(NODE, new Map()); // an empty configuration: a wildcard CDS request gets an answer at once
    server = new XdsServer(cache, { logger: (_l, msg, f) => void logs.push(`${msg} ${JSON.stringify(f)}`) });
    const authorizeNode = serviceAccountTokenAuthorizer({
      audience: AUDIENCE,
      serviceAccountOf: (nodeId) => (nodeId === NODE ? { namespace: "team-a", name: "eg" } : undefined),
      review: (token, audience) => {
        seen.push(token);
        assert.equal(audience, AUDIENCE);
        return Promise.resolve(tokens.get(token) ?? { authenticated: false, error: "invalid bearer token" });
      },
    });
    port = await server.start("127.0.0.1:0", { authorizeNode });
  });
  after(async () => {
    envoy?.kill("SIGKILL");
    await server?.stop(0);
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts Envoy for NODE with the projected-token layout of a proxy pod under `dir`. */
  async function startEnvoy(token: string): Promise<void> {
    const tokenDir = join(dir, "token");
    writeAtomicVolume(tokenDir, { "sa-token": { content: Buffer.from(token), mode: 0o644 } });
    const sdsPath = join(dir, "xds_service_account_token.json");
    await writeFile(sdsPath, xdsTokenSdsFile(join(tokenDir, "sa-token")));
    const bootstrap = buildBootstrap({
      nodeId: NODE,
      xdsHost: "127.0.0.1",
      xdsPort: port,
      adminPort: await freePort(),
      xdsToken: { tokenFile: join(tokenDir, "sa-token"), sdsPath },
    });
    await writeFile(join(dir, "bootstrap.json"), JSON.stringify(bootstrap));
    envoy = spawn(requireEnvoy(), ["-c", join(dir, "bootstrap.json"), "--use-dynamic-base-id"], { stdio: "ignore" });
  }

  it("serves Envoy presenting its service account's token, and the rotated token after a reconnect", async () => {
    await startEnvoy("token-1");
    await eventually(async () => server.streamsOf(NODE).length === 1, 20_000, "Envoy's stream accepted");
    assert.deepEqual(seen, ["token-1"], "the token file's content, reviewed once");
    writeAtomicVolume(join(dir, "token"), { "sa-token": { content: Buffer.from("token-2"), mode: 0o644 } });
    await new Promise((r) => setTimeout(r, 500)); // Envoy's file watch reloads the secret
    for (const s of server.streamsOf(NODE)) s.end();
    await eventually(async () => seen.includes("token-2"), 20_000, `the rotated token sent (seen ${seen.join(",")})`);
    await eventually(async () => server.streamsOf(NODE).length === 1, 20_000, "Envoy's new stream accepted");
  });

  it("refuses another namespace's service account (PERMISSION_DENIED) and a stream without a token", async () => {
    const refusedBefore = server.stats().refused;
    envoy?.kill("SIGKILL");
    await startEnvoy("intruder");
    await eventually(async () => server.stats().refused > refusedBefore, 20_000, "the intruder's stream refused");
    assert.equal(server.streamsOf(NODE).length, 0, "no stream serves the node");
    const line = logs.find((l) => l.startsWith("xds stream refused") && l.includes("team-b/eg"));
    assert.ok(line?.includes("PERMISSION_DENIED"), `logged with its status: ${line}`);
    envoy?.kill("SIGKILL");
    envoy = undefined;
    const plain = { address: `127.0.0.1:${port}`, credentials: grpc.credentials.createInsecure() };
    const none = await tryNodeStream(plain, NODE);
    assert.equal(none.code, grpc.status.UNAUTHENTICATED, `no authorization header: ${none.details}`);
    assert.ok(logs.some((l) => l.includes("missing authorization header for node team-a/eg")));
    const ok = await tryNodeStream({ ...plain, authorization: "Bearer token-1" }, NODE);
    assert.equal(ok.code, grpc.status.OK, `a Bearer token is accepted too: ${ok.details}`);
  });
});

describe("xDS token review decisions (judgeTokenReview)", () => {
  const expected = { namespace: "team-a", name: "eg" };
  const judge = (status: TokenReviewStatus): string =>
    judgeTokenReview(NODE, status, AUDIENCE, expected)?.reason ?? "granted";

  it("grants the node's own service account only", () => {
    assert.equal(judge(reviewed("team-a", "eg")), "granted");
    assert.match(judge(reviewed("team-a", "other")), /service account team-a\/other may not fetch node team-a\/eg/);
    assert.match(judge(reviewed("team-b", "eg")), /service account team-b\/eg may not fetch/);
  });

  it("refuses unauthenticated tokens, other audiences and users that are not service accounts", () => {
    assert.equal(
      judge({ authenticated: false, error: "token expired" }),
      "the token is not authenticated: token expired",
    );
    assert.equal(
      judge({ ...reviewed("team-a", "eg"), audiences: ["https://kubernetes.default.svc"] }),
      `the token is not for audience ${AUDIENCE}`,
    );
    const user = { username: "system:serviceaccount:team-a:eg", groups: ["system:authenticated"] };
    assert.equal(
      judge({ authenticated: true, user }),
      "the token is not a service account's",
      "no serviceaccounts group",
    );
    const admin = { username: "admin", groups: ["system:serviceaccounts"] };
    assert.equal(judge({ authenticated: true, user: admin }), "the token is not a service account's");
    const extra = { username: "system:serviceaccount:team-a:eg:x", groups: ["system:serviceaccounts"] };
    assert.equal(judge({ authenticated: true, user: extra }), "the token is not a service account's");
  });
});
