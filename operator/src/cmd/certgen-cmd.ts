/** `egts certgen`: the xDS CA and server certificate, and the rate limit service's certificate. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  certificateAuthority,
  generateControlPlaneCerts,
  issueRateLimitCertificate,
  RATE_LIMIT_SECRET,
  writeCertDir,
  writeProxyCertDir,
} from "../certgen/certgen";
import { issueControlPlaneSecrets } from "../certgen/kubernetes-secrets";
import { env } from "../config/env";
import { KubeClient, loadKubeConfig } from "../provider/kubernetes/client";
import { OIDC_HMAC_SECRET } from "../translate/policies/security-oidc";
import type { Invocation } from "./cli/command";

/** The flags of `egts certgen` (see commands.ts). */
interface CertgenFlags {
  readonly local?: string;
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly overwrite: boolean;
}

/** `egts certgen`: issues the control plane's certificates. */
export async function certgen(inv: Invocation): Promise<number> {
  const flags = inv.values as unknown as CertgenFlags;
  const values = { ...flags, namespace: flags.namespace ?? env().namespace };
  const certs = generateControlPlaneCerts(values.namespace);
  if (values.local) {
    await mkdir(values.local, { recursive: true });
    writeCertDir(values.local, certs);
    const rateLimitDir = join(values.local, RATE_LIMIT_SECRET);
    await mkdir(rateLimitDir, { recursive: true });
    const ca = certificateAuthority(certs.ca.cert, certs.ca.key);
    writeProxyCertDir(rateLimitDir, ca.cert, issueRateLimitCertificate(ca, values.namespace));
    process.stdout.write(
      `certgen: wrote ca.crt, ca.key and controller.crt/.key into ${values.local}, ` +
        `and the rate limit service's ca.crt, tls.crt and tls.key into ${rateLimitDir}\n`,
    );
    return 0;
  }
  const client = new KubeClient(loadKubeConfig(values.kubeconfig));
  const outcomes = await issueControlPlaneSecrets(client, values.namespace, certs, values.overwrite);
  for (const { name, outcome } of outcomes) {
    const kept =
      name === OIDC_HMAC_SECRET
        ? "exists; left as is (never replaced: a new one would log every OIDC user out)"
        : "exists; left as is (--overwrite replaces it)";
    const said = outcome === "kept" ? kept : outcome;
    process.stdout.write(`certgen: Secret ${values.namespace}/${name} ${said}\n`);
  }
  return 0;
}
