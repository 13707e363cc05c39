/**
 * Global rate limiting in a cluster, as Envoy Gateway does it: the Helm chart installed with
 * `config.envoyGateway.rateLimit` (a real redis-server on the node address) deploys the rate limit service
 * `envoy-ratelimit` (envoyproxy/ratelimit, run by the simulated kubelet from `bash scripts/install-ratelimit.sh`'s
 * binary) with the `envoy-rate-limit` certificate from certgen; the controller serves it its configuration over
 * mTLS xDS on 18001, and the proxy calls it over mTLS with its own xDS client certificate. A BackendTrafficPolicy
 * with a global limit of 3 per minute per `x-user`: 3 requests pass through the Gateway's address, the 4th gets
 * 429 with X-RateLimit-* headers, another user still passes, and the counters are in Redis.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { proxyObjectName } from "../../constructs/names";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, httpGet, type HttpResult } from "../../test/support/http";
import { ratelimitBinary, startRedis, type TestRedis } from "../../test/support/ratelimit";
import {
  echoRouteYaml,
  gatewayAddress,
  gatewayYaml,
  hostServiceYaml,
  podFetch,
  run,
  SimulatedKubelet,
  startKubeCluster,
  testKubelet,
  type KubeCluster,
} from "../harness";

const REPO = resolve(__dirname, "../../..");
const NS = "envoy-gateway-system";
const LIMIT = 3;

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const POLICY = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: per-user, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{ headers: [{ name: x-user, type: Distinct }] }]
          limit: { requests: ${LIMIT}, unit: Minute }
`;

/**
 * Whether a TLS client (trusting `ca`, checking `servername`, offering h2, presenting `cert` if given) keeps its
 * connection to `ip`:`port` for a second after the handshake ("open") or is dropped ("refused": a server that
 * requires a client certificate rejects TLS 1.3 clients right after their Finished).
 */
function tlsOutcome(
  ip: string,
  port: number,
  servername: string,
  ca: string,
  cert?: { cert: string; key: string },
): Promise<"open" | "refused"> {
  return new Promise((resolve_) => {
    const socket = tlsConnect({ host: ip, port, servername, ca, ALPNProtocols: ["h2"], ...cert });
    let done = false;
    const finish = (outcome: "open" | "refused"): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve_(outcome);
    };
    socket.on("error", () => finish("refused"));
    socket.on("close", () => finish("refused"));
    socket.on("secureConnect", () => setTimeout(() => finish("open"), 1000));
  });
}

describe("global rate limiting in Kubernetes: the chart's envoy-ratelimit, Redis, mTLS (Kubernetes tier)", function () {
  this.timeout(240_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;
  let echo: EchoBackend;
  let redis: TestRedis;
  let address = "";
  const helm = (args: string[]): Promise<string> =>
    run(cluster.tools.helm, args, { env: cluster.toolEnv(), timeoutMs: 200_000 }).then((r) => r.stdout);
  const get = (user: string): Promise<HttpResult> =>
    httpGet(80, "www.example.com", "/", { address, headers: { "x-user": user } });

  before(async () => {
    ratelimitBinary(); // fails naming `bash scripts/install-ratelimit.sh` when it is missing
    cluster = await startKubeCluster();
    redis = await startRedis(cluster.nodeAddress);
    echo = await startEchoBackend({ name: "rl-echo", host: cluster.nodeAddress });
    kubelet = testKubelet(cluster, [NS]);
    kubelet.start();
    const set = (kv: string): string[] => ["--set", kv];
    await helm([
      "install",
      "egts",
      join(REPO, "helm", "egts"),
      "-n",
      NS,
      "--create-namespace",
      ...set("config.envoyGateway.rateLimit.backend.type=Redis"),
      ...set(`config.envoyGateway.rateLimit.backend.redis.url=${redis.url}`),
      ...set("config.envoyGateway.rateLimit.timeout=1s"),
      "--wait",
      "--timeout",
      "3m",
    ]);
  });

  after(async () => {
    await kubelet?.stop();
    await echo?.close();
    await redis?.stop();
    await cluster?.stop();
  });

  it("issued the envoy-rate-limit Secret for the Service's name from the controller's CA, and runs envoy-ratelimit", async () => {
    type Secret = { data?: Record<string, string> };
    const decode = (s: Secret, key: string): string => Buffer.from(s.data?.[key] ?? "", "base64").toString("utf8");
    const rl = await cluster.kubectlJson<Secret>(["get", "secret", "envoy-rate-limit", "-n", NS]);
    const eg = await cluster.kubectlJson<Secret>(["get", "secret", "envoy-gateway", "-n", NS]);
    assert.equal(rl.data?.["ca.key"], undefined, "the CA key stays in envoy-gateway");
    const cert = new X509Certificate(decode(rl, "tls.crt"));
    assert.match(cert.subjectAltName ?? "", new RegExp(`DNS:envoy-ratelimit\\.${NS}\\.svc\\.cluster\\.local`));
    assert.ok(cert.verify(new X509Certificate(decode(eg, "ca.crt")).publicKey), "signed by envoy-gateway's CA");
    const deploy = await cluster.kubectlJson<{ status?: { availableReplicas?: number } }>([
      "get",
      "deployment",
      "envoy-ratelimit",
      "-n",
      NS,
    ]);
    assert.equal(deploy.status?.availableReplicas, 1);
    assert.ok(
      kubelet.started.some((p) => p.startsWith(`${NS}/envoy-ratelimit-`)),
      kubelet.started.join(", "),
    );
  });

  it(`lets ${LIMIT} requests per minute of a user through the Gateway, then answers 429 with X-RateLimit-*`, async () => {
    const yaml = [
      gatewayYaml("eg", "[{ name: http, protocol: HTTP, port: 80 }]", { className: "envoy" }),
      hostServiceYaml("echo", 80, cluster.nodeAddress, echo.port),
      echoRouteYaml("web", "www.example.com"),
      POLICY,
    ].join("---\n");
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: yaml });
    const accepted = async (): Promise<Cond | undefined> => {
      const p = await cluster.kubectlJson<{ status?: { ancestors?: { conditions?: Cond[] }[] } }>([
        "get",
        "backendtrafficpolicy",
        "per-user",
        "-n",
        "default",
      ]);
      return p.status?.ancestors?.[0]?.conditions?.find((c) => c.type === "Accepted");
    };
    await eventually(async () => (await accepted())?.status === "True", 60_000, "the policy Accepted");
    address = await gatewayAddress(cluster, "eg", { loadBalancer: true });
    // Ready when the service answers for the route: a limit header (each probe is a user of its own).
    let probes = 0;
    await eventually(
      async () => {
        const r = await get(`probe-${probes++}`);
        return r.status === 200 && r.headers["x-ratelimit-limit"] !== undefined;
      },
      90_000,
      `the rate limit service answering for the route through ${address}:80`,
    );
    // The window is the wall-clock minute: do not start the run in its last two seconds.
    const second = new Date().getUTCSeconds();
    if (second >= 58) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    for (let i = 1; i <= LIMIT; i++) {
      const r = await get("alice");
      assert.equal(r.status, 200, `request ${i} of alice`);
      assert.equal(r.headers["x-ratelimit-remaining"], String(LIMIT - i), `request ${i}: X-RateLimit-Remaining`);
    }
    const over = await get("alice");
    assert.equal(over.status, 429, `request ${LIMIT + 1} of alice`);
    assert.match(String(over.headers["x-ratelimit-limit"]), new RegExp(`^${LIMIT}\\b`));
    assert.equal(over.headers["x-ratelimit-remaining"], "0");
    assert.equal((await get("bob")).status, 200, "another user has a budget of their own");
    assert.ok(redis.cli(["--scan"]).trim() !== "", "the counters are in Redis");
  });

  it("certgen keeps both Secrets when run again; on upgrade it signs a missing envoy-rate-limit with the kept CA", async () => {
    type Secret = { data?: Record<string, string> };
    const secret = (name: string): Promise<Secret> => cluster.kubectlJson<Secret>(["get", "secret", name, "-n", NS]);
    const certgen = (): Promise<string> =>
      run(process.execPath, [
        join(REPO, "bin", "egts.js"),
        "certgen",
        "--namespace",
        NS,
        "--kubeconfig",
        cluster.kubeconfig,
      ]).then((r) => r.stdout);
    const eg = await secret("envoy-gateway");
    const rl = await secret("envoy-rate-limit");
    const kept = await certgen();
    assert.match(kept, /envoy-gateway exists; left as is/);
    assert.match(kept, /envoy-rate-limit exists; left as is/);
    assert.deepEqual((await secret("envoy-rate-limit")).data, rl.data);
    // An upgrade from a release without it: the pre-upgrade certgen Job, with the chart's RBAC (create Secrets,
    // get envoy-gateway), issues it from the kept CA.
    await cluster.kubectl(["delete", "secret", "envoy-rate-limit", "-n", NS]);
    await helm([
      "upgrade",
      "egts",
      join(REPO, "helm", "egts"),
      "-n",
      NS,
      "--reuse-values",
      "--wait",
      "--timeout",
      "2m",
    ]);
    assert.deepEqual((await secret("envoy-gateway")).data, eg.data, "envoy-gateway untouched");
    const issued = await secret("envoy-rate-limit");
    const pem = (s: Secret, key: string): string => Buffer.from(s.data?.[key] ?? "", "base64").toString("utf8");
    assert.equal(pem(issued, "ca.crt"), pem(eg, "ca.crt"));
    assert.ok(new X509Certificate(pem(issued, "tls.crt")).verify(new X509Certificate(pem(eg, "ca.crt")).publicKey));
  });

  it("refuses a client without a certificate of the CA on both legs: the controller's 18001 and the service's 8081", async () => {
    type Secret = { data?: Record<string, string> };
    const rl = await cluster.kubectlJson<Secret>(["get", "secret", "envoy-rate-limit", "-n", NS]);
    const pem = (key: string): string => Buffer.from(rl.data?.[key] ?? "", "base64").toString("utf8");
    const ca = pem("ca.crt");
    const own = { cert: pem("tls.crt"), key: pem("tls.key") };
    // The pod of a Deployment (its ReplicaSet's hash, then the pod's suffix: not the certgen Job's pod).
    const podAddress = (deployment: string): string => {
      const pod = kubelet.started.find((p) => new RegExp(`^${NS}/${deployment}-[a-z0-9]{8,10}-[a-z0-9]{5}$`).test(p));
      const ip = pod && kubelet.podIp(pod);
      assert.ok(ip, `a running ${deployment} pod in ${kubelet.started.join(", ")}`);
      return ip;
    };
    const legs = [
      { ip: podAddress("envoy-gateway"), port: 18001, name: `envoy-gateway.${NS}.svc.cluster.local` },
      { ip: podAddress("envoy-ratelimit"), port: 8081, name: `envoy-ratelimit.${NS}.svc.cluster.local` },
    ];
    for (const leg of legs) {
      const where = `${leg.name}:${leg.port}`;
      assert.equal(await tlsOutcome(leg.ip, leg.port, leg.name, ca), "refused", `${where} without a certificate`);
      assert.equal(await tlsOutcome(leg.ip, leg.port, leg.name, ca, own), "open", `${where} with envoy-rate-limit's`);
    }
  });

  it("calls the rate limit service over TLS from the proxy (its ratelimit_cluster handshakes)", async () => {
    const pod = kubelet.started.find((p) => p.startsWith(`${NS}/${proxyObjectName("default", "eg")}-`));
    assert.ok(pod, "the proxy pod");
    const stats = await podFetch(
      kubelet,
      pod,
      "http://127.0.0.1:19000/stats?filter=^cluster\\.ratelimit_cluster\\.ssl\\.handshake$",
    );
    const handshakes = Number(/ssl\.handshake: (\d+)/.exec(stats)?.[1] ?? 0);
    assert.ok(handshakes >= 1, stats);
  });
});
