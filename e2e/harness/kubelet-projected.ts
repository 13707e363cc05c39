/**
 * The simulated kubelet's projected volumes with `serviceAccountToken` sources, as the kubelet writes them: for
 * each source, a TokenRequest for the pod's ServiceAccount (the source's audience and lifetime, bound to the pod,
 * so a TokenReview names the pod in `authentication.kubernetes.io/pod-name`), written at the source's path with
 * the atomic writer's layout (atomic-writer.ts); the tokens are requested again once 80 % of their lifetime
 * passed (the kubelet's rotation), and written with a `..data` swap. `configMap` and `secret` sources (their
 * items, or every key) and `downwardAPI` items of the pod's name, namespace and uid are written beside them, as
 * of the pod's start (the API server's `kube-api-access-*` volume is such a volume); other sources
 * (clusterTrustBundle, podCertificate, other fields) fail the pod's start, naming them.
 */
import { writeAtomicVolume, type VolumeFile } from "./atomic-writer";
import type { KubeCluster } from "./cluster";

/** A projected volume's `serviceAccountToken` source. */
export interface ServiceAccountTokenProjection {
  readonly audience?: string;
  readonly expirationSeconds?: number;
  readonly path: string;
}

/** A pod volume's `projected` field. */
export interface ProjectedVolumeSource {
  readonly sources?: readonly Readonly<Record<string, unknown>>[];
  readonly defaultMode?: number;
}

/** The pod a projected volume belongs to. */
export interface ProjectedPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceAccountName: string;
}

/** The kubelet's default token lifetime (and the API server's least). */
const DEFAULT_EXPIRATION_SECONDS = 3600;

/** A configMap or secret source. */
interface ObjectProjection {
  readonly name: string;
  readonly items?: readonly { readonly key: string; readonly path: string; readonly mode?: number }[];
  readonly optional?: boolean;
}

/** A downwardAPI source. */
interface DownwardProjection {
  readonly items?: readonly { readonly path: string; readonly fieldRef?: { readonly fieldPath: string } }[];
}

const SIMULATED_SOURCES = new Set(["serviceAccountToken", "configMap", "secret", "downwardAPI"]);
const DOWNWARD_FIELDS = new Set(["metadata.name", "metadata.namespace", "metadata.uid"]);

/** Why the kubelet cannot write `source` (a source kind or field it does not simulate), or undefined. */
export function projectedVolumeProblem(volume: string, source: ProjectedVolumeSource): string | undefined {
  for (const s of source.sources ?? []) {
    const other = Object.keys(s).find((k) => !SIMULATED_SOURCES.has(k));
    if (other) return `projected volume "${volume}": source ${other} is not simulated by the test kubelet`;
    const field = (s.downwardAPI as DownwardProjection | undefined)?.items?.find(
      (i) => !DOWNWARD_FIELDS.has(i.fieldRef?.fieldPath ?? ""),
    );
    if (field) return `projected volume "${volume}": downwardAPI ${field.path} is not simulated by the test kubelet`;
  }
  return undefined;
}

/** One projected volume of a running pod: its tokens, written into `dir`, and when to rotate them. */
export class ProjectedTokenVolume {
  private refreshAt = 0;
  /** Token requests made so far (for tests). */
  requests = 0;

  /** A volume of `pod` from `source`, written into `dir` by {@link write}. */
  constructor(
    private readonly cluster: KubeCluster,
    private readonly pod: ProjectedPod,
    private readonly source: ProjectedVolumeSource,
    readonly dir: string,
  ) {}

  /** Requests every token and writes the volume (atomically). */
  async write(): Promise<void> {
    const files: Record<string, VolumeFile> = {};
    let shortest = Number.POSITIVE_INFINITY;
    for (const s of this.source.sources ?? []) {
      const projection = s.serviceAccountToken as ServiceAccountTokenProjection | undefined;
      if (projection) {
        const seconds = projection.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
        shortest = Math.min(shortest, seconds);
        files[projection.path] = { content: Buffer.from(await this.token(projection, seconds)), mode: this.mode() };
      }
      if (s.configMap) Object.assign(files, await this.objectFiles("configmaps", s.configMap as ObjectProjection));
      if (s.secret) Object.assign(files, await this.objectFiles("secrets", s.secret as ObjectProjection));
      for (const item of (s.downwardAPI as DownwardProjection | undefined)?.items ?? []) {
        const field = item.fieldRef?.fieldPath.replace("metadata.", "") as "name" | "namespace" | "uid";
        files[item.path] = { content: Buffer.from(this.pod[field]), mode: this.mode() };
      }
    }
    writeAtomicVolume(this.dir, files);
    this.refreshAt = Date.now() + 0.8 * shortest * 1000;
  }

  /** Writes the volume again when its tokens reached 80 % of their lifetime; true when it did. */
  async refreshIfDue(now = Date.now()): Promise<boolean> {
    if (now < this.refreshAt) return false;
    await this.write();
    return true;
  }

  /** The files of a configMap or secret source (a Secret's values are base64); none for a missing optional one. */
  private async objectFiles(
    resource: "configmaps" | "secrets",
    p: ObjectProjection,
  ): Promise<Record<string, VolumeFile>> {
    const path = `/api/v1/namespaces/${this.pod.namespace}/${resource}/${p.name}`;
    const o = await this.cluster.apiJson<{ data?: Record<string, string> }>("GET", path).catch((err: unknown) => {
      if (p.optional) return { data: {} as Record<string, string> };
      throw err;
    });
    const data = o.data ?? {};
    const files: Record<string, VolumeFile> = {};
    for (const item of p.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
      const value = data[item.key];
      if (value === undefined) {
        if (p.optional) continue;
        throw new Error(`couldn't find key ${item.key} in ${resource} ${this.pod.namespace}/${p.name}`);
      }
      const content = resource === "secrets" ? Buffer.from(value, "base64") : Buffer.from(value);
      files[item.path] = { content, mode: ("mode" in item ? item.mode : undefined) ?? this.mode() };
    }
    return files;
  }

  /** The files' mode: the volume's defaultMode, else 0644 (world-readable; the pods run as other users). */
  private mode(): number {
    return this.source.defaultMode ?? 0o644;
  }

  /** A TokenRequest for the pod's ServiceAccount, bound to the pod. */
  private async token(p: ServiceAccountTokenProjection, expirationSeconds: number): Promise<string> {
    const { namespace, name, uid, serviceAccountName } = this.pod;
    const request = {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: {
        ...(p.audience ? { audiences: [p.audience] } : {}),
        expirationSeconds,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name, uid },
      },
    };
    const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccountName}/token`;
    this.requests++;
    return (await this.cluster.apiJson<{ status: { token: string } }>("POST", path, request)).status.token;
  }
}
