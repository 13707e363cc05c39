/**
 * The pod network (every cluster's): pods that really run, each in its own network
 * namespace with its own address, Services and LoadBalancer addresses that reach their ready endpoints
 * (TCP and UDP), EndpointSlices with the pod IPs, Secret volume items, `kubectl logs` through the API
 * server and the kubelet's HTTPS endpoint, cluster DNS that Envoy's own resolver uses, and binding to the node.
 * Real processes throughout: echo-basic (the conformance backend), Envoy, kube-apiserver and the
 * controller manager's EndpointSlice controller.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { CONTROLLER_DEFAULTS } from "../../operator/src/config/controller-defaults";
import { eventually } from "../../test/support/http";
import {
  POD_NETWORK,
  PodNetwork,
  requireEchoBasic,
  run,
  SIMULATED_NODE,
  SimulatedKubelet,
  startKubeCluster,
  testKubelet,
  type KubeCluster,
} from "../harness";

const NS = "podnet";
const REPO = resolve(__dirname, "../../..");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status?: { podIP?: string; hostIP?: string; conditions?: { type: string; status: string }[] };
}
interface Service {
  spec: { clusterIP: string };
  status?: { loadBalancer?: { ingress?: { ip: string }[] } };
}
interface Slice {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

/** An echo-basic Deployment and its Service (`type`, port 8080 → the container's named port `http`). */
function echoYaml(name: string, opts: { replicas: number; type?: string; env?: string; protocol?: string }): string {
  const protocol = opts.protocol ?? "TCP";
  const containerPort = protocol === "UDP" ? 8080 : 3000;
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${NS} }
spec:
  replicas: ${opts.replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: echo
          image: registry.k8s.io/gateway-api/conformance/echo-basic:v0.1.0
          ports: [{ name: serve, containerPort: ${containerPort}, protocol: ${protocol} }]
          env:
            - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
            - { name: NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
${opts.env ?? ""}
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${NS} }
spec:
  type: ${opts.type ?? "ClusterIP"}
  selector: { app: ${name} }
  ports: [{ name: serve, protocol: ${protocol}, port: 8080, targetPort: serve }]
`;
}

/** GET http://ip:port/path from the host on a new connection; the echo's JSON (pod name …) or undefined. */
function echo(
  ip: string,
  port: number,
  path = "/",
  headers: Record<string, string> = {},
): Promise<{ pod: string; path: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port, path, headers, agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as { pod: string; path: string }) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** One UDP datagram to ip:port; the reply, or undefined after 1 s. */
function udpEcho(ip: string, port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    const done = (v: string | undefined): void => {
      clearTimeout(timer);
      s.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), 1000);
    s.on("message", (m) => done(m.toString()));
    s.on("error", () => done(undefined));
    s.send(text, port, ip);
  });
}

describe("pod network cleanup (ip netns, bridge, iptables)", function () {
  this.timeout(60_000);
  const sh = (script: string): string => execFileSync("sh", ["-c", script], { stdio: "pipe" }).toString();

  it("removes what a crashed run left at start, and everything it made (restoring ip_forward) on destroy", async function () {
    const ipForward = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
    // A crashed run's leftovers: a pod namespace, the bridge, a Service chain jumped to from OUTPUT.
    sh(
      `ip netns add ${POD_NETWORK.netnsPrefix}77 && ip link add ${POD_NETWORK.bridge} type bridge && ` +
        "iptables -t nat -N EGTS-SVC-STALE && iptables -t nat -I OUTPUT -j EGTS-SVC-STALE",
    );
    const net = await PodNetwork.create();
    try {
      assert.doesNotMatch(sh("ip netns list"), /egts-pod-77/);
      assert.doesNotMatch(sh("iptables -t nat -S"), /EGTS-SVC-STALE/);
      assert.match(sh("iptables -t nat -S"), /-A OUTPUT -j EGTS-SERVICES/);
      assert.equal(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(), "1");
      const pod = await net.addPod("uid-1");
      assert.equal(pod.ip, "198.18.0.2");
      assert.match(sh(`ip -n ${pod.netns} route`), /198\.18\.0\.0\/15 via 198\.18\.0\.1/);
      assert.doesNotMatch(sh(`ip -n ${pod.netns} route`), /default/, "no default route in a pod");
      // A freed address is not handed out again at once: other pods' ARP caches still hold its old MAC.
      await net.removePod("uid-1");
      assert.equal((await net.addPod("uid-2")).ip, "198.18.0.3", "round-robin, not lowest-free");
    } finally {
      await net.destroy();
    }
    assert.doesNotMatch(sh("ip netns list"), /egts-pod-/);
    assert.doesNotMatch(sh("ip link show"), new RegExp(`${POD_NETWORK.bridge}|${POD_NETWORK.vethPrefix}`));
    assert.doesNotMatch(sh("iptables -t nat -S; iptables -t filter -S"), /EGTS-/);
    assert.equal(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(), ipForward);
  });
});

describe("pod network (real kube-apiserver, echo-basic and Envoy pods)", function () {
  this.timeout(240_000);
  let cluster: KubeCluster;
  let kubelet: SimulatedKubelet;

  const readyPods = async (app: string, count: number): Promise<Pod[]> => {
    let pods: Pod[] = [];
    await eventually(
      async () => {
        pods = (await cluster.kubectlJson<{ items: Pod[] }>(["get", "pods", "-n", NS, "-l", `app=${app}`])).items;
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
        return pods.length === count && ready.length === count;
      },
      60_000,
      `${count} ready ${app} pods`,
      250,
    );
    return pods;
  };

  before(async function () {
    requireEchoBasic();
    cluster = await startKubeCluster();
    kubelet = testKubelet(cluster, "all");
    kubelet.start();
    await cluster.kubectl(["create", "namespace", NS]);
  });

  after(async function () {
    await kubelet?.stop();
    await cluster?.stop();
  });

  it("runs two echo-basic pods on the same port, each on its own pod IP, bound to the node", async function () {
    await cluster.kubectl(["apply", "-f", "-"], { input: echoYaml("web", { replicas: 2, type: "LoadBalancer" }) });
    const pods = await readyPods("web", 2);
    const ips = pods.map((p) => p.status?.podIP ?? "");
    assert.equal(new Set(ips).size, 2, `two addresses: ${ips.join(", ")}`);
    for (const p of pods) {
      assert.match(p.status?.podIP ?? "", /^198\.18\./);
      assert.equal(p.status?.hostIP, POD_NETWORK.gateway);
      assert.equal(p.spec.nodeName, SIMULATED_NODE, "bound to the node");
      const answer = await echo(p.status?.podIP ?? "", 3000, "/mine");
      assert.equal(answer?.pod, p.metadata.name, "each pod answers on its own address, port 3000");
    }
    const started = [...kubelet.startTimes.entries()].filter(([k]) => k.startsWith(`${NS}/web-`));
    process.stderr.write(`      pod start (seen → Ready written): ${started.map(([, ms]) => `${ms} ms`).join(", ")}\n`);
  });

  it("finishes a deleted pod's deletion: the object is gone within seconds, not left Terminating", async function () {
    // Regression: the kubelet's final DELETE (grace period 0) went out with its body unsent (Node sends a
    // DELETE body neither chunked nor with a length), so pods stayed Terminating for good and the body,
    // read as the next request on the connection, made that request fail with "400 Bad Request".
    const [victim] = await readyPods("web", 2);
    const name = victim?.metadata.name ?? "";
    await cluster.kubectl(["delete", "pod", "-n", NS, name, "--wait=false"]);
    const t0 = Date.now();
    await eventually(
      async () => {
        const left = (await cluster.kubectlJson<{ items: Pod[] }>(["get", "pods", "-n", NS])).items;
        return !left.some((p) => p.metadata.name === name);
      },
      15_000,
      `pod ${name} removed (its grace period is 30 s)`,
      250,
    );
    process.stderr.write(`      deleted pod removed in ${Date.now() - t0} ms\n`);
    await readyPods("web", 2); // the ReplicaSet's replacement
  });

  it("lists the pod IPs in the Service's EndpointSlices and reaches both pods through the ClusterIP and the LoadBalancer IP", async function () {
    const pods = await readyPods("web", 2);
    const ips = pods.map((p) => p.status?.podIP ?? "").sort();
    await eventually(
      async () => {
        const slices = await cluster.kubectlJson<{ items: Slice[] }>([
          ...["get", "endpointslices", "-n", NS, "-l", "kubernetes.io/service-name=web"],
        ]);
        const listed = slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)).sort();
        return JSON.stringify(listed) === JSON.stringify(ips);
      },
      30_000,
      "the EndpointSlice lists both pod IPs",
      250,
    );
    const svc = await cluster.kubectlJson<Service>(["get", "service", "web", "-n", NS]);
    assert.match(svc.spec.clusterIP, /^198\.19\./);
    let lb = "";
    await eventually(
      async () => {
        const s = await cluster.kubectlJson<Service>(["get", "service", "web", "-n", NS]);
        lb = s.status?.loadBalancer?.ingress?.[0]?.ip ?? "";
        return lb !== "";
      },
      10_000,
      "a LoadBalancer ingress IP",
      250,
    );
    assert.match(lb, /^198\.19\.(1[2-9]\d|2\d\d)\./, "from 198.19.128.0/17");
    for (const address of [svc.spec.clusterIP, lb]) {
      const seen = new Set<string>();
      await eventually(
        async () => {
          const answer = await echo(address, 8080);
          if (answer) seen.add(answer.pod);
          return seen.size === 2;
        },
        20_000,
        `both pods answer through ${address}:8080`,
        50,
      );
      assert.deepEqual([...seen].sort(), pods.map((p) => p.metadata.name).sort());
    }
    const stats = cluster.network?.proxy.stats;
    process.stderr.write(`      kube-proxy: ${stats?.loads} rule loads, the last one ${stats?.lastLoadMs} ms\n`);
  });

  it("reaches a UDP echo-basic through its LoadBalancer IP", async function () {
    const env = '            - { name: UDP_ECHO_SERVER, value: "1" }';
    await cluster.kubectl(["apply", "-f", "-"], {
      input: echoYaml("udp", { replicas: 1, type: "LoadBalancer", protocol: "UDP", env }),
    });
    const [pod] = await readyPods("udp", 1);
    let lb = "";
    await eventually(
      async () => {
        lb =
          (await cluster.kubectlJson<Service>(["get", "service", "udp", "-n", NS])).status?.loadBalancer?.ingress?.[0]
            ?.ip ?? "";
        return lb !== "" && (await udpEcho(lb, 8080, "ping")) !== undefined;
      },
      30_000,
      "a UDP answer through the LoadBalancer IP",
      250,
    );
    const reply = JSON.parse((await udpEcho(lb, 8080, "hello")) ?? "{}") as { pod?: string };
    assert.equal(reply.pod, pod?.metadata.name);
  });

  it("projects Secret volume items at their paths and modes (echo-basic serves TLS with them)", async function () {
    const dir = mkdtempSync(join(tmpdir(), "podnet-tls-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
        ...["-subj", "/CN=tls.example.com", "-days", "1", "-keyout", join(dir, "key"), "-out", join(dir, "crt")],
      ],
      { stdio: "pipe" },
    );
    const [crt, key] = [readFileSync(join(dir, "crt"), "utf8"), readFileSync(join(dir, "key"), "utf8")];
    rmSync(dir, { recursive: true, force: true });
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "certs", namespace: NS } };
    await cluster.kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({ ...secret, stringData: { "tls.crt": crt, "tls.key": key, unused: "x" } }),
    });
    const env = [
      "            - { name: TLS_SERVER_CERT, value: /etc/secret-volume/crt }",
      "            - { name: TLS_SERVER_PRIVKEY, value: /etc/secret-volume/dir/key }",
      "          volumeMounts: [{ name: secret-volume, mountPath: /etc/secret-volume }]",
      "      volumes:",
      "        - name: secret-volume",
      "          secret:",
      "            secretName: certs",
      "            defaultMode: 0440",
      "            items: [{ key: tls.crt, path: crt }, { key: tls.key, path: dir/key, mode: 0400 }]",
    ].join("\n");
    await cluster.kubectl(["apply", "-f", "-"], { input: echoYaml("tls", { replicas: 1, env }) });
    const [pod] = await readyPods("tls", 1);
    const pid = kubelet.pid(`${NS}/${pod?.metadata.name ?? ""}`);
    assert.ok(pid, "the pod's process runs");
    // What the pod's own mount namespace shows at the mountPath.
    const inPod = (script: string): string =>
      execFileSync("nsenter", [`--target=${pid}`, "--mount", "sh", "-c", script]).toString();
    assert.equal(inPod("cat /etc/secret-volume/crt"), crt);
    assert.equal(inPod("cat /etc/secret-volume/dir/key"), key);
    assert.equal(inPod("stat -L -c %a /etc/secret-volume/crt /etc/secret-volume/dir/key"), "440\n400\n");
    assert.equal(inPod("ls /etc/secret-volume").split("\n").sort().join(" ").trim(), "crt dir", "only the items");
    // echo-basic loaded them: its HTTPS port presents that certificate.
    const ip = pod?.status?.podIP ?? "";
    let presented = "";
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = tlsConnect({ host: ip, port: 8443, rejectUnauthorized: false, timeout: 2000 }, () => {
            presented = socket.getPeerX509Certificate()?.toString() ?? "";
            socket.destroy();
            resolve(true);
          });
          socket.on("error", () => resolve(false));
        }),
      20_000,
      "echo-basic's HTTPS port",
      250,
    );
    assert.equal(presented, new X509Certificate(crt).toString());
  });

  it("serves a pod's output to `kubectl logs` through the API server (with --since-time)", async function () {
    const [pod] = await readyPods("web", 2);
    const name = pod?.metadata.name ?? "";
    assert.ok(await echo(pod?.status?.podIP ?? "", 3000, "/before-marker"));
    await sleep(1100);
    const since = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    await sleep(1100);
    assert.ok(await echo(pod?.status?.podIP ?? "", 3000, "/after-marker"));
    const all = await cluster.kubectl(["logs", "-n", NS, name, "-c", "echo"]);
    assert.match(all, /Echoing back request made to \/before-marker/);
    assert.match(all, /Echoing back request made to \/after-marker/);
    const recent = await cluster.kubectl(["logs", "-n", NS, name, `--since-time=${since}`, "--timestamps"]);
    assert.match(recent, /^\d{4}-\d\d-\d\dT[\d:.]+Z Echoing back request made to \/after-marker to client/m);
    assert.doesNotMatch(recent, /before-marker/);
    const tail = await cluster.kubectl(["logs", "-n", NS, name, "--tail=1"]);
    assert.equal(tail.trim().split("\n").length, 1);
  });

  it("resolves <svc>.<ns>.svc.cluster.local in a pod: Envoy's own DNS resolver reaches a Service by name", async function () {
    const bootstrap = `static_resources:
  listeners:
    - name: in
      address: { socket_address: { address: 0.0.0.0, port_value: 10000 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: in
                route_config:
                  virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: web } }] }]
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
    - name: web
      type: STRICT_DNS
      dns_lookup_family: V4_ONLY
      load_assignment:
        cluster_name: web
        endpoints:
          - lb_endpoints:
              - endpoint: { address: { socket_address: { address: web.${NS}.svc.cluster.local, port_value: 8080 } } }
`;
    await cluster.kubectl(["create", "configmap", "envoy-dns", "-n", NS, `--from-literal=envoy.yaml=${bootstrap}`]);
    await cluster.kubectl(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Pod
metadata: { name: envoy-dns, namespace: ${NS}, labels: { app: envoy-dns } }
spec:
  containers:
    - name: envoy
      image: ${CONTROLLER_DEFAULTS.envoyImage}
      args: ["-c", "/etc/envoy/envoy.yaml", "--log-level", "warn"]
      volumeMounts: [{ name: config, mountPath: /etc/envoy }]
      readinessProbe: { tcpSocket: { port: 10000 } }
  volumes: [{ name: config, configMap: { name: envoy-dns } }]
`,
    });
    const [pod] = await readyPods("envoy-dns", 1);
    const webPods = (await readyPods("web", 2)).map((p) => p.metadata.name);
    let answer: { pod: string } | undefined;
    await eventually(
      async () => {
        answer = await echo(pod?.status?.podIP ?? "", 10000, "/through-envoy");
        return answer !== undefined;
      },
      20_000,
      "an answer through Envoy",
      250,
    );
    assert.ok(webPods.includes(answer?.pod ?? ""), `a web pod answered: ${answer?.pod}`);
    const asked = cluster.network?.dns.queries.get(`web.${NS}.svc.cluster.local`) ?? 0;
    assert.ok(asked > 0, "Envoy asked the cluster DNS for the Service's name");
  });

  it("runs our Helm chart: Envoy reaches the controller's xDS by Service name, a Gateway's status address serves an echo-basic backend", async function () {
    const gwNs = "envoy-gateway-system";
    await run(
      cluster.tools.helm,
      [
        ...["install", "egts", join(REPO, "helm", "egts"), "-n", gwNs, "--create-namespace"],
        ...["--wait", "--timeout", "3m"],
      ],
      { env: cluster.toolEnv(), timeoutMs: 200_000 },
    );
    await cluster.kubectl(["apply", "-f", "-"], {
      input: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: ${NS} }
spec:
  gatewayClassName: envoy
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: ${NS} }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [www.example.com]
  rules: [{ backendRefs: [{ name: web, port: 8080 }] }]
`,
    });
    let address = "";
    await eventually(
      async () => {
        const gw = await cluster.kubectlJson<{
          status?: { addresses?: { value: string }[]; conditions?: { type: string; status: string }[] };
        }>(["get", "gateway", "eg", "-n", NS]);
        address = gw.status?.addresses?.[0]?.value ?? "";
        const programmed = gw.status?.conditions?.some((c) => c.type === "Programmed" && c.status === "True");
        // The ClusterIP until the LoadBalancer address is assigned (within the kube-proxy's 1 s poll).
        return /^198\.19\.(1[2-9]\d|2\d\d)\./.test(address) && programmed === true;
      },
      90_000,
      "Gateway eg Programmed with the LoadBalancer address of the proxy's Service",
      500,
    );
    const webPods = (await readyPods("web", 2)).map((p) => p.metadata.name);
    let answer: { pod: string; path: string } | undefined;
    await eventually(
      async () => {
        answer = await echo(address, 80, "/via-gateway", { host: "www.example.com" });
        return answer !== undefined;
      },
      60_000,
      `an answer through the Gateway at ${address}:80`,
      250,
    );
    assert.ok(webPods.includes(answer?.pod ?? ""), `a web pod answered: ${answer?.pod}`);
    assert.equal(answer?.path, "/via-gateway");
    const xdsName = `envoy-gateway.${gwNs}.svc.cluster.local`;
    assert.ok((cluster.network?.dns.queries.get(xdsName) ?? 0) > 0, `Envoy resolved ${xdsName}`);
  });
});
