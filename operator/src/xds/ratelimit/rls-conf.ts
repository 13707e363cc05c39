/**
 * `ratelimit.config.ratelimit.v3.RateLimitConfig`: the configuration the rate limit service (envoyproxy/ratelimit)
 * fetches over xDS (`CONFIG_TYPE=GRPC_XDS_SOTW`), one message per domain. The proto (`rls_conf.proto`) is not in
 * the Envoy API jar egts generates from (it lives in go-control-plane's `ratelimit` module, not in Envoy's API), so
 * this is a hand codec. Field numbers and enum values are those of
 * `github.com/envoyproxy/go-control-plane/ratelimit` `config/ratelimit/v3/rls_conf.pb.go` (the struct tags), checked
 * identical in v0.1.1-0.20250812085011-4cf7e8485428 (which the ratelimit service we run is built with) and
 * v0.1.1-0.20260729145720-a2d8c7492908 (Envoy Gateway v1.9.1's). Newer fields the service ignores
 * (`quota_mode` = 7, `metadata` = 8 on descriptors) are not written.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { registerType } from "../../../../proto/any";

/** `RateLimitUnit`: enum values as numbered in rls_conf.proto (WEEK was added last, as 7). */
export const RateLimitUnitValue = {
  UNKNOWN: 0,
  SECOND: 1,
  MINUTE: 2,
  HOUR: 3,
  DAY: 4,
  MONTH: 5,
  YEAR: 6,
  WEEK: 7,
} as const;

/** A RateLimitUnit enum name. */
export type RateLimitUnitName = keyof typeof RateLimitUnitValue;

/** `RateLimitReplace` (name = 1): the named limit this one replaces. */
export interface RateLimitReplace {
  /** name (1). */
  readonly name: string;
}

/** `RateLimitPolicy`: the limit of a descriptor. */
export interface RateLimitPolicy {
  /** unit (1), an enum value of {@link RateLimitUnitValue}. */
  readonly unit: number;
  /** requests_per_unit (2). */
  readonly requestsPerUnit: number;
  /** unlimited (3). */
  readonly unlimited: boolean;
  /** name (4). */
  readonly name: string;
  /** replaces (5). */
  readonly replaces: readonly RateLimitReplace[];
}

/** `RateLimitDescriptor`: one entry of a domain's descriptor tree. */
export interface RateLimitDescriptor {
  /** key (1). */
  readonly key: string;
  /** value (2); empty: any value. */
  readonly value: string;
  /** rate_limit (3). */
  readonly rateLimit?: RateLimitPolicy;
  /** descriptors (4). */
  readonly descriptors: readonly RateLimitDescriptor[];
  /** shadow_mode (5). */
  readonly shadowMode: boolean;
  /** detailed_metric (6). */
  readonly detailedMetric: boolean;
}

/** `RateLimitConfig`: one domain's configuration. */
export interface RateLimitConfig {
  /** name (1): the resource name. */
  readonly name: string;
  /** domain (2). */
  readonly domain: string;
  /** descriptors (3). */
  readonly descriptors: readonly RateLimitDescriptor[];
}

const LEN = WireType.LengthDelimited;
const VARINT = WireType.Varint;
const tag = (field: number, wire: WireType): number => (field << 3) | wire;

/** Writes `m` as the length-delimited field `field`. */
function sub<T>(w: BinaryWriter, field: number, m: T, encode: (m: T, w: BinaryWriter) => void): void {
  encode(m, w.uint32(tag(field, LEN)).fork());
  w.join();
}

function encodeReplace(m: RateLimitReplace, w: BinaryWriter): void {
  if (m.name !== "") w.uint32(tag(1, LEN)).string(m.name);
}

function encodePolicy(m: RateLimitPolicy, w: BinaryWriter): void {
  if (m.unit !== 0) w.uint32(tag(1, VARINT)).int32(m.unit);
  if (m.requestsPerUnit !== 0) w.uint32(tag(2, VARINT)).uint32(m.requestsPerUnit);
  if (m.unlimited) w.uint32(tag(3, VARINT)).bool(true);
  if (m.name !== "") w.uint32(tag(4, LEN)).string(m.name);
  for (const r of m.replaces) sub(w, 5, r, encodeReplace);
}

function encodeDescriptor(m: RateLimitDescriptor, w: BinaryWriter): void {
  if (m.key !== "") w.uint32(tag(1, LEN)).string(m.key);
  if (m.value !== "") w.uint32(tag(2, LEN)).string(m.value);
  if (m.rateLimit) sub(w, 3, m.rateLimit, encodePolicy);
  for (const d of m.descriptors) sub(w, 4, d, encodeDescriptor);
  if (m.shadowMode) w.uint32(tag(5, VARINT)).bool(true);
  if (m.detailedMetric) w.uint32(tag(6, VARINT)).bool(true);
}

function encodeConfig(m: RateLimitConfig, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
  if (m.name !== "") w.uint32(tag(1, LEN)).string(m.name);
  if (m.domain !== "") w.uint32(tag(2, LEN)).string(m.domain);
  for (const d of m.descriptors) sub(w, 3, d, encodeDescriptor);
  return w;
}

/** Reads the fields of one message until `end`, handing each to `field`; unknown fields are skipped. */
function readFields(r: BinaryReader, end: number, field: (no: number, wire: WireType) => boolean): void {
  while (r.pos < end) {
    const [no, wire] = r.tag();
    if (!field(no, wire)) r.skip(wire, no);
  }
}

function endOf(r: BinaryReader, length: number | undefined): number {
  return length === undefined ? r.len : r.pos + length;
}

function decodePolicy(r: BinaryReader, length: number): RateLimitPolicy {
  let unit = 0;
  let requestsPerUnit = 0;
  let unlimited = false;
  let name = "";
  const replaces: RateLimitReplace[] = [];
  readFields(r, endOf(r, length), (no, wire) => {
    if (no === 1 && wire === VARINT) unit = r.int32();
    else if (no === 2 && wire === VARINT) requestsPerUnit = r.uint32();
    else if (no === 3 && wire === VARINT) unlimited = r.bool();
    else if (no === 4 && wire === LEN) name = r.string();
    else if (no === 5 && wire === LEN) {
      let replaceName = "";
      readFields(r, endOf(r, r.uint32()), (n, w) =>
        n === 1 && w === LEN ? ((replaceName = r.string()), true) : false,
      );
      replaces.push({ name: replaceName });
    } else return false;
    return true;
  });
  return { unit, requestsPerUnit, unlimited, name, replaces };
}

function decodeDescriptor(r: BinaryReader, length: number): RateLimitDescriptor {
  let key = "";
  let value = "";
  let rateLimit: RateLimitPolicy | undefined;
  const descriptors: RateLimitDescriptor[] = [];
  let shadowMode = false;
  let detailedMetric = false;
  readFields(r, endOf(r, length), (no, wire) => {
    if (no === 1 && wire === LEN) key = r.string();
    else if (no === 2 && wire === LEN) value = r.string();
    else if (no === 3 && wire === LEN) rateLimit = decodePolicy(r, r.uint32());
    else if (no === 4 && wire === LEN) descriptors.push(decodeDescriptor(r, r.uint32()));
    else if (no === 5 && wire === VARINT) shadowMode = r.bool();
    else if (no === 6 && wire === VARINT) detailedMetric = r.bool();
    else return false;
    return true;
  });
  return { key, value, ...(rateLimit ? { rateLimit } : {}), descriptors, shadowMode, detailedMetric };
}

function decodeConfig(input: BinaryReader | Uint8Array, length?: number): RateLimitConfig {
  const r = input instanceof BinaryReader ? input : new BinaryReader(input);
  let name = "";
  let domain = "";
  const descriptors: RateLimitDescriptor[] = [];
  readFields(r, endOf(r, length), (no, wire) => {
    if (no === 1 && wire === LEN) name = r.string();
    else if (no === 2 && wire === LEN) domain = r.string();
    else if (no === 3 && wire === LEN) descriptors.push(decodeDescriptor(r, r.uint32()));
    else return false;
    return true;
  });
  return { name, domain, descriptors };
}

/** The enum name of a unit value (proto3 JSON writes enums by name), or the number when unknown. */
function unitName(value: number): string | number {
  const found = Object.entries(RateLimitUnitValue).find(([, v]) => v === value);
  return found ? found[0] : value;
}

function policyJson(m: RateLimitPolicy): Record<string, unknown> {
  return {
    ...(m.unit !== 0 ? { unit: unitName(m.unit) } : {}),
    ...(m.requestsPerUnit !== 0 ? { requestsPerUnit: m.requestsPerUnit } : {}),
    ...(m.unlimited ? { unlimited: true } : {}),
    ...(m.name !== "" ? { name: m.name } : {}),
    ...(m.replaces.length > 0 ? { replaces: m.replaces.map((r) => ({ name: r.name })) } : {}),
  };
}

function descriptorJson(m: RateLimitDescriptor): Record<string, unknown> {
  return {
    ...(m.key !== "" ? { key: m.key } : {}),
    ...(m.value !== "" ? { value: m.value } : {}),
    ...(m.rateLimit ? { rateLimit: policyJson(m.rateLimit) } : {}),
    ...(m.descriptors.length > 0 ? { descriptors: m.descriptors.map(descriptorJson) } : {}),
    ...(m.shadowMode ? { shadowMode: true } : {}),
    ...(m.detailedMetric ? { detailedMetric: true } : {}),
  };
}

/** A RateLimitPolicy with the fields not given at their defaults. */
export function rateLimitPolicy(p: Partial<RateLimitPolicy>): RateLimitPolicy {
  return { unit: 0, requestsPerUnit: 0, unlimited: false, name: "", replaces: [], ...p };
}

/** A RateLimitDescriptor with the fields not given at their defaults. */
export function rateLimitDescriptor(d: Partial<RateLimitDescriptor>): RateLimitDescriptor {
  return { key: "", value: "", descriptors: [], shadowMode: false, detailedMetric: false, ...d };
}

/** The proto's fully-qualified name. */
export const RATE_LIMIT_CONFIG_PROTO = "ratelimit.config.ratelimit.v3.RateLimitConfig";

const codec = {
  $type: RATE_LIMIT_CONFIG_PROTO,
  encode: encodeConfig,
  decode: decodeConfig,
  fromPartial(o: never): RateLimitConfig {
    const p = o as Partial<RateLimitConfig>;
    return { name: p.name ?? "", domain: p.domain ?? "", descriptors: p.descriptors ?? [] };
  },
  toJSON(m: RateLimitConfig): unknown {
    return {
      ...(m.name !== "" ? { name: m.name } : {}),
      ...(m.domain !== "" ? { domain: m.domain } : {}),
      ...(m.descriptors.length > 0 ? { descriptors: m.descriptors.map(descriptorJson) } : {}),
    };
  },
};

/**
 * The RateLimitConfig type in the Any registry: its type URL,
 * `type.googleapis.com/ratelimit.config.ratelimit.v3.RateLimitConfig`, is the one the service subscribes to.
 */
export const RateLimitConfigType = registerType(codec);
