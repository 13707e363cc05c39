/**
 * SecurityPolicy `oidc` pieces below the goldens (which translate with a fixed HMAC secret):
 * - without an HMAC secret every OIDC policy fails closed with Envoy Gateway's message, naming the controller
 *   namespace; a Secret `envoy-oidc-hmac` in the controller namespace of a snapshot is what the controller passes;
 * - the standalone HMAC secret is made once in the state folder (32 bytes, mode 0600) and read back afterwards;
 * - the client secret reaches the node as an SDS generic secret, and a changed Secret changes only that secret's
 *   value (not the filter config: Envoy reads it over SDS);
 * - redirect URL and issuer rules, the cookie suffix (FNV-32a, Go's `%x`);
 * - the OAuth2Config fields once hand-encoded (end session endpoint, CSRF token lifetime, token encryption) survive
 *   an encode/decode round trip.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { oidcHmacSecretOf, standaloneOidcHmacSecret } from "../../operator/src/certgen/oidc-hmac";
import { isGenericSecret, type GatewayXdsIr } from "../../operator/src/ir/xds-ir";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { fnv32a, issuerProblem, redirectPath } from "../../operator/src/translate/policies/security-oidc";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { Oauth2Type } from "../../operator/src/xds/translate/filters/oauth2";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { TypeUrl } from "../../operator/src/xds/types";
import { packPartial } from "../../operator/src/xds/translate/filters/registry";
import { unpack } from "../../proto/any";

const OBJECTS = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec: { gatewayClassName: eg, listeners: [{ name: http, protocol: HTTP, port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec: { ports: [{ port: 3000 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: app, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ name: backend, port: 3000 }] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: { name: login, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: app }]
  oidc:
    provider: { issuer: https://idp.example.com, authorizationEndpoint: https://idp.example.com/a, tokenEndpoint: https://idp.example.com/t }
    clientID: app
    clientSecret: { name: client }
`;

const secretYaml = (name: string, namespace: string, data: Record<string, string>): string =>
  `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: ${namespace} }\nstringData: ${JSON.stringify(data)}\n`;

function objects(...extra: string[]): KubeObject[] {
  return [OBJECTS, ...extra]
    .join("\n---\n")
    .split(/^---$/m)
    .map((d) => parse(d) as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

function run(objs: KubeObject[], opts: TranslateOptions): { message: string; node: GatewayXdsIr } {
  const r = translate(snapshotFromObjects(objs), opts);
  const status = r.statuses.find((s) => s.kind === "SecurityPolicy")?.status as {
    ancestors: { conditions: { type: string; message: string }[] }[];
  };
  return { message: status.ancestors[0].conditions[0].message, node: r.xdsIr[0] };
}

describe("SecurityPolicy oidc: HMAC secret, SDS secrets, rules", () => {
  const client = secretYaml("client", "default", { "client-secret": "one" });

  it("fails closed without an HMAC secret, naming the controller namespace", () => {
    const { message, node } = run(objects(client), { controllerNamespace: "eg-system" });
    assert.equal(message, "OIDC: HMAC secret eg-system/envoy-oidc-hmac not found.");
    const route = node.http[0].virtualHosts[0].routes[0];
    assert.deepEqual(route.action, { kind: "direct", status: 500 });
  });

  it("reads the HMAC secret from Secret envoy-oidc-hmac of the controller namespace only", () => {
    const objs = objects(client, secretYaml("envoy-oidc-hmac", "eg-system", { "hmac-secret": "k".repeat(32) }));
    const snapshot = snapshotFromObjects(objs);
    assert.equal(oidcHmacSecretOf(snapshot, "eg-system")?.toString(), "k".repeat(32));
    assert.equal(oidcHmacSecretOf(snapshot, "default"), undefined);
  });

  it("serves the client secret over SDS: a changed Secret changes the SDS secret, not the listener", () => {
    const opts: TranslateOptions = { oidcHmacSecret: Buffer.alloc(32, 1) };
    const one = run(objects(client), opts);
    assert.equal(one.message, "Policy has been accepted.");
    const two = run(objects(secretYaml("client", "default", { "client-secret": "two" })), opts);
    const secret = (n: GatewayXdsIr): string | undefined =>
      (n.secrets ?? [])
        .filter(isGenericSecret)
        .find((s) => s.name === "oauth2/client_secret/securitypolicy/default/login")?.value;
    assert.equal(secret(one.node), Buffer.from("one").toString("base64"));
    assert.equal(secret(two.node), Buffer.from("two").toString("base64"));
    const [a, b] = [one.node, two.node].map((n) => buildNodeResources(n));
    assert.deepEqual(a.get(TypeUrl.Listener), b.get(TypeUrl.Listener), "the same listeners");
    assert.notDeepEqual(a.get(TypeUrl.Secret), b.get(TypeUrl.Secret));
  });

  it("makes the standalone HMAC secret once: 32 bytes, owner-only, read back afterwards", () => {
    const dir = mkdtempSync(join(tmpdir(), "egts-oidc-hmac-"));
    try {
      const first = standaloneOidcHmacSecret(dir);
      assert.equal(first.length, 32);
      assert.equal(statSync(join(dir, "envoy-oidc-hmac", "hmac-secret")).mode & 0o777, 0o600);
      assert.deepEqual(standaloneOidcHmacSecret(dir), first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks redirect URLs and issuers as Envoy Gateway does", () => {
    assert.equal(redirectPath("%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback"), "/oauth2/callback");
    assert.equal(redirectPath("https://app.example.com/cb?x=1"), "/cb?x=1");
    for (const bad of ["https://app.example.com", "https://app.example.com/", "ftp://a/cb", "/cb"])
      assert.equal(redirectPath(bad), undefined, bad);
    assert.equal(issuerProblem("https://idp.example.com/realms/a"), undefined);
    assert.equal(issuerProblem("https://u@idp.example.com"), "issuer URL must not include userinfo");
    assert.equal(issuerProblem("https://idp.example.com?x"), "issuer URL must not include a query");
    assert.equal(issuerProblem("https://idp.example.com#x"), "issuer URL must not include a fragment");
  });

  it("suffixes cookies with FNV-32a, hex as Go prints it", () => {
    assert.equal(fnv32a(""), "811c9dc5");
    assert.equal(fnv32a("a"), "e40c292c");
  });

  it("round-trips the OAuth2Config fields once hand-encoded (end session, CSRF token lifetime, no encryption)", () => {
    const any = packPartial(Oauth2Type, {
      config: {
        authorizationEndpoint: "https://idp/a",
        endSessionEndpoint: "https://idp/logout",
        csrfTokenExpiresIn: { seconds: 300, nanos: 0 },
        disableTokenEncryption: true,
      },
    });
    const back = unpack(Oauth2Type, any).config;
    assert.equal(back?.authorizationEndpoint, "https://idp/a");
    assert.equal(back?.endSessionEndpoint, "https://idp/logout");
    assert.deepEqual(back?.csrfTokenExpiresIn, { seconds: 300, nanos: 0 });
    assert.equal(back?.disableTokenEncryption, true);
  });
});
