/**
 * Pure translation of the global rate limit IR into the RateLimitConfig messages our rate limit xDS server
 * serves: one per domain, named after the domain (as Envoy Gateway names them), sorted by domain so that the
 * same IR always gives the same bytes (and so the same xDS version).
 */
import type { GlobalRateLimitIr, RateLimitDescriptorIr, RateLimitUnit, RateLimitDomainIr } from "../../ir/ratelimit-ir";
import {
  rateLimitDescriptor,
  rateLimitPolicy,
  RateLimitUnitValue,
  type RateLimitConfig,
  type RateLimitDescriptor,
  type RateLimitPolicy,
} from "./rls-conf";

/** The proto enum value of an IR unit ("Minute" → MINUTE). */
export function unitValue(unit: RateLimitUnit): number {
  return RateLimitUnitValue[unit.toUpperCase() as keyof typeof RateLimitUnitValue];
}

function policy(limit: NonNullable<RateLimitDescriptorIr["rateLimit"]>): RateLimitPolicy {
  return "unlimited" in limit
    ? rateLimitPolicy({ unlimited: true })
    : rateLimitPolicy({ unit: unitValue(limit.unit), requestsPerUnit: limit.requestsPerUnit });
}

function descriptor(d: RateLimitDescriptorIr): RateLimitDescriptor {
  return rateLimitDescriptor({
    key: d.key,
    value: d.value ?? "",
    ...(d.rateLimit ? { rateLimit: policy(d.rateLimit) } : {}),
    descriptors: (d.descriptors ?? []).map(descriptor),
    shadowMode: d.shadowMode ?? false,
  });
}

/** The RateLimitConfig of one domain. */
export function domainConfig(domain: RateLimitDomainIr): RateLimitConfig {
  return { name: domain.name, domain: domain.name, descriptors: domain.descriptors.map(descriptor) };
}

/** The RateLimitConfig messages of the IR, one per domain, sorted by domain. */
export function buildRateLimitConfigs(ir: GlobalRateLimitIr): RateLimitConfig[] {
  return [...ir.domains].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(domainConfig);
}
