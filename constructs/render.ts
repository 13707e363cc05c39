/**
 * Renders the infra IR into Kubernetes manifests: one `GatewayProxy` per proxy in a cdk8s chart, synthesized
 * in memory. Pure: the operator's applier and `cdk8s synth` call the same function.
 */
import { App, Chart } from "cdk8s";
import type { Construct } from "constructs";
import type { ProxyInfraIr } from "../operator/src/ir/infra-ir";
import type { EnvoyProxySpec } from "../operator/src/resources/envoy-proxy";
import {
  containerPortFor,
  GatewayProxy,
  keepsListenerPorts,
  type GatewayProxyProps,
  type ProxyPort,
} from "./gateway-proxy";
import { mergedProxyObjectName, proxyObjectName, type ProxyOwner } from "./names";

/** Settings of the controller that every proxy shares. */
export interface RenderOptions {
  /** Namespace of the proxies. @default envoy-gateway-system */
  readonly namespace?: string;
  /** Envoy image. */
  readonly image: string;
  /** The xDS server the proxies connect to. */
  readonly xds: GatewayProxyProps["xds"];
  /**
   * Bind listener ports below 1024 as they are instead of port + 10000, for every proxy (an EnvoyProxy's
   * `useListenerPortAsContainerPort` does it for its own). @default false
   */
  readonly useListenerPortAsContainerPort?: boolean;
}

/** A proxy to render: the infra IR plus what Kubernetes mode adds to it. */
export interface ProxyToRender extends ProxyInfraIr {
  /** The EnvoyProxy in effect for this Gateway. @default none */
  readonly envoyProxy?: EnvoyProxySpec;
  /** Gateway `spec.infrastructure` labels and annotations. @default none */
  readonly infrastructure?: GatewayProxyProps["infrastructure"];
  /** Owner of the objects (the GatewayClass, when its uid is known). @default none */
  readonly ownerReference?: GatewayProxyProps["ownerReference"];
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
    const transport = p.protocol === "UDP" ? "UDP" : "TCP";
    const key = `${transport}/${p.port}`;
    if (seen.has(key)) continue;
    const name = `${p.protocol.toLowerCase()}-${p.port}`.slice(0, 15);
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

/** The base name of a proxy's objects (Deployment, Service, …). */
export function proxyObjectNameOf(ir: ProxyInfraIr): string {
  return ir.gatewayClass !== undefined
    ? mergedProxyObjectName(ir.gatewayClass)
    : proxyObjectName(ir.namespace, ir.gatewayName);
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

/** Adds the objects of one proxy to a chart. */
export function addProxy(chart: Chart, proxy: ProxyToRender, options: RenderOptions): GatewayProxy {
  const name = proxyObjectNameOf(proxy);
  return new GatewayProxy(chart, proxy.gatewayClass !== undefined ? name : proxy.name.replace("/", "-"), {
    owner: proxyOwnerOf(proxy),
    name,
    nodeId: proxy.name,
    ports: proxyPorts(proxy, keepsListenerPorts(proxy.envoyProxy, options.useListenerPortAsContainerPort === true)),
    image: options.image,
    // mTLS: each proxy mounts its own certificate, never a shared one.
    xds: options.xds.tlsSecretName ? { ...options.xds, tlsSecretName: proxyXdsSecretName(name) } : options.xds,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(proxy.envoyProxy ? { envoyProxy: proxy.envoyProxy } : {}),
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

/** Renders every proxy's objects, sorted by kind, namespace and name. */
export function renderProxies(proxies: readonly ProxyToRender[], options: RenderOptions): Manifest[] {
  const app = new App({ outdir: "cdk8s.out" });
  const manifests = proxyChart(app, "egts-proxies", proxies, options).toJson() as Manifest[];
  const key = (m: Manifest): string => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
  return manifests.sort((a, b) => key(a).localeCompare(key(b)));
}
