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

/** Kubernetes label values: at most 63 characters, alphanumeric at both ends, `-`, `_` and `.` inside. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * A Kubernetes name as a label value: itself when it is a valid one, else (a Gateway or GatewayClass name
 * may have 253 characters) its first characters cut to end alphanumeric, `-`, and the {@link shortHash} of
 * the whole name: at most 63 characters, and two long names that share their first 54 still differ. The
 * full name is then in the annotation of the same key ({@link ownerAnnotations}). Envoy Gateway writes the
 * raw name (its issue 10048: the API server refuses the objects); the Gateway API recommends (GEP-1762)
 * implementations handle such names themselves.
 */
export function labelValue(text: string): string {
  if (LABEL_VALUE.test(text)) return text;
  const hash = shortHash(text);
  const base = text
    .slice(0, MAX_NAME - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/[^A-Za-z0-9]+$/, "")
    .replace(/[^-A-Za-z0-9_.]/g, "-");
  return base === "" ? hash : `${base}-${hash}`;
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
    ? {
        ...PROXY_LABELS,
        [OWNING_GATEWAY_NAME]: labelValue(owner.name),
        [OWNING_GATEWAY_NAMESPACE]: labelValue(owner.namespace),
      }
    : { ...PROXY_LABELS, [OWNING_GATEWAY_CLASS]: labelValue(owner.name) };
}

/**
 * The owner's full name as an annotation (key: the label's) when its label value had to be shortened
 * ({@link labelValue}); empty otherwise.
 */
export function ownerAnnotations(owner: ProxyOwner): Record<string, string> {
  const key = owner.kind === "Gateway" ? OWNING_GATEWAY_NAME : OWNING_GATEWAY_CLASS;
  return labelValue(owner.name) === owner.name ? {} : { [key]: owner.name };
}

/**
 * A key naming a proxy owner: `Gateway/<namespace>/<name>` or `GatewayClass/<name>`, with the names as
 * their label values ({@link labelValue}) so that the key read back from labels is the same.
 */
export function proxyOwnerKey(owner: ProxyOwner): string {
  return owner.kind === "Gateway"
    ? `Gateway/${labelValue(owner.namespace)}/${labelValue(owner.name)}`
    : `GatewayClass/${labelValue(owner.name)}`;
}

/** The key of the owner whose {@link selectorLabels} `labels` carry, if they carry them. */
export function proxyOwnerKeyOfLabels(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!labels || Object.entries(PROXY_LABELS).some(([k, v]) => labels[k] !== v)) return undefined;
  const className = labels[OWNING_GATEWAY_CLASS];
  if (className !== undefined) return `GatewayClass/${className}`;
  const name = labels[OWNING_GATEWAY_NAME];
  const namespace = labels[OWNING_GATEWAY_NAMESPACE];
  return name !== undefined && namespace !== undefined ? `Gateway/${namespace}/${name}` : undefined;
}

/** Labels of every object we create: the selector labels plus `app.kubernetes.io/managed-by`. */
export function objectLabels(owner: ProxyOwner): Record<string, string> {
  return { ...selectorLabels(owner), "app.kubernetes.io/managed-by": "envoy-gateway" };
}
