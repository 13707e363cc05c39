/**
 * ClientTrafficPolicy's `tls` → ClientTlsIr, as Envoy Gateway v1.9 translates it. Every value is checked
 * against what Envoy (BoringSSL) accepts, so a bad one is reported as `spec.tls.<field>: <why>` (the policy is
 * Accepted=False) and never reaches Envoy: cipher, curve and signature algorithm names, min > max versions,
 * hash formats, SAN matchers, and the CA certificate and CRL references (Secrets or ConfigMaps, in the
 * policy's namespace or allowed by a ReferenceGrant from ClientTrafficPolicy).
 */
import { X509Certificate } from "node:crypto";
import type { ClientCertValidationIr, ClientTlsIr, SanMatchIr, TlsVersionIr } from "../../ir/client-traffic-tls-ir";
import type {
  ClientTLSSettings,
  ClientValidationContext,
  ClientValidationModeType,
  SubjectAltNames,
  TLSFingerprintType,
  TLSVersion,
} from "../../resources/client-traffic-policy";
import type { SecretObjectReference } from "../../resources/gateway-api";
import { secretValue, type ListenerRefs } from "../listener-tls";
import { re2Problem } from "../regex";

/** What resolving references needs: Secrets, ConfigMaps and ReferenceGrants (ListenerRefs has them). */
export type TlsRefs = Pick<ListenerRefs, "secret" | "configMap" | "grants">;

/** The policy whose `tls` is translated: where its references are relative to. */
export interface TlsPolicyContext {
  /** The policy's namespace. */
  readonly namespace: string;
  /** Secrets, ConfigMaps and ReferenceGrants; absent: every reference is unresolved. */
  readonly refs?: TlsRefs;
}

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

/** Cipher suites BoringSSL (Envoy 1.36) accepts by name, each checked with `envoy --mode validate`. */
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
/** ECDH groups BoringSSL accepts (its names and OpenSSL's aliases). */
const CURVES = new Set([
  "X25519",
  "x25519",
  "P-224",
  "P-256",
  "P-384",
  "P-521",
  "secp224r1",
  "prime256v1",
  "secp384r1",
  "secp521r1",
  "X25519MLKEM768",
  "X25519Kyber768Draft00",
]);
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

/** The names egts lets through, for the test that proves Envoy takes them all at once. */
export const ACCEPTED_TLS_NAMES = {
  ciphers: [...CIPHERS],
  ecdhCurves: [...CURVES],
  signatureAlgorithms: [...SIGNATURE_ALGORITHMS],
} as const;

/** Envoy Gateway's ALPNProtocol values. */
const ALPN = ["h2", "http/1.1", "http/1.0"];
const MATCH_TYPES = ["Exact", "Prefix", "Suffix", "RegularExpression"] as const;
/** A dotted OID, e.g. 1.3.6.1.4.1.311.20.2.3. */
const OID = /^[0-2](?:\.(?:0|[1-9][0-9]*))+$/;

/** Translates `spec.tls`; problems are appended to `invalid` as `spec.tls.<field>: <why>`. */
export function translateClientTls(
  tls: ClientTLSSettings,
  ctx: TlsPolicyContext,
  invalid: string[],
): ClientTlsIr | undefined {
  const before = invalid.length;
  const minVersion = version("minVersion", tls.minVersion, invalid);
  const maxVersion = version("maxVersion", tls.maxVersion, invalid);
  checkVersionRules(tls, invalid);
  const ciphers = names("ciphers", tls.ciphers, isCipher, invalid);
  const ecdhCurves = names("ecdhCurves", tls.ecdhCurves, (n) => CURVES.has(n), invalid);
  const isSigAlg = (n: string): boolean => signatureAlgorithm(n) !== undefined;
  const signatureAlgorithms = names("signatureAlgorithms", tls.signatureAlgorithms, isSigAlg, invalid);
  checkRepeats(tls.signatureAlgorithms ?? [], invalid);
  const alpnProtocols = names("alpnProtocols", tls.alpnProtocols, (n) => ALPN.includes(n), invalid, true);
  const resumption = tls.session?.resumption;
  const clientValidation = tls.clientValidation ? validationOf(tls.clientValidation, ctx, invalid) : undefined;
  const fingerprints = fingerprintsOf(tls.fingerprints, invalid);
  if (invalid.length > before) return undefined;
  return compact({
    minVersion,
    maxVersion,
    ciphers,
    ecdhCurves,
    signatureAlgorithms,
    alpnProtocols,
    statelessResumption: resumption?.stateless ? true : undefined,
    statefulResumption: resumption?.stateful ? true : undefined,
    clientValidation,
    ja3Fingerprint: fingerprints?.includes("JA3") ? true : undefined,
    ja4Fingerprint: fingerprints?.includes("JA4") ? true : undefined,
  });
}

/** Envoy Gateway's TLSFingerprintType values. */
const FINGERPRINTS: readonly TLSFingerprintType[] = ["JA3", "JA4"];

/** The fingerprints asked for, when each is known. */
function fingerprintsOf(list: readonly string[] | undefined, invalid: string[]): readonly string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) {
    invalid.push(`spec.tls.fingerprints: must be a list of ${FINGERPRINTS.join(", ")}`);
    return undefined;
  }
  list.forEach((f, i) => {
    if (!(FINGERPRINTS as readonly string[]).includes(f)) {
      invalid.push(`spec.tls.fingerprints[${i}]: "${String(f)}" is not one of ${FINGERPRINTS.join(", ")}`);
    }
  });
  return list;
}

/** `o` without its undefined fields (the IR leaves unset fields out). */
function compact<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function version(field: string, v: string | undefined, invalid: string[]): TlsVersionIr | undefined {
  if (v === undefined) return undefined;
  const ir = (VERSIONS as Record<string, TlsVersionIr>)[v];
  if (!ir) invalid.push(`spec.tls.${field}: "${v}" is not one of ${Object.keys(VERSIONS).join(", ")}`);
  return ir;
}

/**
 * Envoy Gateway's version rules: a minimum above the maximum is refused (no handshake could succeed; Auto is
 * the default), and so are ciphers with minimum 1.3 (TLS 1.3's cipher suites are not configurable).
 */
function checkVersionRules(tls: ClientTLSSettings, invalid: string[]): void {
  const eff = (v: string | undefined, d: string): string => (v === undefined || v === "Auto" ? d : v);
  const min = eff(tls.minVersion, DEFAULT_MIN);
  const max = eff(tls.maxVersion, DEFAULT_MAX);
  if (!(min in VERSIONS) || !(max in VERSIONS)) return;
  if (Number(min) > Number(max)) {
    const shown = (v: string | undefined, e: string): string => (v === undefined ? `${e}, the default` : v);
    invalid.push(
      `spec.tls: minVersion must be smaller or equal to maxVersion (minVersion ${shown(tls.minVersion, min)}, maxVersion ${shown(tls.maxVersion, max)})`,
    );
  }
  if (tls.minVersion === "1.3" && tls.ciphers !== undefined) {
    invalid.push("spec.tls: setting ciphers has no effect if the minimum possible TLS version is 1.3");
  }
}

/** BoringSSL refuses a signature algorithm list that names one algorithm twice (aliases included). */
function checkRepeats(list: readonly string[], invalid: string[]): void {
  const seen = new Map<string, string>();
  for (const n of list) {
    const canonical = signatureAlgorithm(n);
    if (canonical === undefined) continue;
    const first = seen.get(canonical);
    if (first !== undefined) {
      invalid.push(`spec.tls.signatureAlgorithms: "${n}" repeats "${first}" (BoringSSL refuses the list)`);
    } else seen.set(canonical, n);
  }
}

/** A cipher name, or a `[a|b|...]` equal-preference group of names. */
function isCipher(c: string): boolean {
  const group = /^\[(.+)\]$/.exec(c);
  return group ? group[1].split("|").every((n) => CIPHERS.has(n)) : CIPHERS.has(c);
}

/** The list when every name is accepted; each refused one is reported. An empty list is kept only if `emptyOk`. */
function names(
  field: string,
  list: readonly string[] | undefined,
  ok: (n: string) => boolean,
  invalid: string[],
  emptyOk = false,
): string[] | undefined {
  if (list === undefined || (list.length === 0 && !emptyOk)) return undefined;
  const bad = list.filter((n) => !ok(n));
  for (const n of bad) invalid.push(`spec.tls.${field}: "${n}" ${refusal(field, n)}`);
  return bad.length > 0 ? undefined : [...list];
}

function refusal(field: string, name: string): string {
  if (field === "alpnProtocols") return `is not one of ${ALPN.join(", ")}`;
  if (field === "ciphers" && name.startsWith("TLS_")) {
    return "is a TLS 1.3 cipher suite, which BoringSSL does not let Envoy configure; name TLS 1.0-1.2 suites (e.g. ECDHE-RSA-AES128-GCM-SHA256)";
  }
  return "is not supported by Envoy (BoringSSL)";
}

function validationOf(
  v: ClientValidationContext,
  ctx: TlsPolicyContext,
  invalid: string[],
): ClientCertValidationIr | undefined {
  const before = invalid.length;
  const caRefs = v.caCertificateRefs ?? [];
  const caCertificate = caRefs.length > 0 ? caBundle(caRefs, ctx, invalid) : undefined;
  const spkiHashes = hashes(
    `${AT}.spkiHashes`,
    v.spkiHashes,
    isSpkiHash,
    "a base64 SHA-256 hash (44 characters)",
    invalid,
  );
  const certificateHashes = hashes(`${AT}.certificateHashes`, v.certificateHashes, isCertHash, CERT_HASH, invalid);
  const subjectAltNames = v.subjectAltNames ? sanMatchers(v.subjectAltNames, invalid) : [];
  const crl = v.crl ? crlOf(v.crl.refs ?? [], ctx, invalid) : undefined;
  const mode = modeOf(v, invalid);
  if (caRefs.length === 0 && mode !== undefined) withoutCa(v, mode, subjectAltNames.length > 0, invalid);
  const checks = mode !== undefined ? modeChecks(v, mode, invalid) : undefined;
  if (invalid.length > before || checks === undefined) return undefined;
  return compact({
    caCertificate,
    ...checks,
    spkiHashes,
    certificateHashes,
    subjectAltNames: subjectAltNames.length > 0 ? subjectAltNames : undefined,
    crl,
    onlyVerifyLeafCrl: v.crl?.onlyVerifyLeafCertificate ? true : undefined,
  });
}

const AT = "spec.tls.clientValidation";
const CERT_HASH = "a hex SHA-256 hash (64 hex digits, optionally colon-separated pairs)";

/** The PEM bundle of every CA reference (each must hold certificates under ca.crt). */
function caBundle(refs: readonly SecretObjectReference[], ctx: TlsPolicyContext, invalid: string[]): string {
  const pems = refs.map((r, i) => {
    const pem = resolvePem(`${AT}.caCertificateRefs[${i}]`, r, "ca.crt", ctx, invalid);
    if (pem !== undefined && !isCertificate(pem)) {
      invalid.push(`${AT}.caCertificateRefs[${i}]: ca.crt is not a PEM certificate`);
    }
    return pem ?? "";
  });
  return pems.join("\n");
}

/** Envoy Gateway's ClientValidationModeType values. */
const MODES: readonly ClientValidationModeType[] = ["Request", "RequireAny", "VerifyIfGiven", "RequireAndVerify"];

/**
 * The effective mode (Envoy Gateway's): `mode` when set; else the deprecated `optional: true` means
 * VerifyIfGiven; else RequireAndVerify. Undefined (reported) when `mode` is not one of MODES.
 */
function modeOf(v: ClientValidationContext, invalid: string[]): ClientValidationModeType | undefined {
  if (v.mode === undefined) return v.optional === true ? "VerifyIfGiven" : "RequireAndVerify";
  if ((MODES as readonly string[]).includes(v.mode)) return v.mode;
  invalid.push(`${AT}.mode: "${String(v.mode)}" is not one of ${MODES.join(", ")}`);
  return undefined;
}

/** What the mode and allowExpiredCertificate ask of Envoy (Envoy Gateway's mapping of the modes). */
function modeChecks(
  v: ClientValidationContext,
  mode: ClientValidationModeType,
  invalid: string[],
): Pick<ClientCertValidationIr, "requireCertificate" | "acceptUntrusted" | "allowExpiredCertificate"> {
  const allowExpired = allowExpiredOf(v, invalid);
  return compact({
    requireCertificate: mode === "RequireAny" || mode === "RequireAndVerify",
    acceptUntrusted: mode === "Request" || mode === "RequireAny" ? true : undefined,
    allowExpiredCertificate: allowExpired ? true : undefined,
  });
}

/** allowExpiredCertificate, refused (Envoy Gateway's CEL rule) with a mode that does not verify certificates. */
function allowExpiredOf(v: ClientValidationContext, invalid: string[]): boolean {
  const allow = v.allowExpiredCertificate;
  if (allow === undefined) return false;
  if (typeof allow !== "boolean") {
    invalid.push(`${AT}.allowExpiredCertificate: must be true or false`);
    return false;
  }
  if (allow && v.mode !== undefined && v.mode !== "VerifyIfGiven" && v.mode !== "RequireAndVerify") {
    invalid.push(
      `${AT}.allowExpiredCertificate: allowExpiredCertificate can only be set when mode is VerifyIfGiven or RequireAndVerify`,
    );
  }
  return allow;
}

/**
 * Without a CA: the verifying modes need hashes to check against, RequireAny cannot require a certificate
 * (Request verifies and requires nothing), and SAN matchers and CRLs cannot be used (Envoy refuses them).
 */
function withoutCa(v: ClientValidationContext, mode: ClientValidationModeType, sans: boolean, invalid: string[]): void {
  if (mode === "RequireAny") {
    // Envoy Gateway lets it through; measured on Envoy 1.36, a client without a certificate is then served.
    invalid.push(
      `${AT}.mode: RequireAny needs caCertificateRefs (without a trusted CA Envoy asks for a certificate but does not require one)`,
    );
  }
  const verifies = mode === "VerifyIfGiven" || mode === "RequireAndVerify";
  if (verifies && (v.spkiHashes ?? []).length === 0 && (v.certificateHashes ?? []).length === 0) {
    invalid.push(`${AT}: set caCertificateRefs, spkiHashes or certificateHashes (nothing to validate clients with)`);
  }
  if (sans) {
    invalid.push(`${AT}.subjectAltNames: needs caCertificateRefs (Envoy matches SANs only on trusted certificates)`);
  }
  if (v.crl) invalid.push(`${AT}.crl: needs caCertificateRefs`);
}

function hashes(
  at: string,
  list: readonly string[] | undefined,
  ok: (h: string) => boolean,
  what: string,
  invalid: string[],
): string[] | undefined {
  if (!list || list.length === 0) return undefined;
  list.forEach((h, i) => {
    if (!ok(h)) invalid.push(`${at}[${i}]: "${h}" is not ${what}`);
  });
  return [...list];
}

function isSpkiHash(h: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(h) && Buffer.from(h, "base64").length === 32;
}

function isCertHash(h: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(h) || /^(?:[0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(h);
}

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

const SAN_KINDS: readonly [keyof SubjectAltNames, SanMatchIr["sanType"]][] = [
  ["dnsNames", "DNS"],
  ["emailAddresses", "EMAIL"],
  ["ipAddresses", "IP_ADDRESS"],
  ["uris", "URI"],
  ["otherNames", "OTHER_NAME"],
];

function sanMatchers(sans: SubjectAltNames, invalid: string[]): SanMatchIr[] {
  const out: SanMatchIr[] = [];
  for (const [key, sanType] of SAN_KINDS) {
    (sans[key] ?? []).forEach((m, i) => {
      const at = `spec.tls.clientValidation.subjectAltNames.${key}[${i}]`;
      const type = m.type ?? "Exact";
      const oid = "oid" in m && typeof m.oid === "string" ? m.oid : undefined;
      if (!(MATCH_TYPES as readonly string[]).includes(type)) {
        invalid.push(`${at}.type: "${type}" is not one of ${MATCH_TYPES.join(", ")}`);
      } else if (typeof m.value !== "string" || m.value === "") {
        invalid.push(`${at}.value: must not be empty`);
      } else if (type === "RegularExpression" && re2Problem(m.value)) {
        invalid.push(`${at}.value: ${re2Problem(m.value)}`);
      } else if (sanType === "OTHER_NAME" && !OID.test(oid ?? "")) {
        invalid.push(`${at}.oid: "${oid ?? ""}" is not a dotted OID (e.g. 1.3.6.1.4.1.311.20.2.3)`);
      } else {
        out.push({ sanType, ...(sanType === "OTHER_NAME" ? { oid } : {}), type, value: m.value });
      }
    });
  }
  return out;
}

function crlOf(refs: readonly SecretObjectReference[], ctx: TlsPolicyContext, invalid: string[]): string | undefined {
  const at = "spec.tls.clientValidation.crl.refs";
  if (refs.length === 0) {
    invalid.push(`${at}: must name at least one Secret or ConfigMap`);
    return undefined;
  }
  const pems = refs.map((r, i) => {
    const pem = resolvePem(`${at}[${i}]`, r, "ca.crl", ctx, invalid);
    if (pem !== undefined && !isPemCrl(pem)) invalid.push(`${at}[${i}]: ca.crl is not a PEM X509 CRL`);
    return pem;
  });
  return pems.every((p) => p !== undefined) ? pems.join("\n") : undefined;
}

/** PEM blocks of type X509 CRL only, each shaped as a CertificateList (RFC 5280): SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }. */
function isPemCrl(pem: string): boolean {
  const blocks = [...pem.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)];
  if (blocks.length === 0 || /-----BEGIN (?!X509 CRL)/.test(pem)) return false;
  return blocks.every((b) => {
    const body = b[1].replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return false;
    const der = Buffer.from(body, "base64");
    const outer = derItem(der, 0);
    if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return false;
    const tags: number[] = [];
    for (let at = outer.start; at < outer.end;) {
      const item = derItem(der, at);
      if (!item || item.end > outer.end) return false;
      tags.push(item.tag);
      at = item.end;
    }
    return tags.join(",") === "48,48,3";
  });
}

/** The DER element at `at`: its tag, where its contents start and where it ends; undefined when malformed. */
function derItem(der: Buffer, at: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const first = der[at + 1];
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  const end = start + length;
  return end <= der.length ? { tag: der[at], start, end } : undefined;
}

/**
 * The value under `key` of a Secret or ConfigMap reference (Envoy Gateway: Secret by default), or undefined
 * with the problem reported: wrong kind, another namespace without a ReferenceGrant, not found, no `key`.
 */
function resolvePem(
  at: string,
  ref: SecretObjectReference,
  key: string,
  ctx: TlsPolicyContext,
  invalid: string[],
): string | undefined {
  const kind = ref.kind ?? "Secret";
  const ns = ref.namespace ?? ctx.namespace;
  const problem = refProblem(ref, kind, ns, ctx);
  if (problem) {
    invalid.push(`${at}: ${problem}`);
    return undefined;
  }
  const k = `${ns}/${ref.name}`;
  const object = kind === "Secret" ? ctx.refs?.secret(k) : ctx.refs?.configMap(k);
  const value = !object ? undefined : kind === "Secret" ? secretValue(object, key) : object.data?.[key];
  if (value === undefined) invalid.push(`${at}: ${kind} ${k} ${object ? `has no key ${key}` : "not found"}`);
  return value;
}

/** Why a reference cannot be followed: not a core Secret or ConfigMap, or another namespace without a grant. */
function refProblem(ref: SecretObjectReference, kind: string, ns: string, ctx: TlsPolicyContext): string | undefined {
  const group = ref.group ?? "";
  if (group !== "" || (kind !== "Secret" && kind !== "ConfigMap")) {
    return `${group ? group + "/" : ""}${kind} is not supported; use a core Secret or ConfigMap`;
  }
  const denied = ctx.refs?.grants.check(
    { group: "gateway.envoyproxy.io", kind: "ClientTrafficPolicy", namespace: ctx.namespace },
    { group: "", kind, namespace: ns, name: ref.name },
  );
  return denied?.message;
}
