/**
 * BackendTrafficPolicy `requestBuffer` → the route's request buffer limit in bytes: a quantity from 1 byte to
 * 2^32-1 (Envoy's buffer needs a limit above 0, which Envoy Gateway lets through), refused together with
 * `httpUpgrade` (the CRD's rule: a buffered request cannot be upgraded).
 */
import { UINT32_MAX } from "../shapes";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { quantityValue } from "../quantity";
import { quote } from "../validate-values";

/** The route's request buffer limit in bytes, if the policy sets one; problems go to `invalid`. */
export function translateRequestBuffer(spec: BackendTrafficPolicySpec, invalid: string[]): number | undefined {
  const rb = spec.requestBuffer;
  if (!rb) return undefined;
  if ((spec.httpUpgrade ?? []).length > 0) {
    invalid.push("spec.requestBuffer: cannot be used together with httpUpgrade");
    return undefined;
  }
  if (rb.limit === undefined) {
    invalid.push("spec.requestBuffer.limit: required (Envoy's buffer needs a limit above 0)");
    return undefined;
  }
  const bytes = quantityValue(rb.limit);
  if (bytes === undefined || bytes < 1 || bytes > UINT32_MAX) {
    invalid.push(
      `spec.requestBuffer.limit: ${quote(String(rb.limit))} must be a whole number of bytes from 1 to ${UINT32_MAX}`,
    );
    return undefined;
  }
  return bytes;
}
