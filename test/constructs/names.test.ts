/** Proxy owners and their labels: the controller finds a Gateway's Service and workload by these. */
import * as assert from "node:assert/strict";
import {
  objectLabels,
  OWNING_GATEWAY_NAME,
  proxyOwnerKey,
  proxyOwnerKeyOfLabels,
  selectorLabels,
  type ProxyOwner,
} from "../../constructs/names";

const OWNERS: ProxyOwner[] = [
  { kind: "Gateway", namespace: "default", name: "eg" },
  { kind: "GatewayClass", name: "eg" },
];

describe("constructs: proxy owner labels", () => {
  it("reads the owner back from the selector labels and from the object labels", () => {
    for (const owner of OWNERS) {
      assert.equal(proxyOwnerKeyOfLabels(selectorLabels(owner)), proxyOwnerKey(owner));
      assert.equal(proxyOwnerKeyOfLabels({ ...objectLabels(owner), team: "edge" }), proxyOwnerKey(owner));
    }
    assert.notEqual(proxyOwnerKey(OWNERS[0]), proxyOwnerKey(OWNERS[1]), "a Gateway and a class of one name differ");
  });

  it("names no owner for labels that are not a proxy's", () => {
    const gw = selectorLabels(OWNERS[0]);
    assert.equal(proxyOwnerKeyOfLabels(undefined), undefined);
    assert.equal(proxyOwnerKeyOfLabels({ ...gw, "app.kubernetes.io/name": "other" }), undefined);
    const { [OWNING_GATEWAY_NAME]: _name, ...withoutName } = gw;
    assert.equal(proxyOwnerKeyOfLabels(withoutName), undefined, "a Gateway owner needs name and namespace");
  });
});
