/**
 * BackendTrafficPolicy `compressor` (and the deprecated `compression`, used when `compressor` is not set) →
 * CompressionIr list, as Envoy Gateway builds it: the first entry is preferred on q-value ties, minContentLength
 * is a quantity of bytes. Setting both lists, or one type twice, is refused (the CRD's rule; Envoy Gateway would
 * fail on the duplicate). An entry without its type's settings object (`gzip: {}` for Gzip) is honoured: Envoy
 * Gateway skips it silently, which would leave a route the policy asks to compress uncompressed.
 */
import { UINT32_MAX } from "../shapes";
import type { CompressionIr } from "../../ir/compression-ir";
import type { BackendTrafficPolicySpec, Compression } from "../../resources/backend-traffic-policy";
import { quantityValue } from "../quantity";
import { quote } from "../validate-values";

const TYPES: readonly string[] = ["Gzip", "Brotli", "Zstd"];

/** The route's compression algorithms, if the policy sets any; problems go to `invalid`. */
export function translateCompression(spec: BackendTrafficPolicySpec, invalid: string[]): CompressionIr[] | undefined {
  if (spec.compression !== undefined && spec.compressor !== undefined) {
    invalid.push("spec.compressor: either compression or compressor can be set, not both");
    return undefined;
  }
  const field = spec.compressor !== undefined ? "compressor" : "compression";
  const list: readonly Compression[] = spec.compressor ?? spec.compression ?? [];
  if (list.length === 0) return undefined;
  const before = invalid.length;
  const seen = new Set<string>();
  const out = list.map((c, i): CompressionIr => {
    const at = `spec.${field}[${i}]`;
    if (TYPES.includes(c.type) && seen.has(c.type)) invalid.push(`${at}.type: ${c.type} is listed twice`);
    seen.add(c.type);
    return compressionOf(c, at, i === 0, invalid);
  });
  return invalid.length > before ? undefined : out;
}

/**
 * One algorithm of a compression list at spec path `at` (also EnvoyProxy `telemetry.metrics.prometheus.compression`);
 * an unknown type or a bad minContentLength goes to `invalid`.
 */
export function compressionOf(c: Compression, at: string, chooseFirst: boolean, invalid: string[]): CompressionIr {
  if (!TYPES.includes(c.type)) invalid.push(`${at}.type: ${quote(String(c.type))} is not one of ${TYPES.join(", ")}`);
  const min = c.minContentLength === undefined ? undefined : quantityValue(c.minContentLength);
  if (c.minContentLength !== undefined && (min === undefined || min < 1 || min > UINT32_MAX)) {
    invalid.push(`${at}.minContentLength: ${quote(String(c.minContentLength))} must be a whole number of bytes from 1`);
  }
  return { type: c.type, chooseFirst, ...(min !== undefined ? { minContentLength: min } : {}) };
}
