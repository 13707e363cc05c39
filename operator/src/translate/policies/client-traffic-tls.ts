/**
 * ClientTrafficPolicy's `tls` → ClientTlsIr, as Envoy Gateway v1.9 translates it. Every value is checked
 * against what Envoy (BoringSSL) accepts, so a bad one is reported as `spec.tls.<field>: <why>` (the policy is
 * Accepted=False) and never reaches Envoy: cipher, curve and signature algorithm names, min > max versions,
 * hash formats, SAN matchers, and the CA certificate and CRL references (Secrets or ConfigMaps, in the
 * policy's namespace or allowed by a ReferenceGrant from ClientTrafficPolicy).
 */
import { X509Certificate } from "node:crypto";
import type { ClientCertValidationIr, ClientTlsIr, SanMatchIr } from "../../ir/client-traffic-tls-ir";
import type {
  ClientTLSSettings,
  ClientValidationContext,
  ClientValidationModeType,
  SubjectAltNames,
  TLSFingerprintType,
} from "../../resources/client-traffic-policy";
import type { SecretObjectReference } from "../../resources/gateway-api";
import { secretValue, type ListenerRefs } from "../listener-tls";
import { re2Problem } from "../regex";
import { tlsParamsOf } from "../tls-params";

/** The names egts lets through (tls-params.ts), for the test that proves Envoy takes them all at once. */
export { ACCEPTED_TLS_NAMES } from "../tls-params";

/** What resolving references needs: Secrets, ConfigMaps and ReferenceGrants (ListenerRefs has them). */
export type TlsRefs = Pick<ListenerRefs, "secret" | "configMap" | "grants">;

/** The policy whose `tls` is translated: where its references are relative to. */
export interface TlsPolicyContext {
  /** The policy's namespace. */
  readonly namespace: string;
  /** Secrets, ConfigMaps and ReferenceGrants; absent: every reference is unresolved. */
  readonly refs?: TlsRefs;
}

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
  const params = tlsParamsOf(tls, "spec.tls", invalid);
  const resumption = tls.session?.resumption;
  const clientValidation = tls.clientValidation ? validationOf(tls.clientValidation, ctx, invalid) : undefined;
  const fingerprints = fingerprintsOf(tls.fingerprints, invalid);
  if (invalid.length > before) return undefined;
  return compact({
    ...params,
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
