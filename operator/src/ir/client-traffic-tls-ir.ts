/**
 * ClientTrafficPolicy's `tls` settings, normalized for Envoy's DownstreamTlsContext: the translator
 * (translate/policies/client-traffic-tls.ts) fills them in, checked against what Envoy (BoringSSL) accepts;
 * the xDS translator (xds/translate/tls.ts) puts them on every TLS-terminating filter chain of the listener.
 */

/** Envoy's TlsParameters.TlsProtocol names. */
export type TlsVersionIr = "TLS_AUTO" | "TLSv1_0" | "TLSv1_1" | "TLSv1_2" | "TLSv1_3";

/**
 * TLS protocol parameters (Envoy's TlsParameters and ALPN) of Envoy Gateway's TLSSettings; absent fields keep the
 * defaults (Envoy Gateway's).
 */
export interface TlsParamsIr {
  /** tls_minimum_protocol_version; absent: 1.2. */
  readonly minVersion?: TlsVersionIr;
  /** tls_maximum_protocol_version; absent: 1.3. */
  readonly maxVersion?: TlsVersionIr;
  /** cipher_suites (TLS 1.0-1.2), BoringSSL names or `[a|b]` equal-preference groups. */
  readonly ciphers?: readonly string[];
  /** ecdh_curves (BoringSSL group names). */
  readonly ecdhCurves?: readonly string[];
  /** signature_algorithms (BoringSSL names). */
  readonly signatureAlgorithms?: readonly string[];
  /** ALPN protocols offered, replacing the default; empty: no ALPN. */
  readonly alpnProtocols?: readonly string[];
}

/** TLS termination settings of one Envoy listener; absent fields keep the defaults (Envoy Gateway's). */
export interface ClientTlsIr extends TlsParamsIr {
  /** Session tickets (stateless resumption) on; off by default, as in Envoy Gateway. */
  readonly statelessResumption?: boolean;
  /** Session id cache (stateful resumption) on; off by default, as in Envoy Gateway. */
  readonly statefulResumption?: boolean;
  /** Client certificate validation; replaces the Gateway's frontend validation. */
  readonly clientValidation?: ClientCertValidationIr;
  /** The TLS inspector computes the JA3 fingerprint (%TLS_JA3_FINGERPRINT%). */
  readonly ja3Fingerprint?: boolean;
  /** The TLS inspector computes the JA4 fingerprint (%TLS_JA4_FINGERPRINT%). */
  readonly ja4Fingerprint?: boolean;
}

/** How client certificates are checked (Envoy's CertificateValidationContext). */
export interface ClientCertValidationIr {
  /** PEM CA bundle client certificates must chain to; absent when only hashes are checked. */
  readonly caCertificate?: string;
  /** A client certificate is required (modes RequireAny and RequireAndVerify). */
  readonly requireCertificate: boolean;
  /** A presented certificate is not verified against the CA (modes Request and RequireAny). */
  readonly acceptUntrusted?: boolean;
  /** An expired certificate that is otherwise valid is accepted (allowExpiredCertificate). */
  readonly allowExpiredCertificate?: boolean;
  /** verify_certificate_spki: base64 SHA-256 hashes of accepted SubjectPublicKeyInfos. */
  readonly spkiHashes?: readonly string[];
  /** verify_certificate_hash: hex SHA-256 hashes of accepted certificates. */
  readonly certificateHashes?: readonly string[];
  /** match_typed_subject_alt_names: one must match. */
  readonly subjectAltNames?: readonly SanMatchIr[];
  /** PEM certificate revocation lists. */
  readonly crl?: string;
  /** only_verify_leaf_cert_crl: only the leaf certificate is checked against the CRLs. */
  readonly onlyVerifyLeafCrl?: boolean;
}

/** One subject alternative name matcher. */
export interface SanMatchIr {
  /** Envoy's SubjectAltNameMatcher.SanType. */
  readonly sanType: "DNS" | "EMAIL" | "IP_ADDRESS" | "URI" | "OTHER_NAME";
  /** The otherName OID (OTHER_NAME only). */
  readonly oid?: string;
  /** How `value` is matched. */
  readonly type: "Exact" | "Prefix" | "Suffix" | "RegularExpression";
  /** The value or RE2 pattern. */
  readonly value: string;
}
