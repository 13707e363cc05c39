/** ReferenceGrantIndex: the spec's rules for cross-namespace references, including Gateway → Secret. */
import assert from "node:assert/strict";
import type { ReferenceGrant } from "../../operator/src/resources/gateway-api";
import { checkCertificateRef, ReferenceGrantIndex } from "../../operator/src/translate/reference-grants";

const GW = "gateway.networking.k8s.io";

function grant(ns: string, from: ReferenceGrant["spec"]["from"], to: ReferenceGrant["spec"]["to"]): ReferenceGrant {
  return { apiVersion: `${GW}/v1`, kind: "ReferenceGrant", metadata: { name: "g", namespace: ns }, spec: { from, to } };
}

describe("ReferenceGrantIndex", () => {
  const index = new ReferenceGrantIndex([
    grant("certs", [{ group: GW, kind: "Gateway", namespace: "infra" }], [{ group: "", kind: "Secret", name: "tls" }]),
    grant("apps", [{ group: GW, kind: "TCPRoute", namespace: "edge" }], [{ group: "", kind: "Service" }]),
  ]);

  it("same-namespace references need no grant", () => {
    assert.equal(
      index.allows(
        { group: GW, kind: "HTTPRoute", namespace: "a" },
        { group: "", kind: "Service", namespace: "a", name: "x" },
      ),
      true,
    );
  });

  it("a grant without a name allows every object of the kind; from kind and namespace must match", () => {
    const to = { group: "", kind: "Service", namespace: "apps", name: "any" };
    assert.equal(index.allows({ group: GW, kind: "TCPRoute", namespace: "edge" }, to), true);
    assert.equal(index.allows({ group: GW, kind: "UDPRoute", namespace: "edge" }, to), false);
    assert.equal(index.allows({ group: GW, kind: "TCPRoute", namespace: "other" }, to), false);
  });

  it("Gateway → Secret: allowed for the named Secret only, with a message naming the missing grant otherwise", () => {
    assert.equal(checkCertificateRef(index, "infra", { name: "tls", namespace: "certs" }), undefined);
    assert.equal(checkCertificateRef(index, "certs", { name: "other" }), undefined, "same namespace");
    const p = checkCertificateRef(index, "infra", { name: "other", namespace: "certs" });
    assert.equal(p?.reason, "RefNotPermitted");
    assert.match(p?.message ?? "", /no ReferenceGrant in namespace certs allows it/);
    assert.match(p?.message ?? "", /kind: Gateway, namespace: infra/);
  });
});
