/**
 * The TLS material of the extension server's `service.tls` from the Secrets of a snapshot: the CA in the
 * `tls.crt` key of `certificateRef`, and the client certificate (`tls.crt`, `tls.key`) of
 * `clientCertificateRef`. A reference without namespace is to the controller's namespace.
 */
import type { ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import type { SecretRef } from "../config/envoy-gateway-ratelimit";
import type { Secret } from "../resources/core";
import type { ExtensionTlsMaterial } from "./client";

/** The material, or why it cannot be had. */
export function tlsMaterial(
  tls: NonNullable<ExtensionManagerConfig["service"]["tls"]>,
  secrets: readonly Secret[],
  controllerNamespace: string,
): ExtensionTlsMaterial | string {
  const value = (ref: SecretRef, key: string): Buffer | string => {
    const ns = ref.namespace ?? controllerNamespace;
    const s = secrets.find((x) => x.metadata.name === ref.name && (x.metadata.namespace ?? "default") === ns);
    if (!s) return `Secret ${ns}/${ref.name} not found`;
    const v = s.data?.[key] !== undefined ? Buffer.from(s.data[key], "base64") : s.stringData?.[key];
    if (v === undefined || v.length === 0) return `Secret ${ns}/${ref.name} has no ${key}`;
    return Buffer.from(v);
  };
  const ca = value(tls.certificateRef, "tls.crt");
  if (typeof ca === "string") return ca;
  if (!tls.clientCertificateRef) return { ca };
  const cert = value(tls.clientCertificateRef, "tls.crt");
  if (typeof cert === "string") return cert;
  const key = value(tls.clientCertificateRef, "tls.key");
  if (typeof key === "string") return key;
  return { ca, client: { cert, key } };
}
