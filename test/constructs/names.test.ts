/** Proxy owners and their labels: the controller finds a Gateway's Service and workload by these. */
import * as assert from "node:assert/strict";
import { renderInfra } from "../../constructs/from-snapshot";
import {
  labelValue,
  objectLabels,
  OWNING_GATEWAY_CLASS,
  OWNING_GATEWAY_NAME,
  proxyOwnerKey,
  proxyOwnerKeyOfLabels,
  selectorLabels,
  type ProxyOwner,
} from "../../constructs/names";
import type { Manifest } from "../../constructs/render";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";

/** A 253-character Gateway name, the longest a DNS subdomain may be (conformance GatewayNameMaximumLength). */
const LONG_NAME = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
/** What the API server accepts as a label value. */
const VALID_LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Every label map of a rendered object: its labels, selectors and pod template labels. */
function labelMaps(m: Manifest): Record<string, string>[] {
  const spec = (m as unknown as { spec?: Record<string, unknown> }).spec ?? {};
  const selector = spec.selector as Record<string, unknown> | undefined;
  const template = spec.template as { metadata?: { labels?: Record<string, string> } } | undefined;
  return [
    m.metadata.labels ?? {},
    ...(selector
      ? [(selector.matchLabels as Record<string, string> | undefined) ?? (selector as Record<string, string>)]
      : []),
    template?.metadata?.labels ?? {},
  ];
}

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

  it("a 253-character Gateway name becomes a valid label value: cut, with a hash, the full name annotated", () => {
    assert.equal(LONG_NAME.length, 253);
    const owner: ProxyOwner = { kind: "Gateway", namespace: "default", name: LONG_NAME };
    const value = selectorLabels(owner)[OWNING_GATEWAY_NAME];
    assert.match(value, VALID_LABEL_VALUE);
    assert.ok(value.length <= 63, value);
    assert.ok(value.startsWith("a".repeat(40)), value);
    assert.notEqual(labelValue(`${LONG_NAME.slice(0, -1)}e`), value, "two long names sharing a prefix differ");
    assert.equal(proxyOwnerKeyOfLabels(objectLabels(owner)), proxyOwnerKey(owner));
    assert.equal(labelValue("eg"), "eg", "a valid value is kept as it is");
    assert.match(labelValue("x".repeat(62) + ".y"), VALID_LABEL_VALUE, "never ends with a dot or dash");
    const cls = selectorLabels({ kind: "GatewayClass", name: LONG_NAME })[OWNING_GATEWAY_CLASS];
    assert.match(cls, VALID_LABEL_VALUE);
  });

  it("renders every proxy object of a 253-character Gateway with valid names and label values", () => {
    const snapshot = snapshotFromObjects([
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: "eg" },
        spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: LONG_NAME, namespace: "default" },
        spec: { gatewayClassName: "eg", listeners: [{ name: "http", protocol: "HTTP", port: 80 }] },
      },
    ]);
    const manifests = renderInfra(translate(snapshot).infraIr, snapshot, {
      image: "envoy:test",
      xds: { host: "xds.example" },
      namespace: "envoy-gateway-system",
    });
    assert.ok(
      manifests.some((m) => m.kind === "Deployment"),
      manifests.map((m) => m.kind).join(", "),
    );
    for (const m of manifests) {
      const where = `${m.kind} ${m.metadata.name}`;
      assert.ok(m.metadata.name.length <= 63, `${where}: name longer than 63`);
      for (const labels of labelMaps(m)) {
        for (const [k, v] of Object.entries(labels)) assert.match(v, VALID_LABEL_VALUE, `${where}: label ${k}`);
      }
      assert.equal(m.metadata.annotations?.[OWNING_GATEWAY_NAME], LONG_NAME, `${where}: full name annotated`);
    }
  });
});
