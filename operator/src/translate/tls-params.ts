/**
 * The TLS protocol parameters Envoy Gateway's TLSSettings share (ClientTrafficPolicy `tls`, Backend `tls`, EnvoyProxy
 * `backendTLS`): versions, cipher suites, ECDH curves, signature algorithms and ALPN, each checked against what Envoy
 * (BoringSSL) accepts, so a bad one is reported as `<at>.<field>: <why>` and never reaches Envoy; Envoy Gateway's
 * version rules (minimum above maximum, ciphers with minimum 1.3) included.
 */
import type { TlsParamsIr, TlsVersionIr } from "../ir/client-traffic-tls-ir";
import type { TLSVersion, TlsParamsSettings } from "../resources/client-traffic-policy";

const VERSIONS: Readonly<Record<TLSVersion, TlsVersionIr>> = {
  Auto: "TLS_AUTO",
  "1.0": "TLSv1_0",
  "1.1": "TLSv1_1",
  "1.2": "TLSv1_2",
  "1.3": "TLSv1_3",
};
/** Envoy's (and Envoy Gateway's) defaults, which `Auto` stands for. */
const DEFAULT_MIN = "1.2";
const DEFAULT_MAX = "1.3";

/** Cipher suites BoringSSL (Envoy 1.36 to 1.40) accepts by name, each checked with `envoy --mode validate`. */
const CIPHERS = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-PSK-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-RSA-AES128-SHA",
  "ECDHE-PSK-AES128-CBC-SHA",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-RSA-AES256-SHA",
  "ECDHE-PSK-AES256-CBC-SHA",
  "ECDHE-RSA-AES128-SHA256",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
  "AES128-SHA",
  "PSK-AES128-CBC-SHA",
  "AES256-SHA",
  "PSK-AES256-CBC-SHA",
  "DES-CBC3-SHA",
]);
/**
 * ECDH groups BoringSSL accepts, by name (its names and OpenSSL's aliases) → the group, each checked with `envoy
 * --mode validate`. Envoy 1.40.0's BoringSSL no longer knows P-224 (`secp224r1`) and the Kyber draft
 * `X25519Kyber768Draft00`, which 1.37.0 took, and refuses a list naming one group twice (`X25519, x25519`): a
 * listener with either is refused as a whole (`Failed to initialize ECDH curves`).
 */
const CURVES: Readonly<Record<string, string>> = {
  X25519: "X25519",
  x25519: "X25519",
  "P-256": "P-256",
  prime256v1: "P-256",
  "P-384": "P-384",
  secp384r1: "P-384",
  "P-521": "P-521",
  secp521r1: "P-521",
  X25519MLKEM768: "X25519MLKEM768",
};

/** The group an ECDH curve name stands for, or undefined. */
function curve(n: string): string | undefined {
  return Object.hasOwn(CURVES, n) ? CURVES[n] : undefined;
}
/** Signature algorithms BoringSSL accepts (TLS 1.3 names); `KEY+HASH` names are aliases of them. */
const SIGNATURE_ALGORITHMS = new Set([
  "rsa_pkcs1_sha1",
  "rsa_pkcs1_sha256",
  "rsa_pkcs1_sha384",
  "rsa_pkcs1_sha512",
  "rsa_pkcs1_sha256_legacy",
  "ecdsa_sha1",
  "ecdsa_secp256r1_sha256",
  "ecdsa_secp384r1_sha384",
  "ecdsa_secp521r1_sha512",
  "rsa_pss_rsae_sha256",
  "rsa_pss_rsae_sha384",
  "rsa_pss_rsae_sha512",
  "ed25519",
]);
const SIGNATURE_PAIR = /^(?:(RSA|ECDSA)\+SHA(1|256|384|512)|(?:RSA-PSS|PSS)\+SHA(256|384|512))$/;
const ECDSA_CURVE: Readonly<Record<string, string>> = { "256": "secp256r1_", "384": "secp384r1_", "512": "secp521r1_" };

/** The TLS 1.3 name of a signature algorithm (BoringSSL refuses a list naming one twice), or undefined. */
function signatureAlgorithm(n: string): string | undefined {
  if (SIGNATURE_ALGORITHMS.has(n)) return n;
  const m = SIGNATURE_PAIR.exec(n);
  if (!m) return undefined;
  if (m[3]) return `rsa_pss_rsae_sha${m[3]}`;
  if (m[1] === "RSA") return `rsa_pkcs1_sha${m[2]}`;
  return m[2] === "1" ? "ecdsa_sha1" : `ecdsa_${ECDSA_CURVE[m[2]]}sha${m[2]}`;
}

/**
 * The names egts lets through, for the test that proves Envoy takes them: each list all at once (one name per ECDH
 * group: a group named twice is refused), and the curves' other names in a list of their own.
 */
export const ACCEPTED_TLS_NAMES = {
  ciphers: [...CIPHERS],
  ecdhCurves: [...new Set(Object.values(CURVES))],
  ecdhCurveAliases: Object.keys(CURVES).filter((n) => CURVES[n] !== n),
  signatureAlgorithms: [...SIGNATURE_ALGORITHMS],
} as const;

/** Envoy Gateway's ALPNProtocol values. */
const ALPN = ["h2", "http/1.1", "http/1.0"];

/**
 * The parameters of `tls` (unset fields left out), or undefined when one is refused: each problem is appended to
 * `invalid` as `<at>.<field>: <why>` (`at` is where the settings are, e.g. `spec.tls`).
 */
export function tlsParamsOf(tls: TlsParamsSettings, at: string, invalid: string[]): TlsParamsIr | undefined {
  const before = invalid.length;
  const minVersion = version(at, "minVersion", tls.minVersion, invalid);
  const maxVersion = version(at, "maxVersion", tls.maxVersion, invalid);
  checkVersionRules(tls, at, invalid);
  const ciphers = names([at, "ciphers"], tls.ciphers, isCipher, invalid);
  const ecdhCurves = names([at, "ecdhCurves"], tls.ecdhCurves, (n) => curve(n) !== undefined, invalid);
  checkRepeats(tls.ecdhCurves, `${at}.ecdhCurves`, curve, invalid);
  const isSigAlg = (n: string): boolean => signatureAlgorithm(n) !== undefined;
  const signatureAlgorithms = names([at, "signatureAlgorithms"], tls.signatureAlgorithms, isSigAlg, invalid);
  checkRepeats(tls.signatureAlgorithms, `${at}.signatureAlgorithms`, signatureAlgorithm, invalid);
  const alpnProtocols = names([at, "alpnProtocols"], tls.alpnProtocols, (n) => ALPN.includes(n), invalid, true);
  if (invalid.length > before) return undefined;
  const out = { minVersion, maxVersion, ciphers, ecdhCurves, signatureAlgorithms, alpnProtocols };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as TlsParamsIr;
}

function version(at: string, field: string, v: string | undefined, invalid: string[]): TlsVersionIr | undefined {
  if (v === undefined) return undefined;
  const ir = (VERSIONS as Record<string, TlsVersionIr>)[v];
  if (!ir) invalid.push(`${at}.${field}: "${v}" is not one of ${Object.keys(VERSIONS).join(", ")}`);
  return ir;
}

/**
 * Envoy Gateway's version rules: a minimum above the maximum is refused (no handshake could succeed; Auto is
 * the default), and so are ciphers with minimum 1.3 (TLS 1.3's cipher suites are not configurable).
 */
function checkVersionRules(tls: TlsParamsSettings, at: string, invalid: string[]): void {
  const eff = (v: string | undefined, d: string): string => (v === undefined || v === "Auto" ? d : v);
  const min = eff(tls.minVersion, DEFAULT_MIN);
  const max = eff(tls.maxVersion, DEFAULT_MAX);
  if (!(min in VERSIONS) || !(max in VERSIONS)) return;
  if (Number(min) > Number(max)) {
    const shown = (v: string | undefined, e: string): string => (v === undefined ? `${e}, the default` : v);
    invalid.push(
      `${at}: minVersion must be smaller or equal to maxVersion (minVersion ${shown(tls.minVersion, min)}, maxVersion ${shown(tls.maxVersion, max)})`,
    );
  }
  if (tls.minVersion === "1.3" && tls.ciphers !== undefined) {
    invalid.push(`${at}: setting ciphers has no effect if the minimum possible TLS version is 1.3`);
  }
}

/**
 * BoringSSL refuses a signature algorithm or ECDH curve list that names one algorithm or group twice (aliases
 * included): each repeat is reported at `at` (the list's field).
 */
function checkRepeats(
  list: readonly string[] | undefined,
  at: string,
  canonicalOf: (n: string) => string | undefined,
  invalid: string[],
): void {
  const seen = new Map<string, string>();
  for (const n of Array.isArray(list) ? list : []) {
    const canonical = canonicalOf(n);
    if (canonical === undefined) continue;
    const first = seen.get(canonical);
    if (first !== undefined) invalid.push(`${at}: "${n}" repeats "${first}" (BoringSSL refuses the list)`);
    else seen.set(canonical, n);
  }
}

/** A cipher name, or a `[a|b|...]` equal-preference group of names. */
function isCipher(c: string): boolean {
  const group = /^\[(.+)\]$/.exec(c);
  return group ? group[1].split("|").every((n) => CIPHERS.has(n)) : CIPHERS.has(c);
}

/** The list when every name is accepted; each refused one is reported. An empty list is kept only if `emptyOk`. */
function names(
  [at, field]: readonly [string, string],
  list: readonly string[] | undefined,
  ok: (n: string) => boolean,
  invalid: string[],
  emptyOk = false,
): string[] | undefined {
  if (list === undefined || (list.length === 0 && !emptyOk)) return undefined;
  const bad = list.filter((n) => !ok(n));
  for (const n of bad) invalid.push(`${at}.${field}: "${n}" ${refusal(field, n)}`);
  return bad.length > 0 ? undefined : [...list];
}

function refusal(field: string, name: string): string {
  if (field === "alpnProtocols") return `is not one of ${ALPN.join(", ")}`;
  if (field === "ciphers" && name.startsWith("TLS_")) {
    return "is a TLS 1.3 cipher suite, which BoringSSL does not let Envoy configure; name TLS 1.0-1.2 suites (e.g. ECDHE-RSA-AES128-GCM-SHA256)";
  }
  return "is not supported by Envoy (BoringSSL)";
}
