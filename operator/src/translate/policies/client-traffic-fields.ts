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

/** The set fields of `spec` no IMPLEMENTED_FIELDS entry covers, as `spec.a.b` paths, sorted. */
export function unimplementedFields(spec: unknown, implemented: readonly string[] = IMPLEMENTED_FIELDS): string[] {
  const out: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (implemented.includes(path)) return;
    const below = implemented.some((p) => p.startsWith(`${path}.`));
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
