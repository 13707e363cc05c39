/**
 * xDS node identity: each proxy's client certificate names the one node id (Gateway `namespace/name`, or
 * the GatewayClass name of merged proxies) it may ask configuration for, as a URI subjectAltName
 * `spiffe://gateway.envoyproxy.io/node/<namespace>/<name>` (each segment percent-encoded).
 */
import { isIP } from "node:net";

/** Prefix of the node identity URI SAN. */
export const NODE_IDENTITY_PREFIX = "spiffe://gateway.envoyproxy.io/node/";

/** The URI SAN that grants `nodeId`. */
export function nodeIdentityUri(nodeId: string): string {
  return NODE_IDENTITY_PREFIX + nodeId.split("/").map(encodeURIComponent).join("/");
}

/**
 * The node ids a peer certificate grants, from Node's `subjectaltname` text (`DNS:a, URI:spiffe://…`);
 * none for a certificate without node identity (e.g. Envoy Gateway's shared `envoy` certificate).
 */
export function nodeIdsOfSubjectAltName(san: string | undefined): string[] {
  const out: string[] = [];
  for (const entry of (san ?? "").split(", ")) {
    const uri = entry.startsWith("URI:") ? entry.slice(4).replace(/^"(.*)"$/, "$1") : "";
    if (!uri.startsWith(NODE_IDENTITY_PREFIX)) continue;
    try {
      out.push(uri.slice(NODE_IDENTITY_PREFIX.length).split("/").map(decodeURIComponent).join("/"));
    } catch {
      // a malformed escape grants nothing
    }
  }
  return out;
}

/** True when `address` ("host:port") binds a loopback address only. */
export function isLoopbackListen(address: string): boolean {
  const host = address.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}
