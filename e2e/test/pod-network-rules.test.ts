/**
 * The pure parts of the pod network, without a cluster: the kube-proxy's iptables rules, the
 * cluster DNS's answers (decoded by Node's own DNS packet parser, through a real resolver), and the
 * kubelet's log selection.
 */
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ClusterDns,
  dnsAnswer,
  httpExchange,
  isLoadBalancerIp,
  serviceRules,
  type ProxiedService,
  type ProxiedSlice,
} from "../harness";
import { ContainerLog, renderLog } from "../harness/kubelet-server";

const svc = (name: string, extra: Partial<ProxiedService["spec"]> = {}, lb?: string): ProxiedService => ({
  metadata: { name, namespace: "ns" },
  spec: { clusterIP: "198.19.0.10", ports: [{ name: "http", port: 8080, protocol: "TCP" }], ...extra },
  ...(lb ? { status: { loadBalancer: { ingress: [{ ip: lb }] } } } : {}),
});

const slice = (service: string, port: number, endpoints: [string, boolean][]): ProxiedSlice => ({
  metadata: { namespace: "ns", labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  ports: [{ name: "http", port, protocol: "TCP" }],
  endpoints: endpoints.map(([a, ready]) => ({ addresses: [a], conditions: { ready } })),
});

describe("kube-proxy rules (pure)", function () {
  it("sends the ClusterIP and the LoadBalancer IP to the ready endpoints at the slice's resolved port", function () {
    const { rules, chains } = serviceRules(
      [svc("web", {}, "198.19.128.1")],
      [
        slice("web", 3000, [
          ["198.18.0.2", true],
          ["198.18.0.3", true],
          ["198.18.0.4", false],
        ]),
      ],
    );
    assert.equal(chains.length, 1);
    const chain = chains[0] ?? "";
    assert.match(rules, new RegExp(`-A EGTS-SERVICES -d 198.19.0.10/32 -p tcp -m tcp --dport 8080 -j ${chain}`));
    assert.match(rules, new RegExp(`-A EGTS-SERVICES -d 198.19.128.1/32 -p tcp -m tcp --dport 8080 -j ${chain}`));
    assert.match(rules, /--probability 0\.5000000000 -j DNAT --to-destination 198\.18\.0\.2:3000/);
    assert.match(rules, /-j DNAT --to-destination 198\.18\.0\.3:3000\n/);
    assert.doesNotMatch(rules, /198\.18\.0\.4/, "a not-ready endpoint gets no traffic");
    assert.match(rules, new RegExp(`-A ${chain} -j MARK --set-xmark 0x40000/0x40000`));
  });

  it("gives a Service without ready endpoints (and a headless one) no rule, and deletes the chains no longer used", function () {
    const first = serviceRules([svc("web")], [slice("web", 3000, [["198.18.0.2", true]])]);
    const next = serviceRules(
      [svc("web"), svc("headless", { clusterIP: "None" })],
      [slice("web", 3000, [["198.18.0.2", false]])],
      first.chains,
    );
    assert.deepEqual(next.chains, []);
    assert.match(next.rules, new RegExp(`^-X ${first.chains[0] ?? "?"}$`, "m"));
    assert.doesNotMatch(next.rules, /-A EGTS-SERVICES/);
  });

  it("keeps UDP and TCP ports of one Service apart", function () {
    const udp = svc("dns", {
      ports: [
        { name: "dns", port: 53, protocol: "UDP" },
        { name: "dns-tcp", port: 53, protocol: "TCP" },
      ],
    });
    const s: ProxiedSlice = {
      metadata: { namespace: "ns", labels: { "kubernetes.io/service-name": "dns" } },
      ports: [
        { name: "dns", port: 5353, protocol: "UDP" },
        { name: "dns-tcp", port: 5354, protocol: "TCP" },
      ],
      endpoints: [{ addresses: ["198.18.0.9"] }],
    };
    const { rules } = serviceRules([udp], [s]);
    assert.match(rules, /-p udp -m udp --dport 53 .*\n/);
    assert.match(rules, /-p udp -j DNAT --to-destination 198\.18\.0\.9:5353/);
    assert.match(rules, /-p tcp -j DNAT --to-destination 198\.18\.0\.9:5354/);
  });
});

describe("the harness's API requests (against a local HTTP server)", function () {
  it("send a DELETE's body (the kubelet's final pod delete with gracePeriodSeconds 0)", async function () {
    const seen: { method?: string; body: string; length?: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        seen.push({ method: req.method, body, length: req.headers["content-length"] });
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/namespaces/a/pods/b`;
      const body = JSON.stringify({ gracePeriodSeconds: 0 });
      const res = await httpExchange(url, undefined, { method: "DELETE", body, contentType: "application/json" });
      assert.equal(res.status, 200);
      assert.deepEqual(seen, [{ method: "DELETE", body, length: String(body.length) }]);
    } finally {
      server.close();
    }
  });
});

describe("LoadBalancer addresses (pure)", function () {
  it("are the addresses of 198.19.128.0/17, not ClusterIPs (198.19.0.0/17) nor pod IPs", function () {
    for (const ip of ["198.19.128.0", "198.19.128.7", "198.19.255.255"]) assert.equal(isLoadBalancerIp(ip), true, ip);
    for (const ip of ["198.19.127.255", "198.19.0.10", "198.18.0.2", "198.20.128.1", "10.96.0.1", "", "fd00::1"]) {
      assert.equal(isLoadBalancerIp(ip), false, ip);
    }
  });
});

describe("cluster DNS (a real resolver against the server on loopback)", function () {
  let dns: ClusterDns;
  let resolver: Resolver;

  before(async function () {
    dns = new ClusterDns((name) => (name === "web.ns.svc.cluster.local" ? "198.19.0.10" : undefined));
    await dns.start("127.0.0.1", 0);
    const port = dns.port();
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
  });

  after(async function () {
    await dns?.stop();
  });

  it("answers a Service's name with its ClusterIP, case-insensitively", async function () {
    assert.deepEqual(await resolver.resolve4("web.ns.svc.cluster.local"), ["198.19.0.10"]);
    assert.deepEqual(await resolver.resolve4("WEB.ns.svc.cluster.local"), ["198.19.0.10"]);
    assert.equal(dns.queries.get("web.ns.svc.cluster.local"), 2);
  });

  it("answers NXDOMAIN for any other name and NODATA for AAAA of a known one", async function () {
    await assert.rejects(resolver.resolve4("example.com"), { code: "ENOTFOUND" });
    await assert.rejects(resolver.resolve6("web.ns.svc.cluster.local"), { code: "ENODATA" });
  });

  it("ignores a message that is not a query", function () {
    assert.equal(
      dnsAnswer(Buffer.alloc(5), () => undefined),
      undefined,
    );
    const response = Buffer.alloc(17);
    response[2] = 0x80;
    assert.equal(
      dnsAnswer(response, () => undefined),
      undefined,
    );
  });
});

describe("kubelet container logs (pure)", function () {
  it("keeps partial lines until their newline, and selects by time, tail and limit", function () {
    const log = new ContainerLog();
    log.append(Buffer.from("one\ntw"));
    log.append(Buffer.from("o\nthree\n"));
    const { lines, next } = log.since(0);
    assert.deepEqual(
      lines.map((l) => l.text),
      ["one", "two", "three"],
    );
    assert.equal(next, 3);
    const base = { follow: false, timestamps: false, sinceMs: undefined, tail: undefined, limitBytes: undefined };
    assert.equal(renderLog(lines, { ...base, tail: 2 }), "two\nthree\n");
    assert.equal(renderLog(lines, { ...base, limitBytes: 5 }), "one\nt");
    assert.equal(renderLog(lines, { ...base, sinceMs: Date.now() + 5000 }), "");
    assert.match(
      renderLog(lines, { ...base, tail: 1, timestamps: true }),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/,
    );
  });
});
