/**
 * Which nodes have a connected Envoy too old for the scoped route layout (ADR 0032). Envoy before 1.38 starts its
 * scoped RDS subscription only while it starts up (envoyproxy/envoy#43392): a scoped listener it gets later answers 404
 * for good. Such an Envoy talks to this controller during an upgrade's rollout (old proxy pods stay connected until
 * they are replaced) or when an EnvoyProxy's `image` names an older Envoy. While one is connected, its node is laid out
 * inline (translate-step.ts); when the last one leaves, the node is laid out again.
 */
import { Observable, Subject } from "rxjs";
import type { Node } from "../../../../proto/gen/envoy/config/core/v3/base";
import type { XdsLogger } from "./types";

/** An Envoy's release, from its node's `user_agent_build_version`. */
export interface EnvoyBuild {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** The first Envoy release that starts a scoped RDS subscription whenever a listener brings one. */
export const SCOPED_ROUTES_ANYTIME: EnvoyBuild = { major: 1, minor: 38, patch: 0 };

/** The Envoy release a node announces; undefined for other clients, or an Envoy that gives none. */
export function envoyBuildOf(node: Node | undefined): EnvoyBuild | undefined {
  const v = node?.userAgentBuildVersion?.version;
  if (!v || node?.userAgentName !== "envoy") return undefined;
  return { major: v.majorNumber, minor: v.minorNumber, patch: v.patch };
}

/** "1.37.0". */
export function buildText(b: EnvoyBuild): string {
  return `${b.major}.${b.minor}.${b.patch}`;
}

/** Whether `b` is older than {@link SCOPED_ROUTES_ANYTIME}. */
export function startsScopedRoutesOnlyAtStartup(b: EnvoyBuild): boolean {
  const s = SCOPED_ROUTES_ANYTIME;
  return b.major < s.major || (b.major === s.major && b.minor < s.minor);
}

/**
 * The nodes that have a connected Envoy older than 1.38, by stream; the xDS server reports connections, the pipeline
 * reads {@link has} for each node it lays out, and reports {@link published} nodes.
 */
export class OlderEnvoys {
  private readonly byNode = new Map<string, Map<number, EnvoyBuild>>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly changes = new Subject<string>();
  /** A node gained its first older Envoy, or lost its last one: lay it out again. */
  readonly changes$: Observable<string> = this.changes.asObservable();

  /** `waitMs`: the longest an older Envoy's first requests are held for its node's layout (see {@link connected}). */
  constructor(
    private readonly log: XdsLogger,
    private readonly waitMs: number,
  ) {}

  /** Whether `node` has a connected Envoy older than 1.38 (lay it out inline). */
  has(node: string): boolean {
    return this.byNode.has(node);
  }

  /** Nodes with an older Envoy and their builds (for debugging and tests). */
  entries(): Map<string, string[]> {
    return new Map([...this.byNode].map(([node, streams]) => [node, [...streams.values()].map(buildText)]));
  }

  /**
   * Stream `streamId` of `node` connected with Envoy `build`. When it is the node's first older Envoy and the node is
   * published `scoped` now, the result resolves once the node was published again ({@link published}; at most
   * `waitMs`): the stream holds its requests until then, so that Envoy never starts with scopes it would lose.
   */
  connected(node: string, streamId: number, build: EnvoyBuild | undefined, scoped: boolean): Promise<void> | undefined {
    if (!build || !startsScopedRoutesOnlyAtStartup(build)) return undefined;
    const streams = this.byNode.get(node);
    if (streams) {
      streams.set(streamId, build);
      return undefined;
    }
    this.byNode.set(node, new Map([[streamId, build]]));
    this.log("warn", "xds: an Envoy older than 1.38 connected; its node's routes go inline until it leaves", {
      node,
      stream: streamId,
      envoy: buildText(build),
      reason: "Envoy before 1.38 starts scoped route discovery only at its start (envoyproxy/envoy#43392)",
    });
    const wait = scoped ? this.waitFor(node) : undefined;
    this.changes.next(node);
    return wait;
  }

  /** Stream `streamId` of `node` ended. */
  disconnected(node: string, streamId: number): void {
    const streams = this.byNode.get(node);
    if (!streams?.delete(streamId) || streams.size > 0) return;
    this.byNode.delete(node);
    this.log("info", "xds: the last Envoy older than 1.38 of a node left; its routes are laid out again", { node });
    this.changes.next(node);
  }

  /** The pipeline published `node` (inline while {@link has}): streams held for it go on. */
  published(node: string): void {
    const waiters = this.waiting.get(node);
    if (!waiters) return;
    this.waiting.delete(node);
    for (const w of waiters) w();
  }

  /** Lets every held stream go on (the server stops). */
  release(): void {
    for (const node of [...this.waiting.keys()]) this.published(node);
  }

  private waitFor(node: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.waitMs);
      const list = this.waiting.get(node) ?? [];
      list.push(done);
      this.waiting.set(node, list);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
