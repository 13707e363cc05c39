/**
 * Which ClientTrafficPolicy fields egts implements. Every other field a policy sets makes it Accepted=False
 * ("<field> is not implemented by egts"), so nothing is silently ignored. Implementing a field group means:
 * translate it in client-traffic.ts, add it here, add a golden and a test on the wire.
 */

/** Spec paths egts implements (a path covers everything below it). */
export const IMPLEMENTED_FIELDS: readonly string[] = [
  "targetRef",
  "targetRefs",
  "targetSelectors",
  "tcpKeepalive",
  "enableProxyProtocol",
  "proxyProtocol",
  "clientIPDetection.xForwardedFor",
  "clientIPDetection.customHeader",
  "clientIPDetection.directSourceIP",
  "connection.connectionLimit.value",
  "connection.connectionLimit.closeDelay",
  "connection.connectionLimit.maxConnectionDuration",
  "connection.connectionLimit.maxRequestsPerConnection",
  "connection.connectionLimit.maxStreamDuration",
  "connection.bufferLimit",
  "connection.socketBufferLimit",
  "connection.maxAcceptPerSocketEvent",
  "headers.enableEnvoyHeaders",
  "headers.disableRateLimitHeaders",
  "headers.xForwardedClientCert",
  "headers.withUnderscoresAction",
  "headers.preserveXRequestID",
  "headers.requestID",
  "headers.earlyRequestHeaders",
  "headers.lateResponseHeaders",
  "headers.host",
  "path",
  "timeout.http.requestReceivedTimeout",
  "timeout.http.requestHeadersReceivedTimeout",
  "timeout.http.idleTimeout",
  "timeout.http.streamIdleTimeout",
  "timeout.tcp.idleTimeout",
  "timeout.tcp.connectionInspectionTimeout",
  "timeout.tcp.tlsHandshakeTimeout",
  "http1.enableTrailers",
  "http1.preserveHeaderCase",
  "http1.http10",
  "http1.ignoredUpgradeTypes",
  "http1.disableSafeMaxConnectionDuration",
  "http2.initialStreamWindowSize",
  "http2.initialConnectionWindowSize",
  "http2.maxConcurrentStreams",
  "http2.onInvalidMessage",
  "http2.connectionKeepalive.interval",
  "http2.connectionKeepalive.timeout",
  "http2.connectionKeepalive.intervalJitter",
  "http2.connectionKeepalive.idleInterval",
  "grpc.enableWeb",
  "healthCheck",
  "scheme",
  "tls.minVersion",
  "tls.maxVersion",
  "tls.ciphers",
  "tls.ecdhCurves",
  "tls.signatureAlgorithms",
  "tls.alpnProtocols",
  "tls.session.resumption.stateless",
  "tls.session.resumption.stateful",
  "tls.fingerprints",
  "tls.clientValidation.optional",
  "tls.clientValidation.mode",
  "tls.clientValidation.caCertificateRefs",
  "tls.clientValidation.spkiHashes",
  "tls.clientValidation.certificateHashes",
  "tls.clientValidation.subjectAltNames",
  "tls.clientValidation.crl",
  "tls.clientValidation.allowExpiredCertificate",
  "http3",
];

/** A field list as sets: the paths, and every path some path lies below. */
interface FieldSets {
  readonly exact: ReadonlySet<string>;
  readonly parents: ReadonlySet<string>;
}

/** The sets of each field list (built once per list: the kinds' lists are module constants). */
const FIELD_SETS = new WeakMap<readonly string[], FieldSets>();

function fieldSets(implemented: readonly string[]): FieldSets {
  let sets = FIELD_SETS.get(implemented);
  if (!sets) {
    const parents = new Set<string>();
    for (const p of implemented) {
      for (let i = p.indexOf("."); i >= 0; i = p.indexOf(".", i + 1)) parents.add(p.slice(0, i));
    }
    sets = { exact: new Set(implemented), parents };
    FIELD_SETS.set(implemented, sets);
  }
  return sets;
}

/** The set fields of `spec` no IMPLEMENTED_FIELDS entry covers, as `spec.a.b` paths, sorted. */
export function unimplementedFields(spec: unknown, implemented: readonly string[] = IMPLEMENTED_FIELDS): string[] {
  const out: string[] = [];
  const { exact, parents } = fieldSets(implemented);
  const visit = (value: unknown, path: string): void => {
    if (exact.has(path)) return;
    const below = parents.has(path);
    if (below && typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) if (v !== undefined) visit(v, `${path}.${k}`);
      return;
    }
    out.push(`spec.${path}`);
  };
  if (typeof spec === "object" && spec !== null) {
    for (const [k, v] of Object.entries(spec)) if (v !== undefined) visit(v, k);
  }
  return out.sort();
}
