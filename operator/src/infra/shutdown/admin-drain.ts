/**
 * The drain of a stopping proxy, through Envoy's admin interface (on the proxy's own loopback; never exposed):
 * fail its health checks (`POST /healthcheck/fail`: its readiness endpoint answers 503 from then on, and every
 * connection is told to close after its current request, `Connection: close` / GOAWAY, while the listeners keep
 * accepting), then watch the active downstream connections of its Gateway listeners until, past the minimum drain
 * duration, none is left, or the drain timeout passes. This is what Envoy Gateway's `envoy shutdown` preStop
 * does; `egts envoy shutdown` (Kubernetes) and the host runner (standalone) both use it. With a health check
 * failure delay (EnvoyProxy `shutdown.healthCheckFailureDelay`), as Envoy Gateway's: the listeners drain first
 * (`POST /drain_listeners?graceful&skip_exit`) while the readiness endpoint still answers 200, and the health checks
 * fail once the delay has passed.
 */

/** Envoy Gateway's defaults for `envoy shutdown`. */
export const DRAIN_DEFAULTS = {
  /** `--drain-timeout`: at most this long (ms). */
  drainTimeoutMs: 60_000,
  /** `--min-drain-duration`: at least this long (ms), for endpoint deprogramming. */
  minDrainMs: 10_000,
  /** `--exit-at-connections`. */
  exitAtConnections: 0,
} as const;

/** The ports of the proxy's own listeners (stats 19001, readiness 19003), whose connections are not counted. */
export const OWN_LISTENER_PORTS: readonly number[] = [19001, 19003];

/** How a drain runs. */
export interface DrainOptions {
  /** Envoy's admin base URL, e.g. `http://127.0.0.1:19000`. */
  readonly adminUrl: string;
  /** Longest drain (ms). @default 60000 */
  readonly drainTimeoutMs?: number;
  /** Shortest drain (ms), even with no connection left. @default 10000 */
  readonly minDrainMs?: number;
  /** How long after the drain starts the health checks fail (ms). @default 0 */
  readonly healthCheckFailureDelayMs?: number;
  /** The drain is done at this many active connections or fewer. @default 0 */
  readonly exitAtConnections?: number;
  /** Ports of listeners not counted (the proxy's own). @default {@link OWN_LISTENER_PORTS} */
  readonly ownPorts?: readonly number[];
  /** How often connections are counted (ms). @default 1000 */
  readonly pollMs?: number;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
  /** Longest wait for one admin request (ms); never past the drain timeout. @default 5000 */
  readonly adminTimeoutMs?: number;
  /**
   * End the drain at once when admin does not take `/healthcheck/fail` (a hung or gone Envoy has nothing to
   * drain). @default false (Envoy Gateway's: log it and go on counting until the timeout)
   */
  readonly stopWhenAdminFails?: boolean;
}

/** How a drain ended. */
export interface DrainOutcome {
  /**
   * `drained`: connections reached the threshold after the minimum; `timeout`: the drain timeout passed;
   * `admin-failed`: admin did not take `/healthcheck/fail` (with `stopWhenAdminFails`).
   */
  readonly result: "drained" | "timeout" | "admin-failed";
  /** How long it took (ms). */
  readonly elapsedMs: number;
  /** Active connections last counted (undefined: never counted, admin did not answer). */
  readonly connections: number | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Envoy's answer to a stats query with `format=json`. */
interface StatsJson {
  readonly stats?: readonly { readonly name?: string; readonly value?: number }[];
}

/** `POST <admin><path>`; throws on a status other than 200. */
export async function postAdmin(adminUrl: string, path: string, timeoutMs = 5000): Promise<void> {
  const res = await fetch(`${adminUrl}${path}`, { method: "POST", signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`POST ${path}: HTTP ${res.status}`);
}

/**
 * Whether a `listener.<…>.downstream_cx_active` stat counts: not admin's, not a per-worker copy, not one of the
 * proxy's own listeners (named by address, `listener.0.0.0.0_19003.…`).
 */
export function countsAsGatewayListener(name: string, ownPorts: readonly number[]): boolean {
  if (/^listener\.admin\./.test(name) || /\.worker_\d+\./.test(name)) return false;
  return !ownPorts.some((port) => name.includes(`_${port}.downstream_cx_active`));
}

/** The active downstream connections of the proxy's Gateway listeners, from admin's stats. */
export async function activeConnections(
  adminUrl: string,
  ownPorts = OWN_LISTENER_PORTS,
  timeoutMs = 5000,
): Promise<number> {
  const filter = encodeURIComponent("^listener\\..*\\.downstream_cx_active$");
  const url = `${adminUrl}/stats?filter=${filter}&format=json`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET /stats: HTTP ${res.status}`);
  const body = (await res.json()) as StatsJson;
  return (body.stats ?? [])
    .filter((s) => s.name !== undefined && countsAsGatewayListener(s.name, ownPorts))
    .reduce((sum, s) => sum + (s.value ?? 0), 0);
}

/** When and how a drain fails Envoy's health checks (at once, or after `healthCheckFailureDelayMs`). */
interface HealthCheckFailure {
  /** Starts the drain: fails the health checks now, or drains the listeners; true when admin refused the former. */
  begin(): Promise<boolean>;
  /** Fails the health checks if they are still to fail and the delay is over. */
  onTime(): Promise<void>;
  /** Milliseconds until they are due (Infinity when done). */
  dueInMs(): number;
}

/** See {@link HealthCheckFailure}; admin errors are logged. */
function healthCheckFailure(o: DrainOptions, requestMs: () => number, log: (line: string) => void): HealthCheckFailure {
  const delayMs = o.healthCheckFailureDelayMs ?? 0;
  const dueAt = Date.now() + delayMs;
  let pending = delayMs > 0;
  const fail = (): Promise<boolean> =>
    postAdmin(o.adminUrl, "/healthcheck/fail", requestMs()).then(
      () => false,
      (err: unknown) => {
        log(`error failing active health checks: ${(err as Error).message}`);
        return true;
      },
    );
  return {
    async begin() {
      if (!pending) return fail();
      await postAdmin(o.adminUrl, "/drain_listeners?graceful&skip_exit", requestMs()).catch((err: unknown) =>
        log(`error starting listener drain: ${(err as Error).message}`),
      );
      log(`delaying health check failure by ${delayMs / 1000} seconds`);
      return false;
    },
    async onTime() {
      if (!pending || Date.now() < dueAt) return;
      pending = false;
      await fail();
    },
    dueInMs: () => (pending ? Math.max(1, dueAt - Date.now()) : Infinity),
  };
}

/** Drains a proxy; see the module comment. Admin errors are logged and the drain goes on (to the timeout). */
export async function drainProxy(o: DrainOptions): Promise<DrainOutcome> {
  const log = o.log ?? ((): void => undefined);
  const timeoutMs = o.drainTimeoutMs ?? DRAIN_DEFAULTS.drainTimeoutMs;
  const minMs = Math.min(o.minDrainMs ?? DRAIN_DEFAULTS.minDrainMs, timeoutMs);
  const threshold = o.exitAtConnections ?? DRAIN_DEFAULTS.exitAtConnections;
  const start = Date.now();
  /** An admin request's timeout: at most adminTimeoutMs, and not past the drain timeout (at least 50 ms). */
  const requestMs = (): number => Math.max(50, Math.min(o.adminTimeoutMs ?? 5000, start + timeoutMs - Date.now()));
  log(`initiating drain with ${minMs / 1000} second minimum drain period and ${timeoutMs / 1000} second timeout`);
  const healthChecks = healthCheckFailure(o, requestMs, log);
  if ((await healthChecks.begin()) && o.stopWhenAdminFails)
    return { result: "admin-failed", elapsedMs: Date.now() - start, connections: undefined };
  let connections: number | undefined;
  for (;;) {
    await healthChecks.onTime();
    connections = await activeConnections(o.adminUrl, o.ownPorts, requestMs()).catch((err: unknown) => {
      log(`error getting total connections: ${(err as Error).message}`);
      return undefined;
    });
    const elapsedMs = Date.now() - start;
    if (elapsedMs >= minMs && connections !== undefined && connections <= threshold) {
      log(`drain sequence completed (${connections} connections after ${elapsedMs} ms)`);
      return { result: "drained", elapsedMs, connections };
    }
    if (elapsedMs >= timeoutMs) {
      log(`drain sequence timeout exceeded (${connections ?? "unknown"} connections)`);
      return { result: "timeout", elapsedMs, connections };
    }
    await sleep(Math.min(o.pollMs ?? 1000, Math.max(1, timeoutMs - elapsedMs), healthChecks.dueInMs()));
  }
}
