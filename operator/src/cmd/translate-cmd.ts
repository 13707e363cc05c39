/** `egts translate -f … --to status|ir|xds|all`: egts's offline translation, printed as YAML documents. */
import { extensionKindsOption } from "../pipeline/extension-kinds";
import type { EnvoyGatewayConfig } from "../config/envoy-gateway-config";
import { kubernetesRateLimit } from "../pipeline/kubernetes-ratelimit";
import { DEFAULT_CONTROLLER_NAMESPACE, type TranslateOptions } from "../translate/translate";
import type { Invocation } from "./cli/command";
import { envoyGatewayConfig } from "./gateway-config";
import { runTranslate, type TranslateOutput } from "./translate";

/** The flags of `egts translate` (see commands.ts). */
interface TranslateFlags {
  readonly file: readonly string[];
  readonly to: string;
  readonly "controller-name"?: string;
  readonly "listen-address"?: string;
  readonly "config-path"?: string;
}

/** `egts translate` (egts's own form; `egts x translate` is egctl's). */
export async function translateLegacy(inv: Invocation): Promise<number> {
  const values = inv.values as unknown as TranslateFlags;
  const to = values.to as TranslateOutput;
  if (!["status", "ir", "xds", "all"].includes(to)) throw new Error(`--to must be status, ir, xds or all (got ${to})`);
  if (!values.file.length) throw new Error("translate needs -f FILE");
  const config = envoyGatewayConfig(values["config-path"], () => undefined);
  return runTranslate(
    values.file,
    to,
    offlineOptions(config, {
      controllerName: values["controller-name"],
      listenAddress: values["listen-address"],
      namespace: DEFAULT_CONTROLLER_NAMESPACE,
    }),
  );
}

/** What an offline translation takes from the command line, beyond the configuration file. */
export interface OfflineFlags {
  /** `--controller-name`, else the configuration's. */
  readonly controllerName: string | undefined;
  /** `--listen-address`. */
  readonly listenAddress: string | undefined;
  /** Namespace of the control plane (the rate limit Service's). */
  readonly namespace: string;
}

/** The translate options of an offline translation: as `egts controller` with its defaults (mTLS xDS) would. */
export function offlineOptions(config: EnvoyGatewayConfig, flags: OfflineFlags): TranslateOptions {
  return {
    controllerName: flags.controllerName ?? config.controllerName,
    listenAddress: flags.listenAddress,
    backends: config.backends,
    extensionApis: config.extensionApis,
    controllerNamespace: flags.namespace,
    ...extensionKindsOption(config.extensionManagers),
    ...(config.rateLimit ? { rateLimit: kubernetesRateLimit(config.rateLimit, flags.namespace, true) } : {}),
  };
}
