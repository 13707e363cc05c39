/**
 * Envoy Gateway's task-doc ClientTrafficPolicy YAML (testdata/eg-docs/client-traffic-policy/, saved unchanged)
 * through `translate`, on the quickstart Gateway the docs assume (`eg` with an HTTP listener and the HTTPS
 * listener with `example-cert` that the HTTP3 and mutual TLS tasks add, and the `example-ca-cert` Secret).
 * EXPECTED lists, per example, whether egts accepts it today and, when not, the field the status names: flip an
 * entry (accepted: true, no field) when its field lands.
 */
import * as assert from "node:assert/strict";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { acceptedPerAncestor, docExamples, parseDocYaml, readDocExample } from "../support/eg-docs";
import { testdataDir } from "../support/golden";
import { backendYaml, gatewayWithListenersYaml, routeYaml } from "../support/manifests";
import { makeCa, tlsSecretYaml } from "../support/pki";

/** What egts says about one example. */
interface Expectation {
  /** The ClientTrafficPolicy's name in the example. */
  readonly policy: string;
  /** Accepted=True expected. */
  readonly accepted: boolean;
  /** When not accepted: the spec field the Accepted=False message names. */
  readonly field?: string;
}

/** File (without .yaml) → expectation; every file of the folder must be listed. */
const EXPECTED: Readonly<Record<string, Expectation>> = {
  "client-timeout-buffer-limit": { policy: "client-timeout", accepted: true },
  "client-timeout-idle": { policy: "client-timeout", accepted: true },
  "client-timeout-request-received": { policy: "client-timeout", accepted: true },
  "connection-limit-ctp": { policy: "connection-limit-ctp", accepted: true },
  "enable-early-headers": { policy: "enable-early-headers", accepted: true },
  "enable-http3": { policy: "enable-http3", accepted: true },
  "enable-mtls": { policy: "enable-mtls", accepted: true },
  "enable-proxy-protocol-policy": { policy: "enable-proxy-protocol-policy", accepted: true },
  "enable-tcp-keepalive-policy": { policy: "enable-tcp-keepalive-policy", accepted: true },
  "http-client-ip-detection": { policy: "http-client-ip-detection", accepted: true },
  "strip-trailing-dot": { policy: "strip-trailing-dot", accepted: true },
};

const DIR = testdataDir("eg-docs", "client-traffic-policy");

/** The quickstart objects plus what the HTTPS tasks add (listener `https` on 443, its certificate, the CA). */
function environment(): string {
  const ca = makeCa("example.com");
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const listeners = `    - { name: http, protocol: HTTP, port: 80 }
    - name: https
      protocol: HTTPS
      port: 443
      tls: { mode: Terminate, certificateRefs: [{ kind: Secret, group: "", name: example-cert }] }`;
  return `${gatewayWithListenersYaml(listeners)}---
${routeYaml("backend", "www.example.com", "backend")}---
${backendYaml("backend", 3000)}---
${tlsSecretYaml("example-cert", ca.issue("www.example.com"))}---
apiVersion: v1
kind: Secret
metadata: { name: example-ca-cert, namespace: default }
data: { ca.crt: ${b64(ca.cert)} }
`;
}

describe("Envoy Gateway task-doc ClientTrafficPolicy examples (testdata/eg-docs) through translate", () => {
  const files = docExamples(DIR);
  let env: KubeObject[];

  before(() => {
    env = parseDocYaml("environment", environment());
  });

  it("every example is listed in the expectation table, and every entry has its file", () => {
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
  });

  for (const name of files) {
    const want = EXPECTED[name];
    const label = want?.accepted ? "Accepted" : `Accepted=False naming ${want?.field}`;
    it(`${name}: ${label}`, () => {
      assert.ok(want, `${name}.yaml is not in EXPECTED`);
      const example = readDocExample(DIR, name);
      assert.ok(
        example.some((o) => o.kind === "ClientTrafficPolicy" && o.metadata.name === want.policy),
        `${name}.yaml holds ClientTrafficPolicy ${want.policy}`,
      );
      const result = translate(snapshotFromObjects([...env, ...example]));
      for (const accepted of acceptedPerAncestor(result, "ClientTrafficPolicy", want.policy)) {
        assert.equal(accepted.status, want.accepted ? "True" : "False", accepted.message);
        if (want.accepted) assert.equal(accepted.message, "Policy has been accepted.");
        else assert.ok(accepted.message.includes(want.field ?? "?"), `${accepted.message} names ${want.field}`);
      }
      // An accepted policy changes what Envoy gets (the xDS IR differs from the one without it).
      if (want.accepted) {
        const without = translate(snapshotFromObjects(env));
        assert.notDeepEqual(result.xdsIr, without.xdsIr, `${name}: the policy changes the xDS IR`);
      }
    });
  }
});
