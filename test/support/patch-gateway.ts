/**
 * EnvoyPatchPolicy traffic tests' common setup, as Envoy Gateway's task doc has it: Gateway `default/eg` with
 * listener `http`, HTTPRoute `backend` for www.example.com matching only `/get` (the doc edits the quickstart's
 * route so), to an echo backend; EnvoyPatchPolicy enabled. Also the lookups of the Programmed condition and of
 * the node's resources, and a NACK counter.
 */
import { filter, type Subscription } from "rxjs";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import type { CachedResource } from "../../operator/src/xds/cache/snapshot-cache";
import { ListenerType, ScopedRouteType } from "../../operator/src/xds/types";
import { unpack } from "../../proto/any";
import { eventually, freePort, httpGet, type HttpResult } from "./http";
import { connectionManagers } from "./listeners";
import { backendYaml, gatewayYaml, routeYaml } from "./manifests";
import { startTestGateway, type TestGateway } from "./standalone";

/** The host of the doc's route. */
export const PATCH_HOST = "www.example.com";

/** An EnvoyPatchPolicy `default/<name>` on Gateway eg; `patchesYaml` holds jsonPatches items indented by four. */
export function eppYaml(name: string, patchesYaml: string, priority = 0): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyPatchPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: eg }
  type: JSONPatch
  priority: ${priority}
  jsonPatches:
${patchesYaml.replace(/\n?$/, "\n")}`;
}

/**
 * A patch setting one socket option (`level`/`name`) on `listener`'s socket before it binds: `envoy --mode validate`
 * binds no socket, so it passes an option the kernel refuses, which the running Envoy NACKs.
 */
export function socketOption(listener: string, level: number, name: number): string {
  return `    - type: type.googleapis.com/envoy.config.listener.v3.Listener
      name: ${listener}
      operation:
        op: add
        path: /socket_options
        value: [{ level: ${level}, name: ${name}, int_value: 1, state: STATE_PREBIND }]`;
}

/** The HCM's typed_config in a Listener, wherever the filter chain is (a JSONPath for patches). */
export const HCM_PATH = "$..filters[?@.name == 'envoy.filters.network.http_connection_manager'].typed_config";

/** Envoy Gateway's task-doc local reply mapper on `listener`'s HCM: a 404 becomes a 406 with `body`. */
export function localReply(listener: string, body: string): string {
  return `    - type: type.googleapis.com/envoy.config.listener.v3.Listener
      name: ${listener}
      operation:
        op: add
        jsonPath: "${HCM_PATH}"
        path: local_reply_config
        value:
          mappers:
            - filter: { status_code_filter: { comparison: { op: EQ, value: { default_value: 404, runtime_key: key_b } } } }
              status_code: 406
              body: { inline_string: "${body}" }`;
}

/** A condition as the status log holds it. */
export interface PatchCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** A running gateway for EnvoyPatchPolicy tests. */
export interface PatchGateway {
  readonly t: TestGateway;
  /** Envoy's HTTP port. */
  readonly port: number;
  /** `GET <path>` for www.example.com. */
  get(path: string): Promise<HttpResult>;
  /** The Programmed condition of EnvoyPatchPolicy `default/<name>`. */
  programmed(name: string): PatchCondition | undefined;
  /** Waits until that condition is there and not Unknown (Envoy's check of the patched resources is over). */
  settled(name: string): Promise<void>;
  /** The node's resources of one type URL. */
  resources(typeUrl: string): ReadonlyMap<string, CachedResource>;
  /** NACKs Envoy sent since start. */
  readonly nacks: string[];
  close(): Promise<void>;
}

/**
 * GatewayClass `eg` whose Gateways are merged (its EnvoyProxy `envoy-gateway-system/eg` sets mergeGateways), for
 * the doc's GatewayClass variant.
 */
const MERGED_EG_CLASS = `spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: eg, namespace: envoy-gateway-system }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: eg, namespace: envoy-gateway-system }
spec: { mergeGateways: true }`;

/**
 * Starts the gateway and waits until `GET /get` answers 200. `mergeGateways`: class `eg` merges its Gateways (the
 * node is then `eg`, the class).
 */
export async function startPatchGateway(o: { mergeGateways?: boolean } = {}): Promise<PatchGateway> {
  const backend: EchoBackend = await startEchoBackend({ name: "backend" });
  const port = await freePort();
  const gateway = gatewayYaml(port);
  const node = o.mergeGateways ? "eg" : "default/eg";
  const t = await startTestGateway(
    {
      "gateway.yaml": o.mergeGateways
        ? gateway.replace("spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }", MERGED_EG_CLASS)
        : gateway,
      "route.yaml": `${backendYaml("backend", backend.port)}---\n${routeYaml("backend", PATCH_HOST, "backend", { path: "/get" })}`,
    },
    { extensionApis: { enableEnvoyPatchPolicy: true } },
  );
  const nacks: string[] = [];
  const sub: Subscription = t.gw.server.events$
    .pipe(filter((e) => e.kind === "nack"))
    .subscribe((e) => nacks.push(JSON.stringify(e)));
  const get = (path: string): Promise<HttpResult> => httpGet(port, PATCH_HOST, path);
  try {
    await eventually(async () => (await get("/get")).status === 200, 20_000, "the route /get");
  } catch (err) {
    sub.unsubscribe();
    await t.close();
    await backend.close();
    throw err;
  }
  const programmed = (name: string): PatchCondition | undefined => {
    const s = t.gw.statuses.get("EnvoyPatchPolicy", "default", name)?.status as
      { ancestors?: { conditions: PatchCondition[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Programmed");
  };
  return {
    t,
    port,
    get,
    nacks,
    programmed,
    async settled(name) {
      const done = async (): Promise<boolean> => ![undefined, "Unknown"].includes(programmed(name)?.status);
      await eventually(done, 20_000, `Programmed on ${name}`);
    },
    resources(typeUrl) {
      return t.gw.cache.getNode(node)?.resources.get(typeUrl) ?? new Map();
    },
    async close() {
      sub.unsubscribe();
      await t.close();
      await backend.close();
    },
  };
}

/**
 * The RouteConfiguration the connection manager of `listener` uses, over RDS or cut into routing scopes (the default
 * layout for exact hosts, ADR 0031; patches see the RouteConfiguration before it is cut): the name a patch targets.
 */
export function routeConfigOf(g: PatchGateway, listener: string): string {
  const published = g.resources(ListenerType.typeUrl).get(listener);
  if (!published) throw new Error(`no listener ${listener} on the node`);
  const hcms = connectionManagers(published.value);
  if (hcms.length !== 1) throw new Error(`listener ${listener} has ${hcms.length} connection managers, not one`);
  const rds = hcms[0]?.rds?.routeConfigName;
  if (rds) return rds;
  // Scoped: each scope's RouteConfiguration is named `<route configuration>/<host>` (scoped.ts).
  const [host, scope] = [...g.resources(ScopedRouteType.typeUrl)][0] ?? [];
  const inner = scope ? unpack(ScopedRouteType, scope.value).routeConfiguration?.name : undefined;
  if (!host || !inner?.endsWith(`/${host}`)) throw new Error(`listener ${listener}: no route configuration found`);
  return inner.slice(0, -host.length - 1);
}
