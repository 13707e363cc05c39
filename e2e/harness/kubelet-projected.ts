/**
 * The simulated kubelet's projected volumes with `serviceAccountToken` sources, as the kubelet writes them: for
 * each source, a TokenRequest for the pod's ServiceAccount (the source's audience and lifetime, bound to the pod,
 * so a TokenReview names the pod in `authentication.kubernetes.io/pod-name`), written at the source's path with
 * the atomic writer's layout (atomic-writer.ts); the tokens are requested again once 80 % of their lifetime
 * passed (the kubelet's rotation), and written with a `..data` swap. Other projected sources (configMap,
 * secret, downwardAPI, clusterTrustBundle) are not simulated: a pod using one fails to start, naming it.
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

/** Why the kubelet cannot write `source` (a source kind it does not simulate), or undefined. */
export function projectedVolumeProblem(volume: string, source: ProjectedVolumeSource): string | undefined {
  for (const s of source.sources ?? []) {
    const kinds = Object.keys(s);
    const other = kinds.find((k) => k !== "serviceAccountToken");
    if (other) return `projected volume "${volume}": source ${other} is not simulated by the test kubelet`;
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
      if (!projection) continue;
      const seconds = projection.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
      shortest = Math.min(shortest, seconds);
      files[projection.path] = { content: Buffer.from(await this.token(projection, seconds)), mode: this.mode() };
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
