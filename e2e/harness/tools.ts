/**
 * Where the Kubernetes test tools are: the binaries that `scripts/install-kube.sh` builds from their Go
 * modules into the egts cache (`$EGTS_CACHE`, default ~/.cache/egts). The versions are pinned here and at
 * the top of that script: change both together.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { env, type EgtsEnv } from "../../operator/src/config/env";
import { isExecutableFile } from "../../operator/src/infra/host/envoy-binary";

/** Versions pinned by scripts/install-kube.sh. */
export const KUBE_VERSIONS = {
  kubernetes: "v1.37.2",
  etcd: "v3.7.3",
  helm: "v4.3.1",
  chainsaw: "v0.2.15",
  gatewayApi: "v1.7.0",
} as const;

/** The command that installs the tools. */
export const INSTALL_KUBE = "bash scripts/install-kube.sh";

/** Absolute paths of the tools. */
export interface KubeTools {
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubectl: string;
  readonly etcd: string;
  readonly helm: string;
  readonly chainsaw: string;
  /** Folder holding the Gateway API standard CRD YAML files. */
  readonly gatewayApiCrds: string;
}

/** Thrown when a tool is not in the cache. */
export class KubeToolsMissingError extends Error {
  override name = "KubeToolsMissingError";
}

/** Where the tools would be under the cache root `cacheDir` (nothing is checked). */
export function kubeToolPaths(cacheDir: string): KubeTools {
  const v = KUBE_VERSIONS;
  const kubeBin = join(cacheDir, `kube-${v.kubernetes}`, "bin");
  return {
    kubeApiserver: join(kubeBin, "kube-apiserver"),
    kubeControllerManager: join(kubeBin, "kube-controller-manager"),
    kubectl: join(kubeBin, "kubectl"),
    etcd: join(cacheDir, `etcd-${v.etcd}`, "bin", "etcd"),
    helm: join(cacheDir, `helm-${v.helm}`, "bin", "helm"),
    chainsaw: join(cacheDir, `chainsaw-${v.chainsaw}`, "bin", "chainsaw"),
    gatewayApiCrds: join(cacheDir, `gateway-api-${v.gatewayApi}`, "standard"),
  };
}

function isDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The tools in the egts cache of `e` (default: the process environment). Throws a
 * {@link KubeToolsMissingError} naming `bash scripts/install-kube.sh` when one is missing.
 */
export function findKubeTools(e: EgtsEnv = env()): KubeTools {
  const tools = kubeToolPaths(e.cacheDir);
  const missing = Object.entries(tools)
    .filter(([key, path]) => (key === "gatewayApiCrds" ? !isDir(path) : !isExecutableFile(path)))
    .map(([, path]) => path);
  if (missing.length > 0) {
    throw new KubeToolsMissingError(
      `Kubernetes test tools are missing from the egts cache (${e.cacheDir}): ${missing.join(", ")}. ` +
        `Run \`${INSTALL_KUBE}\` to build them (Go >= 1.26; the first build takes a while).`,
    );
  }
  return tools;
}
