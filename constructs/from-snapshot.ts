/**
 * From a resource snapshot to the proxies' manifests: translate, resolve each Gateway's EnvoyProxy, render.
 * The controller (operator/src/pipeline/controller.ts) applies what `renderInfra` returns, and `cdk8s synth`
 * (constructs/synth.ts) previews the same proxies, so the two cannot disagree.
 */
import type { ProxyInfraIr } from "../operator/src/ir/infra-ir";
import type { ResourceSnapshot } from "../operator/src/resources/snapshot";
import {
  classEnvoyProxy,
  envoyProxyForNode,
  envoyProxyOf,
  type EffectiveEnvoyProxy,
} from "../operator/src/translate/envoy-proxy";
import { translate, type TranslateOptions } from "../operator/src/translate/translate";
import { containerPortFor, keepsListenerPorts, type OwnerReference } from "./gateway-proxy";
import {
  renderProxies,
  renderProxiesChecked,
  type Manifest,
  type ProxyToRender,
  type RenderOptions,
  type RenderOutcome,
} from "./render";

/**
 * The proxies to render for the infra IR: each with the EnvoyProxy in effect for it (its Gateway's, else its
 * GatewayClass's; the class's for the merged proxies of a class), the infrastructure labels and annotations
 * of the infra IR (the union of the Gateways' when merged), and an owner reference to the GatewayClass.
 */
export function proxiesToRender(infra: readonly ProxyInfraIr[], snapshot: ResourceSnapshot): ProxyToRender[] {
  return infra.map((ir) => {
    const merged = ir.gatewayClass !== undefined;
    const classSpec = merged ? classEnvoyProxy(snapshot, ir.gatewayClass) : undefined;
    const found: EffectiveEnvoyProxy | undefined = merged
      ? classSpec && { spec: classSpec, origin: "GatewayClass" as const }
      : envoyProxyOf(snapshot, ir.namespace, ir.gatewayName);
    const gateway = snapshot.gateways.find(
      (g) => g.metadata.namespace === ir.namespace && g.metadata.name === ir.gatewayName,
    );
    const className = ir.gatewayClass ?? gateway?.spec.gatewayClassName;
    const ownerReference = className === undefined ? undefined : classOwnerByName(snapshot, className);
    const createdAt = merged
      ? snapshot.gatewayClasses.find((c) => c.metadata.name === className)?.metadata.creationTimestamp
      : gateway?.metadata.creationTimestamp;
    return {
      ...ir,
      ...(found ? { envoyProxy: found.spec, envoyProxyOrigin: found.origin } : {}),
      ...(found?.base ? { envoyProxyBase: found.base } : {}),
      ...(createdAt ? { createdAt } : {}),
      ...infrastructureOf(ir),
      ...(ownerReference ? { ownerReference } : {}),
    };
  });
}

/** The infra IR's labels and annotations as the renderer's `infrastructure`; empty when it has none. */
function infrastructureOf(ir: ProxyInfraIr): Pick<ProxyToRender, "infrastructure"> {
  if (!ir.labels && !ir.annotations) return {};
  return {
    infrastructure: {
      ...(ir.labels ? { labels: ir.labels } : {}),
      ...(ir.annotations ? { annotations: ir.annotations } : {}),
    },
  };
}

/** The owner reference to a GatewayClass, when it has a uid. */
function classOwnerByName(snapshot: ResourceSnapshot, className: string): OwnerReference | undefined {
  const cls = snapshot.gatewayClasses.find((c) => c.metadata.name === className);
  const uid = cls?.metadata.uid;
  return cls && uid ? { apiVersion: cls.apiVersion, kind: "GatewayClass", name: cls.metadata.name, uid } : undefined;
}

/** The manifests of every proxy of the infra IR: what the controller server-side-applies. */
export function renderInfra(
  infra: readonly ProxyInfraIr[],
  snapshot: ResourceSnapshot,
  options: RenderOptions,
): Manifest[] {
  return renderProxies(proxiesToRender(infra, snapshot), options);
}

/**
 * The manifests of every proxy that renders, and a problem for each one that does not (the controller applies
 * the first and reports the second on the Gateways), so one Gateway's bad render never stops the others'.
 */
export function renderInfraChecked(
  infra: readonly ProxyInfraIr[],
  snapshot: ResourceSnapshot,
  options: RenderOptions,
): RenderOutcome {
  return renderProxiesChecked(proxiesToRender(infra, snapshot), options);
}

/** Settings of {@link renderForSnapshot}. */
export interface SnapshotRenderOptions {
  /** How the translator runs (the controller passes only its controller name). */
  readonly translate: TranslateOptions;
  /** How the proxies render. */
  readonly render: RenderOptions;
}

/** Translates a snapshot and renders its proxies, as one controller pass does. */
export function renderForSnapshot(snapshot: ResourceSnapshot, options: SnapshotRenderOptions): Manifest[] {
  return renderInfra(translate(snapshot, options.translate).infraIr, snapshot, options.render);
}

/**
 * How the proxies behind each xDS node bind their listeners, matching the container ports `renderInfra`
 * gives them: listener ports below 1024 move to port + 10000, unless `always` (the controller's flag) or the
 * node's EnvoyProxy sets `useListenerPortAsContainerPort` (then undefined: ports as they are).
 */
export function containerBindPorts(
  snapshot: ResourceSnapshot,
  always: boolean,
): (node: string) => ((port: number) => number) | undefined {
  return (node) => (keepsListenerPorts(envoyProxyForNode(snapshot, node), always) ? undefined : containerPortFor);
}
