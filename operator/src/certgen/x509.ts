/**
 * Minimal X.509 v3 certificate issuing with Node's crypto: ECDSA P-256 keys, a DER encoder for the few
 * ASN.1 shapes a certificate needs, and SHA-256 signatures. Enough for the control plane's own CA, the xDS
 * server certificate and the proxies' client certificate; not a general PKI library.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

/** DER: tag + length + content. */
function tlv(tag: number, content: Buffer): Buffer {
  const len = content.length;
  const head =
    len < 0x80
      ? Buffer.from([tag, len])
      : len < 0x100
        ? Buffer.from([tag, 0x81, len])
        : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([head, content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);

/** A positive INTEGER from big-endian bytes. */
function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && (v[1] ?? 0) < 0x80) v = v.subarray(1);
  return tlv(0x02, (v[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** An OBJECT IDENTIFIER from dotted text. */
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime (years before 2050) or GeneralizedTime. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function name(commonName: string, organization?: string): Buffer {
  const rdns = [set(seq(oid("2.5.4.3"), utf8(commonName)))];
  if (organization) rdns.unshift(set(seq(oid("2.5.4.10"), utf8(organization))));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** subjectAltName: DNS names, IP addresses (v4 or v6) and URIs. */
function altNames(dns: readonly string[], ips: readonly string[], uris: readonly string[]): Buffer {
  const ipBytes = (ip: string): Buffer =>
    ip.includes(":")
      ? Buffer.from(
          ip
            .replace("::", `:${"0:".repeat(8 - ip.split(":").filter(Boolean).length)}`)
            .split(":")
            .filter((p) => p !== "")
            .flatMap((h) => [parseInt(h, 16) >> 8, parseInt(h, 16) & 0xff]),
        )
      : Buffer.from(ip.split(".").map(Number));
  return seq(
    ...dns.map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
    ...ips.map((ip) => tlv(0x87, ipBytes(ip))),
    ...uris.map((u) => tlv(0x86, Buffer.from(u, "ascii"))),
  );
}

/** A key pair and its certificate, in PEM. */
export interface IssuedCertificate {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM PKCS#8 private key. */
  readonly key: string;
}

/** What to issue. */
export interface CertificateRequest {
  /** Subject common name. */
  readonly commonName: string;
  /** Subject organization (O=), e.g. for Kubernetes groups. */
  readonly organization?: string;
  /** DNS subjectAltNames. */
  readonly dnsNames?: readonly string[];
  /** IP subjectAltNames. */
  readonly ipAddresses?: readonly string[];
  /** URI subjectAltNames (e.g. a SPIFFE id). */
  readonly uris?: readonly string[];
  /** A CA certificate (may sign others). @default false */
  readonly isCa?: boolean;
  /** Extended key usages. @default server and client auth */
  readonly usages?: readonly ("server" | "client")[];
  /** Validity in days from now. @default 365 */
  readonly days?: number;
}

function pem(kind: string, der: Buffer): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${kind}-----\n${b64.replace(/\n$/, "")}\n-----END ${kind}-----\n`;
}

function extensions(req: CertificateRequest): Buffer {
  const list = [extension("2.5.29.19", true, seq(...(req.isCa ? [bool(true)] : [])))];
  // keyUsage: digitalSignature (+ keyCertSign, cRLSign for a CA).
  const usage = req.isCa ? Buffer.from([0x01, 0x86]) : Buffer.from([0x07, 0x80]);
  list.push(extension("2.5.29.15", true, tlv(0x03, usage)));
  if (!req.isCa) {
    const eku = (req.usages ?? ["server", "client"]).map((u) =>
      oid(u === "server" ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2"),
    );
    list.push(extension("2.5.29.37", false, seq(...eku)));
  }
  if ((req.dnsNames?.length ?? 0) + (req.ipAddresses?.length ?? 0) + (req.uris?.length ?? 0) > 0) {
    list.push(extension("2.5.29.17", false, altNames(req.dnsNames ?? [], req.ipAddresses ?? [], req.uris ?? [])));
  }
  return explicit(3, seq(...list));
}

/**
 * Issues a certificate for a new P-256 key, signed by `issuer` (a CA from this module), or self-signed
 * when `issuer` is absent.
 */
export function issueCertificate(
  req: CertificateRequest,
  issuer?: IssuedCertificate & { commonName: string },
): IssuedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer: KeyObject = issuer ? createPrivateKey(issuer.key) : privateKey;
  const now = Date.now();
  const notBefore = new Date(now - 5 * 60_000); // tolerate small clock skew
  const notAfter = new Date(now + (req.days ?? 365) * 86_400_000);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(randomBytes(16)),
    ECDSA_SHA256,
    issuer ? name(issuer.commonName) : name(req.commonName, req.organization),
    seq(time(notBefore), time(notAfter)),
    name(req.commonName, req.organization),
    publicKey.export({ type: "spki", format: "der" }),
    extensions(req),
  );
  const signature = sign("sha256", tbs, signer);
  const cert = seq(tbs, ECDSA_SHA256, bits(signature));
  return { cert: pem("CERTIFICATE", cert), key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}
