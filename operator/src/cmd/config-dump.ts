/**
 * Envoy's configuration in the shape of its admin `/config_dump` (`envoy.admin.v3.ConfigDump`), written as
 * protojson with JSON field names, as egctl prints it: `{configs: [BootstrapConfigDump, EndpointsConfigDump,
 * ClustersConfigDump, ListenersConfigDump, RoutesConfigDump, SecretsConfigDump]}`, so that `egts x translate`
 * and `egctl x translate` outputs (and `config envoy-proxy`'s) can be diffed. One type (`-t cluster`) is that
 * config alone. Private keys are shown as `[redacted]`, as Envoy's admin shows them.
 */
import { fromBinary, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { expandAny, lookupType } from "../../../proto/any";
import type { NodeResources } from "../xds/translate/resources";
import { messageOf, xdsRegistry } from "../xds/patch/protojson";
import type { ConfigType } from "./config-types";

const ADMIN = "type.googleapis.com/envoy.admin.v3.";
const XDS = {
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  secret: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
  bootstrap: "type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap",
} as const;

/** The admin config type of each `-t` value. */
const DUMP_TYPE: Record<Exclude<ConfigType, "all">, string> = {
  bootstrap: `${ADMIN}BootstrapConfigDump`,
  endpoint: `${ADMIN}EndpointsConfigDump`,
  cluster: `${ADMIN}ClustersConfigDump`,
  listener: `${ADMIN}ListenersConfigDump`,
  route: `${ADMIN}RoutesConfigDump`,
  secret: `${ADMIN}SecretsConfigDump`,
};

/** A resource's protojson (JSON field names, `Any`s with `@type`); the generated codec's JSON if the schema lacks a type. */
export function resourceJson(typeUrl: string, bytes: Uint8Array): JsonValue {
  try {
    return toJson(messageOf(typeUrl), fromBinary(messageOf(typeUrl), bytes), { registry: xdsRegistry() });
  } catch {
    const type = lookupType(typeUrl);
    if (!type) throw new Error(`no schema for ${typeUrl}`);
    return { "@type": typeUrl, ...(expandAny(type.codec.toJSON(type.codec.decode(bytes))) as object) } as JsonValue;
  }
}

/** Proto3 JSON of any spelling (proto or JSON field names) → protojson with JSON field names. */
export function normalizeJson(typeUrl: string, json: JsonValue): JsonValue {
  const reg = xdsRegistry();
  const desc = messageOf(typeUrl);
  return toJson(desc, fromJson(desc, json, { registry: reg, ignoreUnknownFields: true }), { registry: reg });
}

/** Envoy's admin replaces sensitive fields (private keys, secrets) with this. */
const REDACTED = "[redacted]";

/** A Secret with its sensitive bytes redacted, as Envoy's admin shows it. */
function redactSecret(secret: JsonValue): JsonValue {
  const s = structuredClone(secret) as Record<string, Record<string, unknown>[] | Record<string, unknown>>;
  for (const cert of (s.tlsCertificates as Record<string, unknown>[] | undefined) ?? []) {
    if (cert.privateKey) cert.privateKey = { inlineString: REDACTED };
  }
  const generic = s.genericSecret as Record<string, unknown> | undefined;
  if (generic?.secret) generic.secret = { inlineString: REDACTED };
  const ticket = s.sessionTicketKeys as { keys?: unknown[] } | undefined;
  if (ticket?.keys) ticket.keys = ticket.keys.map(() => ({ inlineString: REDACTED }));
  return s as JsonValue;
}

/** The resources of one type on a node, sorted by name, as protojson with their `@type` (they are `Any`s in a dump). */
function ofType(resources: NodeResources, typeUrl: string): [string, JsonValue][] {
  return [...(resources.get(typeUrl) ?? new Map())]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, any]) => [
      name,
      { "@type": typeUrl, ...(resourceJson(typeUrl, (any as { value: Uint8Array }).value) as object) } as JsonValue,
    ]);
}

/** A config entry: its `@type` and, when the list is not empty, the list under `key`. */
function entry(type: string, key: string, list: unknown[]): Record<string, unknown> {
  return list.length > 0 ? { "@type": type, [key]: list } : { "@type": type };
}

/**
 * The config dump of a node: the bootstrap it starts from (proto3 JSON, either field spelling; none for a node
 * without proxies) and its xDS
 * resources, in egctl's order; the secrets config only when the node has secrets (egctl's has none).
 */
export function nodeConfigDump(
  resources: NodeResources,
  bootstrap: JsonValue | undefined,
): { configs: Record<string, unknown>[] } {
  const configs = [
    bootstrap === undefined
      ? { "@type": DUMP_TYPE.bootstrap }
      : { "@type": DUMP_TYPE.bootstrap, bootstrap: normalizeJson(XDS.bootstrap, bootstrap) },
    entry(
      DUMP_TYPE.endpoint,
      "dynamicEndpointConfigs",
      ofType(resources, XDS.endpoint).map(([, endpointConfig]) => ({ endpointConfig })),
    ),
    entry(
      DUMP_TYPE.cluster,
      "dynamicActiveClusters",
      ofType(resources, XDS.cluster).map(([, cluster]) => ({ cluster })),
    ),
    entry(
      DUMP_TYPE.listener,
      "dynamicListeners",
      ofType(resources, XDS.listener).map(([, listener]) => ({ activeState: { listener } })),
    ),
    entry(
      DUMP_TYPE.route,
      "dynamicRouteConfigs",
      ofType(resources, XDS.route).map(([, routeConfig]) => ({ routeConfig })),
    ),
  ];
  const secrets = ofType(resources, XDS.secret);
  if (secrets.length > 0) {
    configs.push(
      entry(
        DUMP_TYPE.secret,
        "dynamicActiveSecrets",
        secrets.map(([name, secret]) => ({ name, secret: redactSecret(secret) })),
      ),
    );
  }
  return { configs };
}

/** One config of a dump (`-t cluster`: the ClustersConfigDump), or the dump itself for `all`. */
export function selectConfig(dump: { configs?: unknown[] }, type: ConfigType): unknown {
  if (type === "all") return dump;
  const want = DUMP_TYPE[type];
  const config = configOfType(dump.configs ?? [], want) ?? { "@type": want };
  return type === "route" ? withScopedRoutes(config as RoutesDump, dump.configs ?? []) : config;
}

/** The config of a dump with the admin type `type` (its `@type`), if there is one. */
function configOfType(configs: readonly unknown[], type: string): unknown {
  return configs.find((c) => (c as { "@type"?: string })["@type"] === type);
}

/** The parts of Envoy's RoutesConfigDump (JSON field names) the route view extends. */
interface RoutesDump {
  readonly "@type": string;
  readonly dynamicRouteConfigs?: readonly unknown[];
  readonly [key: string]: unknown;
}

/** The parts of Envoy's ScopedRoutesConfigDump (JSON field names) read here. */
interface ScopedRoutesDump {
  readonly dynamicScopedRouteConfigs?: readonly {
    readonly versionInfo?: string;
    readonly lastUpdated?: string;
    readonly scopedRouteConfigs?: readonly { readonly routeConfiguration?: Record<string, unknown> }[];
  }[];
}

/**
 * The route view with the RouteConfigurations carried inside routing scopes (egts's default route layout for a
 * listener whose hosts are all exact, ADR 0031), listed after Envoy's RDS ones as `dynamicRouteConfigs` entries, so
 * that `config envoy-proxy route` shows every route whatever the layout (egctl's habit). The scopes themselves stay
 * in `all`'s ScopedRoutesConfigDump.
 */
function withScopedRoutes(routes: RoutesDump, configs: readonly unknown[]): RoutesDump {
  const scoped = configOfType(configs, `${ADMIN}ScopedRoutesConfigDump`) as ScopedRoutesDump | undefined;
  const inner = (scoped?.dynamicScopedRouteConfigs ?? []).flatMap((set) =>
    (set.scopedRouteConfigs ?? []).flatMap((scope) =>
      scope.routeConfiguration
        ? [
            {
              ...(set.versionInfo !== undefined ? { versionInfo: set.versionInfo } : {}),
              routeConfig: { "@type": XDS.route, ...scope.routeConfiguration },
              ...(set.lastUpdated !== undefined ? { lastUpdated: set.lastUpdated } : {}),
            },
          ]
        : [],
    ),
  );
  if (inner.length === 0) return routes;
  return { ...routes, dynamicRouteConfigs: [...(routes.dynamicRouteConfigs ?? []), ...inner] };
}

/** snake_case → lowerCamelCase, as protoc derives JSON names. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Envoy's own `/config_dump` JSON (proto field names) → JSON field names, as egctl prints it: every object with a
 * `@type` the schema knows goes through protojson; the admin wrappers around them (whose types the schema lacks)
 * have their keys renamed.
 */
export function envoyDumpToJson(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(envoyDumpToJson);
  if (json === null || typeof json !== "object") return json;
  const obj = json as Record<string, unknown>;
  const type = obj["@type"];
  if (typeof type === "string" && !type.startsWith(ADMIN)) {
    try {
      return { "@type": type, ...(normalizeJson(type, obj as JsonValue) as object) };
    } catch {
      // not in the schema (or not parseable by it): rename the keys below
    }
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k === "@type" ? k : camel(k), envoyDumpToJson(v)]));
}

/** A copy of `value` with every object's keys sorted (egctl's output passes through Go maps, which sort). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, sortKeys(obj[k])]),
  );
}
