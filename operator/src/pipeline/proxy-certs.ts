/**
 * Kubernetes mode: each proxy's own xDS client certificate, issued by the controller from the CA in its
 * mounted `envoy-gateway` Secret (`ca.key` never leaves the controller), into a Secret the proxy's pods mount
 * (`<proxy>-xds`, constructs/render.ts). A Secret is (re-)issued when it is missing, signed by another CA,
 * grants another node id, or has less than a third of its lifetime left: certgen re-runs and expiry are
 * picked up without restarting anything (the kubelet refreshes Secret volumes, Envoy watches the files):
 * {@link ProxyCertIssuer.syncIfDue}, polled by the controller, re-issues as soon as the mounted CA changes.
 * Each Secret is owned by its proxy's bootstrap ConfigMap, so pruning the proxy garbage-collects it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HttpMethod } from "../provider/kubernetes/http-method";
import { proxyNamespaceOf, proxyObjectNameOf, proxyXdsSecretName } from "../../../constructs/render";
import { issueProxyCertificate, needsReissue, readCertificateAuthority, tlsSecret } from "../certgen/certgen";
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { Logger } from "../log";
import { KubeApiError, type KubeClient } from "../provider/kubernetes/client";

/** What one sync did. */
export interface ProxyCertResult {
  /** Secrets created or replaced. */
  readonly issued: number;
  /** Secrets left as they were. */
  readonly unchanged: number;
  /** Proxies whose Secret could not be written this pass (retried next pass). */
  readonly failed: number;
}

interface SecretObject {
  metadata: { name: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** Issues and renews the proxies' client certificate Secrets. */
export class ProxyCertIssuer {
  /** The CA (PEM) of the last sync that wrote or checked every Secret. */
  private lastCa?: string;
  private lastSyncAt = 0;

  /**
   * Creates an issuer for the proxies in `namespace` (with `gatewayNamespace`, in their Gateways' namespaces),
   * with the CA of `certDir`.
   */
  constructor(
    private readonly client: KubeClient,
    private readonly opts: {
      readonly namespace: string;
      readonly gatewayNamespace?: boolean;
      readonly certDir: string;
      readonly log: Logger;
    },
  ) {}

  /** Makes sure every proxy of `infra` has a valid certificate Secret for its node id. */
  async sync(infra: readonly ProxyInfraIr[]): Promise<ProxyCertResult> {
    const out = { issued: 0, unchanged: 0, failed: 0 };
    const ca = readCertificateAuthority(this.opts.certDir);
    const startedAt = Date.now();
    for (const ir of infra) {
      // Merged proxies are not rendered in GatewayNamespace mode (constructs/render.ts): nothing to mount it.
      if (this.opts.gatewayNamespace && ir.gatewayClass !== undefined) continue;
      try {
        out[(await this.ensure(ir, ca)) ? "issued" : "unchanged"]++;
      } catch (err) {
        out.failed++;
        this.opts.log("error", "could not issue the proxy's xDS client certificate", {
          proxy: ir.name,
          error: (err as Error).message,
        });
      }
    }
    if (out.failed === 0) {
      this.lastCa = ca.cert;
      this.lastSyncAt = startedAt;
    }
    return out;
  }

  /**
   * Syncs when the mounted CA differs from the last complete sync's (a certgen re-run reached the controller's
   * Secret volume), or `renewEveryMs` passed since it (renewal before expiry); else does nothing.
   */
  async syncIfDue(infra: readonly ProxyInfraIr[], renewEveryMs: number): Promise<ProxyCertResult | undefined> {
    let ca: string;
    try {
      ca = readFileSync(join(this.opts.certDir, "ca.crt"), "utf8");
    } catch {
      return undefined; // the folder is being replaced; the next poll reads it
    }
    if (ca === this.lastCa && Date.now() - this.lastSyncAt < renewEveryMs) return undefined;
    return this.sync(infra);
  }

  /** True when the Secret was written. */
  private async ensure(ir: ProxyInfraIr, ca: ReturnType<typeof readCertificateAuthority>): Promise<boolean> {
    const ns = proxyNamespaceOf(ir, this.opts) ?? this.opts.namespace;
    const objectName = proxyObjectNameOf(ir, this.opts.gatewayNamespace);
    const name = proxyXdsSecretName(objectName);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    const current = await this.get<SecretObject>(`${path}/${name}`);
    const pem = (k: string): string | undefined => {
      const v = current?.data?.[k];
      return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
    };
    if (pem("ca.crt") === ca.cert && !needsReissue(pem("tls.crt"), ca.cert, ir.name)) return false;
    // Owned by the bootstrap ConfigMap the applier just applied (the proxy's objects all share its name).
    const owner = await this.get<{ metadata: { uid: string } }>(`/api/v1/namespaces/${ns}/configmaps/${objectName}`);
    if (!owner) throw new Error(`ConfigMap ${ns}/${objectName} not found yet`);
    const secret = tlsSecret(ns, name, ca, issueProxyCertificate(ca, ir.name)) as {
      metadata: Record<string, unknown>;
    };
    secret.metadata.labels = {
      "app.kubernetes.io/managed-by": "envoy-gateway-certgen",
      "app.kubernetes.io/component": "xds-client-certificate",
    };
    secret.metadata.ownerReferences = [
      { apiVersion: "v1", kind: "ConfigMap", name: objectName, uid: owner.metadata.uid, blockOwnerDeletion: false },
    ];
    if (current) {
      secret.metadata.resourceVersion = current.metadata.resourceVersion;
      await this.client.request(HttpMethod.PUT, `${path}/${name}`, {
        body: JSON.stringify(secret),
        contentType: "application/json",
      });
    } else {
      await this.client.request(HttpMethod.POST, path, {
        body: JSON.stringify(secret),
        contentType: "application/json",
      });
    }
    this.opts.log("info", "issued the proxy's xDS client certificate", { proxy: ir.name, secret: `${ns}/${name}` });
    return true;
  }

  private async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.client.request<T>(HttpMethod.GET, path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }
}
