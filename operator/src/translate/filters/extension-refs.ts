/**
 * What an `ExtensionRef` filter may refer to, indexed once per translation: HTTPRouteFilters
 * (gateway.envoyproxy.io), and the ConfigMaps, Secrets and ReferenceGrants they read.
 */
import type { ConfigMap, Secret } from "../../resources/core";
import type { EnvoyHTTPRouteFilter } from "../../resources/envoy-gateway-policies";
import { keyOf } from "../../resources/meta";
import type { ResourceSnapshot } from "../../resources/snapshot";
import { ReferenceGrantIndex } from "../reference-grants";
import { noteRead } from "../compile-reads";

/** The objects HTTPRouteFilters refer to, by `namespace/name`. */
export class ExtensionRefIndex {
  private readonly filters: ReadonlyMap<string, EnvoyHTTPRouteFilter>;
  private readonly configMaps: ReadonlyMap<string, ConfigMap>;
  private readonly secrets: ReadonlyMap<string, Secret>;
  /** ReferenceGrants (a credential Secret in another namespace needs one). */
  readonly grants: ReferenceGrantIndex;

  constructor(snapshot: Pick<ResourceSnapshot, "policies" | "configMaps" | "secrets" | "referenceGrants">) {
    this.filters = new Map((snapshot.policies?.httpRouteFilters ?? []).map((f) => [keyOf(f.metadata), f]));
    this.configMaps = new Map((snapshot.configMaps ?? []).map((c) => [keyOf(c.metadata), c]));
    this.secrets = new Map((snapshot.secrets ?? []).map((s) => [keyOf(s.metadata), s]));
    this.grants = new ReferenceGrantIndex(snapshot.referenceGrants ?? []);
  }

  /** The HTTPRouteFilter `namespace/name`, if any. */
  httpRouteFilter(namespace: string, name: string): EnvoyHTTPRouteFilter | undefined {
    noteRead(`HTTPRouteFilter:${namespace}/${name}`);
    return this.filters.get(`${namespace}/${name}`);
  }

  /** The ConfigMap `namespace/name`, if any. */
  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  /** The Secret `namespace/name`, if any. */
  secret(namespace: string, name: string): Secret | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }
}
