/** The Kubernetes client of the egctl-style commands, from `--kubeconfig` and `--context` (kubectl's chain otherwise). */
import type { KubeClient } from "../provider/kubernetes/client";
import { str, type FlagValues } from "./cli/flags";

/** A client for the cluster the flags name. */
export async function kubeClient(values: FlagValues): Promise<KubeClient> {
  const { KubeClient: Client, loadKubeConfig } = await import("../provider/kubernetes/client");
  const kc = loadKubeConfig(str(values, "kubeconfig") || undefined);
  const context = str(values, "context");
  if (context) kc.setCurrentContext(context);
  return new Client(kc);
}
