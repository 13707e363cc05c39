/** CIDRs in canonical form: the network's first address, written as Go's net.IPNet prints it (RFC 5952 for IPv6). */
import { parseCidr } from "./backend-endpoints";

/** A CIDR's network: canonical `address/len`, the first address, and the prefix length. */
export interface CanonicalCidr {
  readonly cidr: string;
  readonly address: string;
  readonly prefixLen: number;
}

/** The canonical network of `text` (host bits cleared), or undefined when it is not a CIDR. */
export function canonicalCidr(text: string): CanonicalCidr | undefined {
  const parsed = parseCidr(text);
  if (!parsed) return undefined;
  const masked = parsed.prefix.map((b, i) => {
    const keep = Math.max(0, Math.min(8, parsed.bits - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
  const address = masked.length === 4 ? masked.join(".") : formatIPv6(masked);
  return { cidr: `${address}/${parsed.bits}`, address, prefixLen: parsed.bits };
}

/** RFC 5952: lower-case hex groups without leading zeros, the longest run (2 or more) of zero groups as `::`. */
function formatIPv6(bytes: readonly number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}
