/**
 * What an HTTPRoute's compile read (ADR 0013): the indexes it reads through (BackendIndex, ExtensionRefIndex,
 * ReferenceGrantIndex, BackendTlsPolicyIndex) note each lookup as a {@link ReadKey} while a {@link readsOf} runs,
 * found or not (a Service not found today is read again when one appears). The compile memo (compile-memo.ts)
 * compiles a route again only when one of the objects behind its keys changed.
 *
 * Outside {@link readsOf} (Gateways, GRPCRoutes, policies use the same indexes) noting costs one check.
 */
import { SERVICE_NAME_LABEL } from "../resources/core";
import { keyOf, namespaceOf, type KubeObject } from "../resources/meta";

/**
 * A dependency of a compile: `<kind>:<where>`. Services, Backends and HTTPRouteFilters by `namespace/name`,
 * EndpointSlices by the `namespace/name` of their Service, ReferenceGrants and BackendTLSPolicies by namespace
 * (a grant allows references into its namespace; a BackendTLSPolicy targets objects of its namespace).
 */
export type ReadKey = string;

/** The kinds whose reads are tracked per key, with the key each object of the kind is read under. */
export const TRACKED_KINDS = {
  services: (o: KubeObject) => `Service:${keyOf(o.metadata)}`,
  endpointSlices: (o: KubeObject) => {
    const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
    return svc ? `EndpointSlice:${namespaceOf(o.metadata)}/${svc}` : undefined;
  },
  backends: (o: KubeObject) => `Backend:${keyOf(o.metadata)}`,
  referenceGrants: (o: KubeObject) => `ReferenceGrant:${namespaceOf(o.metadata)}`,
  backendTLSPolicies: (o: KubeObject) => `BackendTLSPolicy:${namespaceOf(o.metadata)}`,
  httpRouteFilters: (o: KubeObject) => `HTTPRouteFilter:${keyOf(o.metadata)}`,
} as const satisfies Record<string, (o: KubeObject) => ReadKey | undefined>;

/** The reads of the compile in progress, if any. */
let current: Set<ReadKey> | undefined;

/** Notes that the compile in progress (if any) read `key`. */
export function noteRead(key: ReadKey): void {
  current?.add(key);
}

/** Runs `fn` and returns, with its result, every key it read (nested runs add theirs to the outer one too). */
export function readsOf<T>(fn: () => T): { readonly value: T; readonly reads: ReadonlySet<ReadKey> } {
  const outer = current;
  const reads = new Set<ReadKey>();
  current = reads;
  try {
    return { value: fn(), reads };
  } finally {
    current = outer;
    if (outer) for (const k of reads) outer.add(k);
  }
}
