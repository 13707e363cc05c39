/**
 * The kinds egts reads, and in which apiVersions: every version the Gateway API v1.7 CRDs serve (standard and
 * experimental channels), because older YAML in docs and users' repositories uses them. Those CRDs convert
 * with strategy None and every served version has v1's schema but for validation (TLSRoute v1alpha2 does not
 * require hostnames; TCP/TLS/UDPRoute v1alpha2 allow up to 16 rules, which the translator reports), so an
 * object of an older version is read as it is. Anything else is reported, never dropped without a word.
 */
import type { KubeObject } from "./meta";

const GW = "gateway.networking.k8s.io";
const EG = "gateway.envoyproxy.io";

/** `group|kind` → the versions read (the first is the one egts itself writes and documents). */
const READ_VERSIONS: ReadonlyMap<string, readonly string[]> = new Map([
  [`${GW}|GatewayClass`, ["v1", "v1beta1"]],
  [`${GW}|Gateway`, ["v1", "v1beta1"]],
  [`${GW}|HTTPRoute`, ["v1", "v1beta1"]],
  [`${GW}|GRPCRoute`, ["v1"]],
  [`${GW}|TLSRoute`, ["v1", "v1alpha3", "v1alpha2"]],
  [`${GW}|TCPRoute`, ["v1", "v1alpha2"]],
  [`${GW}|UDPRoute`, ["v1", "v1alpha2"]],
  [`${GW}|ListenerSet`, ["v1"]],
  [`${GW}|ReferenceGrant`, ["v1", "v1beta1"]],
  [`${GW}|BackendTLSPolicy`, ["v1", "v1alpha3"]],
  [`${EG}|Backend`, ["v1alpha1"]],
  [`${EG}|EnvoyProxy`, ["v1alpha1"]],
  [`${EG}|ClientTrafficPolicy`, ["v1alpha1"]],
  [`${EG}|BackendTrafficPolicy`, ["v1alpha1"]],
  [`${EG}|SecurityPolicy`, ["v1alpha1"]],
  [`${EG}|EnvoyExtensionPolicy`, ["v1alpha1"]],
  [`${EG}|EnvoyPatchPolicy`, ["v1alpha1"]],
  [`${EG}|HTTPRouteFilter`, ["v1alpha1"]],
  ["|Service", ["v1"]],
  ["|Namespace", ["v1"]],
  ["|Secret", ["v1"]],
  ["|ConfigMap", ["v1"]],
  ["discovery.k8s.io|EndpointSlice", ["v1"]],
]);

function groupAndVersion(apiVersion: unknown): [string, string] {
  // Objects are untrusted input: a non-string apiVersion is read as no version at all.
  if (typeof apiVersion !== "string") return ["", ""];
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

/** Whether egts reads this object's apiVersion and kind. */
export function isRead(o: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  const [group, version] = groupAndVersion(o.apiVersion);
  return READ_VERSIONS.get(`${group}|${o.kind}`)?.includes(version) ?? false;
}

/**
 * Why an object is not read, naming its apiVersion and kind and what egts reads instead; undefined when it
 * is read. E.g. `TLSRoute apiVersion gateway.networking.k8s.io/v1alpha1 is not read (egts reads TLSRoute
 * as gateway.networking.k8s.io/v1, …); the object is ignored`.
 */
export function unreadReason(o: Pick<KubeObject, "apiVersion" | "kind">): string | undefined {
  if (isRead(o)) return undefined;
  const [group] = groupAndVersion(o.apiVersion);
  const versions = READ_VERSIONS.get(`${group}|${o.kind}`);
  if (versions) {
    const read = versions.map((v) => (group ? `${group}/${v}` : v)).join(", ");
    return `${o.kind} apiVersion ${o.apiVersion} is not read (egts reads ${o.kind} as ${read}); the object is ignored`;
  }
  const groups = [...READ_VERSIONS.keys()].filter((k) => k.endsWith(`|${o.kind}`)).map((k) => k.split("|")[0]);
  const elsewhere = groups.length > 0 ? ` (egts reads ${o.kind} of API group ${groups.join(", ") || "core"})` : "";
  return `kind ${o.kind} of apiVersion ${o.apiVersion} is not a kind egts reads${elsewhere}; the object is ignored`;
}
