/**
 * The objects of the kinds an extension server owns (the EnvoyGateway configuration's `extensionManager`
 * `resources` and `backendResources`): egts does not read them, it hands them to the extension server's hooks
 * as JSON. Route rules name them in ExtensionRef filters and backendRefs.
 */
import type { KubeObject } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";

/** A group and kind. */
export interface GroupKind {
  /** API group ("" for core). */
  readonly group: string;
  /** Kind. */
  readonly kind: string;
}

/** The kinds an extension server owns, as translation needs them. */
export interface ExtensionKinds {
  /** Kinds usable as ExtensionRef filters (`resources`). */
  readonly filters: readonly GroupKind[];
  /** Kinds usable as backendRefs (`backendResources`). */
  readonly backends: readonly GroupKind[];
  /** Policy kinds attached to Gateways and routes by their targetRefs (`policyResources`). @default none */
  readonly policies?: readonly GroupKind[];
}

/** Index of the snapshot's extension-owned objects. */
export class ExtensionObjects {
  private readonly objects = new Map<string, KubeObject>();

  constructor(
    snapshot: ResourceSnapshot,
    private readonly kinds: ExtensionKinds = { filters: [], backends: [] },
  ) {
    const owned = [...kinds.filters, ...kinds.backends];
    if (owned.length === 0) return;
    for (const o of snapshot.unknown) {
      const group = groupOf(o.apiVersion);
      if (!owned.some((k) => k.group === group && k.kind === o.kind)) continue;
      this.objects.set(key(group, o.kind, o.metadata.namespace ?? "default", o.metadata.name), o);
    }
  }

  /** Whether ExtensionRef filters may name this kind. */
  isFilterKind(group: string, kind: string): boolean {
    return this.kinds.filters.some((k) => k.group === group && k.kind === kind);
  }

  /** Whether backendRefs may name this kind. */
  isBackendKind(group: string, kind: string): boolean {
    return this.kinds.backends.some((k) => k.group === group && k.kind === kind);
  }

  /** The object's JSON text, or undefined when there is none. */
  find(group: string, kind: string, namespace: string, name: string): string | undefined {
    const o = this.objects.get(key(group, kind, namespace, name));
    return o ? JSON.stringify(o) : undefined;
  }
}

/** The API group of an `apiVersion` ("" for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

function key(group: string, kind: string, namespace: string, name: string): string {
  return `${group}/${kind}/${namespace}/${name}`;
}
