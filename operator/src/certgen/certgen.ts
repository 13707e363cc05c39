/**
 * `certgen`: the certificates for mTLS between the proxies and the xDS server, as Envoy Gateway names
 * them: a CA, the control plane's serving certificate (Secret `envoy-gateway`) and the proxies' client
 * certificate (Secret `envoy`), both Secrets carrying `ca.crt`, `tls.crt` and `tls.key`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { XdsTlsFiles } from "../infra/bootstrap";
import { issueCertificate, type IssuedCertificate } from "./x509";

/** Name of the control plane's Service and of the Secret with its serving certificate. */
export const CONTROLLER_SECRET = "envoy-gateway";
/** Name of the Secret with the proxies' client certificate. */
export const PROXY_SECRET = "envoy";

/** The three certificates. */
export interface ControlPlaneCerts {
  /** The CA that signed the other two (its key is not kept in any Secret). */
  readonly ca: IssuedCertificate;
  /** The xDS server's certificate (server and client auth). */
  readonly controller: IssuedCertificate;
  /** The proxies' client certificate. */
  readonly proxy: IssuedCertificate;
}

/** The DNS names the controller's Service answers to in `namespace`. */
export function controllerDnsNames(namespace: string, service = CONTROLLER_SECRET): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** Issues the CA, the controller's certificate and the proxies' certificate. */
export function generateControlPlaneCerts(namespace: string, days = 365 * 5): ControlPlaneCerts {
  const caName = "envoy-gateway-ca";
  const ca = issueCertificate({ commonName: caName, isCa: true, days });
  const issuer = { ...ca, commonName: caName };
  const controller = issueCertificate(
    {
      commonName: CONTROLLER_SECRET,
      dnsNames: [...controllerDnsNames(namespace), "localhost"],
      ipAddresses: ["127.0.0.1"],
      days,
    },
    issuer,
  );
  const proxy = issueCertificate(
    { commonName: PROXY_SECRET, dnsNames: [PROXY_SECRET, `*.${namespace}`], usages: ["client"], days },
    issuer,
  );
  return { ca, controller, proxy };
}

/** A `kubernetes.io/tls` Secret manifest holding one certificate and the CA. */
export function tlsSecret(namespace: string, name: string, ca: IssuedCertificate, cert: IssuedCertificate): object {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "envoy-gateway-certgen" } },
    data: { "ca.crt": b64(ca.cert), "tls.crt": b64(cert.cert), "tls.key": b64(cert.key) },
  };
}

/** File names of a local certificate folder (`egts certgen --local DIR`, `egts standalone --xds-cert-dir DIR`). */
const FILES = {
  ca: "ca.crt",
  controllerCert: "controller.crt",
  controllerKey: "controller.key",
  proxyCert: "proxy.crt",
  proxyKey: "proxy.key",
} as const;

/** Writes the certificates into `dir` (keys readable by the owner only). */
export function writeCertDir(dir: string, certs: ControlPlaneCerts): void {
  writeFileSync(join(dir, FILES.ca), certs.ca.cert);
  writeFileSync(join(dir, FILES.controllerCert), certs.controller.cert);
  writeFileSync(join(dir, FILES.controllerKey), certs.controller.key, { mode: 0o600 });
  writeFileSync(join(dir, FILES.proxyCert), certs.proxy.cert);
  writeFileSync(join(dir, FILES.proxyKey), certs.proxy.key, { mode: 0o600 });
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

/** The proxies' side of a certificate folder, as bootstrap file paths; `serverName` is checked in the server's SANs. */
export function proxyTlsFiles(dir: string, serverName = CONTROLLER_SECRET): XdsTlsFiles {
  return {
    certFile: join(dir, FILES.proxyCert),
    keyFile: join(dir, FILES.proxyKey),
    caFile: join(dir, FILES.ca),
    serverName,
  };
}

/** xDS server credentials from a certificate folder, requiring a client certificate signed by its CA. */
export function xdsServerCredentials(certDir: string): grpc.ServerCredentials {
  const t = readServerTls(certDir);
  return grpc.ServerCredentials.createSsl(t.ca, [{ cert_chain: t.cert, private_key: t.key }], true);
}
