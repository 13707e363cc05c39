/**
 * SecurityPolicy authorization `clientIPGeoLocations` on the wire: real Envoy (standalone) with the geoip filter
 * reading MaxMind databases written for the test (test/support/geoip.ts: City, ASN and Anonymous IP databases,
 * two networks each), an EnvoyProxy `spec.geoIP` naming them, and a ClientTrafficPolicy trusting one
 * X-Forwarded-For hop, so each request's X-Forwarded-For address is the client looked up:
 * - 10.1.0.0/16: DE, region BE, Berlin, AS64500; 10.2.0.0/16: FR, region IDF, Paris, AS64501, an anonymous VPN;
 *   10.9.0.0/16 is in no database.
 * Cases (one route and policy each): `country` Allow country `de` (case-insensitive); `asn` Deny AS64501 (default
 * Allow); `city` Allow a country, region and city together; `anon` Deny anonymous VPNs (default Allow); `isp`
 * needs an ISP database the EnvoyProxy does not configure: Accepted=False with Envoy Gateway's message and the
 * route answers 500. A client that sends the internal geolocation header itself from an address in no database
 * is not let through, and the backend never sees those headers.
 * A provider with a Country database only (`countryDbSource`, Envoy 1.37's `country_db_path`; its records differ
 * from the City database's, 10.1.0.0/16 is AT there) serves country conditions from it.
 * A gateway without the prerequisites reports the first one missing (no ClientTrafficPolicy) and answers 500. Two
 * more show the address looked up with the other detections: a custom header (Envoy 1.37.0's geoip
 * filter has no custom_header_config; it reads the address the HTTP connection manager detected) and the
 * connection's peer (directSourceIP; 127.0.0.2 is DE in the City database).
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PolicyGateway } from "../support/backend-traffic";
import { asnRecord, cityRecord, writeMmdb } from "../support/geoip";
import { httpGet, type HttpResult } from "../support/http";
import { startSecurityGateway } from "../support/security";

const CASES = {
  country: `  authorization:
    rules:
      - { action: Allow, principal: { clientIPGeoLocations: [{ country: de }] } }`,
  asn: `  authorization:
    defaultAction: Allow
    rules:
      - { action: Deny, principal: { clientIPGeoLocations: [{ asn: 64501 }] } }`,
  city: `  authorization:
    rules:
      - { action: Allow, principal: { clientIPGeoLocations: [{ country: DE, region: be, city: berlin }] } }`,
  anon: `  authorization:
    defaultAction: Allow
    rules:
      - { action: Deny, principal: { clientIPGeoLocations: [{ anonymous: { isVPN: true } }] } }`,
  isp: `  authorization:
    rules:
      - { action: Allow, principal: { clientIPGeoLocations: [{ isp: Example ISP }] } }`,
};

/** X-Forwarded-For with one trusted hop (EG's count). */
const XFF_DETECTION = "{ xForwardedFor: { numTrustedHops: 1 } }";

/** The `maxMind` sources of the three databases in `dir` (EnvoyProxy YAML, 8 spaces in). */
const threeDatabases = (dir: string): string =>
  `        cityDbSource: { local: { path: ${join(dir, "city.mmdb")} } }
        asnDbSource: { local: { path: ${join(dir, "asn.mmdb")} } }
        anonymousIpDbSource: { local: { path: ${join(dir, "anon.mmdb")} } }`;

/** EnvoyProxy `default/geo` with `databases` (default: the three in `dir`), and a ClientTrafficPolicy with `detection`. */
function geoFiles(dir: string, detection = XFF_DETECTION, databases = threeDatabases): Record<string, string> {
  return {
    "geo.yaml": `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: geo, namespace: default }
spec:
  geoIP:
    provider:
      type: MaxMind
      maxMind:
${databases(dir)}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: xff, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }]
  clientIPDetection: ${detection}
`,
  };
}

/** Writes the test databases into `dir`. */
function writeDatabases(dir: string): void {
  writeMmdb(join(dir, "city.mmdb"), "GeoIP2-City", [
    { cidr: "10.1.0.0/16", data: cityRecord("DE", "BE", "Berlin") },
    { cidr: "10.2.0.0/16", data: cityRecord("FR", "IDF", "Paris") },
    { cidr: "127.0.0.2/32", data: cityRecord("DE", "BE", "Berlin") },
  ]);
  writeMmdb(join(dir, "asn.mmdb"), "GeoLite2-ASN", [
    { cidr: "10.1.0.0/16", data: asnRecord(64500, "Example Berlin") },
    { cidr: "10.2.0.0/16", data: asnRecord(64501, "Example Paris") },
  ]);
  writeMmdb(join(dir, "anon.mmdb"), "GeoIP2-Anonymous-IP", [
    { cidr: "10.2.0.0/16", data: { is_anonymous: true, is_anonymous_vpn: true } },
  ]);
  // Unlike the City database: 10.1.0.0/16 is AT, 10.3.0.0/16 DE.
  writeMmdb(join(dir, "country.mmdb"), "GeoIP2-Country", [
    { cidr: "10.1.0.0/16", data: { country: { iso_code: "AT" } } },
    { cidr: "10.3.0.0/16", data: { country: { iso_code: "DE" } } },
  ]);
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly message: string;
}

/** The Accepted condition of SecurityPolicy `default/<name>`. */
function acceptedOf(g: PolicyGateway, name: string): Condition | undefined {
  const s = g.t.gw.statuses.get("SecurityPolicy", "default", name)?.status as
    { ancestors?: { conditions: Condition[] }[] } | undefined;
  return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
}

/** Gateway spec naming EnvoyProxy `geo`. */
const INFRA = "  infrastructure:\n    parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: geo }\n";

/** A gateway with `cases`, the test databases and a ClientTrafficPolicy with `detection`, for one describe block. */
function geoGateway(
  cases: Readonly<Record<string, string>>,
  detection?: string,
  databases?: (dir: string) => string,
): { get: () => PolicyGateway; ready: () => Promise<void>; close: () => Promise<void> } {
  let g: PolicyGateway | undefined;
  let dir = "";
  return {
    get: () => g as PolicyGateway,
    async ready() {
      dir = mkdtempSync(join(tmpdir(), "egts-geoip-"));
      writeDatabases(dir);
      g = await startSecurityGateway(cases, geoFiles(dir, detection, databases), INFRA);
    },
    async close() {
      await g?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("SecurityPolicy clientIPGeoLocations with other client IP detections (real Envoy)", function () {
  this.timeout(60_000);
  const countryOnly = { country: CASES.country };

  describe("customHeader: Envoy's geoip filter (no custom_header_config in 1.37.0) looks up the detected address", () => {
    const gw = geoGateway(countryOnly, "{ customHeader: { name: x-client-ip } }");
    before(() => gw.ready());
    after(() => gw.close());
    it("the x-client-ip address decides, X-Forwarded-For does not", async () => {
      const send = (headers: Record<string, string>): Promise<HttpResult> =>
        httpGet(gw.get().port, gw.get().host("country"), "/", { headers });
      assert.equal((await send({ "x-client-ip": "10.1.2.3" })).status, 200);
      assert.equal((await send({ "x-client-ip": "10.2.2.3" })).status, 403);
      assert.equal((await send({ "x-client-ip": "10.2.2.3", "x-forwarded-for": "10.1.2.3" })).status, 403);
    });
  });

  describe("countryDbSource alone: country conditions are looked up in the Country database", () => {
    const countryDb = (dir: string): string =>
      `        countryDbSource: { local: { path: ${join(dir, "country.mmdb")} } }`;
    const gw = geoGateway(countryOnly, undefined, countryDb);
    before(() => gw.ready());
    after(() => gw.close());
    it("Accepted; 10.3.x (DE in the Country database) is allowed, 10.1.x (AT there, DE in the City one) is not", async () => {
      assert.equal(acceptedOf(gw.get(), "country")?.status, "True");
      const send = (client: string): Promise<HttpResult> =>
        httpGet(gw.get().port, gw.get().host("country"), "/", { headers: { "x-forwarded-for": client } });
      assert.equal((await send("10.3.2.3")).status, 200);
      assert.equal((await send("10.1.2.3")).status, 403);
      assert.equal((await send("10.9.2.3")).status, 403, "in no database");
    });
  });

  describe("no ClientTrafficPolicy and no EnvoyProxy geoIP: the first missing prerequisite is reported", () => {
    let g: PolicyGateway | undefined;
    before(async () => {
      g = await startSecurityGateway(countryOnly);
    });
    after(() => g?.close());
    it("Accepted=False with Envoy Gateway's message, and the route answers 500", async () => {
      assert.equal(
        acceptedOf(g as PolicyGateway, "country")?.message,
        "Authorization: authorization clientIPGeoLocations requires ClientTrafficPolicy.spec.clientIPDetection to be configured.",
      );
      const r = await httpGet((g as PolicyGateway).port, (g as PolicyGateway).host("country"), "/", {
        headers: { "x-forwarded-for": "10.1.2.3" },
      });
      assert.equal(r.status, 500);
    });
  });

  describe("directSourceIP: the connection's peer is looked up", () => {
    const gw = geoGateway(countryOnly, "{ directSourceIP: {} }");
    const from2 = new Agent({ localAddress: "127.0.0.2" } as ConstructorParameters<typeof Agent>[0]);
    before(() => gw.ready());
    after(async () => {
      from2.destroy();
      await gw.close();
    });
    it("a client bound to 127.0.0.2 (DE in the database) is allowed, 127.0.0.1 is not, whatever X-Forwarded-For says", async () => {
      const send = (agent?: Agent): Promise<HttpResult> =>
        httpGet(gw.get().port, gw.get().host("country"), "/", {
          headers: { "x-forwarded-for": "10.1.2.3" },
          ...(agent ? { agent } : {}),
        });
      assert.equal((await send(from2)).status, 200);
      assert.equal((await send()).status, 403);
    });
  });
});

describe("SecurityPolicy authorization clientIPGeoLocations (real Envoy, MaxMind databases)", function () {
  this.timeout(60_000);
  const gw = geoGateway(CASES);
  let g: PolicyGateway | undefined;

  before(async () => {
    await gw.ready();
    g = gw.get();
  });
  after(() => gw.close());

  /** A request to case `name` from X-Forwarded-For client `client`. */
  const from = (name: string, client: string, headers: Record<string, string> = {}): Promise<HttpResult> => {
    const gw = g as PolicyGateway;
    return httpGet(gw.port, gw.host(name), "/", { headers: { "x-forwarded-for": client, ...headers } });
  };
  const assertForwarded = (r: HttpResult): void => {
    assert.equal(r.status, 200, r.body);
    assert.ok(r.body.includes('"headers"'), r.body);
  };
  const assertDenied = (r: HttpResult): void => {
    assert.equal(r.status, 403, r.body);
    assert.equal(r.body, "RBAC: access denied");
  };

  it("country: a Berlin address is allowed; Paris and an address in no database are denied", async () => {
    assertForwarded(await from("country", "10.1.2.3"));
    assertDenied(await from("country", "10.2.0.1"));
    assertDenied(await from("country", "10.9.0.1"));
  });

  it("asn: AS64501 is denied, AS64500 and an unknown address are allowed", async () => {
    assertDenied(await from("asn", "10.2.7.7"));
    assertForwarded(await from("asn", "10.1.0.9"));
    assertForwarded(await from("asn", "10.9.0.1"));
  });

  it("city: country, region and city must all match (case-insensitive)", async () => {
    assertForwarded(await from("city", "10.1.200.1"));
    assertDenied(await from("city", "10.2.200.1"));
  });

  it("anon: the anonymous VPN network is denied, others are allowed", async () => {
    assertDenied(await from("anon", "10.2.0.5"));
    assertForwarded(await from("anon", "10.1.0.5"));
  });

  it("a client's own internal geolocation header does not let it in, and no backend sees one", async () => {
    assertDenied(await from("country", "10.9.0.1", { "x-eg-internal-geoip-country": "DE" }));
    const r = await from("country", "10.1.2.3", { "x-eg-internal-geoip-country": "FR" });
    assertForwarded(r);
    assert.ok(!r.body.toLowerCase().includes("x-eg-internal-geoip"), r.body);
  });

  it("a missing database: Accepted=False with Envoy Gateway's message and the route answers 500", async () => {
    const accepted = acceptedOf(g as PolicyGateway, "isp");
    assert.equal(accepted?.status, "False");
    assert.equal(
      accepted?.message,
      "Authorization: authorization clientIPGeoLocations.isp requires EnvoyProxy.spec.geoIP.provider.maxMind.ispDbSource.",
    );
    assert.equal((await from("isp", "10.1.2.3")).status, 500);
  });

  it("Envoy accepted every configuration (no NACK)", () => {
    assert.deepEqual(
      (g as PolicyGateway).t.logs.filter((l) => l.includes("NACK")),
      [],
    );
  });
});
