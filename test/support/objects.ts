/** Gateway API objects as the translator reads them (parsed, not YAML), and status lookups, for pure tests. */
import type { Gateway, Listener } from "../../operator/src/resources/gateway-api";
import type { Condition, KubeObject } from "../../operator/src/resources/meta";
import { parseAllDocuments } from "yaml";

/** GatewayClass `eg` of our controller. */
export const GATEWAY_CLASS_OBJECT: KubeObject = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "eg" },
  spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
} as KubeObject;

/** Gateway `default/<name>` of class eg with `listeners`. */
export function gatewayObject(listeners: Listener[], name = "eg"): Gateway {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: "default" },
    spec: { gatewayClassName: "eg", listeners },
  };
}

/** The condition `type` of listener `listener` in a Gateway or ListenerSet status, or of the object itself. */
export function conditionOf(status: unknown, type: string, listener?: string): Condition | undefined {
  const s = status as { conditions?: Condition[]; listeners?: { name: string; conditions: Condition[] }[] } | undefined;
  const list = listener === undefined ? s?.conditions : s?.listeners?.find((l) => l.name === listener)?.conditions;
  return list?.find((c) => c.type === type);
}

/** The objects of a multi-document YAML text (e.g. from test/support/manifests.ts). */
export function yamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}
