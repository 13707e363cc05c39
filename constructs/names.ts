/**
 * Names and labels of the Kubernetes objects we create for a Gateway's proxies, in Envoy Gateway's
 * shape so that its docs and selectors (`gateway.envoyproxy.io/owning-gateway-*`) work unchanged.
 */
import { createHash } from "node:crypto";

/** Label with the name of the Gateway that owns a proxy object. */
export const OWNING_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name";
/** Label with the namespace of the Gateway that owns a proxy object. */
export const OWNING_GATEWAY_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace";
/** Label with the GatewayClass whose Gateways share merged proxies (`mergeGateways`). */
export const OWNING_GATEWAY_CLASS = "gateway.envoyproxy.io/owning-gatewayclass";
/** The field manager of every server-side apply we do. */
export const FIELD_MANAGER = "envoy-gateway";

/** Kubernetes names are DNS labels of at most 63 characters. */
const MAX_NAME = 63;

/** First 8 hex digits of the SHA-256 of `text`. */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/**
 * `envoy-<namespace>-<name>-<hash>`, the hash taken over `namespace/name` so that two Gateways whose
 * joined names collide (`a-b`/`c` and `a`/`b-c`) get different objects; cut to 63 characters.
 */
export function proxyObjectName(gatewayNamespace: string, gatewayName: string): string {
  const hash = shortHash(`${gatewayNamespace}/${gatewayName}`);
  const base = `envoy-${gatewayNamespace}-${gatewayName}`.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, "");
  return `${base}-${hash}`;
}

/** `envoy-<class>-<hash>`: the shared proxies of a GatewayClass with `mergeGateways`. */
export function mergedProxyObjectName(gatewayClassName: string): string {
  const hash = shortHash(gatewayClassName);
  const base = `envoy-${gatewayClassName}`.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, "");
  return `${base}-${hash}`;
}

/** Who a set of proxies serves: one Gateway, or every Gateway of a class when merged. */
export type ProxyOwner =
  | { readonly kind: "Gateway"; readonly namespace: string; readonly name: string }
  | { readonly kind: "GatewayClass"; readonly name: string };

/** The selector labels every proxy has, whoever owns it. */
const PROXY_LABELS = { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy" } as const;

/** The selector labels of a proxy's pods; never overridable by users. */
export function selectorLabels(owner: ProxyOwner): Record<string, string> {
  return owner.kind === "Gateway"
    ? { ...PROXY_LABELS, [OWNING_GATEWAY_NAME]: owner.name, [OWNING_GATEWAY_NAMESPACE]: owner.namespace }
    : { ...PROXY_LABELS, [OWNING_GATEWAY_CLASS]: owner.name };
}

/** A key naming a proxy owner: `Gateway/<namespace>/<name>` or `GatewayClass/<name>`. */
export function proxyOwnerKey(owner: ProxyOwner): string {
  return owner.kind === "Gateway" ? `Gateway/${owner.namespace}/${owner.name}` : `GatewayClass/${owner.name}`;
}

/** The key of the owner whose {@link selectorLabels} `labels` carry, if they carry them. */
export function proxyOwnerKeyOfLabels(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!labels || Object.entries(PROXY_LABELS).some(([k, v]) => labels[k] !== v)) return undefined;
  const className = labels[OWNING_GATEWAY_CLASS];
  if (className !== undefined) return proxyOwnerKey({ kind: "GatewayClass", name: className });
  const name = labels[OWNING_GATEWAY_NAME];
  const namespace = labels[OWNING_GATEWAY_NAMESPACE];
  return name !== undefined && namespace !== undefined
    ? proxyOwnerKey({ kind: "Gateway", namespace, name })
    : undefined;
}

/** Labels of every object we create: the selector labels plus `app.kubernetes.io/managed-by`. */
export function objectLabels(owner: ProxyOwner): Record<string, string> {
  return { ...selectorLabels(owner), "app.kubernetes.io/managed-by": "envoy-gateway" };
}
