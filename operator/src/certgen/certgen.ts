/**
 * `certgen`: the certificates for mTLS between the proxies and the xDS server: a CA and the control plane's
 * serving certificate (Secret `envoy-gateway`: `ca.crt`, `tls.crt`, `tls.key`, plus `ca.key`, which only the
 * controller mounts). Each proxy gets its own client certificate, issued from the CA by the controller (or
 * the standalone host runner), naming its node id; the xDS server serves a node only to its certificate.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { RATE_LIMIT_SERVICE } from "../config/envoy-gateway-ratelimit";
import type { XdsTlsFiles } from "../infra/bootstrap";
import { nodeIdentityUri, nodeIdsOfSubjectAltName } from "../xds/server/identity";
import { env } from "../config/env";
import { issueCertificate, type IssuedCertificate } from "./x509";

/** Name of the control plane's Service and of the Secret with its serving certificate (and the CA key). */
export const CONTROLLER_SECRET = "envoy-gateway";
/**
 * Name of Envoy Gateway's shared proxy client certificate Secret. egts no longer issues it: a certificate
 * without a node identity gets no configuration (see {@link issueProxyCertificate}).
 */
export const PROXY_SECRET = "envoy";
/**
 * Name of the rate limit service's certificate Secret (Envoy Gateway's): its gRPC server certificate for the
 * proxies and its client certificate for the controller's rate limit xDS server, signed by the same CA.
 */
export const RATE_LIMIT_SECRET = "envoy-rate-limit";
/** Subject of the CA (issuer of every other certificate). */
const CA_NAME = "envoy-gateway-ca";
/** Lifetime of a proxy's client certificate; re-issued once less than a third is left. */
export const PROXY_CERT_DAYS = 30;

/** A CA that can sign: its certificate and key. */
export type CertificateAuthority = IssuedCertificate & { readonly commonName: string };

/** The control plane's certificates. */
export interface ControlPlaneCerts {
  /** The CA that signs the controller's and the proxies' certificates; its key stays with the controller. */
  readonly ca: IssuedCertificate;
  /** The xDS server's certificate (server and client auth). */
  readonly controller: IssuedCertificate;
}

/** The DNS names the controller's Service answers to in `namespace`, `domain` being the cluster's DNS domain. */
export function controllerDnsNames(
  namespace: string,
  service: string = CONTROLLER_SECRET,
  domain = env().clusterDomain,
): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${domain}`];
}

/** Issues the CA and the controller's certificate. */
export function generateControlPlaneCerts(namespace: string, days = 365 * 5): ControlPlaneCerts {
  const ca = issueCertificate({ commonName: CA_NAME, isCa: true, days });
  const controller = issueCertificate(
    {
      commonName: CONTROLLER_SECRET,
      dnsNames: [...controllerDnsNames(namespace), "localhost"],
      ipAddresses: ["127.0.0.1"],
      days,
    },
    { ...ca, commonName: CA_NAME },
  );
  return { ca, controller };
}

/**
 * The rate limit service's certificate (server and client auth), naming its Service `envoy-ratelimit` in
 * `namespace`: the proxies check that name, the controller's rate limit xDS server checks the CA.
 */
export function issueRateLimitCertificate(
  ca: CertificateAuthority,
  namespace: string,
  days = 365 * 5,
): IssuedCertificate {
  const service = RATE_LIMIT_SERVICE.name;
  return issueCertificate({ commonName: service, dnsNames: controllerDnsNames(namespace, service), days }, ca);
}

/**
 * A proxy's client certificate, granting exactly `nodeId`: the URI SAN {@link nodeIdentityUri}, checked by
 * the xDS server against the node id the proxy asks for.
 */
export function issueProxyCertificate(
  ca: CertificateAuthority,
  nodeId: string,
  days = PROXY_CERT_DAYS,
): IssuedCertificate {
  const commonName = nodeId.length <= 64 ? nodeId : nodeId.slice(0, 64);
  return issueCertificate({ commonName, uris: [nodeIdentityUri(nodeId)], usages: ["client"], days }, ca);
}

/**
 * Whether a proxy certificate should be (re-)issued: it is missing or unreadable, another CA signed it, it
 * does not grant `nodeId`, or less than a third of its lifetime is left.
 */
export function needsReissue(cert: string | undefined, ca: string, nodeId: string, now = Date.now()): boolean {
  if (!cert) return true;
  try {
    const x = new X509Certificate(cert);
    if (!x.checkIssued(new X509Certificate(ca)) || !x.verify(new X509Certificate(ca).publicKey)) return true;
    if (!nodeIdsOfSubjectAltName(x.subjectAltName).includes(nodeId)) return true;
    const from = Date.parse(x.validFrom);
    const to = Date.parse(x.validTo);
    return now > to - (to - from) / 3;
  } catch {
    return true;
  }
}

/** A `kubernetes.io/tls` Secret manifest holding one certificate and the CA (and `extra` keys). */
export function tlsSecret(
  namespace: string,
  name: string,
  ca: Pick<IssuedCertificate, "cert">,
  cert: IssuedCertificate,
  extra: Readonly<Record<string, string>> = {},
): object {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const more = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, b64(v)]));
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "envoy-gateway-certgen" } },
    data: { "ca.crt": b64(ca.cert), "tls.crt": b64(cert.cert), "tls.key": b64(cert.key), ...more },
  };
}

/** The controller's Secret: its certificate, the CA, and the CA key (the controller issues proxy certificates). */
export function controllerSecret(namespace: string, certs: ControlPlaneCerts): object {
  return tlsSecret(namespace, CONTROLLER_SECRET, certs.ca, certs.controller, { "ca.key": certs.ca.key });
}

/** The rate limit service's Secret: its certificate and the CA (never the CA key). */
export function rateLimitSecret(namespace: string, caCert: string, cert: IssuedCertificate): object {
  return tlsSecret(namespace, RATE_LIMIT_SECRET, { cert: caCert }, cert);
}

/** File names of a local certificate folder (`egts certgen --local DIR`, `egts standalone --xds-cert-dir DIR`). */
const FILES = {
  ca: "ca.crt",
  caKey: "ca.key",
  controllerCert: "controller.crt",
  controllerKey: "controller.key",
} as const;

/** Writes `text` to `file` atomically (a reader never sees half a file): a temporary file, then rename. */
function writeAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

/** Writes the certificates into `dir` (keys readable by the owner only), replacing what is there. */
export function writeCertDir(dir: string, certs: ControlPlaneCerts): void {
  writeAtomic(join(dir, FILES.caKey), certs.ca.key, 0o600);
  writeAtomic(join(dir, FILES.controllerKey), certs.controller.key, 0o600);
  writeAtomic(join(dir, FILES.controllerCert), certs.controller.cert);
  writeAtomic(join(dir, FILES.ca), certs.ca.cert);
}

/**
 * The xDS server's side of a certificate folder: PEM CA, certificate and key. Reads a local folder
 * (`controller.crt`) or the `envoy-gateway` Secret mounted as files (`tls.crt`, `tls.key`, `ca.crt`).
 */
export function readServerTls(dir: string): { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer } {
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  const local = existsSync(join(dir, FILES.controllerCert));
  return {
    ca: read(FILES.ca),
    cert: read(local ? FILES.controllerCert : "tls.crt"),
    key: read(local ? FILES.controllerKey : "tls.key"),
  };
}

/** The CA that signs with `cert` and `key` (certgen's: its subject is certgen's CA name). */
export function certificateAuthority(cert: string, key: string): CertificateAuthority {
  return { cert, key, commonName: CA_NAME };
}

/** The CA of a certificate folder (local or the mounted `envoy-gateway` Secret), with its key. */
export function readCertificateAuthority(dir: string): CertificateAuthority {
  const keyFile = join(dir, FILES.caKey);
  if (!existsSync(keyFile)) {
    throw new Error(
      `${keyFile} is missing: proxies get per-Gateway certificates signed by the CA; re-run egts certgen`,
    );
  }
  return certificateAuthority(readFileSync(join(dir, FILES.ca), "utf8"), readFileSync(keyFile, "utf8"));
}

/** Writes a proxy's certificate folder (`ca.crt`, `tls.crt`, `tls.key`), each file replaced atomically. */
export function writeProxyCertDir(dir: string, ca: string, cert: IssuedCertificate): void {
  writeAtomic(join(dir, "tls.key"), cert.key, 0o600);
  writeAtomic(join(dir, "tls.crt"), cert.cert);
  writeAtomic(join(dir, "ca.crt"), ca);
}

/** The proxies' side of a proxy certificate folder, as bootstrap file paths; `serverName` is checked in the server's SANs. */
export function proxyTlsFiles(dir: string, serverName = CONTROLLER_SECRET): XdsTlsFiles {
  return {
    certFile: join(dir, "tls.crt"),
    keyFile: join(dir, "tls.key"),
    caFile: join(dir, "ca.crt"),
    serverName,
  };
}

/**
 * xDS server credentials from a certificate folder, requiring a client certificate signed by its CA. The
 * certificate, key and CA are re-read every `refreshMs`, so a certgen re-run (or the kubelet updating the
 * mounted Secret) takes effect for new connections without a restart.
 */
export function xdsServerCredentials(certDir: string, refreshMs = 5000): grpc.ServerCredentials {
  readServerTls(certDir); // fail now, with the file name, if a file is missing
  const local = existsSync(join(certDir, FILES.controllerCert));
  const provider = new grpc.experimental.FileWatcherCertificateProvider({
    certificateFile: join(certDir, local ? FILES.controllerCert : "tls.crt"),
    privateKeyFile: join(certDir, local ? FILES.controllerKey : "tls.key"),
    caCertificateFile: join(certDir, FILES.ca),
    refreshIntervalMs: refreshMs,
  });
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true);
}
