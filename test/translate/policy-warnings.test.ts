/**
 * The policy engine's Warning condition (Envoy Gateway's, for deprecated fields and other non-fatal notes):
 * Envoy Gateway's message for deprecated fields, one Warning per ancestor whose messages are joined, and the
 * reason MultipleWarnings when warnings of different reasons meet.
 */
import * as assert from "node:assert/strict";
import type { KubeObject } from "../../operator/src/resources/meta";
import { PolicyStatusBook } from "../../operator/src/translate/policies/ancestors";
import { deprecationMessage } from "../../operator/src/translate/policies/engine";
import type { AncestorRef } from "../../operator/src/translate/policies/types";

const POLICY: KubeObject = {
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "ClientTrafficPolicy",
  metadata: { name: "p", namespace: "default", generation: 3 },
  spec: {},
};
const GATEWAY: AncestorRef = { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "default", name: "eg" };

function conditions(book: PolicyStatusBook): unknown[] {
  const status = book.statuses("example.com/controller")[0].status as { ancestors: { conditions: unknown[] }[] };
  return status.ancestors[0].conditions;
}

describe("policy Warning conditions", () => {
  const deprecated = { enableProxyProtocol: "proxyProtocol", "headers.preserveXRequestID": "headers.requestID" };

  it("names each deprecated field set, sorted, as Envoy Gateway does", () => {
    assert.equal(
      deprecationMessage({ headers: { preserveXRequestID: false }, enableProxyProtocol: true }, deprecated),
      "spec.enableProxyProtocol is deprecated, use spec.proxyProtocol instead; spec.headers.preserveXRequestID is deprecated, use spec.headers.requestID instead",
    );
    assert.equal(deprecationMessage({ headers: {}, proxyProtocol: {} }, deprecated), undefined);
    assert.equal(deprecationMessage({ enableProxyProtocol: true }, undefined), undefined);
  });

  it("a `path=true` entry counts only when the field is true (Envoy Gateway's non-pointer booleans)", () => {
    const optional = { "tls.clientValidation.optional=true": "tls.clientValidation.mode" };
    assert.equal(
      deprecationMessage({ tls: { clientValidation: { optional: true } } }, optional),
      "spec.tls.clientValidation.optional is deprecated, use spec.tls.clientValidation.mode instead",
    );
    assert.equal(deprecationMessage({ tls: { clientValidation: { optional: false } } }, optional), undefined);
    assert.equal(deprecationMessage({ tls: {} }, optional), undefined);
  });

  it("one Warning per ancestor, after Accepted; different reasons make MultipleWarnings", () => {
    const book = new PolicyStatusBook();
    book.accept(POLICY, GATEWAY);
    book.warn(POLICY, GATEWAY, "DeprecatedField", "spec.a is deprecated, use spec.b instead");
    assert.deepEqual(conditions(book), [
      {
        type: "Accepted",
        status: "True",
        reason: "Accepted",
        message: "Policy has been accepted.",
        observedGeneration: 3,
      },
      {
        type: "Warning",
        status: "True",
        reason: "DeprecatedField",
        message: "spec.a is deprecated, use spec.b instead",
        observedGeneration: 3,
      },
    ]);
    book.warn(POLICY, GATEWAY, "DeprecatedField", "spec.a is deprecated, use spec.b instead");
    book.warn(POLICY, GATEWAY, "SomethingElse", "another note");
    assert.deepEqual((conditions(book)[1] as { reason: string; message: string }).reason, "MultipleWarnings");
    assert.deepEqual(
      (conditions(book)[1] as { message: string }).message,
      "spec.a is deprecated, use spec.b instead; another note",
    );
  });
});
