/**
 * The bench Gateway's listener `attachedRoutes` as gateway-api-bench reads it: from a watch (its informer), every
 * update of the Gateway timed when it arrives. The attach scenario waits on it, counts the Gateway's updates
 * (gateway-api-bench's "total writes") and the distinct values they carried.
 */
import type { Subscription } from "rxjs";
import { silentLogger } from "../../operator/src/log";
import type { KubeClient } from "../../operator/src/provider/kubernetes/client";
import type { KubeObject } from "../../operator/src/resources/meta";
import { reflect } from "../../operator/src/provider/kubernetes/reflector";

/** One update of the Gateway as the watch delivered it. */
export interface GatewaySample {
  /** performance.now() when it arrived. */
  readonly at: number;
  /** The first listener's attachedRoutes (-1 without one). */
  readonly attachedRoutes: number;
}

type Gateway = KubeObject & { status?: { listeners?: { attachedRoutes?: number }[] } };

const attachedOf = (gw: Gateway): number => gw.status?.listeners?.[0]?.attachedRoutes ?? -1;

/** A watch of Gateway `namespace/name`; {@link GatewayWatch.close} ends it. */
export class GatewayWatch {
  /** Every update after the initial list, in order. */
  readonly samples: GatewaySample[] = [];
  /** attachedRoutes now (from the list, then each update). */
  current = -1;
  private readonly sub: Subscription;
  private synced!: () => void;
  /** Resolves once the initial list arrived. */
  readonly ready = new Promise<void>((ok) => (this.synced = ok));
  private waiters: { n: number; ok: (at: number) => void }[] = [];

  constructor(client: KubeClient, namespace: string, name: string) {
    const path = `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/gateways`;
    this.sub = reflect(client, path, {
      log: silentLogger,
      stamp: { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway" },
    }).subscribe((e) => {
      const at = performance.now();
      if (e.type === "sync") {
        const gw = e.items.find((o) => o.metadata.name === name) as Gateway | undefined;
        if (gw) this.current = attachedOf(gw);
        this.synced();
        return;
      }
      if (e.type !== "upsert" || e.object.metadata.name !== name) return;
      this.current = attachedOf(e.object as Gateway);
      this.samples.push({ at, attachedRoutes: this.current });
      this.waiters = this.waiters.filter((w) => {
        if (w.n !== this.current) return true;
        w.ok(at);
        return false;
      });
    });
  }

  /** Resolves with performance.now() of the first update carrying attachedRoutes = `n` (at once if it does now). */
  until(n: number, timeoutMs: number): Promise<number> {
    if (this.current === n) return Promise.resolve(performance.now());
    return new Promise((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`attachedRoutes did not reach ${n} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        ok: (at) => {
          clearTimeout(timer);
          ok(at);
        },
      });
    });
  }

  /** Updates that arrived from `since` (performance.now()) on, and the distinct attachedRoutes values they carried. */
  since(since: number): { updates: number; values: number } {
    const after = this.samples.filter((s) => s.at >= since);
    return { updates: after.length, values: new Set(after.map((s) => s.attachedRoutes)).size };
  }

  /** Ends the watch. */
  close(): void {
    this.sub.unsubscribe();
  }
}
