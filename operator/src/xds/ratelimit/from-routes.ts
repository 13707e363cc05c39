/**
 * The rate limit service's configuration (GlobalRateLimitIr) from the published nodes: every route with a
 * global rate limit adds, in its rule's domain (the listener's, or the shared rule's), the descriptor chains its
 * actions produce (ratelimit.ts ruleDescriptorChains), the last entry carrying the rule's limit. Chains that
 * share a prefix share the entries (a shared rule's chains from many routes are one). Pure.
 */
import type { GatewayXdsIr } from "../../ir/xds-ir";
import type { GlobalRateLimitIr, RateLimitDescriptorIr } from "../../ir/ratelimit-ir";
import type { GlobalRateLimitRuleIr } from "../../ir/global-rate-limit-route-ir";
import { ruleDescriptorChains, ruleDomain } from "../translate/filters/ratelimit";
import type { DescriptorEntry } from "../translate/filters/local-ratelimit";

/** A descriptor tree node under construction. */
interface Node {
  readonly key: string;
  readonly value?: string;
  rule?: GlobalRateLimitRuleIr;
  readonly children: Map<string, Node>;
}

/** The rate limit service's domains for everything the nodes route with a global rate limit, sorted by name. */
export function rateLimitIrOf(xds: readonly GatewayXdsIr[]): GlobalRateLimitIr {
  const domains = new Map<string, Map<string, Node>>();
  for (const n of xds) {
    for (const l of n.http) {
      for (const v of l.virtualHosts) {
        for (const r of v.routes) {
          for (const rule of r.traffic?.globalRateLimit?.rules ?? []) {
            const domain = ruleDomain(rule, l);
            const top = domains.get(domain) ?? new Map<string, Node>();
            domains.set(domain, top);
            for (const chain of ruleDescriptorChains(r.name, rule)) insert(top, chain, rule);
          }
        }
      }
    }
  }
  return {
    domains: [...domains]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, top]) => ({ name, descriptors: descriptorsOf(top) })),
  };
}

function insert(level: Map<string, Node>, chain: readonly DescriptorEntry[], rule: GlobalRateLimitRuleIr): void {
  let here = level;
  chain.forEach((e, i) => {
    const id = `${e.key}\u0000${e.value ?? ""}`;
    const node: Node = here.get(id) ?? {
      key: e.key,
      ...(e.value !== undefined ? { value: e.value } : {}),
      children: new Map(),
    };
    here.set(id, node);
    if (i === chain.length - 1) node.rule = rule;
    here = node.children;
  });
}

function descriptorsOf(level: Map<string, Node>): RateLimitDescriptorIr[] {
  return [...level.values()].map((n) => {
    const children = descriptorsOf(n.children);
    return {
      key: n.key,
      ...(n.value !== undefined ? { value: n.value } : {}),
      ...(n.rule ? { rateLimit: n.rule.limit } : {}),
      ...(n.rule?.shadowMode ? { shadowMode: true } : {}),
      ...(children.length > 0 ? { descriptors: children } : {}),
    };
  });
}
