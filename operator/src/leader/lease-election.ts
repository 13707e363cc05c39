/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews the lease
 * every retry period (writing over its own last write without reading the Lease first, client-go's fast path, and
 * reading it only when that write fails); another replica takes it over once the lease has not changed for its
 * duration (as measured on the candidate's own clock, so clock skew between replicas does not matter). Updates carry
 * the resourceVersion, so two candidates can never both win.
 */
import { HttpMethod } from "../provider/kubernetes/http-method";
import { BehaviorSubject, type Observable } from "rxjs";
import type { Logger } from "../log";
import { describeError, KubeApiError, type KubeClient } from "../provider/kubernetes/client";

/** Election settings. */
export interface LeaseElectionOptions {
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Lease name. @default egts-controller-leader */
  readonly name?: string;
  /** This replica's identity (pod name). */
  readonly identity: string;
  /** How long a lease is valid without renewal. @default 15000 */
  readonly leaseDurationMs?: number;
  /** How often to try to acquire or renew. @default 2000 */
  readonly retryPeriodMs?: number;
  /** A leader that could not renew for this long steps down. @default 10000 */
  readonly renewDeadlineMs?: number;
  /**
   * Envoy Gateway's `leaderElection.disable`: no Lease is read or written and this replica leads from start()
   * to stop() (for a single replica; several would all write). @default false
   */
  readonly disabled?: boolean;
  /** Logger. */
  readonly log: Logger;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

/** MicroTime as the API wants it: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, "000Z");
}

/** Runs an election; `leader$` says whether this replica leads now. */
export class LeaseElection {
  private readonly leader = new BehaviorSubject(false);
  /** True while this replica holds the lease. */
  readonly leader$: Observable<boolean> = this.leader.asObservable();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last lease record seen and when (local clock) it last changed. */
  private observed: { record: string; at: number } | undefined;
  private lastRenew = 0;
  /**
   * The Lease as this replica's last write left it (the API server's answer, with its resourceVersion) while it leads:
   * a renewal writes over it without reading the Lease first.
   */
  private held: Lease | undefined;
  /** The acquire/renew attempt under way. */
  private inFlight: Promise<void> | undefined;
  private readonly path: string;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaseElectionOptions,
  ) {
    const name = opts.name ?? "egts-controller-leader";
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${opts.namespace}/leases/${name}`;
  }

  /** Whether this replica leads now. */
  get isLeader(): boolean {
    return this.leader.value;
  }

  /** Starts trying to acquire and renew. */
  start(): void {
    if (this.opts.disabled) {
      this.setLeader(true);
      return;
    }
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      this.inFlight = this.tryAcquireOrRenew();
      await this.inFlight;
      this.inFlight = undefined;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.opts.retryPeriodMs ?? 2000);
    };
    void tick();
  }

  /** Stops; a leader releases the lease so another replica can take over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    // A renewal still under way would race the release (and win with a 409 for us): let it finish first.
    await this.inFlight;
    if (this.leader.value && !this.opts.disabled) {
      try {
        const lease = await this.client.request<Lease>(HttpMethod.GET, this.path, { urgent: true });
        if (lease.spec.holderIdentity === this.opts.identity) {
          await this.put({ ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 } });
        }
      } catch (err) {
        this.opts.log("warn", "could not release the lease", { error: describeError(err) });
      }
    }
    this.setLeader(false);
  }

  /**
   * TEST ONLY: simulates a crash of this replica. Stops trying to acquire and renew (after the request under
   * way, if any) WITHOUT releasing the lease, so the others must wait for it to expire, as after a killed
   * process. `leader$` turns false (nothing here acts as leader any more); a later stop() does nothing.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    this.setLeader(false);
  }

  private setLeader(value: boolean): void {
    if (!value) this.held = undefined;
    if (value === this.leader.value) return;
    this.opts.log("info", value ? "became leader" : "lost leadership", { identity: this.opts.identity });
    this.leader.next(value);
  }

  /** Writes `lease` (with the resourceVersion it carries); resolves with the Lease as written. */
  private put(lease: Lease): Promise<Lease> {
    return this.client.request<Lease>(HttpMethod.PUT, this.path, {
      urgent: true,
      body: JSON.stringify(lease),
      contentType: "application/json",
    });
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const durationMs = this.opts.leaseDurationMs ?? 15_000;
    const spec: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(durationMs / 1000),
      renewTime: microTime(now),
    };
    if (await this.renewHeld(spec, now, durationMs)) return;
    try {
      const existing = await this.get();
      if (existing) {
        const next = this.update(existing, spec, now, durationMs);
        if (!next) return this.setLeader(false);
        this.held = await this.put(next);
      } else {
        this.held = await this.create(spec);
      }
      this.won(now);
    } catch (err) {
      this.held = undefined;
      if (!(err instanceof KubeApiError && err.status === 409)) {
        this.opts.log("warn", "lease update failed", { error: describeError(err) });
      }
      // A leader that cannot renew within the deadline steps down before its lease runs out.
      if (this.leader.value && now.getTime() - this.lastRenew > (this.opts.renewDeadlineMs ?? 10_000)) {
        this.setLeader(false);
      }
    }
  }

  /**
   * A leader's renewal as client-go's fast path: the Lease as this replica last wrote it, renewed, written without
   * reading it first (one request a retry period instead of two), while the lease is still valid on our clock. False
   * when there is nothing to renew that way or the write failed (a conflict: someone else wrote the Lease): the caller
   * then reads the Lease and decides as for any candidate.
   */
  private async renewHeld(spec: LeaseSpec, now: Date, durationMs: number): Promise<boolean> {
    const held = this.held;
    if (!held || !this.leader.value || now.getTime() - this.lastRenew >= durationMs) return false;
    try {
      const { acquireTime, leaseTransitions } = held.spec;
      this.held = await this.put({ ...held, spec: { ...spec, acquireTime, leaseTransitions } });
      this.won(now);
      return true;
    } catch (err) {
      this.held = undefined;
      if (!(err instanceof KubeApiError && err.status === 409)) {
        this.opts.log("debug", "lease renewal without a read failed; reading the lease", { error: describeError(err) });
      }
      return false;
    }
  }

  private create(spec: LeaseSpec): Promise<Lease> {
    const metadata = { name: this.path.split("/").at(-1) ?? "", namespace: this.opts.namespace };
    const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata };
    return this.client.request<Lease>(HttpMethod.POST, this.path.slice(0, this.path.lastIndexOf("/")), {
      urgent: true,
      body: JSON.stringify({ ...lease, spec: { ...spec, acquireTime: spec.renewTime, leaseTransitions: 0 } }),
      contentType: "application/json",
    });
  }

  /**
   * The lease to write to renew or take over `existing`, or undefined while another replica holds it and it
   * has changed within its duration (seen on our clock).
   */
  private update(existing: Lease, spec: LeaseSpec, now: Date, durationMs: number): Lease | undefined {
    const record = JSON.stringify(existing.spec);
    if (this.observed?.record !== record) this.observed = { record, at: now.getTime() };
    const holder = existing.spec.holderIdentity ?? "";
    const mine = holder === this.opts.identity;
    const expired = holder === "" || now.getTime() - this.observed.at > durationMs;
    if (!mine && !expired) return undefined;
    const leaseTransitions = (existing.spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquireTime = mine ? existing.spec.acquireTime : spec.renewTime;
    return { ...existing, spec: { ...spec, acquireTime, leaseTransitions } };
  }

  private won(now: Date): void {
    this.lastRenew = now.getTime();
    this.observed = undefined;
    this.setLeader(true);
  }

  private async get(): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>(HttpMethod.GET, this.path, { urgent: true });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }
}
