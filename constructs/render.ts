/**
 * Renders the infra IR into Kubernetes manifests: one `GatewayProxy` per proxy in a cdk8s chart, synthesized
 * in memory. Pure: the operator's applier and `cdk8s synth` call the same function.
 */
import { App, Chart } from "cdk8s";
import type { Construct } from "constructs";
import { HTTP3_PORT_PROTOCOL, type ProxyInfraIr } from "../operator/src/ir/infra-ir";
import type { EnvoyProxySpec } from "../operator/src/resources/envoy-proxy";
import {
  containerPortFor,
  DEFAULT_CONTROLLER_NAMESPACE,
  GatewayProxy,
  keepsListenerPorts,
  type GatewayProxyProps,
  type ProxyPort,
} from "./gateway-proxy";
import { mergedProxyObjectName, proxyObjectName, proxyOwnerKey, type ProxyOwner } from "./names";
import type { EnvoyProxyOrigin } from "./proxy-policy";

/** Settings of the controller that every proxy shares. */
export interface RenderOptions {
  /** Namespace of the proxies. @default envoy-gateway-system */
  readonly namespace?: string;
  /** Envoy image. */
  readonly image: string;
  /** The controller's image, for the shutdown-manager containers. @default ghcr.io/egts/controller:<version> */
  readonly shutdownManagerImage?: string;
  /** The xDS server the proxies connect to. */
  readonly xds: GatewayProxyProps["xds"];
  /**
   * Bind listener ports below 1024 as they are instead of port + 10000, for every proxy (an EnvoyProxy's
   * `useListenerPortAsContainerPort` does it for its own). @default false
   */
  readonly useListenerPortAsContainerPort?: boolean;
  /**
   * EnvoyGateway `provider.kubernetes.deploy.type: GatewayNamespace`: each Gateway's proxy objects go to the
   * Gateway's namespace, named as the Gateway (as Envoy Gateway names them), instead of `namespace` and
   * `envoy-<ns>-<name>-<hash>`; merged proxies (`mergeGateways`) are refused, as in Envoy Gateway. @default false
   */
  readonly gatewayNamespace?: boolean;
}

/** Envoy Gateway's refusal of merged proxies in GatewayNamespace mode. */
export const MERGED_IN_GATEWAY_NAMESPACE =
  "mergeGateways is not supported with provider.kubernetes.deploy.type GatewayNamespace (as in Envoy Gateway)";

/** A proxy to render: the infra IR plus what Kubernetes mode adds to it. */
export interface ProxyToRender extends ProxyInfraIr {
  /** The EnvoyProxy in effect for this Gateway. @default none */
  readonly envoyProxy?: EnvoyProxySpec;
  /** Gateway `spec.infrastructure` labels and annotations. @default none */
  readonly infrastructure?: GatewayProxyProps["infrastructure"];
  /** Owner of the objects (the GatewayClass, when its uid is known). @default none */
  readonly ownerReference?: GatewayProxyProps["ownerReference"];
  /** Who wrote `envoyProxy`: the GatewayClass's or the Gateway's own. @default GatewayClass */
  readonly envoyProxyOrigin?: EnvoyProxyOrigin;
  /** The GatewayClass's spec a Gateway's `envoyProxy` was merged onto (`mergeType`). @default not merged */
  readonly envoyProxyBase?: EnvoyProxySpec;
  /**
   * When its Gateway (or, merged, its GatewayClass) was created (RFC 3339): when two proxies would render an
   * object of the same name, the older keeps it. @default unknown (younger than any known)
   */
  readonly createdAt?: string;
}

/** A proxy the renderer refused (its objects are left out), and why. */
export interface RenderProblem {
  /** The proxy (its xDS node name). */
  readonly proxy: string;
  /** The Gateways (`namespace/name`) it serves. */
  readonly gateways: readonly string[];
  /** Why, naming the object and the field. */
  readonly message: string;
}

/** What {@link renderProxiesChecked} rendered and refused. */
export interface RenderOutcome {
  /** The manifests of every proxy that rendered, sorted by kind, namespace and name. */
  readonly manifests: Manifest[];
  /** One per refused proxy. */
  readonly problems: RenderProblem[];
}

/** A rendered manifest. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [key: string]: unknown;
}

/** The Service/container ports of a proxy: one per distinct listener port and transport. */
export function proxyPorts(ir: ProxyInfraIr, useListenerPort = false): ProxyPort[] {
  const seen = new Map<string, ProxyPort>();
  for (const p of ir.ports) {
    const http3 = p.protocol === HTTP3_PORT_PROTOCOL;
    const transport = p.protocol === "UDP" || http3 ? "UDP" : "TCP";
    const key = `${transport}/${p.port}`;
    if (seen.has(key)) continue;
    // HTTP/3 rides on its HTTPS port's number over UDP; Envoy Gateway names it after that port, plus `-h3`.
    const name = (http3 ? `https-${p.port}-h3` : `${p.protocol.toLowerCase()}-${p.port}`).slice(0, 15);
    const containerPort = useListenerPort ? p.port : containerPortFor(p.port);
    seen.set(key, { name, port: p.port, containerPort, protocol: transport });
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** Who a proxy serves: its Gateway, or every Gateway of its GatewayClass (`mergeGateways`). */
export function proxyOwnerOf(ir: ProxyInfraIr): ProxyOwner {
  return ir.gatewayClass !== undefined
    ? { kind: "GatewayClass", name: ir.gatewayClass }
    : { kind: "Gateway", namespace: ir.namespace, name: ir.gatewayName };
}

/**
 * The base name of a proxy's objects (Deployment, Service, …): in GatewayNamespace mode (`gatewayNamespace`),
 * the Gateway's name.
 */
export function proxyObjectNameOf(ir: ProxyInfraIr, gatewayNamespace = false): string {
  if (ir.gatewayClass !== undefined) return mergedProxyObjectName(ir.gatewayClass);
  return gatewayNamespace ? ir.gatewayName : proxyObjectName(ir.namespace, ir.gatewayName);
}

/** The namespace of a proxy's objects: the Gateway's in GatewayNamespace mode, else the controller's. */
export function proxyNamespaceOf(
  ir: ProxyInfraIr,
  options: Pick<RenderOptions, "namespace" | "gatewayNamespace">,
): string | undefined {
  return options.gatewayNamespace && ir.gatewayClass === undefined ? ir.namespace : options.namespace;
}

/** For each Gateway (`namespace/name`) the infra IR runs proxies for, who owns those proxies. */
export function proxyOwnersByGateway(infra: readonly ProxyInfraIr[]): Map<string, ProxyOwner> {
  const out = new Map<string, ProxyOwner>();
  for (const ir of infra) {
    const owner = proxyOwnerOf(ir);
    for (const key of ir.gateways ?? [`${ir.namespace}/${ir.gatewayName}`]) out.set(key, owner);
  }
  return out;
}

/** For each Gateway (`namespace/name`) the infra IR runs proxies for, the base name of their objects. */
export function proxyObjectNamesByGateway(infra: readonly ProxyInfraIr[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const ir of infra) {
    const objectName = proxyObjectNameOf(ir);
    for (const key of ir.gateways ?? [`${ir.namespace}/${ir.gatewayName}`]) out.set(key, objectName);
  }
  return out;
}

/**
 * The Secret with a proxy's own xDS client certificate (its node id in a URI SAN), issued by the controller;
 * mounted by the proxy's pods whenever `RenderOptions.xds.tlsSecretName` turns mTLS on.
 */
export function proxyXdsSecretName(objectName: string): string {
  return `${objectName}-xds`;
}

/**
 * The ServiceAccount a proxy's pods run as (namespace and name): the one `GatewayProxy` renders, named as the
 * proxy's objects unless its EnvoyProxy names one. In GatewayNamespace mode, the xDS server serves a node only to
 * a stream whose token belongs to it.
 */
export function proxyServiceAccountOf(
  proxy: ProxyToRender,
  options: Pick<RenderOptions, "namespace" | "gatewayNamespace">,
): { readonly namespace: string; readonly name: string } {
  const name =
    proxy.envoyProxy?.provider?.kubernetes?.envoyServiceAccount?.name ??
    proxyObjectNameOf(proxy, options.gatewayNamespace);
  return { namespace: proxyNamespaceOf(proxy, options) ?? options.namespace ?? DEFAULT_CONTROLLER_NAMESPACE, name };
}

/** Adds the objects of one proxy to a chart. */
export function addProxy(chart: Chart, proxy: ProxyToRender, options: RenderOptions): GatewayProxy {
  const name = proxyObjectNameOf(proxy, options.gatewayNamespace);
  const namespace = proxyNamespaceOf(proxy, options);
  return new GatewayProxy(chart, proxy.gatewayClass !== undefined ? name : proxy.name.replace("/", "-"), {
    owner: proxyOwnerOf(proxy),
    name,
    nodeId: proxy.name,
    ports: proxyPorts(proxy, keepsListenerPorts(proxy.envoyProxy, options.useListenerPortAsContainerPort === true)),
    image: options.image,
    ...(options.shutdownManagerImage ? { shutdownManagerImage: options.shutdownManagerImage } : {}),
    // mTLS: each proxy mounts its own certificate, never a shared one.
    xds: options.xds.tlsSecretName ? { ...options.xds, tlsSecretName: proxyXdsSecretName(name) } : options.xds,
    ...(namespace ? { namespace } : {}),
    ...(proxy.envoyProxy ? { envoyProxy: proxy.envoyProxy } : {}),
    ...(proxy.envoyProxyOrigin ? { envoyProxyOrigin: proxy.envoyProxyOrigin } : {}),
    ...(proxy.envoyProxyBase ? { envoyProxyBase: proxy.envoyProxyBase } : {}),
    ...(proxy.runtime?.metricSinks ? { metricSinks: proxy.runtime.metricSinks } : {}),
    ...(proxy.infrastructure ? { infrastructure: proxy.infrastructure } : {}),
    ...(proxy.ownerReference ? { ownerReference: proxy.ownerReference } : {}),
  });
}

/**
 * A chart holding the objects of `proxies`. The one way proxies become a chart: `renderProxies` (what the
 * controller applies) and `cdk8s synth` (constructs/synth.ts) both build theirs here.
 */
export function proxyChart(
  scope: Construct,
  id: string,
  proxies: readonly ProxyToRender[],
  options: RenderOptions,
): Chart {
  const chart = new Chart(scope, id, { disableResourceNameHashes: true });
  for (const proxy of proxies) addProxy(chart, proxy, options);
  return chart;
}

/** The key of a manifest: `Kind/namespace/name`. */
function manifestKey(m: Manifest): string {
  return `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
}

/** The Gateways a proxy serves. */
function gatewaysOf(proxy: ProxyToRender): string[] {
  return [...(proxy.gateways ?? [`${proxy.namespace}/${proxy.gatewayName}`])];
}

/** Oldest first (unknown creation last), then by node name: who keeps a contested object name. */
function byAge(a: ProxyToRender, b: ProxyToRender): number {
  const ca = a.createdAt ?? "\uffff";
  const cb = b.createdAt ?? "\uffff";
  return ca < cb ? -1 : ca > cb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Renders each proxy on its own, so that one proxy's bad settings (a refused EnvoyProxy or bootstrap, a patch that
 * breaks the boundary) leave out that proxy only; and when two proxies would render an object of the same kind and
 * name (class-level custom names), the younger one is left out with a problem naming the older.
 */
export function renderProxiesChecked(proxies: readonly ProxyToRender[], options: RenderOptions): RenderOutcome {
  const manifests: Manifest[] = [];
  const problems: RenderProblem[] = [];
  const taken = new Map<string, string>();
  for (const proxy of [...proxies].sort(byAge)) {
    const refuse = (message: string): void => {
      problems.push({ proxy: proxy.name, gateways: gatewaysOf(proxy), message });
    };
    if (options.gatewayNamespace && proxy.gatewayClass !== undefined) {
      refuse(MERGED_IN_GATEWAY_NAMESPACE);
      continue;
    }
    const refusedBootstrap = proxy.runtime?.bootstrapRefused;
    if (refusedBootstrap !== undefined) {
      // Left out, its objects stay as last applied (the applier keeps an idle owner's): the last good bootstrap.
      refuse(`${refusedBootstrap}; its objects keep their last applied version, with the last good bootstrap`);
      continue;
    }
    let mine: Manifest[];
    try {
      mine = proxyChart(new App({ outdir: "cdk8s.out" }), "egts-proxies", [proxy], options).toJson() as Manifest[];
    } catch (err) {
      refuse(`its proxies cannot be rendered: ${(err as Error).message}`);
      continue;
    }
    const clash = mine.find((m) => taken.has(manifestKey(m)));
    if (clash) {
      const other = taken.get(manifestKey(clash)) ?? "";
      refuse(
        `its ${clash.kind} ${clash.metadata.namespace ?? ""}/${clash.metadata.name} has the name of ${other}'s (older); object names chosen in an EnvoyProxy must differ between Gateways`,
      );
      continue;
    }
    const owner = proxyOwnerKey(proxyOwnerOf(proxy)).replace("/", " ");
    for (const m of mine) taken.set(manifestKey(m), owner);
    manifests.push(...mine);
  }
  return { manifests: manifests.sort((a, b) => manifestKey(a).localeCompare(manifestKey(b))), problems };
}

/** Renders every proxy's objects, sorted by kind, namespace and name; throws on the first refused proxy. */
export function renderProxies(proxies: readonly ProxyToRender[], options: RenderOptions): Manifest[] {
  const { manifests, problems } = renderProxiesChecked(proxies, options);
  const first = problems[0];
  if (first) throw new Error(`${first.proxy}: ${first.message}`);
  return manifests;
}
