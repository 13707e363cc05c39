/**
 * The proxy pod's graceful shutdown, as Envoy Gateway renders it: a `shutdown-manager` container (the controller's
 * image, `egts envoy shutdown-manager`) whose preStop hook drains Envoy (`egts envoy shutdown`: fail health checks,
 * wait for connections to close, between `shutdown.minDrainDuration` and `shutdown.drainTimeout`), and a preStop
 * hook on the Envoy container that waits for that drain (`GET :19002/shutdown/ready`) before the kubelet sends
 * Envoy its SIGTERM; the pod's terminationGracePeriodSeconds is the drain timeout plus 300 s. Pure.
 */
import type { ProxyRuntimeIr } from "../operator/src/ir/infra-ir";
import { EGTS_VERSION } from "../operator/src/cmd/version-info";
import {
  SHUTDOWN_HEALTH_PATH,
  SHUTDOWN_MANAGER_PORT,
  SHUTDOWN_READY_PATH,
} from "../operator/src/infra/shutdown/shutdown-manager";
import { CONTAINER_SECURITY_CONTEXT, TMP_MOUNT } from "./proxy-policy";

/** The controller image's entrypoint (Dockerfile, scripts/build-image.mjs): `egts`. */
export const EGTS_ENTRYPOINT: readonly string[] = ["/usr/local/bin/node", "/app/bin/egts.js"];
/** The controller image the shutdown manager runs unless the controller names its own (`npm run image`'s name). */
export const DEFAULT_SHUTDOWN_MANAGER_IMAGE = `ghcr.io/egts/controller:${EGTS_VERSION}`;
/** The shutdown manager container's name (Envoy Gateway's). */
export const SHUTDOWN_MANAGER_CONTAINER = "shutdown-manager";
/** Envoy Gateway's grace period when the EnvoyProxy sets no drain timeout (60 s drain + 300 s). */
const DEFAULT_GRACE_SECONDS = 360;
/** How much longer than the drain timeout the pod may take to stop (Envoy Gateway's 5 minutes). */
const GRACE_OVER_DRAIN_SECONDS = 300;

/** The pod's terminationGracePeriodSeconds for these runtime settings. */
export function terminationGraceSeconds(runtime: ProxyRuntimeIr | undefined): number {
  const drain = runtime?.drainTimeSeconds;
  return drain !== undefined ? drain + GRACE_OVER_DRAIN_SECONDS : DEFAULT_GRACE_SECONDS;
}

/** The Envoy container's lifecycle: its preStop waits for the shutdown manager's drain. */
export function envoyLifecycle(): Record<string, unknown> {
  return {
    preStop: { httpGet: { path: SHUTDOWN_READY_PATH, port: SHUTDOWN_MANAGER_PORT, scheme: "HTTP" } },
  };
}

/** `egts envoy shutdown` with the EnvoyProxy's durations (only those it sets, as Envoy Gateway). */
export function shutdownPreStopCommand(runtime: ProxyRuntimeIr | undefined): string[] {
  const drain = runtime?.drainTimeSeconds;
  const min = runtime?.minDrainSeconds;
  const hcDelay = runtime?.healthCheckFailureDelayMs;
  return [
    ...EGTS_ENTRYPOINT,
    "envoy",
    "shutdown",
    ...(hcDelay !== undefined ? [`--health-check-failure-delay=${hcDelay}ms`] : []),
    ...(drain !== undefined ? [`--drain-timeout=${drain}s`] : []),
    ...(min !== undefined ? [`--min-drain-duration=${min}s`] : []),
  ];
}

/** The shutdown manager container. */
export function shutdownManagerContainer(image: string, runtime: ProxyRuntimeIr | undefined): Record<string, unknown> {
  const drain = runtime?.drainTimeSeconds;
  const probe = (failureThreshold: number): Record<string, unknown> => ({
    httpGet: { path: SHUTDOWN_HEALTH_PATH, port: SHUTDOWN_MANAGER_PORT, scheme: "HTTP" },
    timeoutSeconds: 1,
    periodSeconds: 10,
    failureThreshold,
  });
  return {
    name: SHUTDOWN_MANAGER_CONTAINER,
    image,
    imagePullPolicy: "IfNotPresent",
    args: ["envoy", "shutdown-manager", ...(drain !== undefined ? [`--ready-timeout=${drain + 10}s`] : [])],
    resources: { requests: { cpu: "10m", memory: "32Mi" } },
    startupProbe: probe(30),
    readinessProbe: probe(3),
    livenessProbe: probe(3),
    lifecycle: { preStop: { exec: { command: shutdownPreStopCommand(runtime) } } },
    securityContext: { ...CONTAINER_SECURITY_CONTEXT },
    // The drain writes its ready file in /tmp (the root filesystem is read-only).
    volumeMounts: [{ ...TMP_MOUNT }],
  };
}
