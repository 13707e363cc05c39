/**
 * `egts config envoy-gateway all|<kind>`: the resources the controller pods hold, read from each pod's admin
 * API (`/api/config_dump?resource=<kind>` on 127.0.0.1:19000 in the pod, admin/admin-server.ts) through a port
 * forwarded by the API server, as egctl does; printed as egctl prints them: namespace → pod → the list of
 * resources, `-o json` (default) or `-o yaml`. Pods: the name argument, else `-l`, else the controller pods
 * (`control-plane=envoy-gateway`) of `-n` (default envoy-gateway-system), or of every namespace with `-A`.
 */
import type { Invocation, Runner } from "./cli/command";
import { str } from "./cli/flags";
import { sortKeys } from "./config-dump";
import { formatOutput, outputFormat } from "./output";
import { adminGet, openProxyTargets } from "./proxy-targets";
import { CONTROLLER_POD_SELECTOR } from "./kube-pods";

/** The runner of `config envoy-gateway <resource>`. */
export function configEnvoyGateway(resource: string): Runner {
  return async (inv: Invocation): Promise<number> => {
    const format = outputFormat(str(inv.values, "output"));
    const open = await openProxyTargets(inv, {
      kubernetesOnly: true,
      defaultSelector: [CONTROLLER_POD_SELECTOR],
      labelsWithAllNamespaces: true,
    });
    const out: Record<string, Record<string, unknown>> = {};
    try {
      for (const pod of open.targets) {
        const body = JSON.parse(await adminGet(pod, `/api/config_dump?resource=${encodeURIComponent(resource)}`)) as {
          resources?: unknown[];
        };
        (out[pod.namespace] ??= {})[pod.name] = body.resources ?? [];
      }
    } finally {
      await open.close();
    }
    process.stdout.write(await formatOutput(sortKeys(out), format));
    return 0;
  };
}
