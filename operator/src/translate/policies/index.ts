/**
 * The policy stage: Envoy Gateway's policy kinds, after every route has attached and each Gateway's IR is
 * built (policies configure listeners and routes, and their ancestors are known only then), before Gateways
 * of merged classes are combined. One status book collects every policy's status; one target index serves
 * every kind.
 */
import type { GatewayXdsIr } from "../../ir/xds-ir";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { StatusUpdate } from "../conditions";
import type { ExtensionApiGates } from "../extension-gates";
import type { GatewayState } from "../gateway";
import type { GatewayIr } from "../merge-gateways";
import { PolicyStatusBook } from "./ancestors";
import { applyBackendTraffic, attachBackendTrafficPolicies, type RateLimitServiceSettings } from "./backend-traffic";
import { applyClientTrafficPolicies } from "./client-traffic";
import type { BackendIndex } from "../backends";
import { envoyProxyFor } from "../envoy-proxy";
import { ListenerRefs } from "../listener-tls";
import { ReferenceGrantIndex } from "../reference-grants";
import type { WasmModules } from "../wasm-sources";
import { TargetIndex } from "./target-index";
import { RouteSites } from "./route-sites";
import { applySecurity, attachSecurityPolicies } from "./security";
import type { OidcInputs } from "./security-context";
import { applyPatchPolicies, attachPatchPolicies } from "./patch-policy";
import { applyExtensions, attachExtensionPolicies } from "./extension";

/** What the policy stage needs. */
export interface PolicyInputs {
  /** The snapshot (policies, and routes and Gateways for selectors). */
  readonly snapshot: ResourceSnapshot;
  /** Our Gateways, with listeners and attached routes. */
  readonly gateways: ReadonlyMap<string, GatewayState>;
  /** Each accepted Gateway's IR, not yet merged. */
  readonly built: readonly GatewayIr[];
  /** Our controller name (policy ancestors carry it). */
  readonly controllerName: string;
  /** EnvoyGateway extensionApis switches. */
  readonly gates: ExtensionApiGates;
  /** GatewayClasses whose Gateways share one proxy (mergeGateways): their shared ports are one Envoy listener. */
  readonly merged: ReadonlySet<string>;
  /** The global rate limit service (EnvoyGateway `rateLimit`); absent: global rate limits refused. */
  readonly rateLimit?: RateLimitServiceSettings;
  /** Services and Backends (policies' service backendRefs resolve to them). */
  readonly backends: BackendIndex;
  /** SecurityPolicy OIDC's HMAC secret and provider discovery results; absent: OIDC fails closed. */
  readonly oidc?: OidcInputs;
  /** The Wasm modules fetched so far (EnvoyExtensionPolicy `wasm`); absent: Wasm entries fail. */
  readonly wasm?: WasmModules | undefined;
}

/** What the policy stage produces. */
export interface PolicyOutputs {
  /** The Gateway IRs with the policies applied. */
  readonly built: GatewayIr[];
  /** A status for every policy of ours. */
  readonly statuses: StatusUpdate[];
  /** What the policies change on the published nodes (after Gateways of merged classes are combined). */
  readonly finalize: (xds: readonly GatewayXdsIr[]) => GatewayXdsIr[];
}

/** Applies every policy kind, in Envoy Gateway's order (client traffic first: it configures listeners). */
export function applyPolicies(inputs: PolicyInputs): PolicyOutputs {
  const policies = inputs.snapshot.policies ?? {};
  const book = new PolicyStatusBook();
  const index = new TargetIndex(inputs.gateways, inputs.snapshot);
  const sites = new RouteSites(index);
  const nodeOf = (gw: GatewayState): string =>
    inputs.merged.has(gw.gateway.spec.gatewayClassName) ? gw.gateway.spec.gatewayClassName : gw.key;
  const refs = new ListenerRefs(inputs.snapshot, new ReferenceGrantIndex(inputs.snapshot.referenceGrants ?? []));
  const built = applyClientTrafficPolicies(policies.clientTrafficPolicies ?? [], index, book, inputs.built, {
    nodeOf,
    refs,
  });
  const traffic = attachBackendTrafficPolicies(policies.backendTrafficPolicies ?? [], index, book, built, {
    snapshot: inputs.snapshot,
    ...(inputs.rateLimit ? { rateLimit: inputs.rateLimit } : {}),
    nodeOf,
    sites,
  });
  const security = attachSecurityPolicies(policies.securityPolicies ?? [], index, book, built, {
    snapshot: inputs.snapshot,
    refs,
    backends: inputs.backends,
    ...(inputs.oidc ? { oidc: inputs.oidc } : {}),
    nodeOf,
    sites,
  });
  const extensions = attachExtensionPolicies(policies.envoyExtensionPolicies ?? [], index, book, built, {
    refs,
    gates: inputs.gates,
    backends: inputs.backends,
    dynamicModulesOf: (gateway) => {
      const [ns, name] = gateway.split("/");
      return envoyProxyFor(inputs.snapshot, ns, name)?.dynamicModules ?? [];
    },
    luaValidationOf: (gateway) => {
      const [ns, name] = gateway.split("/");
      return envoyProxyFor(inputs.snapshot, ns, name)?.luaValidation;
    },
    nodeOf,
    sites,
    ...(inputs.wasm ? { wasm: inputs.wasm } : {}),
  });
  // EnvoyPatchPolicy last, as Envoy Gateway processes it: its patches act on the Envoy resources of the finished IR.
  const patches = attachPatchPolicies(policies.envoyPatchPolicies ?? [], index, book, {
    gates: inputs.gates,
    merged: inputs.merged,
  });
  return {
    built,
    statuses: book.statuses(inputs.controllerName),
    // SecurityPolicy last: its fail-closed 500 wins over what a BackendTrafficPolicy does to a route.
    finalize: (xds) =>
      applyPatchPolicies(
        applySecurity(
          applyExtensions(applyBackendTraffic(xds, traffic), extensions, inputs.wasm?.servingTls),
          security,
        ),
        patches,
      ),
  };
}
