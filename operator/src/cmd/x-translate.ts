/**
 * `egts x translate`: egctl's translate. The input (files, folders, `-f -` for stdin) is translated offline by
 * the same pipeline as the controller's, and printed as one YAML or JSON document with egctl's keys: the
 * Gateway API resources with their status (`--to gateway-api`: `gatewayClass`, `gateways`, `httpRoutes`, …),
 * the IR (`--to ir`: `xdsIR`, `infraIR`, keyed by node) and Envoy's configuration per node in the shape of its
 * `/config_dump` (`--to xds`, `-t` one config type), every object's keys sorted as egctl's output has them.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { renderProxiesChecked } from "../../../constructs/render";
import { controllerRenderOptions } from "../config/controller-defaults";
import type { ProxyInfraIr } from "../ir/infra-ir";
import { formatInputError } from "../provider/file/parse";
import type { KubeObject } from "../resources/meta";
import type { RateLimitServiceSettings } from "../translate/policies/backend-traffic";
import type { TranslateResult } from "../translate/translate";
import { addMissingResources, clusterIpSlices } from "./add-missing";
import { bool, str } from "./cli/flags";
import { nodeConfigDump, selectConfig, sortKeys } from "./config-dump";
import type { ConfigType } from "./config-types";
import { envoyGatewayConfig } from "./gateway-config";
import { formatOutput } from "./output";
import { resourcesWithStatus } from "./resources-doc";
import { readInputs, translateOffline, translationSteps } from "./translate";
import { offlineOptions } from "./translate-cmd";
import type { TranslateRequest } from "./x-translate-cmd";

/** Translates the input of a checked request and prints the document; returns the exit code. */
export async function translateInput(req: TranslateRequest): Promise<number> {
  const { files, to, type, format, namespace, v } = req;
  const config = envoyGatewayConfig(str(v, "config-path") || undefined, () => undefined);
  const opts = offlineOptions(config, { controllerName: undefined, listenAddress: undefined, namespace });
  const { objects: read, errors, warnings } = await readInputs(files);
  for (const w of warnings) process.stderr.write(`warning: ${formatInputError(w)}\n`);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`error: ${formatInputError(e)}\n`);
    return 1;
  }
  const controllerName = opts.controllerName ?? "gateway.envoyproxy.io/gatewayclass-controller";
  const objects = bool(v, "add-missing-resources") ? addMissingResources(read, controllerName) : read;
  if (!objects.some((o) => o.kind === "GatewayClass")) throw new Error("the GatewayClass resource is required");
  const rateLimit = opts.rateLimit ? { rateLimit: withDnsDomain(opts.rateLimit, str(v, "dns-domain")) } : {};
  // egctl routes to the Services' cluster IPs (endpoint routing off); see clusterIpSlices.
  const result = await translateOffline(clusterIpSlices(objects), { ...opts, ...rateLimit });
  const doc = translationDoc(objects, result, { to, type, namespace });
  process.stdout.write(await formatOutput(sortKeys(doc), format));
  return 0;
}

/** The rate limit service's in-cluster name under another cluster DNS domain than `cluster.local`. */
function withDnsDomain(settings: RateLimitServiceSettings, domain: string): RateLimitServiceSettings {
  if (domain === "cluster.local" || domain === "") return settings;
  const rename = (host: string): string => host.replace(/\.svc\.cluster\.local$/, `.svc.${domain}`);
  const tls = settings.tls
    ? {
        tls: {
          ...settings.tls,
          sni: rename(settings.tls.sni),
          subjectAltNames: settings.tls.subjectAltNames.map((san) => ({ ...san, value: rename(san.value) })),
        },
      }
    : {};
  return { ...settings, host: rename(settings.host), ...tls };
}

/** What `--to` and `-t` ask for. */
interface Wanted {
  readonly to: readonly string[];
  readonly type: ConfigType;
  /** Namespace of the control plane: where the proxies dial xDS. */
  readonly namespace: string;
}

/** The output document of a translation, with egctl's top-level keys. */
export function translationDoc(
  objects: readonly KubeObject[],
  result: TranslateResult,
  want: Wanted,
): Record<string, unknown> {
  const wantXds = want.to.includes("xds");
  const { steps, statuses } = translationSteps(result, wantXds);
  const doc: Record<string, unknown> = {};
  if (want.to.includes("gateway-api") || want.to.includes("ir"))
    Object.assign(doc, resourcesWithStatus(objects, statuses));
  if (want.to.includes("ir")) {
    doc.xdsIR = Object.fromEntries(result.xdsIr.map((ir) => [ir.name, ir]));
    doc.infraIR = Object.fromEntries(result.infraIr.map((ir) => [ir.name, ir]));
  }
  if (wantXds) {
    const infra = new Map(result.infraIr.map((ir) => [ir.name, ir]));
    doc.xds = Object.fromEntries(
      steps.map((s) => {
        const bootstrap = kubernetesBootstrap(infra.get(s.node), want.namespace);
        return [s.node, selectConfig(nodeConfigDump(s.resources ?? new Map(), bootstrap), want.type)];
      }),
    );
  }
  return doc;
}

/**
 * The bootstrap a node's pods start from in Kubernetes, as `egts controller` renders it with its defaults (the
 * proxy's ConfigMap); none for a node without proxies.
 */
function kubernetesBootstrap(infra: ProxyInfraIr | undefined, namespace: string): JsonValue | undefined {
  if (!infra) return undefined;
  const { manifests, problems } = renderProxiesChecked([infra], controllerRenderOptions({ namespace }));
  const data = manifests
    .filter((m) => m.kind === "ConfigMap")
    .map((m) => (m as { data?: Record<string, string> }).data?.["envoy.json"])
    .find((d) => d !== undefined);
  if (data === undefined) throw new Error(`${infra.name}: no bootstrap rendered: ${problems[0]?.message ?? "none"}`);
  return JSON.parse(data) as JsonValue;
}
