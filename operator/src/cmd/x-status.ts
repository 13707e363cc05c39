/**
 * `egts x status <type>`: the conditions of resources, as egctl x status shows them, read from the cluster
 * (kubeconfig) or, with `-f`, from an offline translation of a file or folder (the statuses a controller would
 * write). Types and aliases as egctl's; `xroute`, `xpolicy` and `all` print one table per kind, names typed
 * (`httproute/backend`), kinds with nothing to show left out.
 */
import { formatInputError } from "../provider/file/parse";
import type { KubeObject } from "../resources/meta";
import type { Invocation } from "./cli/command";
import { bool, list, str, UsageError } from "./cli/flags";
import { envoyGatewayConfig } from "./gateway-config";
import { kubeClient } from "./kube";
import { statusIndex, statusOf } from "./resources-doc";
import { statusBody, statusHeader, tabwrite, type StatusItem, type TableOptions } from "./status-table";

/** A kind egctl shows: its API path segments and whether it is namespaced. */
interface KindInfo {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const GW = "gateway.networking.k8s.io";
const EG = "gateway.envoyproxy.io";
const KINDS: Readonly<Record<string, KindInfo>> = {
  gatewayclass: { kind: "GatewayClass", group: GW, version: "v1", plural: "gatewayclasses", namespaced: false },
  gateway: { kind: "Gateway", group: GW, version: "v1", plural: "gateways", namespaced: true },
  httproute: { kind: "HTTPRoute", group: GW, version: "v1", plural: "httproutes", namespaced: true },
  grpcroute: { kind: "GRPCRoute", group: GW, version: "v1", plural: "grpcroutes", namespaced: true },
  tcproute: { kind: "TCPRoute", group: GW, version: "v1alpha2", plural: "tcproutes", namespaced: true },
  udproute: { kind: "UDPRoute", group: GW, version: "v1alpha2", plural: "udproutes", namespaced: true },
  tlsroute: { kind: "TLSRoute", group: GW, version: "v1alpha2", plural: "tlsroutes", namespaced: true },
  backendtlspolicy: {
    kind: "BackendTLSPolicy",
    group: GW,
    version: "v1",
    plural: "backendtlspolicies",
    namespaced: true,
  },
  backendtrafficpolicy: {
    kind: "BackendTrafficPolicy",
    group: EG,
    version: "v1alpha1",
    plural: "backendtrafficpolicies",
    namespaced: true,
  },
  clienttrafficpolicy: {
    kind: "ClientTrafficPolicy",
    group: EG,
    version: "v1alpha1",
    plural: "clienttrafficpolicies",
    namespaced: true,
  },
  securitypolicy: {
    kind: "SecurityPolicy",
    group: EG,
    version: "v1alpha1",
    plural: "securitypolicies",
    namespaced: true,
  },
  envoypatchpolicy: {
    kind: "EnvoyPatchPolicy",
    group: EG,
    version: "v1alpha1",
    plural: "envoypatchpolicies",
    namespaced: true,
  },
  envoyextensionpolicy: {
    kind: "EnvoyExtensionPolicy",
    group: EG,
    version: "v1alpha1",
    plural: "envoyextensionpolicies",
    namespaced: true,
  },
};

const ALIASES: Readonly<Record<string, string>> = {
  gc: "gatewayclass",
  gtw: "gateway",
  btlspolicy: "backendtlspolicy",
  btp: "backendtrafficpolicy",
  ctp: "clienttrafficpolicy",
  epp: "envoypatchpolicy",
  eep: "envoyextensionpolicy",
  sp: "securitypolicy",
};

const XROUTE = ["httproute", "grpcroute", "tcproute", "udproute", "tlsroute"];
const XPOLICY = [
  "backendtlspolicy",
  "backendtrafficpolicy",
  "clienttrafficpolicy",
  "securitypolicy",
  "envoypatchpolicy",
  "envoyextensionpolicy",
];
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  all: ["gatewayclass", "gateway", ...XROUTE, ...XPOLICY],
  xroute: XROUTE,
  xpolicy: XPOLICY,
};

/** The kinds a type argument names, and whether it names several (typed names, empty tables skipped). */
export function kindsOf(arg: string): { kinds: KindInfo[]; several: boolean } {
  const t = arg.toLowerCase();
  const group = GROUPS[t];
  if (group) return { kinds: group.map((k) => KINDS[k]), several: true };
  const info = KINDS[ALIASES[t] ?? t];
  if (!info) {
    const supported = GROUPS.all.map((k) => KINDS[k].kind).join(", ");
    throw new Error(`unknown input resource type: ${arg}, supported input types are: ${supported}`);
  }
  return { kinds: [info], several: false };
}

/** Where the objects come from: a cluster or an offline translation. */
type Source = (info: KindInfo, namespace: string | undefined) => Promise<readonly StatusItem[]>;

/** Runs `egts x status`. */
export async function xStatus(inv: Invocation): Promise<number> {
  const [arg] = inv.args;
  if (arg === undefined) throw new UsageError("invalid args: must specify a resource type");
  const { kinds, several } = kindsOf(arg);
  const v = inv.values;
  const all = bool(v, "all-namespaces");
  const namespace = all ? undefined : str(v, "namespace");
  const files = list(v, "file");
  const source =
    files.length > 0 ? await offlineSource(files, str(v, "config-path") || undefined) : await clusterSource(inv);
  const tables: string[] = [];
  for (const info of kinds) {
    const items = await source(info, info.namespaced ? namespace : undefined);
    const o: TableOptions = {
      quiet: bool(v, "quiet"),
      verbose: bool(v, "verbose"),
      namespaceColumn: all && info.namespaced,
      typedName: several,
    };
    const body = statusBody(info.kind, items, o);
    if (several && body.length === 0) continue;
    tables.push(tabwrite([statusHeader(info.kind, o), ...body]) + (several ? "\n" : ""));
  }
  process.stdout.write(tables.join(""));
  return 0;
}

/** Objects listed from the cluster; a kind whose CRD is not installed shows nothing (as egctl's `all`). */
async function clusterSource(inv: Invocation): Promise<Source> {
  const client = await kubeClient(inv.values);
  return async (info, namespace) => {
    const base = info.group === "" ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${info.plural}` : `${base}/${info.plural}`;
    try {
      return (await client.list<KubeObject & StatusItem>(path)).items;
    } catch (err) {
      if ((err as { status?: number }).status === 404) {
        if (bool(inv.values, "verbose")) process.stderr.write(`skipping ${info.kind}: CRD not installed in cluster\n`);
        return [];
      }
      throw err;
    }
  };
}

/** Objects of the input with the statuses an offline translation gives them. */
async function offlineSource(files: readonly string[], configPath: string | undefined): Promise<Source> {
  const { readInputs, translateOffline, translationSteps } = await import("./translate");
  const { offlineOptions } = await import("./translate-cmd");
  const { DEFAULT_CONTROLLER_NAMESPACE } = await import("../translate/translate");
  const { objects, errors, warnings } = await readInputs(files);
  for (const w of warnings) process.stderr.write(`warning: ${formatInputError(w)}\n`);
  if (errors.length > 0) throw new Error(errors.map(formatInputError).join("\n"));
  const config = envoyGatewayConfig(configPath, () => undefined);
  const opts = offlineOptions(config, {
    controllerName: undefined,
    listenAddress: undefined,
    namespace: DEFAULT_CONTROLLER_NAMESPACE,
  });
  const result = await translateOffline(objects, opts);
  const { statuses } = translationSteps(result, false);
  const status = statusIndex(statuses);
  return async (info, namespace) =>
    objects
      .filter(
        (o) => o.kind === info.kind && (namespace === undefined || (o.metadata.namespace ?? "default") === namespace),
      )
      .map((o) => ({
        metadata: { name: o.metadata.name, namespace: o.metadata.namespace ?? "default" },
        status: statusOf(status, o),
      }));
}
