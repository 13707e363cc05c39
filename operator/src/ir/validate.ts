/** Checks an xDS IR before it is published; a failure is a translator bug, reported, never sent to Envoy. */
import { celPackage } from "../optional-packages";
import type { PercentIr, RouteSecurityIr } from "./security-ir";
import type { ClusterIr, GatewayXdsIr, RouteIr, VirtualHostIr, WeightedDestinationIr } from "./xds-ir";
import { listWindow, unchangedWindow } from "./list-window";

/** Envoy's uint32 fields (retry counts, weights and their total per route). */
const UINT32_MAX = 4_294_967_295;
/** The longest google.protobuf.Duration (10,000 years), in milliseconds. */
const MAX_DURATION_MS = 315_576_000_000 * 1000;

/** Whether `v` is an integer in [min, max]. */
function intIn(v: number, min: number, max: number): boolean {
  return Number.isSafeInteger(v) && v >= min && v <= max;
}

/** A listener or redirect port Envoy accepts. */
function portProblem(owner: string, port: number): string[] {
  return intIn(port, 1, 65535) ? [] : [`${owner}: port ${port} out of range (1-65535)`];
}

/**
 * Returns the problems found in an IR (empty when it is valid). A pass checks only what changed (ADR 0024): what a
 * virtual host or cluster IR object needs is kept per object (IR objects are never mutated, and unchanged ones keep
 * their identity across passes, ADR 0013), so a valid IR costs a lookup per virtual host; an invalid one is checked
 * in full ({@link xdsIrProblems}) for the list of problems.
 */
export function validateXdsIr(ir: GatewayXdsIr): string[] {
  return isValid(ir) ? [] : xdsIrProblems(ir);
}

/** Every problem of an IR, checked in full (empty when it is valid). */
export function xdsIrProblems(ir: GatewayXdsIr): string[] {
  const problems: string[] = [];
  const clusters = new Set<string>();
  for (const c of ir.clusters) {
    if (clusters.has(c.name)) problems.push(`duplicate cluster ${c.name}`);
    clusters.add(c.name);
    problems.push(...clusterProblems(c));
  }
  const ports = new Set<number>();
  for (const l of ir.http) {
    problems.push(...portProblem(`listener ${l.name}`, l.port));
    if (ports.has(l.port)) problems.push(`two listeners on port ${l.port}`);
    ports.add(l.port);
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) problems.push(...routeProblems(r, clusters));
    }
  }
  problems.push(...l4Problems(ir, clusters, ports), ...oidcProblems(ir, clusters));
  return problems;
}

/** What a virtual host needs to be valid, besides itself: the clusters and secrets its routes refer to. */
interface HostCheck {
  /** Its routes have no problem of their own (with every cluster they name known). */
  readonly ok: boolean;
  readonly clusters: readonly string[];
  readonly secrets: readonly string[];
}

const hostChecks = new WeakMap<VirtualHostIr, HostCheck>();
const clusterChecks = new WeakMap<ClusterIr, boolean>();
/** Answers every cluster name as known: a route's problems of its own. */
const ANY_CLUSTER: Pick<ReadonlySet<string>, "has"> = { has: () => true };

/** Whether {@link xdsIrProblems} finds nothing, with what each virtual host and cluster needs kept per object. */
function isValid(ir: GatewayXdsIr): boolean {
  const clusters = new Set<string>();
  for (const c of ir.clusters) {
    if (clusters.has(c.name)) return false;
    clusters.add(c.name);
    let ok = clusterChecks.get(c);
    if (ok === undefined) clusterChecks.set(c, (ok = clusterProblems(c).length === 0));
    if (!ok) return false;
  }
  const secrets = new Set((ir.secrets ?? []).map((s) => s.name));
  const ports = new Set<number>();
  for (const l of ir.http) {
    if (portProblem("", l.port).length > 0 || ports.has(l.port)) return false;
    ports.add(l.port);
    if (!hostsValid(ir, l, clusters, secrets)) return false;
  }
  return l4Problems(ir, clusters, ports).length === 0;
}

/** A listener's virtual hosts last found valid, with the cluster and secret lists they were checked against. */
interface ValidHosts {
  readonly hosts: readonly VirtualHostIr[];
  readonly clusters: readonly ClusterIr[];
  readonly secrets: readonly object[];
}

/** Per listener name, its virtual hosts as last found valid (bounded: cleared when it holds too many). */
const lastValid = new Map<string, ValidHosts>();
const MAX_VALID_LISTENERS = 1024;

/**
 * Whether every virtual host of `l` is valid with these clusters and secrets. When the IR's cluster and secret lists
 * are the same objects as at the listener's last valid check, only the virtual hosts in the window of its list that
 * changed since are checked (ADR 0030): the others are the same objects, found valid against the same names.
 */
function hostsValid(
  ir: GatewayXdsIr,
  l: GatewayXdsIr["http"][number],
  clusters: ReadonlySet<string>,
  secrets: ReadonlySet<string>,
): boolean {
  const irSecrets = ir.secrets ?? [];
  const last = lastValid.get(l.name);
  const hosts = l.virtualHosts;
  const same =
    last !== undefined &&
    unchangedWindow(listWindow(last.clusters, ir.clusters)) &&
    unchangedWindow(listWindow(last.secrets, irSecrets));
  const w = same ? listWindow(last.hosts, hosts) : { from: 0, afterTo: hosts.length };
  for (let i = w.from; i < w.afterTo; i++) {
    if (hostValid(hosts[i], clusters, secrets)) continue;
    lastValid.delete(l.name);
    return false;
  }
  if (lastValid.size >= MAX_VALID_LISTENERS) lastValid.clear();
  lastValid.set(l.name, { hosts, clusters: ir.clusters, secrets: irSecrets });
  return true;
}

/** Whether a virtual host's routes have no problem with these clusters and secrets (its own kept per object). */
function hostValid(vh: VirtualHostIr, clusters: ReadonlySet<string>, secrets: ReadonlySet<string>): boolean {
  let check = hostChecks.get(vh);
  if (!check) hostChecks.set(vh, (check = hostCheck(vh)));
  return check.ok && check.clusters.every((c) => clusters.has(c)) && check.secrets.every((s) => secrets.has(s));
}

/** What {@link isValid} keeps of a virtual host. */
function hostCheck(vh: VirtualHostIr): HostCheck {
  const clusters = new Set<string>();
  const secrets = new Set<string>();
  let ok = true;
  for (const r of vh.routes) {
    if (routeProblems(r, ANY_CLUSTER).length > 0) ok = false;
    for (const m of r.mirrors ?? []) clusters.add(m.cluster);
    if (r.action.kind === "forward")
      for (const d of r.action.destinations) if (d.cluster !== undefined) clusters.add(d.cluster);
    const o = r.security?.oidc;
    if (!o) continue;
    clusters.add(o.tokenCluster);
    secrets.add(o.clientSecretSds).add(o.hmacSds);
  }
  return { ok, clusters: [...clusters], secrets: [...secrets] };
}

/** OIDC routes: their token endpoint cluster and their SDS secrets (client, HMAC) are served on the node. */
function oidcProblems(ir: GatewayXdsIr, clusters: ReadonlySet<string>): string[] {
  const secrets = new Set((ir.secrets ?? []).map((s) => s.name));
  const problems = new Set<string>();
  for (const l of ir.http) {
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) {
        const o = r.security?.oidc;
        if (!o) continue;
        if (!clusters.has(o.tokenCluster)) problems.add(`OIDC ${o.name} refers to unknown cluster ${o.tokenCluster}`);
        for (const name of [o.clientSecretSds, o.hmacSds])
          if (!secrets.has(name)) problems.add(`OIDC ${o.name} refers to unknown secret ${name}`);
      }
    }
  }
  return [...problems];
}

/** One HTTP route: known clusters, positive weights, named sessions, numbers in Envoy's ranges. */
function routeProblems(r: RouteIr, clusters: Pick<ReadonlySet<string>, "has">): string[] {
  const problems: string[] = [...rangeProblems(r), ...securityProblems(r)];
  for (const m of r.mirrors ?? []) {
    if (!clusters.has(m.cluster)) problems.push(`route ${r.name} mirrors to unknown cluster ${m.cluster}`);
  }
  // Envoy rejects a stateful session without a cookie or header name (the whole RouteConfiguration).
  if (r.sessionPersistence && r.sessionPersistence.name === "") {
    problems.push(`route ${r.name}: session persistence needs a ${r.sessionPersistence.type.toLowerCase()} name`);
  }
  if (r.action.kind !== "forward") return problems;
  for (const d of r.action.destinations) {
    if (d.cluster !== undefined && !clusters.has(d.cluster)) {
      problems.push(`route ${r.name} refers to unknown cluster ${d.cluster}`);
    }
  }
  problems.push(...weightProblems(`route ${r.name}`, r.action.destinations));
  return problems;
}

/** The values of each Envoy FractionalPercent denominator. */
const PERCENT_DENOMINATORS: Readonly<Record<PercentIr["denominator"], number>> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

/** A route's SecurityPolicy IR within what Envoy accepts (percents, non-empty credentials and sources). */
function securityProblems(r: RouteIr): string[] {
  const s = r.security;
  if (!s) return [];
  const at = `route ${r.name} security`;
  const problems: string[] = [];
  const maxAge = s.cors?.maxAgeSeconds;
  if (maxAge !== undefined && !intIn(maxAge, 0, Number.MAX_SAFE_INTEGER))
    problems.push(`${at}: CORS maxAge ${maxAge} out of range`);
  problems.push(...percentProblems(at, [s.csrf?.enforced, s.csrf?.shadow]));
  return [...problems, ...authProblems(at, s), ...celProblems(at, s), ...jwtProblems(at, s)];
}

/** Authorization CEL expressions that parse (the xDS translation sends them parsed). */
function celProblems(at: string, s: RouteSecurityIr): string[] {
  return (s.authorization?.rules ?? []).flatMap((r) => {
    if (r.cel === undefined) return [];
    try {
      celPackage().parse(r.cel);
      return [];
    } catch {
      return [`${at}: authorization rule ${r.name}: invalid CEL expression`];
    }
  });
}

/** JWT providers and requirement Envoy accepts (names of 1-256 characters, a cluster and a timeout when remote). */
function jwtProblems(at: string, s: RouteSecurityIr): string[] {
  const jwt = s.jwt;
  if (!jwt) return [];
  const bad = (name: string): boolean => name === "" || name.length > 256;
  const problems: string[] = [];
  if (jwt.providers.length === 0 || bad(jwt.requirement)) problems.push(`${at}: JWT needs providers and a requirement`);
  for (const p of jwt.providers) {
    if (bad(p.name) || p.metadataKey === "") problems.push(`${at}: JWT provider name ${JSON.stringify(p.name)}`);
    if ("remote" in p.jwks && (p.jwks.remote.cluster === "" || !intIn(p.jwks.remote.timeoutMs, 1, UINT32_MAX)))
      problems.push(`${at}: JWT provider ${p.name} needs a JWKS cluster and a timeout > 0`);
  }
  return problems;
}

/** Basic auth users and API keys Envoy accepts (non-empty, no CR; keys and client IDs non-empty). */
function authProblems(at: string, s: RouteSecurityIr): string[] {
  const problems: string[] = [];
  if (s.basicAuth && (s.basicAuth.users === "" || s.basicAuth.users.includes("\r")))
    problems.push(`${at}: basic auth users must be non-empty LF-separated lines`);
  const keys = s.apiKeyAuth?.credentials ?? [];
  if (s.apiKeyAuth && (keys.length === 0 || s.apiKeyAuth.sources.length === 0))
    problems.push(`${at}: API key auth needs credentials and key sources`);
  if (keys.some((c) => c.key === "" || c.client === "")) problems.push(`${at}: API key or client ID empty`);
  return problems;
}

/** Percents within their denominators. */
function percentProblems(at: string, percents: readonly (PercentIr | undefined)[]): string[] {
  return percents.flatMap((p) =>
    p && !intIn(p.numerator, 0, PERCENT_DENOMINATORS[p.denominator])
      ? [`${at}: percent ${p.numerator}/${p.denominator} out of range`]
      : [],
  );
}

/** Weights are integers > 0 whose total fits Envoy's uint32 (a weighted cluster's total_weight). */
function weightProblems(owner: string, dests: readonly WeightedDestinationIr[]): string[] {
  const problems: string[] = [];
  for (const d of dests) {
    if (!intIn(d.weight, 1, UINT32_MAX)) problems.push(`${owner}: weight ${d.weight} must be an integer > 0`);
  }
  const total = dests.reduce((sum, d) => sum + d.weight, 0);
  if (total > UINT32_MAX) problems.push(`${owner}: total weight ${total} exceeds ${UINT32_MAX}`);
  return problems;
}

/** Retries, timeouts, mirrors, CORS, redirects and session lifetimes within what Envoy's protos hold. */
function rangeProblems(r: RouteIr): string[] {
  const at = `route ${r.name}`;
  const ttl = r.sessionPersistence?.type === "Cookie" ? r.sessionPersistence.ttlSeconds : undefined;
  const durations: [string, number | undefined][] = [
    ["timeouts.requestMs", r.timeouts?.requestMs],
    ["timeouts.backendRequestMs", r.timeouts?.backendRequestMs],
    ["retry.backoffMs", r.retry?.backoffMs],
    ["session ttl (ms)", ttl === undefined ? undefined : ttl * 1000],
  ];
  const problems = durations
    .filter(([, ms]) => ms !== undefined && !(Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS))
    .map(([field, ms]) => `${at}: ${field} ${ms} is not a valid duration`);
  return [...problems, ...intProblems(r, at)];
}

/** Integer fields of a route within their Envoy ranges. */
function intProblems(r: RouteIr, at: string): string[] {
  const problems: string[] = [];
  const ints: [string, number | undefined, number, number][] = [
    ["retry.attempts", r.retry?.attempts, 0, UINT32_MAX],
    ...(r.retry?.codes ?? []).map((c): [string, number, number, number] => ["retry code", c, 100, 599]),
    ...(r.mirrors ?? []).map((m): [string, number, number, number] => ["mirror share", m.perMillion, 0, 1_000_000]),
    ["CORS maxAge", r.cors?.maxAgeSeconds, 0, Number.MAX_SAFE_INTEGER],
    ["redirect port", r.action.kind === "redirect" ? r.action.redirect.port : undefined, 1, 65535],
  ];
  for (const [field, v, min, max] of ints) {
    if (v !== undefined && !intIn(v, min, max)) problems.push(`${at}: ${field} ${v} out of range (${min}-${max})`);
  }
  return problems;
}

/** TCP/UDP listeners: free ports, known clusters, and certificates that exist. */
function l4Problems(ir: GatewayXdsIr, clusters: ReadonlySet<string>, tcpPorts: Set<number>): string[] {
  const problems: string[] = [];
  const secrets = new Set((ir.secrets ?? []).map((s) => s.name));
  const udpPorts = new Set<number>();
  const checkDests = (owner: string, dests: readonly WeightedDestinationIr[]): void => {
    problems.push(...weightProblems(owner, dests));
    for (const d of dests) {
      if (d.cluster !== undefined && !clusters.has(d.cluster))
        problems.push(`${owner} refers to unknown cluster ${d.cluster}`);
    }
  };
  const tlsChains = [...ir.http.flatMap((l) => l.tls ?? []), ...(ir.tcp ?? []).flatMap((l) => l.chains)];
  for (const c of tlsChains) {
    for (const name of c.tls?.certificates ?? []) if (!secrets.has(name)) problems.push(`unknown secret ${name}`);
  }
  for (const l of ir.tcp ?? []) {
    problems.push(...portProblem(`listener ${l.name}`, l.port));
    if (tcpPorts.has(l.port)) problems.push(`two listeners on port ${l.port}`);
    tcpPorts.add(l.port);
    for (const c of l.chains) checkDests(`chain ${c.name}`, c.destinations);
  }
  for (const l of ir.udp ?? []) {
    problems.push(...portProblem(`listener ${l.name}`, l.port));
    if (udpPorts.has(l.port)) problems.push(`two UDP listeners on port ${l.port}`);
    udpPorts.add(l.port);
    checkDests(`UDP listener ${l.name}`, l.destinations);
  }
  return problems;
}

function clusterProblems(c: ClusterIr): string[] {
  const problems: string[] = [];
  for (const e of c.endpoints) {
    if (e.pipe ? e.host === "" : !intIn(e.port, 1, 65535)) {
      problems.push(`cluster ${c.name}: port ${e.port} out of range`);
    }
  }
  const t = c.tls;
  if (t && t.sni === "" && t.autoSni === undefined) problems.push(`cluster ${c.name}: TLS needs an SNI`);
  if (t && !t.skipVerify && !t.autoSanValidation && t.subjectAltNames.length === 0 && c.discovery !== "dynamic") {
    problems.push(`cluster ${c.name}: TLS needs a subject alt name to check`);
  }
  if ((c.discovery === "dynamic") !== (c.dynamicResolver !== undefined)) {
    problems.push(`cluster ${c.name}: a dynamic cluster (and only one) has a dynamic resolver`);
  }
  return problems;
}
