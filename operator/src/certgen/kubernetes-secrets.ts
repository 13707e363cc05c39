/**
 * `egts certgen` in a cluster: creates the control plane's Secrets, never overwriting one that exists (unless
 * `overwrite`, for rotation): `envoy-gateway` (the CA, its key and the controller's certificate),
 * `envoy-rate-limit` (the rate limit service's certificate, signed by the CA of `envoy-gateway`, the one that
 * exists when it is kept) and `envoy-oidc-hmac` (the HMAC secret of SecurityPolicy OIDC cookies; never replaced,
 * even with `overwrite`: a new one would log every user out).
 */
import { HttpMethod } from "../provider/kubernetes/http-method";
import type { KubeClient } from "../provider/kubernetes/client";
import {
  certificateAuthority,
  CONTROLLER_SECRET,
  controllerSecret,
  issueRateLimitCertificate,
  RATE_LIMIT_SECRET,
  rateLimitSecret,
  type CertificateAuthority,
  type ControlPlaneCerts,
} from "./certgen";
import { generateOidcHmacSecret, oidcHmacSecretManifest } from "./oidc-hmac";
import { OIDC_HMAC_SECRET } from "../translate/policies/security-oidc";

/** What certgen did with one Secret. */
export interface SecretOutcome {
  /** The Secret's name. */
  readonly name: string;
  /** created, replaced (`overwrite`), or kept (it existed). */
  readonly outcome: "created" | "replaced" | "kept";
}

/** A Secret as read back: its data (base64). */
interface SecretObject {
  metadata: { resourceVersion: string };
  data?: Record<string, string>;
}

/**
 * Creates (or, with `overwrite`, replaces) the Secrets `envoy-gateway` from `certs` and `envoy-rate-limit`, and
 * says what it did with each. A kept `envoy-gateway` signs the new `envoy-rate-limit`.
 * @throws Error when a kept `envoy-gateway` has no `ca.key` (re-run with --overwrite).
 */
export async function issueControlPlaneSecrets(
  client: KubeClient,
  namespace: string,
  certs: ControlPlaneCerts,
  overwrite: boolean,
): Promise<SecretOutcome[]> {
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  const controller = await putSecret(client, path, controllerSecret(namespace, certs), overwrite);
  const ca =
    controller === "kept"
      ? await existingAuthority(client, `${path}/${CONTROLLER_SECRET}`)
      : certificateAuthority(certs.ca.cert, certs.ca.key);
  const rateLimit = rateLimitSecret(namespace, ca.cert, issueRateLimitCertificate(ca, namespace));
  const hmac = oidcHmacSecretManifest(namespace, generateOidcHmacSecret());
  return [
    { name: CONTROLLER_SECRET, outcome: controller },
    { name: RATE_LIMIT_SECRET, outcome: await putSecret(client, path, rateLimit, overwrite) },
    { name: OIDC_HMAC_SECRET, outcome: await putSecret(client, path, hmac, false) },
  ];
}

/** Creates `secret` in the collection `path`; an existing one is replaced with `overwrite`, else kept. */
async function putSecret(
  client: KubeClient,
  path: string,
  secret: object,
  overwrite: boolean,
): Promise<SecretOutcome["outcome"]> {
  if (await client.createIfAbsent(path, secret)) return "created";
  if (!overwrite) return "kept";
  // Rotation: the controller and the proxies pick the new files up without a restart.
  const replacement = secret as { metadata: { name: string; resourceVersion?: string } };
  const current = await client.request<SecretObject>(HttpMethod.GET, `${path}/${replacement.metadata.name}`);
  replacement.metadata.resourceVersion = current.metadata.resourceVersion;
  await client.request(HttpMethod.PUT, `${path}/${replacement.metadata.name}`, {
    body: JSON.stringify(replacement),
    contentType: "application/json",
  });
  return "replaced";
}

/** The CA (certificate and key) of the existing `envoy-gateway` Secret at `secretPath`. */
async function existingAuthority(client: KubeClient, secretPath: string): Promise<CertificateAuthority> {
  const data = (await client.request<SecretObject>(HttpMethod.GET, secretPath)).data ?? {};
  const text = (key: string): string | undefined =>
    data[key] !== undefined ? Buffer.from(data[key], "base64").toString("utf8") : undefined;
  const cert = text("ca.crt");
  const key = text("ca.key");
  if (!cert || !key) {
    throw new Error(
      `Secret ${CONTROLLER_SECRET} has no ca.crt and ca.key, so the ${RATE_LIMIT_SECRET} certificate cannot be ` +
        "signed by its CA; re-run certgen with --overwrite",
    );
  }
  return certificateAuthority(cert, key);
}
