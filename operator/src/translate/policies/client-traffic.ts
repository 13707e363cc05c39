/**
 * ClientTrafficPolicy on the attachment engine: it targets Gateways, Gateway listeners (sectionName) and
 * ListenerSets (and their listeners), and configures the Envoy listener that serves them.
 *
 * egts serves every Gateway listener of one port from one Envoy listener (one HttpListenerIr per port), as
 * Envoy Gateway does for plain HTTP listeners. So, as Envoy Gateway does, a policy cannot configure a port
 * some of whose listeners it does not cover: a listener-level policy on a shared HTTP port is Accepted=False
 * with Envoy Gateway's message, and the port keeps its defaults. (Envoy Gateway gives each HTTPS listener
 * its own filter chain; egts shares one connection manager per port, so there the same rule applies, with a
 * message saying so.)
 *
 * A policy that sets a field egts does not implement is Accepted=False naming the fields and is not
 * applied. A policy with a value that cannot be used (a duration out of range) is Accepted=False and, as
 * Envoy Gateway does, the routes of the listeners it would configure answer 500.
 */
import { invalidRuleRoute } from "../httproute-rules";
import type { ClientTrafficIr, HttpClientTimeoutsIr, TcpKeepaliveIr } from "../../ir/client-traffic-ir";
import { HTTP3_PORT_PROTOCOL } from "../../ir/infra-ir";
import type { HttpListenerIr, TcpListenerIr } from "../../ir/xds-ir";
import type { ClientTrafficPolicy, ClientTrafficPolicySpec } from "../../resources/client-traffic-policy";
import { keyOf, namespaceOf } from "../../resources/meta";
import { parseDuration } from "../duration";
import { listenerReady, type ListenerState } from "../gateway";
import type { GatewayIr } from "../merge-gateways";
import type { PolicyStatusBook } from "./ancestors";
import { connectionOf } from "./client-traffic-conn";
import { targetRuleProblems } from "./client-traffic-cel";
import { unimplementedFields } from "./client-traffic-fields";
import { translateHttpListenerParts, type HttpListenerParts } from "./client-traffic-http";
import { translateProtocolParts, type ProtocolParts } from "./client-traffic-protocol";
import { translateClientTls, type TlsRefs } from "./client-traffic-tls";
import { acceptRest, attachPolicies, goList } from "./engine";
import type { TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { Attachment, PolicyKindRules } from "./types";

/** ClientTrafficPolicy's attachment rules (Envoy Gateway v1.9: Gateway and ListenerSet targets). */
export const CLIENT_TRAFFIC_RULES: PolicyKindRules = {
  kind: "ClientTrafficPolicy",
  plural: "clientTrafficPolicies",
  targetKinds: ["Gateway", "ListenerSet"],
  mergeable: false,
  overriddenMessage: (_rules, listeners) =>
    `There are existing ClientTrafficPolicies that are overriding these sections ${goList(listeners)}`,
  deprecatedFields: {
    targetRef: "targetRefs",
    enableProxyProtocol: "proxyProtocol",
    "headers.preserveXRequestID": "headers.requestID",
    "tls.clientValidation.optional=true": "tls.clientValidation.mode",
  },
};

/** Linux's limits on the TCP keepalive socket options (beyond them setsockopt fails and Envoy cannot listen). */
const KEEPCNT_MAX = 127;
const KEEPIDLE_MAX_SECONDS = 32767;

/** One policy's spec translated: its IR settings, or why it cannot be applied. */
interface Translated {
  /** The settings (absent when the policy cannot be applied). */
  readonly ir?: ClientTrafficIr;
  /** Fields set that egts does not implement. */
  readonly unimplemented: readonly string[];
  /** Values that cannot be used, each `field: why`. */
  readonly invalid: readonly string[];
}

/** What applying the policies needs besides the policies and Gateways. */
export interface ClientTrafficEnv {
  /** The proxy (xDS node) a Gateway is served by: Gateways of a merged class share one. */
  readonly nodeOf: (gw: GatewayIr["gw"]) => string;
  /** Secrets, ConfigMaps and ReferenceGrants for `tls` references (absent: none exist). */
  readonly refs?: TlsRefs;
}

/**
 * Applies the ClientTrafficPolicies to the built Gateway IRs: returns the IRs with `clientTraffic` set on
 * the listeners a policy configures (the others unchanged), and fills in the policies' statuses.
 */
export function applyClientTrafficPolicies(
  policies: readonly ClientTrafficPolicy[],
  index: TargetIndex,
  book: PolicyStatusBook,
  built: readonly GatewayIr[],
  { nodeOf, refs }: ClientTrafficEnv,
): GatewayIr[] {
  const set = attachPolicies(policies, CLIENT_TRAFFIC_RULES, index, book);
  const translated = new Map<string, Translated>();
  for (const a of set.winners) {
    if (translated.has(a.policyKey)) continue;
    const t = translateSpec(a.policy, refs);
    translated.set(a.policyKey, t);
  }
  for (const a of set.winners) reportProblems(a, translated.get(a.policyKey) as Translated, book);
  const shared = sharedPorts(built, nodeOf);
  const out = built.map((b) => {
    const ports = portGroups(b, (l) => set.forListener(b.gw, l)[0]);
    const xds = configure(b, ports, translated, book, shared.get(b.gw.key));
    return { ...b, xds, infra: withHttp3Ports(b.infra, xds) };
  });
  acceptRest(set, book, CLIENT_TRAFFIC_RULES);
  return out;
}

/**
 * Per Gateway of a merged class, its ports that other Gateways of the class use too, with those Gateways'
 * listeners there (`namespace/gateway/listener`): one Envoy listener serves them all.
 */
function sharedPorts(
  built: readonly GatewayIr[],
  nodeOf: (gw: GatewayIr["gw"]) => string,
): Map<string, Map<number, string[]>> {
  const byNodePort = new Map<string, { gw: string; name: string }[]>();
  for (const b of built) {
    for (const l of b.gw.listeners) {
      if (!listenerReady(l) || l.listener.protocol === "UDP") continue;
      const k = `${nodeOf(b.gw)}|${l.listener.port}`;
      byNodePort.set(k, [...(byNodePort.get(k) ?? []), { gw: b.gw.key, name: `${b.gw.key}/${l.listener.name}` }]);
    }
  }
  const out = new Map<string, Map<number, string[]>>();
  for (const [k, users] of byNodePort) {
    const port = Number(k.slice(k.lastIndexOf("|") + 1));
    for (const u of users) {
      const others = users.filter((o) => o.gw !== u.gw).map((o) => o.name);
      if (others.length === 0) continue;
      const m = out.get(u.gw) ?? new Map<number, string[]>();
      m.set(port, others.sort());
      out.set(u.gw, m);
    }
  }
  return out;
}

function reportProblems(a: Attachment<ClientTrafficPolicy>, t: Translated, book: PolicyStatusBook): void {
  const messages = [
    ...(t.unimplemented.length > 0 ? [`${t.unimplemented.join(", ")}: not implemented by egts`] : []),
    ...t.invalid,
  ];
  for (const m of messages) for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, m);
}

/** The Gateway listeners of one Envoy listener (one port), each with the policy that applies to it. */
interface PortGroup {
  readonly port: number;
  readonly listeners: { readonly listener: ListenerState; readonly head?: Attachment<ClientTrafficPolicy> }[];
}

function portGroups(
  b: GatewayIr,
  headOf: (l: ListenerState) => Attachment<ClientTrafficPolicy> | undefined,
): PortGroup[] {
  const groups = new Map<number, PortGroup>();
  for (const l of b.gw.listeners) {
    const p = l.listener.protocol;
    if (!listenerReady(l) || p === "UDP") continue;
    const g = groups.get(l.listener.port) ?? { port: l.listener.port, listeners: [] };
    g.listeners.push({ listener: l, head: headOf(l) });
    groups.set(l.listener.port, g);
  }
  return [...groups.values()];
}

/** The Gateway IR with each port's policy applied (or its conflict reported). */
function configure(
  b: GatewayIr,
  groups: readonly PortGroup[],
  translated: ReadonlyMap<string, Translated>,
  book: PolicyStatusBook,
  shared: ReadonlyMap<number, string[]> = new Map(),
): GatewayIr["xds"] {
  const ports = new Map<number, PortSettings>();
  const http3 = new Http3Ports(b, book);
  for (const g of groups) {
    const heads = new Set(g.listeners.map((l) => l.head?.policyKey ?? ""));
    const head = g.listeners[0].head;
    if (heads.size > 1) {
      reportSharedPort(b, g, book);
      continue;
    }
    const others = shared.get(g.port);
    if (others) {
      // Gateways of a merged class on this port share one Envoy listener: EG refuses the policy there.
      reportMergedPort(g, others, book);
      continue;
    }
    if (!head) continue;
    const t = translated.get(head.policyKey) as Translated;
    if (t.unimplemented.length > 0) continue; // not applied; reported
    const ir = t.ir?.http10UseDefaultHost ? withDefaultHost(t.ir, g, head, book) : t.ir;
    const h3 = head.policy.spec?.http3 !== undefined && http3.serves(g, head);
    ports.set(g.port, { ir, fail: t.invalid.length > 0 || ir === undefined, http3: h3 });
  }
  http3.reportWithoutHttps();
  return {
    ...b.xds,
    http: b.xds.http.map((l) => withHttp(l, ports.get(l.port))),
    ...(b.xds.tcp ? { tcp: b.xds.tcp.map((l) => withTcp(l, ports.get(l.port))) } : {}),
  };
}

/** What a policy does to one port. */
interface PortSettings {
  /** The policy's settings. */
  readonly ir?: ClientTrafficIr;
  /** The policy has invalid values: the port's routes answer 500. */
  readonly fail: boolean;
  /** HTTP/3 is served on the port (asked for, and possible there). */
  readonly http3?: boolean;
}

function withHttp(l: HttpListenerIr, c: PortSettings | undefined): HttpListenerIr {
  if (!c) return l;
  if (c.fail)
    return {
      ...l,
      virtualHosts: l.virtualHosts.map((v) => ({ ...v, routes: v.routes.map((r) => invalidRuleRoute(r)) })),
    };
  // TLS listeners sharing the port (tlsRoutes chains) take the TCP idle timeout.
  const keys = [
    "tcpKeepalive",
    "connection",
    "httpTimeouts",
    "tls",
    "inspectionTimeoutMs",
    "tlsHandshakeTimeoutMs",
    "grpcWeb",
    ...HTTP_PART_KEYS,
    ...(l.tlsRoutes?.length ? ["tcpIdleTimeoutMs" as const] : []),
  ] as const;
  const picked = c.ir ? pick(c.ir, ...keys) : undefined;
  // HTTP/3 is decided per port (HTTPS, and nothing there that prevents it): advertised on the Gateway's port.
  const ct = c.http3 && c.ir ? { ...(picked ?? { policy: c.ir.policy }), http3: { advertisedPort: l.port } } : picked;
  return ct ? { ...l, clientTraffic: ct } : l;
}

function withTcp(l: TcpListenerIr, c: PortSettings | undefined): TcpListenerIr {
  const ct = c?.ir && !c.fail ? pick(c.ir, ...TCP_KEYS) : undefined;
  return ct ? { ...l, clientTraffic: ct } : l;
}

/** The IR fields TCP and TLS listeners take. */
const TCP_KEYS = [
  "tcpKeepalive",
  "connection",
  "tcpIdleTimeoutMs",
  "inspectionTimeoutMs",
  "tlsHandshakeTimeoutMs",
  "proxyProtocol",
  "tls",
] as const;

/** The IR fields of client-traffic-http.ts and client-traffic-protocol.ts that HTTP listeners take. */
const HTTP_PART_KEYS = ["proxyProtocol", "clientIp", "headers", "httpSettings", "healthCheckPath"] as const;

/**
 * http1.http10.useDefaultHost: HTTP/1.0 requests without a Host get the port's first non-wildcard listener
 * hostname, as Envoy Gateway does; with none, the policy is refused with Envoy Gateway's message (undefined).
 */
function withDefaultHost(
  ir: ClientTrafficIr,
  g: PortGroup,
  head: Attachment<ClientTrafficPolicy>,
  book: PolicyStatusBook,
): ClientTrafficIr | undefined {
  const host = g.listeners.map((l) => l.listener.listener.hostname).find((h) => h && !h.includes("*"));
  if (!host) {
    const message =
      "spec.http1.http10.useDefaultHost: can't set http10 default host on listener with only wildcard hostnames";
    for (const anc of head.target.ancestors) book.reject(head.policy, anc, PolicyReason.Invalid, message);
    return undefined;
  }
  const http1 = { ...ir.httpSettings?.http1, http10: { defaultHost: host } };
  return { ...ir, httpSettings: { ...ir.httpSettings, http1 } };
}

/** The IR with only `keys` (and the policy), or undefined when none of them is set. */
function pick(ir: ClientTrafficIr, ...keys: readonly (keyof ClientTrafficIr)[]): ClientTrafficIr | undefined {
  const out: Record<string, unknown> = { policy: ir.policy };
  for (const k of keys) if (ir[k] !== undefined) out[k] = ir[k];
  return Object.keys(out).length > 1 ? (out as unknown as ClientTrafficIr) : undefined;
}

/** Which ports of one Gateway serve the HTTP/3 its policies ask for, and the reports when they cannot. */
class Http3Ports {
  /** Per policy asking for HTTP/3 on this Gateway: whether one of its ports is HTTPS. */
  private readonly asked = new Map<string, { head: Attachment<ClientTrafficPolicy>; https: boolean }>();

  constructor(
    private readonly b: GatewayIr,
    private readonly book: PolicyStatusBook,
  ) {}

  /**
   * Whether HTTP/3 is served on a port whose policy (`head`) asks for it. Not when no listener there
   * terminates HTTPS (Envoy Gateway ignores the field for that listener; see reportWithoutHttps), nor when an
   * HTTPS listener cannot take it, with Envoy Gateway's Warning condition naming the listener: Envoy rejects
   * a QUIC listener that asks for client certificates ("TLS Client Authentication is not supported over
   * QUIC"), and a UDP listener of the Gateway on the same port would be a second UDP socket on it.
   */
  serves(g: PortGroup, head: Attachment<ClientTrafficPolicy>): boolean {
    const http = this.b.xds.http.find((l) => l.port === g.port);
    const https = http?.tls !== undefined && http.tls.length > 0;
    this.asked.set(head.policyKey, { head, https: https || (this.asked.get(head.policyKey)?.https ?? false) });
    if (!https) return false;
    const off = this.offReason(g, head, http);
    if (off === undefined) return true;
    for (const { listener } of g.listeners) {
      if (listener.listener.protocol !== "HTTPS") continue;
      const message = `HTTP/3 was disabled for listener "${listener.listener.name}" because ${off.why}`;
      for (const anc of head.target.ancestors) this.book.note(head.policy, anc, HTTP3_WARNING, message, off.reason);
    }
    return false;
  }

  /** Why HTTP/3 cannot be served on the port (Envoy Gateway's reasons), or undefined. */
  private offReason(
    g: PortGroup,
    head: Attachment<ClientTrafficPolicy>,
    http: HttpListenerIr,
  ): { reason: string; why: string } | undefined {
    const validation =
      http.tls?.some((c) => c.tls.clientValidation) || head.policy.spec?.tls?.clientValidation !== undefined;
    if (validation) {
      return {
        reason: "UnsupportedHTTP3ClientValidation",
        why: "Envoy does not support downstream client TLS validation over QUIC",
      };
    }
    if ((this.b.xds.udp ?? []).some((u) => u.port === g.port)) {
      return { reason: PolicyReason.Conflicted, why: `a UDP listener of the Gateway uses port ${g.port}` };
    }
    return undefined;
  }

  /** Reports each policy none of whose ports here is HTTPS. */
  reportWithoutHttps(): void {
    for (const { head, https } of this.asked.values()) if (!https) reportHttp3WithoutHttps(head, this.book);
  }
}

/** Condition type of a setting the policy asks for that could not be applied (Envoy Gateway's). */
const HTTP3_WARNING = "Warning";

/**
 * HTTP/3 on a policy none of whose listeners is HTTPS: nothing would serve it. Envoy Gateway ignores the
 * field silently; egts says so (Accepted=False naming the field) and applies the rest of the policy.
 */
function reportHttp3WithoutHttps(head: Attachment<ClientTrafficPolicy>, book: PolicyStatusBook): void {
  const message =
    "spec.http3: HTTP/3 needs an HTTPS listener (QUIC is always TLS); none of the listeners this policy applies to terminates HTTPS";
  for (const anc of head.target.ancestors) book.reject(head.policy, anc, PolicyReason.Invalid, message);
}

/** The proxy's ports plus, for each HTTPS port serving HTTP/3, its UDP twin (`HTTP3`: the Service's `-h3` port). */
function withHttp3Ports(infra: GatewayIr["infra"], xds: GatewayIr["xds"]): GatewayIr["infra"] {
  const h3 = new Set(xds.http.filter((l) => l.clientTraffic?.http3).map((l) => l.port));
  if (h3.size === 0) return infra;
  const extra = infra.ports
    .filter((p) => p.protocol === "HTTPS" && h3.has(p.port))
    .map((p) => ({ name: `${p.name}-h3`, port: p.port, protocol: HTTP3_PORT_PROTOCOL }));
  const unique = [...new Map(extra.map((p) => [p.port, p])).values()];
  return { ...infra, ports: [...infra.ports, ...unique] };
}

function reportMergedPort(g: PortGroup, others: readonly string[], book: PolicyStatusBook): void {
  const head = g.listeners[0].head;
  if (!head) return;
  const message = `ClientTrafficPolicy is being applied to multiple http (non https) listeners (${others.join(", ")}) on the same port, which is not allowed`;
  for (const anc of head.target.ancestors) book.reject(head.policy, anc, PolicyReason.Invalid, message);
}

/** Each policy configuring part of a shared port is refused, naming the listeners it would also change. */
function reportSharedPort(b: GatewayIr, g: PortGroup, book: PolicyStatusBook): void {
  for (const { head } of g.listeners) {
    if (!head) continue;
    const others = g.listeners
      .filter((l) => l.head?.policyKey !== head.policyKey)
      .map((l) => `${b.gw.key}/${l.listener.listener.name}`)
      .sort();
    const tls = g.listeners.some((l) => l.listener.listener.protocol !== "HTTP");
    const message = tls
      ? `ClientTrafficPolicy is being applied to listeners on port ${g.port} that egts serves from one Envoy listener together with other listeners (${others.join(", ")}), which is not allowed`
      : `ClientTrafficPolicy is being applied to multiple http (non https) listeners (${others.join(", ")}) on the same port, which is not allowed`;
    for (const anc of head.target.ancestors) book.reject(head.policy, anc, PolicyReason.Invalid, message);
  }
}

/** Translates one policy's spec; `refs` resolves the Secrets and ConfigMaps of `tls` (absent: none exist). */
export function translateSpec(policy: ClientTrafficPolicy, refs?: TlsRefs): Translated {
  const spec: ClientTrafficPolicySpec = policy.spec ?? {};
  const unimplemented = unimplementedFields(spec);
  const invalid = targetRuleProblems(spec);
  const conn = connectionParts(spec, invalid);
  const timeouts = spec.timeout?.http ? httpTimeouts(spec.timeout.http, invalid) : undefined;
  const tls = spec.tls
    ? translateClientTls(spec.tls, { namespace: namespaceOf(policy.metadata), refs }, invalid)
    : undefined;
  const ir: ClientTrafficIr = {
    policy: keyOf(policy.metadata),
    ...conn,
    ...(timeouts && Object.keys(timeouts).length > 0 ? { httpTimeouts: timeouts } : {}),
    ...withProtocolParts(translateHttpListenerParts(spec, invalid), translateProtocolParts(spec, invalid)),
    ...(tls ? { tls } : {}),
    ...(spec.grpc ? { grpcWeb: spec.grpc.enableWeb === true } : {}),
  };
  return { ir, unimplemented, invalid };
}

/**
 * The settings of every TCP-based listener: connection limits and buffers, keepalive, the TCP timeouts (idle,
 * inspection, TLS handshake).
 */
function connectionParts(spec: ClientTrafficPolicySpec, invalid: string[]): Partial<ClientTrafficIr> {
  const tcpKeepalive = spec.tcpKeepalive ? keepalive(spec.tcpKeepalive, invalid) : undefined;
  const ms = durationsOf("spec.timeout.tcp", spec.timeout?.tcp ?? {}, invalid);
  const tcpIdleTimeoutMs = ms("idleTimeout");
  const inspectionTimeoutMs = ms("connectionInspectionTimeout");
  const tlsHandshakeTimeoutMs = ms("tlsHandshakeTimeout");
  const connection = spec.connection ? connectionOf(spec.connection, invalid) : undefined;
  return {
    ...(connection ? { connection } : {}),
    ...(tcpKeepalive ? { tcpKeepalive } : {}),
    ...(tcpIdleTimeoutMs !== undefined ? { tcpIdleTimeoutMs } : {}),
    ...(inspectionTimeoutMs !== undefined ? { inspectionTimeoutMs } : {}),
    ...(tlsHandshakeTimeoutMs !== undefined ? { tlsHandshakeTimeoutMs } : {}),
  };
}

/** The HTTP parts with the protocol settings added to the HCM overrides. */
function withProtocolParts(http: HttpListenerParts, p: ProtocolParts): Partial<ClientTrafficIr> {
  const { healthCheckPath, http10UseDefaultHost, ...settings } = p;
  const httpSettings = { ...http.httpSettings, ...settings };
  return {
    ...http,
    ...(Object.keys(httpSettings).length > 0 ? { httpSettings } : {}),
    ...(healthCheckPath !== undefined ? { healthCheckPath } : {}),
    ...(http10UseDefaultHost ? { http10UseDefaultHost } : {}),
  };
}

/** Reads the duration fields of `t` (under `prefix`) in milliseconds; a malformed one is reported, undefined. */
function durationsOf<T extends object>(
  prefix: string,
  t: T,
  invalid: string[],
): (field: keyof T & string) => number | undefined {
  return (field) => {
    const v = t[field];
    return v === undefined ? undefined : durationMs(`${prefix}.${field}`, String(v), invalid);
  };
}

function durationMs(field: string, value: string, invalid: string[]): number | undefined {
  const ms = parseDuration(value);
  if (ms === undefined) invalid.push(`${field}: "${value}" is not a duration (e.g. 1h30m, 10s, 500ms)`);
  return ms;
}

function keepalive(k: NonNullable<ClientTrafficPolicySpec["tcpKeepalive"]>, invalid: string[]): TcpKeepaliveIr {
  const seconds = (field: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const ms = durationMs(`spec.tcpKeepalive.${field}`, value, invalid);
    if (ms === undefined) return undefined;
    const s = Math.floor(ms / 1000);
    if (s < 1 || s > KEEPIDLE_MAX_SECONDS) {
      invalid.push(
        `spec.tcpKeepalive.${field}: ${value} must be between 1s and ${KEEPIDLE_MAX_SECONDS}s (whole seconds)`,
      );
      return undefined;
    }
    return s;
  };
  if (k.probes !== undefined && (!Number.isInteger(k.probes) || k.probes < 1 || k.probes > KEEPCNT_MAX)) {
    invalid.push(`spec.tcpKeepalive.probes: ${k.probes} must be between 1 and ${KEEPCNT_MAX}`);
  }
  const idleTimeSeconds = seconds("idleTime", k.idleTime);
  const intervalSeconds = seconds("interval", k.interval);
  return {
    ...(k.probes !== undefined ? { probes: k.probes } : {}),
    ...(idleTimeSeconds !== undefined ? { idleTimeSeconds } : {}),
    ...(intervalSeconds !== undefined ? { intervalSeconds } : {}),
  };
}

function httpTimeouts(
  t: NonNullable<NonNullable<ClientTrafficPolicySpec["timeout"]>["http"]>,
  invalid: string[],
): HttpClientTimeoutsIr {
  const ms = durationsOf("spec.timeout.http", t, invalid);
  const requestReceivedMs = ms("requestReceivedTimeout");
  const requestHeadersMs = ms("requestHeadersReceivedTimeout");
  const idleMs = ms("idleTimeout");
  const streamIdleMs = ms("streamIdleTimeout");
  return {
    ...(requestReceivedMs !== undefined ? { requestReceivedMs } : {}),
    ...(requestHeadersMs !== undefined ? { requestHeadersMs } : {}),
    ...(idleMs !== undefined ? { idleMs } : {}),
    ...(streamIdleMs !== undefined ? { streamIdleMs } : {}),
  };
}
