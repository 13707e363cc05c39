/**
 * BackendTrafficPolicy `bandwidthLimit` → BandwidthLimitIr, as Envoy Gateway converts it: a quantity of bytes per
 * Second, Minute or Hour becomes whole KiB per second (rounded down); below 1 KiB/s is refused (Envoy's minimum).
 */
import type { BandwidthLimitIr } from "../../ir/bandwidth-limit-ir";
import type { BandwidthLimitSpec, BandwidthLimitValue } from "../../resources/backend-traffic-policy";
import { quantityValue } from "../quantity";
import { quote } from "../validate-values";

const UNIT_SECONDS: Readonly<Record<string, number>> = { Second: 1, Minute: 60, Hour: 3600 };

/** The route's bandwidth limits; problems go to `invalid`. */
export function translateBandwidthLimit(spec: BandwidthLimitSpec, invalid: string[]): BandwidthLimitIr | undefined {
  const before = invalid.length;
  const request = spec.request ? kibps(spec.request.limit, "spec.bandwidthLimit.request.limit", invalid) : undefined;
  const response = spec.response
    ? kibps(spec.response.limit, "spec.bandwidthLimit.response.limit", invalid)
    : undefined;
  const prefix = spec.response?.responseTrailers?.prefix;
  if (prefix !== undefined && /[\r\n\0]/.test(prefix)) {
    invalid.push(`spec.bandwidthLimit.response.responseTrailers.prefix: ${quote(prefix)} must not hold CR, LF or NUL`);
  }
  if (!spec.request && !spec.response) invalid.push("spec.bandwidthLimit: set at least one of request and response");
  if (invalid.length > before) return undefined;
  return {
    ...(request !== undefined ? { requestKibps: request } : {}),
    ...(response !== undefined
      ? {
          response: {
            kibps: response,
            ...(spec.response?.responseTrailers ? { trailerPrefix: prefix ?? "" } : {}),
          },
        }
      : {}),
  };
}

function kibps(limit: BandwidthLimitValue | undefined, at: string, invalid: string[]): number | undefined {
  const seconds = UNIT_SECONDS[limit?.unit ?? ""];
  const bytes = limit?.value === undefined ? undefined : quantityValue(limit.value);
  if (seconds === undefined) {
    invalid.push(`${at}.unit: ${quote(String(limit?.unit))} is not one of Second, Minute, Hour`);
    return undefined;
  }
  if (bytes === undefined) {
    invalid.push(`${at}.value: ${quote(String(limit?.value))} must be a whole number of bytes`);
    return undefined;
  }
  const k = Math.floor(bytes / (seconds * 1024));
  if (k < 1) invalid.push(`${at}: ${bytes} bytes per ${limit?.unit} is below the minimum of 1 KiB/s`);
  return k;
}
