/**
 * ClientTrafficPolicy's `connection` field → ClientConnectionIr, as Envoy Gateway v1.9 translates it:
 * connectionLimit (value, closeDelay, maxConnectionDuration, maxRequestsPerConnection, maxStreamDuration), bufferLimit and socketBufferLimit (Kubernetes quantities or plain
 * numbers of bytes, up to 2^32-1 as Envoy's uint32 fields take), maxAcceptPerSocketEvent (0 = unlimited).
 * A value Envoy would refuse is reported as `<field path>: <why>`, so the policy is Accepted=False and never
 * reaches Envoy.
 */
import type { ClientConnectionIr, ConnectionLimitIr } from "../../ir/client-traffic-conn-ir";
import type { ClientConnection } from "../../resources/client-traffic-policy";
import { parseDuration } from "../duration";

/** Largest value of Envoy's uint32 fields (buffer limits, accept count). */
const UINT32_MAX = 0xffff_ffff;
/** Largest socket buffer size: setsockopt takes a C int. */
const INT32_MAX = 0x7fff_ffff;

/** Envoy Gateway's quantity pattern for buffer limits: digits with an optional binary or decimal suffix. */
const QUANTITY = /^([1-9][0-9]*)([EPTGMK]i|[EPTGMk])?$/;

/** Bytes per quantity suffix (Kubernetes resource.Quantity). */
const SUFFIX: Readonly<Record<string, number>> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Translates `spec.connection`; undefined when nothing in it is usable. */
export function connectionOf(c: ClientConnection, invalid: string[]): ClientConnectionIr | undefined {
  const limitParts = c.connectionLimit ? limitPartsOf(c.connectionLimit, invalid) : {};
  const bufferLimitBytes = bytesOf("spec.connection.bufferLimit", c.bufferLimit, invalid);
  const socketBufferLimitBytes = bytesOf("spec.connection.socketBufferLimit", c.socketBufferLimit, invalid, INT32_MAX);
  const accept = c.maxAcceptPerSocketEvent;
  const acceptOk = accept === undefined || (Number.isInteger(accept) && accept >= 0 && accept <= UINT32_MAX);
  if (!acceptOk) {
    invalid.push(`spec.connection.maxAcceptPerSocketEvent: ${String(accept)} must be a whole number from 0`);
  }
  const ir: ClientConnectionIr = {
    ...limitParts,
    ...(bufferLimitBytes !== undefined ? { bufferLimitBytes } : {}),
    ...(socketBufferLimitBytes !== undefined ? { socketBufferLimitBytes } : {}),
    ...(accept !== undefined && acceptOk ? { maxAcceptPerSocketEvent: accept } : {}),
  };
  return Object.keys(ir).length > 0 ? ir : undefined;
}

function limitOf(
  l: NonNullable<ClientConnection["connectionLimit"]>,
  invalid: string[],
): ConnectionLimitIr | undefined {
  const field = "spec.connection.connectionLimit";
  const n = l.value;
  const nOk = n !== undefined && Number.isSafeInteger(n) && n >= 1;
  if (n === undefined && l.closeDelay !== undefined) {
    invalid.push(`${field}: closeDelay can only be configured when value is set`); // Envoy Gateway's rule
  } else if (!nOk) invalid.push(`${field}.value: ${String(n)} must be a whole number from 1`);
  const closeDelayMs = l.closeDelay === undefined ? undefined : parseDuration(String(l.closeDelay));
  const delayOk = l.closeDelay === undefined || closeDelayMs !== undefined;
  if (!delayOk) invalid.push(`${field}.closeDelay: "${String(l.closeDelay)}" is not a duration (e.g. 1s, 500ms)`);
  if (!nOk || !delayOk) return undefined;
  return { maxConnections: n, ...(closeDelayMs !== undefined ? { closeDelayMs } : {}) };
}

/**
 * connectionLimit → the connection_limit filter's settings and the HTTP connection manager's per-connection
 * limits (max connection duration, max requests per connection, max stream duration). A limit with only those
 * HTTP limits counts no connections (no connection_limit filter).
 */
function limitPartsOf(
  l: NonNullable<ClientConnection["connectionLimit"]>,
  invalid: string[],
): Pick<ClientConnectionIr, "limit" | "maxConnectionDurationMs" | "maxRequestsPerConnection" | "maxStreamDurationMs"> {
  const httpOnly = [l.maxConnectionDuration, l.maxRequestsPerConnection, l.maxStreamDuration].some(
    (v) => v !== undefined,
  );
  const counted = l.value !== undefined || l.closeDelay !== undefined || !httpOnly;
  const limit = counted ? limitOf(l, invalid) : undefined;
  const maxConnectionDurationMs = positiveDurationOf("maxConnectionDuration", l.maxConnectionDuration, invalid);
  const maxStreamDurationMs = positiveDurationOf("maxStreamDuration", l.maxStreamDuration, invalid);
  const maxRequests = l.maxRequestsPerConnection;
  const requestsOk =
    maxRequests === undefined || (Number.isInteger(maxRequests) && maxRequests >= 0 && maxRequests <= UINT32_MAX);
  if (!requestsOk) {
    invalid.push(
      `spec.connection.connectionLimit.maxRequestsPerConnection: ${String(maxRequests)} must be a whole number from 0 (no limit) to ${UINT32_MAX}`,
    );
  }
  return {
    ...(limit ? { limit } : {}),
    ...(maxConnectionDurationMs !== undefined ? { maxConnectionDurationMs } : {}),
    ...(maxRequests !== undefined && requestsOk ? { maxRequestsPerConnection: maxRequests } : {}),
    ...(maxStreamDurationMs !== undefined ? { maxStreamDurationMs } : {}),
  };
}

/** A connectionLimit duration in milliseconds; a positive duration (Envoy's 0 would mean none). */
function positiveDurationOf(field: string, value: unknown, invalid: string[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(String(value));
  if (ms !== undefined && ms > 0) return ms;
  invalid.push(`spec.connection.connectionLimit.${field}: "${String(value)}" is not a duration above 0 (e.g. 1h, 30s)`);
  return undefined;
}

/** A buffer size in bytes: a quantity ("32Ki", "1Mi", "64k") or a plain number, from 1 to `max`. */
export function bytesOf(
  field: string,
  value: number | string | undefined,
  invalid: string[],
  max = UINT32_MAX,
): number | undefined {
  if (value === undefined) return undefined;
  const m = QUANTITY.exec(String(value));
  const bytes = m ? Number(m[1]) * SUFFIX[m[2] ?? ""] : Number.NaN;
  if (!m || (typeof value === "number" && !Number.isInteger(value))) {
    invalid.push(`${field}: "${String(value)}" is not a size in bytes (e.g. 32768, 32Ki, 1Mi)`);
    return undefined;
  }
  if (bytes > max) {
    invalid.push(`${field}: ${String(value)} is out of range, must be between 1 and ${max} bytes`);
    return undefined;
  }
  return bytes;
}
