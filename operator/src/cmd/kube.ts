/** The Kubernetes client of the egctl-style commands, from `--kubeconfig` and `--context` (kubectl's chain otherwise). */
import type { KubeClient, KubeConfig } from "../provider/kubernetes/client";
import { str, type FlagValues } from "./cli/flags";

/** The kubeconfig the flags name, at the context they name. */
export async function kubeConfig(values: FlagValues): Promise<KubeConfig> {
  const { loadKubeConfig } = await import("../provider/kubernetes/client");
  return loadKubeConfig(str(values, "kubeconfig") || undefined, str(values, "context") || undefined);
}

/** A client for the cluster the flags name. */
export async function kubeClient(values: FlagValues, kc?: KubeConfig): Promise<KubeClient> {
  const { KubeClient: Client } = await import("../provider/kubernetes/client");
  return new Client(kc ?? (await kubeConfig(values)));
}
