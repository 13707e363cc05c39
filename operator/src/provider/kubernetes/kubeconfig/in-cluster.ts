/**
 * The in-cluster configuration, as client-go's `rest.InClusterConfig`: the API server at
 * `KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT`, verified with the ServiceAccount's `ca.crt`, authenticated
 * with its `token` file (read again while running: the kubelet rotates bound tokens).
 */
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { env, type EgtsEnv } from "../../../config/env";
import { KubeconfigError, type KubeEndpoint } from "./endpoint";

/** The environment variables the in-cluster configuration reads. */
export type InClusterEnv = Pick<EgtsEnv, "kubernetesService">;

/** Where the kubelet mounts the ServiceAccount's token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Whether the process runs in a pod with a mounted ServiceAccount token. */
export function inCluster(e: InClusterEnv = env(), dir = SERVICE_ACCOUNT_DIR): boolean {
  return e.kubernetesService !== undefined && existsSync(join(dir, "token"));
}

/** The in-cluster endpoint. @throws KubeconfigError when the environment or the CA file is missing */
export function inClusterEndpoint(e: InClusterEnv = env(), dir = SERVICE_ACCOUNT_DIR): KubeEndpoint {
  if (!e.kubernetesService) {
    throw new KubeconfigError("in-cluster", "KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT", "not set");
  }
  const { host, port } = e.kubernetesService;
  const caPath = join(dir, "ca.crt");
  let ca: string;
  try {
    ca = readFileSync(caPath, "utf8");
  } catch (err) {
    throw new KubeconfigError("in-cluster", caPath, (err as Error).message);
  }
  const tokenPath = join(dir, "token");
  if (!existsSync(tokenPath)) throw new KubeconfigError("in-cluster", tokenPath, "no such file");
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    tls: { ca, rejectUnauthorized: true },
    auth: { kind: "tokenFile", path: tokenPath },
    origin: "in-cluster",
  };
}
