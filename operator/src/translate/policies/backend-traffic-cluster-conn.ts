/**
 * BackendTrafficPolicy's connection fields → ConnectionIr: `timeout.http.connectionIdleTimeout` and
 * `maxConnectionDuration`, `tcpKeepalive`, `connection.bufferLimit`, `socketBufferLimit` and `preconnect`,
 * `proxyProtocol`; and `dns` → DnsIr.
 * `connection.socketBufferLimit` is in Envoy Gateway v1.9's API but not translated there (`notImplementedHide`);
 * egts gives it its documented meaning, the kernel buffers of each socket to the backend (SO_RCVBUF and SO_SNDBUF,
 * as ClientTrafficPolicy's on the listener), up to 2^31-1 bytes (setsockopt's int). Ranges
 * are those Envoy and the kernel take: keepalive probes 1-127 and times 1-32767 s (Linux's TCP_KEEPCNT,
 * TCP_KEEPIDLE, TCP_KEEPINTVL; Envoy Gateway truncates durations to whole seconds), preconnect 100-300%.
 */
import type { ConnectionIr, DnsIr } from "../../ir/backend-traffic-cluster-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { INT32_MAX } from "../shapes";
import { quote } from "../validate-values";
import { bytesOf } from "./client-traffic-conn";
import { defined, durationOf, wholeOf } from "./backend-traffic-values";

/** The connection paths implemented. */
export const CONNECTION_FIELDS: readonly string[] = [
  "timeout.http.connectionIdleTimeout",
  "timeout.http.maxConnectionDuration",
  "tcpKeepalive",
  "connection.bufferLimit",
  "connection.socketBufferLimit",
  "connection.preconnect",
  "proxyProtocol",
  "dns",
];

/** Linux's largest TCP_KEEPIDLE / TCP_KEEPINTVL, in seconds. */
const MAX_KEEPALIVE_SECONDS = 32_767;

/** The connection settings of `spec`; undefined when none is set or usable. */
export function connectionOf(spec: BackendTrafficPolicySpec, invalid: string[]): ConnectionIr | undefined {
  const http = spec.timeout?.http;
  const pc = spec.connection?.preconnect;
  const out = defined<ConnectionIr>({
    idleTimeoutMs: durationOf("spec.timeout.http.connectionIdleTimeout", http?.connectionIdleTimeout, invalid, 0),
    maxConnectionDurationMs: durationOf(
      "spec.timeout.http.maxConnectionDuration",
      http?.maxConnectionDuration,
      invalid,
    ),
    tcpKeepalive: spec.tcpKeepalive ? keepaliveOf(spec.tcpKeepalive, invalid) : undefined,
    bufferLimitBytes: bytesOf("spec.connection.bufferLimit", spec.connection?.bufferLimit, invalid),
    socketBufferLimitBytes: bytesOf(
      "spec.connection.socketBufferLimit",
      spec.connection?.socketBufferLimit,
      invalid,
      INT32_MAX,
    ),
    preconnect: pc
      ? defined({
          perEndpointRatio: ratioOf("perEndpointPercent", pc.perEndpointPercent, invalid),
          predictiveRatio: ratioOf("predictivePercent", pc.predictivePercent, invalid),
        })
      : undefined,
    proxyProtocol: spec.proxyProtocol ? proxyProtocolOf(spec.proxyProtocol.version, invalid) : undefined,
  });
  return Object.keys(out).length > 0 ? out : undefined;
}

function keepaliveOf(
  k: NonNullable<BackendTrafficPolicySpec["tcpKeepalive"]>,
  invalid: string[],
): NonNullable<ConnectionIr["tcpKeepalive"]> {
  return defined({
    probes: wholeOf("spec.tcpKeepalive.probes", k.probes, invalid, 1, 127),
    idleTimeSeconds: secondsOf("spec.tcpKeepalive.idleTime", k.idleTime, invalid),
    intervalSeconds: secondsOf("spec.tcpKeepalive.interval", k.interval, invalid),
  });
}

/** A keepalive duration in whole seconds, 1 to 32767. */
function secondsOf(field: string, value: unknown, invalid: string[]): number | undefined {
  const ms = durationOf(field, value, invalid, 1000);
  if (ms === undefined) return undefined;
  if (ms % 1000 !== 0 || ms / 1000 > MAX_KEEPALIVE_SECONDS) {
    invalid.push(`${field}: ${quote(String(value))} must be whole seconds from 1s to ${MAX_KEEPALIVE_SECONDS}s`);
    return undefined;
  }
  return ms / 1000;
}

/** A preconnect percentage (100-300) as Envoy's ratio. */
function ratioOf(field: string, value: unknown, invalid: string[]): number | undefined {
  const pct = wholeOf(`spec.connection.preconnect.${field}`, value, invalid, 100, 300);
  return pct === undefined ? undefined : pct / 100;
}

function proxyProtocolOf(version: unknown, invalid: string[]): ConnectionIr["proxyProtocol"] {
  if (version === "V1" || version === "V2") return version;
  invalid.push(`spec.proxyProtocol.version: ${quote(String(version))} must be V1 or V2`);
  return undefined;
}

const LOOKUP_FAMILIES: readonly NonNullable<DnsIr["lookupFamily"]>[] = [
  "IPv4",
  "IPv6",
  "IPv4Preferred",
  "IPv6Preferred",
  "IPv4AndIPv6",
];

/** `dns` → DnsIr, with Envoy Gateway's defaults (30 s refresh, TTLs respected). */
export function dnsOf(dns: BackendTrafficPolicySpec["dns"], invalid: string[]): DnsIr | undefined {
  if (!dns) return undefined;
  const family = dns.lookupFamily;
  const familyOk = family === undefined || LOOKUP_FAMILIES.includes(family);
  if (!familyOk)
    invalid.push(`spec.dns.lookupFamily: ${quote(String(family))} must be one of ${LOOKUP_FAMILIES.join(", ")}`);
  const respect = dns.respectDnsTtl;
  if (respect !== undefined && typeof respect !== "boolean") {
    invalid.push(`spec.dns.respectDnsTtl: ${JSON.stringify(respect)} must be true or false`);
  }
  return defined<DnsIr>({
    refreshRateMs: durationOf("spec.dns.dnsRefreshRate", dns.dnsRefreshRate ?? "30s", invalid) ?? 30_000,
    respectDnsTtl: respect !== false,
    lookupFamily: familyOk ? family : undefined,
  });
}
