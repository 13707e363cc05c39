/**
 * Which Backend endpoints a tenant may point Envoy at. A Backend names raw addresses, so without checks a
 * route could reach the proxy's own host: its loopback interface, the cloud metadata service on the
 * link-local network, Envoy's admin API. These checks are literal (the translator is pure: no DNS).
 */

/**
 * Classes of endpoints refused unless the EnvoyGateway configuration allows them
 * (`extensionApis.backend.allow`, an egts extension).
 */
export const ENDPOINT_CLASSES = ["Loopback", "LinkLocal", "Unspecified", "ProxyPorts", "UnixSocket"] as const;
/** One class of refused endpoints. */
export type EndpointClass = (typeof ENDPOINT_CLASSES)[number];

/** The proxy's and the control plane's own ports, refused on any address unless `ProxyPorts` is allowed. */
export const PROXY_PORTS: ReadonlyMap<number, string> = new Map([
  [18000, "the xDS server port"],
  [19000, "the Envoy admin port"],
  [19001, "the metrics port"],
  [19003, "the Envoy readiness port"],
]);

/** What the EnvoyGateway configuration says about Backends: a pure input of the translator. */
export interface BackendSettings {
  /** `extensionApis.enableBackend`: Backend is off unless set, as in Envoy Gateway. @default false */
  readonly enabled: boolean;
  /** Endpoint classes allowed although refused by default (egts extension). @default [] */
  readonly allow?: readonly EndpointClass[];
  /**
   * Addresses (CIDRs, e.g. `169.254.10.0/24`) allowed although in a refused address class (egts extension);
   * they do not allow the proxy ports. @default []
   */
  readonly allowedCIDRs?: readonly string[];
  /**
   * DNS servers (`ip:port`) the dynamic forward proxy of DynamicResolver Backends asks instead of the proxy host's
   * resolver (egts extension `extensionApis.backend.dnsResolvers`). @default [] (the host's resolver)
   */
  readonly dnsResolvers?: readonly string[];
}

/** Why an endpoint is refused: its class and the rule that matched, for the status message. */
export interface EndpointRefusal {
  /** The class that would allow it. */
  readonly class: EndpointClass;
  /** The rule, e.g. `loopback (127.0.0.0/8)`. */
  readonly rule: string;
}

/** A parsed IP address: 4 bytes (IPv4) or 16 (IPv6). */
export type IpBytes = readonly number[];

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Strict dotted-decimal IPv4, as Envoy (inet_pton) reads it: four octets, no leading zeros. */
export function parseIPv4(text: string): IpBytes | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => DECIMAL_OCTET.test(p))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** IPv6 in its text forms (`::` shortening, a dotted IPv4 tail); no zone ids, as Envoy reads it. */
export function parseIPv6(text: string): IpBytes | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split("::").length > 2) return undefined;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const h = groups(head ?? "");
  const t = tail === undefined ? [] : groups(tail);
  if (!h || !t) return undefined;
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...h, ...new Array<number>(tail === undefined ? 0 : missing).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An IP address in Envoy's text forms, or undefined. */
export function parseIp(text: string): IpBytes | undefined {
  return text.includes(":") ? parseIPv6(text) : parseIPv4(text);
}

/**
 * The IPv4 address an IPv6 address carries: IPv4-mapped (`::ffff:0:0/96`), IPv4-compatible (`::/96`, but
 * `::` and `::1`) and NAT64 (`64:ff9b::/96`). Checked as that IPv4 address, since the kernel or a NAT64
 * gateway may deliver it there.
 */
function embeddedIPv4(b: IpBytes): IpBytes | undefined {
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  const tail = b.slice(12);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return tail;
  if (zeros(0, 12) && !zeros(12, 15)) return tail; // not :: or ::1
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return tail;
  return undefined;
}

function inPrefix(b: IpBytes, prefix: IpBytes, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((b[byte] & mask) !== (prefix[byte] & mask)) return false;
  }
  return true;
}

const V4_RULES: readonly { prefix: IpBytes; bits: number; cls: EndpointClass; rule: string }[] = [
  { prefix: [127, 0, 0, 0], bits: 8, cls: "Loopback", rule: "loopback (127.0.0.0/8)" },
  { prefix: [169, 254, 0, 0], bits: 16, cls: "LinkLocal", rule: "link-local (169.254.0.0/16, cloud metadata)" },
  { prefix: [0, 0, 0, 0], bits: 8, cls: "Unspecified", rule: "unspecified (0.0.0.0/8, this host)" },
];

/** The refused address class of an IP, or undefined when it may be used. */
export function classifyIp(b: IpBytes): EndpointRefusal | undefined {
  if (b.length === 4) {
    const hit = V4_RULES.find((r) => inPrefix(b, r.prefix, r.bits));
    return hit ? { class: hit.cls, rule: hit.rule } : undefined;
  }
  if (b.every((x, i) => x === (i === 15 ? 1 : 0))) return { class: "Loopback", rule: "loopback (::1)" };
  if (b.every((x) => x === 0)) return { class: "Unspecified", rule: "unspecified (::)" };
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return { class: "LinkLocal", rule: "link-local (fe80::/10)" };
  const v4 = embeddedIPv4(b);
  const inner = v4 ? classifyIp(v4) : undefined;
  return inner ? { class: inner.class, rule: `${inner.rule}, as an IPv4 address inside IPv6` } : undefined;
}

/** A parsed CIDR, or undefined when `text` is not one. */
export function parseCidr(text: string): { readonly prefix: IpBytes; readonly bits: number } | undefined {
  const [addr, len, ...rest] = text.split("/");
  const prefix = parseIp(addr ?? "");
  if (!prefix || rest.length > 0 || len === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(len)) return undefined;
  const bits = Number(len);
  return bits <= prefix.length * 8 ? { prefix, bits } : undefined;
}

/** True when `b` is inside one of the CIDRs (IPv4 CIDRs also match IPv4 inside IPv6). */
export function inCidrs(b: IpBytes, cidrs: readonly string[]): boolean {
  const forms = b.length === 16 && embeddedIPv4(b) ? [b, embeddedIPv4(b) as IpBytes] : [b];
  return cidrs.some((c) => {
    const cidr = parseCidr(c);
    return (
      cidr !== undefined && forms.some((f) => f.length === cidr.prefix.length && inPrefix(f, cidr.prefix, cidr.bits))
    );
  });
}

/**
 * The IPv4 address a name written as a number stands for, read as inet_aton and the resolver's numeric
 * fallback read it: 1 to 4 parts, each decimal, `0x` hex or `0` octal (`2130706433`, `0x7f.1`,
 * `017700000001` are all 127.0.0.1).
 */
export function numericIPv4(name: string): IpBytes | undefined {
  const parts = name.split(".");
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const p of parts) {
    const v = /^0x[0-9a-f]*$/i.test(p)
      ? parseInt(p.slice(2) || "0", 16)
      : /^0[0-7]*$/.test(p)
        ? parseInt(p, 8)
        : /^[1-9][0-9]*$/.test(p)
          ? Number(p)
          : NaN;
    if (!Number.isFinite(v)) return undefined;
    values.push(v);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined;
  const bytes = [...values];
  for (let i = 3 - values.length; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks an fqdn endpoint's hostname as Envoy Gateway does (a DNS-1123 subdomain of at least two labels, not
 * an IP address) and refuses names that stand for refused addresses without DNS: `localhost` and
 * `*.localhost` (RFC 6761), and IPv4 addresses written as numbers. Returns the problem, or undefined.
 */
export function checkHostname(hostname: string): { readonly invalid: string } | EndpointRefusal | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) {
    return { class: "Loopback", rule: "loopback (localhost names, RFC 6761)" };
  }
  const numeric = numericIPv4(name);
  if (numeric || parseIp(hostname)) {
    const ip = numeric ? ` (the IPv4 address ${numeric.join(".")})` : "";
    return { invalid: `hostname ${hostname} is an IP address${ip}; use an ip endpoint` };
  }
  const labels = hostname.split(".");
  if (hostname.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) {
    return { invalid: `hostname ${hostname} is not a valid FQDN (lowercase DNS labels separated by dots)` };
  }
  if (labels.length < 2) {
    return { invalid: `hostname ${hostname} should be a domain with at least two segments separated by dots` };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    return { invalid: `hostname ${hostname} ends in a numeric label, which no top-level domain is` };
  }
  return undefined;
}
