/** The literal checks on Backend endpoints (translate/backend-endpoints.ts): address forms and classes. */
import assert from "node:assert/strict";
import {
  checkHostname,
  classifyIp,
  inCidrs,
  numericIPv4,
  parseCidr,
  parseIp,
} from "../../operator/src/translate/backend-endpoints";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

function classOf(address: string): string | undefined {
  const ip = parseIp(address);
  assert.ok(ip, `${address} parses`);
  return classifyIp(ip)?.class;
}

describe("Backend endpoint checks", () => {
  it("reads IPv4 as Envoy does: four decimal octets, nothing else", () => {
    assert.deepEqual(parseIp("127.0.0.1"), [127, 0, 0, 1]);
    for (const bad of ["2130706433", "0x7f.0.0.1", "127.1", "0127.0.0.1", "127.0.0.256", "127.0.0.1 ", ""]) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it("reads IPv6 with :: and a dotted tail, not zone ids or extra groups", () => {
    assert.deepEqual(parseIp("::1")?.slice(14), [0, 1]);
    assert.deepEqual(parseIp("::ffff:127.0.0.1")?.slice(10), [0xff, 0xff, 127, 0, 0, 1]);
    assert.deepEqual(parseIp("fe80:0:0:0:0:0:0:1")?.slice(0, 2), [0xfe, 0x80]);
    for (const bad of ["fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "12345::", "1:2:3:4:5:6:7::8"]) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it("classifies loopback, link-local and unspecified addresses, IPv4 inside IPv6 as the IPv4 address", () => {
    const cases: [string, string | undefined][] = [
      ["127.0.0.1", "Loopback"],
      ["127.255.255.254", "Loopback"],
      ["::1", "Loopback"],
      ["0:0:0:0:0:0:0:1", "Loopback"],
      ["::ffff:127.0.0.1", "Loopback"],
      ["::ffff:7f00:1", "Loopback"],
      ["::127.0.0.1", "Loopback"],
      ["64:ff9b::127.0.0.1", "Loopback"],
      ["169.254.169.254", "LinkLocal"],
      ["::ffff:169.254.169.254", "LinkLocal"],
      ["fe80::1", "LinkLocal"],
      ["febf::1", "LinkLocal"],
      ["0.0.0.0", "Unspecified"],
      ["0.1.2.3", "Unspecified"],
      ["::", "Unspecified"],
      ["::ffff:0.0.0.0", "Unspecified"],
      ["10.0.0.1", undefined],
      ["128.0.0.1", undefined],
      ["169.253.0.1", undefined],
      ["fec0::1", undefined],
      ["fd00::1", undefined],
      ["2001:db8::1", undefined],
      ["::ffff:10.0.0.1", undefined],
    ];
    for (const [address, cls] of cases) assert.equal(classOf(address), cls, address);
  });

  it("matches CIDRs, IPv4 ones also against IPv4-mapped IPv6", () => {
    const ip = (s: string): readonly number[] => parseIp(s) as readonly number[];
    assert.equal(inCidrs(ip("169.254.10.5"), ["169.254.10.0/24"]), true);
    assert.equal(inCidrs(ip("::ffff:169.254.10.5"), ["169.254.10.0/24"]), true);
    assert.equal(inCidrs(ip("169.254.169.254"), ["169.254.10.0/24"]), false);
    assert.equal(inCidrs(ip("fe80::1"), ["fe80::/16"]), true);
    assert.equal(inCidrs(ip("127.0.0.1"), ["::1/128"]), false);
    for (const bad of ["169.254.10.0", "169.254.10.0/33", "::/129", "x/8", "10.0.0.0/08", "10.0.0.0/8/1"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("decodes IPv4 addresses written as numbers (decimal, hex, octal, short forms)", () => {
    const cases: [string, string | undefined][] = [
      ["2130706433", "127.0.0.1"],
      ["0x7f000001", "127.0.0.1"],
      ["017700000001", "127.0.0.1"],
      ["0x7f.1", "127.0.0.1"],
      ["127.1", "127.0.0.1"],
      ["0x7f.0.0.1", "127.0.0.1"],
      ["2852039166", "169.254.169.254"],
      ["0xa9.0xfe.0xa9.0xfe", "169.254.169.254"],
      ["4294967296", undefined],
      ["256.1", undefined],
      ["08", undefined],
      ["example.com", undefined],
    ];
    for (const [name, want] of cases) assert.equal(numericIPv4(name)?.join("."), want, name);
  });

  it("checks fqdn hostnames: localhost names refused, IPs and numeric forms invalid, names as Envoy Gateway", () => {
    const verdict = (h: string): string => {
      const r = checkHostname(h);
      return r === undefined ? "ok" : "invalid" in r ? "invalid" : r.class;
    };
    const cases: [string, string][] = [
      ["localhost", "Loopback"],
      ["LocalHost.", "Loopback"],
      ["admin.localhost", "Loopback"],
      ["2130706433", "invalid"],
      ["0x7f.1", "invalid"],
      ["127.0.0.1", "invalid"],
      ["::1", "invalid"],
      ["1.2.3.4444", "invalid"],
      ["backend", "invalid"],
      ["under_score.example.com", "invalid"],
      ["api.example.com", "ok"],
      ["localhost.example.com", "ok"],
      ["0x7f.example.com", "ok"],
    ];
    for (const [h, want] of cases) assert.equal(verdict(h), want, h);
  });

  it("refuses endpoints of the wrong type with a status instead of throwing (files are not schema-checked)", () => {
    const objects: KubeObject[] = [
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: "eg" },
        spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "eg", namespace: "default" },
        spec: { gatewayClassName: "eg", listeners: [{ name: "http", protocol: "HTTP", port: 80 }] },
      },
    ] as KubeObject[];
    const endpoints: unknown[] = [
      [{ ip: { address: 2130706433, port: 80 } }],
      [{ fqdn: { hostname: ["a"], port: 80 } }],
      [{ ip: { address: "10.0.0.1", port: "80" } }],
      [null],
      "10.0.0.1:80",
    ];
    endpoints.forEach((eps, i) => {
      objects.push(
        {
          apiVersion: "gateway.envoyproxy.io/v1alpha1",
          kind: "Backend",
          metadata: { name: `b${i}`, namespace: "default" },
          spec: { endpoints: eps },
        } as KubeObject,
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { name: `r${i}`, namespace: "default" },
          spec: {
            parentRefs: [{ name: "eg" }],
            rules: [{ backendRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: `b${i}` }] }],
          },
        } as KubeObject,
      );
    });
    const { statuses, xdsIr } = translate(snapshotFromObjects(objects), { backends: { enabled: true } });
    const backends = statuses.filter((s) => s.kind === "Backend");
    assert.equal(backends.length, endpoints.length);
    for (const b of backends) {
      const accepted = (b.status as { conditions: { status: string; reason: string }[] }).conditions[0];
      assert.deepEqual([b.name, accepted?.status, accepted?.reason], [b.name, "False", "Invalid"]);
    }
    assert.deepEqual(xdsIr[0]?.clusters ?? [], []);
  });
});
