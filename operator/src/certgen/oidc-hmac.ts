/**
 * The HMAC secret Envoy's oauth2 filter signs its cookies with (SecurityPolicy `oidc`), as Envoy Gateway's certgen
 * makes it: 32 random bytes, in Kubernetes the Secret `envoy-oidc-hmac` (key `hmac-secret`) of the controller
 * namespace, in standalone mode the file `envoy-oidc-hmac/hmac-secret` of the state folder (owner-only). It is
 * made once and kept: a new one would log every user out.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResourceSnapshot } from "../resources/snapshot";
import { OIDC_HMAC_KEY, OIDC_HMAC_SECRET } from "../translate/policies/security-oidc";
/** Length of a generated secret. */
const HMAC_BYTES = 32;

/** A new HMAC secret. */
export function generateOidcHmacSecret(): Buffer {
  return randomBytes(HMAC_BYTES);
}

/** The Secret manifest holding `secret` in `namespace`. */
export function oidcHmacSecretManifest(namespace: string, secret: Buffer): object {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: OIDC_HMAC_SECRET,
      namespace,
      labels: { "app.kubernetes.io/managed-by": "envoy-gateway-certgen" },
    },
    data: { [OIDC_HMAC_KEY]: secret.toString("base64") },
  };
}

/** The HMAC secret of a snapshot: Secret `envoy-oidc-hmac` of `namespace`, key `hmac-secret`; undefined: none. */
export function oidcHmacSecretOf(snapshot: ResourceSnapshot, namespace: string): Buffer | undefined {
  const s = (snapshot.secrets ?? []).find(
    (x) => x.metadata.name === OIDC_HMAC_SECRET && x.metadata.namespace === namespace,
  );
  const plain = s?.stringData?.[OIDC_HMAC_KEY];
  const b64 = s?.data?.[OIDC_HMAC_KEY];
  const value = plain !== undefined ? Buffer.from(plain) : b64 !== undefined ? Buffer.from(b64, "base64") : undefined;
  return value && value.length > 0 ? value : undefined;
}

/**
 * The standalone HMAC secret in `stateDir` (`envoy-oidc-hmac/hmac-secret`, mode 0600), made on first use and read
 * afterwards.
 */
export function standaloneOidcHmacSecret(stateDir: string): Buffer {
  const dir = join(stateDir, OIDC_HMAC_SECRET);
  const file = join(dir, OIDC_HMAC_KEY);
  try {
    const existing = readFileSync(file);
    if (existing.length > 0) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = generateOidcHmacSecret();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, secret, { mode: 0o600 });
  renameSync(tmp, file);
  return secret;
}
