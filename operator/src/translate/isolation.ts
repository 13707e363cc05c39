/**
 * Per-object isolation: no single object can stop a translation. An object the intake check rejected, or
 * whose translation threw, gets a status condition naming it and the problem (where it has a status we
 * own) and is listed in the result's `rejected`; the pass goes on for every other object.
 */
import type { ParentReference } from "../resources/gateway-api";
import { namespaceOf, type KubeObject } from "../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { objectName, type RejectedObject } from "./intake";
import { routeStatus, type ParentContext } from "./parent-refs";
import { PARENT_REF, shapeProblem } from "./shapes";

/** Route kinds: their status is per parentRef. */
const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);

/**
 * Runs one object's translation step; when it throws, records the object in `rejected` (message naming
 * `Kind namespace/name` and the error) and returns `fallback(message)` instead.
 */
export function isolate<T>(
  object: KubeObject<unknown>,
  rejected: RejectedObject[],
  step: () => T,
  fallback: (message: string) => T,
): T {
  try {
    return step();
  } catch (err) {
    const message = `${objectName(object)}: translation failed: ${err instanceof Error ? err.message : String(err)}`;
    rejected.push({ object, message });
    return fallback(message);
  }
}

/**
 * Runs a step that handles several objects at once (the BackendTLSPolicies); when it throws, each of them
 * is recorded in `rejected` with the error and `fallback` is returned.
 */
export function isolateGroup<T>(
  objects: readonly KubeObject<unknown>[],
  rejected: RejectedObject[],
  step: () => T,
  fallback: T,
): T {
  try {
    return step();
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    for (const object of objects)
      rejected.push({ object, message: `${objectName(object)}: translation failed: ${error}` });
    return fallback;
  }
}

/** Runs one object's step guarded (see {@link isolate}); undefined when it threw. */
export type Guard = <T>(object: KubeObject<unknown>, step: () => T | undefined) => T | undefined;

/** A {@link Guard} that records failures in `rejected`. */
export function guardInto(rejected: RejectedObject[]): Guard {
  return (object, step) => isolate(object, rejected, step, () => undefined);
}

/** Runs `step` through the context's guard when there is one. */
export function guarded<T>(
  ctx: { readonly guard?: Guard },
  object: KubeObject<unknown>,
  step: () => T | undefined,
): T | undefined {
  return ctx.guard ? ctx.guard(object, step) : step();
}

/** What the statuses of rejected objects need: the accepted GatewayClasses, and the routes' parent context. */
export interface RejectionContext extends ParentContext {
  /** Accepted GatewayClass names (their Gateways are ours). */
  readonly classes: ReadonlySet<string>;
}

/**
 * The statuses of rejected objects we own: a Gateway of our class gets Accepted=False and Programmed=False
 * (reason Invalid); a route gets Accepted=False (reason UnsupportedValue) on each parent of ours its valid
 * parentRefs name; a Backend gets Accepted=False (reason Invalid). Objects with no status of ours (a Service,
 * a ReferenceGrant, …) are reported only in `rejected`.
 */
export function rejectedStatuses(rejected: readonly RejectedObject[], ctx: RejectionContext): StatusUpdate[] {
  const out: StatusUpdate[] = [];
  for (const r of rejected) {
    const s = safely(() => rejectedStatus(r, ctx));
    if (s) out.push(s);
  }
  // A stable order, whatever the order of the input objects.
  const key = (s: StatusUpdate): string => `${s.kind}/${s.namespace ?? ""}/${s.name}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function rejectedStatus(r: RejectedObject, ctx: RejectionContext): StatusUpdate | undefined {
  const o = r.object as KubeObject<Record<string, unknown> | undefined>;
  if (typeof o.metadata?.name !== "string") return undefined;
  if (o.metadata.namespace !== undefined && typeof o.metadata.namespace !== "string") return undefined;
  if (o.kind === "Gateway") return gatewayRejected(o, r.message, ctx);
  if (o.kind === "Backend") return backendRejected(o, r.message);
  if (ROUTE_KINDS.has(o.kind)) {
    const refs = Array.isArray(o.spec?.parentRefs) ? (o.spec.parentRefs as unknown[]) : [];
    const valid = refs.filter((ref) => shapeProblem(ref, PARENT_REF, "") === undefined) as ParentReference[];
    const route = {
      ...o,
      metadata: { ...o.metadata, namespace: namespaceOf(o.metadata) },
      spec: { parentRefs: valid },
    };
    return routeStatus(route, ctx, undefined, () =>
      condition(CondType.Accepted, false, Reason.UnsupportedValue, r.message),
    );
  }
  return undefined;
}

function gatewayRejected(
  o: KubeObject<Record<string, unknown> | undefined>,
  message: string,
  ctx: RejectionContext,
): StatusUpdate | undefined {
  const className = o.spec?.gatewayClassName;
  if (typeof className !== "string" || !ctx.classes.has(className)) return undefined;
  const gen = typeof o.metadata.generation === "number" ? o.metadata.generation : undefined;
  return {
    apiVersion: o.apiVersion,
    kind: "Gateway",
    namespace: namespaceOf(o.metadata),
    name: o.metadata.name,
    status: {
      addresses: [],
      conditions: [
        condition(CondType.Accepted, false, Reason.Invalid, message, gen),
        condition(CondType.Programmed, false, Reason.Invalid, message, gen),
      ],
      listeners: [],
    },
  };
}

/** A Backend that did not pass intake: Accepted=False Invalid, as Envoy Gateway reports an invalid Backend. */
function backendRejected(o: KubeObject<Record<string, unknown> | undefined>, message: string): StatusUpdate {
  const gen = typeof o.metadata.generation === "number" ? o.metadata.generation : undefined;
  return {
    apiVersion: o.apiVersion,
    kind: "Backend",
    namespace: namespaceOf(o.metadata),
    name: o.metadata.name,
    status: {
      conditions: [
        condition(CondType.Accepted, false, Reason.Invalid, `The Backend was not accepted: ${message}`, gen),
      ],
    },
  };
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
