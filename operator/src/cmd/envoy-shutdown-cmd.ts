/**
 * `egts envoy shutdown-manager` and `egts envoy shutdown`, Envoy Gateway's `envoy-gateway envoy …` commands of
 * the same names: the proxy pod's shutdown-manager container and its preStop hook (infra/shutdown/).
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { env } from "../config/env";
import { drainProxy, DRAIN_DEFAULTS } from "../infra/shutdown/admin-drain";
import {
  DEFAULT_READY_TIMEOUT_MS,
  SHUTDOWN_MANAGER_PORT,
  SHUTDOWN_READY_FILE,
  startShutdownManager,
} from "../infra/shutdown/shutdown-manager";
import { parseDuration } from "../translate/duration";
import type { Invocation } from "./cli/command";
import { str, UsageError } from "./cli/flags";

/** A duration flag's milliseconds (Go's `60s`, `1m30s`, `500ms`), or `fallback` when not given. */
function durationFlag(inv: Invocation, name: string, fallback: number): number {
  if (!inv.changed.has(name)) return fallback;
  const ms = parseDuration(str(inv.values, name));
  if (ms === undefined) throw new UsageError(`invalid argument "${str(inv.values, name)}" for "--${name}" flag`);
  return ms;
}

/**
 * A line with the component's name, on stdout; in a Kubernetes container where this is not the main process (the
 * preStop hook's exec), on the main process's stdout too, so the container's log shows the drain (as Envoy
 * Gateway's `envoy shutdown` does).
 */
function log(line: string): void {
  const text = `${new Date().toISOString()} shutdown-manager ${line}\n`;
  process.stdout.write(text);
  if (!env().inKubernetes || process.pid === 1) return;
  try {
    appendFileSync("/proc/1/fd/1", text);
  } catch {
    // not allowed or not there: stdout only
  }
}

/** Runs `egts envoy shutdown-manager` until SIGTERM or SIGINT. */
export async function shutdownManager(inv: Invocation): Promise<number> {
  const server = await startShutdownManager({
    port: Number(str(inv.values, "port") || SHUTDOWN_MANAGER_PORT),
    readyFile: str(inv.values, "ready-file") || SHUTDOWN_READY_FILE,
    readyTimeoutMs: durationFlag(inv, "ready-timeout", DEFAULT_READY_TIMEOUT_MS),
    log,
  });
  const signal = await new Promise<string>((resolve_) => {
    process.once("SIGTERM", () => resolve_("SIGTERM"));
    process.once("SIGINT", () => resolve_("SIGINT"));
  });
  log(`received ${signal}`);
  // As Go's Server.Shutdown: no new requests, the ones in progress (a preStop wait) finish.
  await new Promise<void>((resolve_) => server.close(() => resolve_()));
  return 0;
}

/** Runs `egts envoy shutdown`: drains the pod's Envoy, then writes the ready file. */
export async function shutdown(inv: Invocation): Promise<number> {
  await drainProxy({
    adminUrl: `http://${str(inv.values, "admin-address") || "127.0.0.1:19000"}`,
    drainTimeoutMs: durationFlag(inv, "drain-timeout", DRAIN_DEFAULTS.drainTimeoutMs),
    minDrainMs: durationFlag(inv, "min-drain-duration", DRAIN_DEFAULTS.minDrainMs),
    healthCheckFailureDelayMs: durationFlag(inv, "health-check-failure-delay", 0),
    exitAtConnections: Number(str(inv.values, "exit-at-connections") || DRAIN_DEFAULTS.exitAtConnections),
    log,
  });
  writeFileSync(str(inv.values, "ready-file") || SHUTDOWN_READY_FILE, "");
  return 0;
}
