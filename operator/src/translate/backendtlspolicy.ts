/**
 * BackendTLSPolicy: TLS from Envoy to the Services (and Envoy Gateway Backends) it targets (SNI, CA bundle from a ConfigMap or the
 * system CAs, subject alt names), and the policy's status per ancestor Gateway.
 *
 * A policy that fails validation (no usable CA, unsupported settings) still applies to its target, which
 * then gets no endpoints: the spec says connections must fail with a 5xx rather than fall back to
 * plaintext or to an unverified backend. A policy that loses to an older one on the same target
 * (Conflicted) does not apply to that target.
 */
import type { UpstreamTlsIr } from "../ir/xds-ir";
import type { ConfigMap } from "../resources/core";
import {
  GATEWAY_API_GROUP,
  type BackendTLSPolicy,
  type BackendTLSPolicyValidation,
  type LocalObjectReference,
} from "../resources/gateway-api";
import { ENVOY_GATEWAY_GROUP } from "../resources/envoy-gateway";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import { condition, CondType, type StatusUpdate } from "./conditions";
import { noteRead } from "./compile-reads";

/** Policy reasons from policy_types.go and backendtlspolicy_types.go. */
export const PolicyReason = {
  Accepted: "Accepted",
  Conflicted: "Conflicted",
  Invalid: "Invalid",
  NoValidCACertificate: "NoValidCACertificate",
  ResolvedRefs: "ResolvedRefs",
  InvalidCACertificateRef: "InvalidCACertificateRef",
  InvalidKind: "InvalidKind",
} as const;

/** The key in a CA ConfigMap that holds the PEM bundle. */
export const CA_CERT_KEY = "ca.crt";

/** Most ancestors a policy status may list (CRD MaxItems). */
const MAX_ANCESTORS = 16;

/** What a policy's validation came to, independent of where it is used. */
interface PolicyResult {
  /** The policy. */
  readonly policy: BackendTLSPolicy;
  /** `namespace/name`. */
  readonly key: string;
  /** Accepted condition (before conflicts). */
  readonly accepted: Condition;
  /** ResolvedRefs condition. */
  readonly resolved: Condition;
  /** The TLS settings, or undefined when the policy is unusable (its targets must fail). */
  readonly tls?: UpstreamTlsIr;
}

/** What applies to one Service port. */
export interface ServicePortTls {
  /** TLS settings, when a usable policy applies. */
  readonly tls?: UpstreamTlsIr;
  /** True when the applying policy is unusable: the backend must not be used. */
  readonly fail: boolean;
  /** Keys of every policy targeting this port (winner and conflicted ones), for status. */
  readonly policies: readonly string[];
}

/** The BackendTLSPolicies of a snapshot, validated and indexed by target; built once per translation. */
export class BackendTlsPolicyIndex {
  private readonly results = new Map<string, PolicyResult>();
  /** Target `ns/service/section` ("" section: the whole Service) → policy keys, winner first. */
  private readonly byTarget = new Map<string, string[]>();
  private readonly conflicted = new Set<string>();

  constructor(policies: readonly BackendTLSPolicy[], configMaps: readonly ConfigMap[]) {
    const maps = new Map(configMaps.map((c) => [keyOf(c.metadata), c]));
    for (const p of [...policies].sort(byPrecedence)) {
      const result = validatePolicy(p, maps);
      this.results.set(result.key, result);
      for (const t of p.spec?.targetRefs ?? []) {
        const prefix = targetPrefix(t.group, t.kind);
        if (prefix === undefined) continue; // only Services and Envoy Gateway Backends are supported targets
        const target = `${prefix}${namespaceOf(p.metadata)}/${t.name}/${t.sectionName ?? ""}`;
        const list = this.byTarget.get(target) ?? [];
        if (list.includes(result.key)) continue;
        if (list.length > 0) this.conflicted.add(result.key);
        list.push(result.key);
        this.byTarget.set(target, list);
      }
    }
  }

  /** The policy that applies to port `portName` of Service `ns/service` (a sectionName beats the whole Service). */
  forServicePort(ns: string, service: string, portName: string | undefined): ServicePortTls {
    return this.forTarget("", ns, service, portName);
  }

  /**
   * The policy that applies to Backend `ns/name` reached on `port` (Envoy Gateway's sectionName for a Backend is
   * the backendRef's port number; a sectionName beats the whole Backend).
   */
  forBackend(ns: string, name: string, port: number | undefined): ServicePortTls {
    return this.forTarget(BACKEND_TARGET, ns, name, port === undefined ? undefined : String(port));
  }

  private forTarget(prefix: string, ns: string, name: string, section: string | undefined): ServicePortTls {
    noteRead(`BackendTLSPolicy:${ns}`);
    const sectioned = section ? (this.byTarget.get(`${prefix}${ns}/${name}/${section}`) ?? []) : [];
    const whole = this.byTarget.get(`${prefix}${ns}/${name}/`) ?? [];
    const winner = sectioned[0] ?? whole[0];
    if (winner === undefined) return { fail: false, policies: [] };
    const tls = this.results.get(winner)?.tls;
    return { tls, fail: tls === undefined, policies: [...sectioned, ...whole] };
  }

  /**
   * Statuses of the policies used by at least one of our Gateways. `ancestorsOf` gives, per policy key,
   * the keys (`namespace/name`) of the Gateways whose routes use a Service port the policy targets.
   */
  statuses(ancestorsOf: ReadonlyMap<string, ReadonlySet<string>>, controllerName: string): StatusUpdate[] {
    const out: StatusUpdate[] = [];
    for (const key of [...this.results.keys()].sort()) {
      const gateways = [...(ancestorsOf.get(key) ?? [])].sort();
      if (gateways.length === 0) continue; // not relevant to any Gateway of ours
      const r = this.results.get(key) as PolicyResult;
      const gen = r.policy.metadata.generation;
      const accepted = this.conflicted.has(key)
        ? condition(
            CondType.Accepted,
            false,
            PolicyReason.Conflicted,
            "an older BackendTLSPolicy (or one first by namespace/name) targets the same Service and sectionName",
            gen,
          )
        : r.accepted;
      out.push({
        apiVersion: r.policy.apiVersion,
        kind: "BackendTLSPolicy",
        namespace: namespaceOf(r.policy.metadata),
        name: r.policy.metadata.name,
        status: {
          ancestors: gateways.slice(0, MAX_ANCESTORS).map((gw) => ({
            ancestorRef: ancestorRef(gw),
            controllerName,
            conditions: [{ ...accepted }, { ...r.resolved }],
          })),
        },
      });
    }
    return out;
  }
}

/** The target key prefix of Backend targets (Service targets have none). */
const BACKEND_TARGET = "Backend:";

/** The key prefix of a supported target kind, or undefined for a kind policies cannot target. */
function targetPrefix(group: string | undefined, kind: string | undefined): string | undefined {
  if ((group ?? "") === "" && kind === "Service") return "";
  if (group === ENVOY_GATEWAY_GROUP && kind === "Backend") return BACKEND_TARGET;
  return undefined;
}

function ancestorRef(gatewayKey: string): Record<string, string> {
  const [namespace, name] = gatewayKey.split("/");
  return { group: GATEWAY_API_GROUP, kind: "Gateway", namespace, name };
}

/** The spec's precedence: older first, then by `namespace/name`. */
function byPrecedence(a: BackendTLSPolicy, b: BackendTLSPolicy): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = keyOf(a.metadata);
  const kb = keyOf(b.metadata);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** One CA reference resolved: its PEM, or the reason and message saying why it is unusable. */
type CaResult = { readonly pem: string } | { readonly reason: string; readonly message: string };

function resolveCaRef(ref: LocalObjectReference, ns: string, maps: ReadonlyMap<string, ConfigMap>): CaResult {
  if ((ref.group ?? "") !== "" || ref.kind !== "ConfigMap") {
    const kind = ref.group ? `${ref.group}/${ref.kind}` : ref.kind;
    return {
      reason: PolicyReason.InvalidKind,
      message: `caCertificateRef ${kind} ${ref.name}: only core ConfigMaps are supported`,
    };
  }
  const cm = maps.get(`${ns}/${ref.name}`);
  if (!cm) {
    return {
      reason: PolicyReason.InvalidCACertificateRef,
      message: `caCertificateRef ConfigMap ${ns}/${ref.name} not found`,
    };
  }
  const pem = cm.data?.[CA_CERT_KEY];
  if (pem === undefined || !pem.includes("-----BEGIN CERTIFICATE-----")) {
    return {
      reason: PolicyReason.InvalidCACertificateRef,
      message: `caCertificateRef ConfigMap ${ns}/${ref.name} has no PEM certificate under key ${CA_CERT_KEY}`,
    };
  }
  return { pem };
}

/** Validates one policy on its own (conflicts and ancestors come later). */
function validatePolicy(p: BackendTLSPolicy, maps: ReadonlyMap<string, ConfigMap>): PolicyResult {
  const gen = p.metadata.generation;
  const v: Partial<BackendTLSPolicyValidation> = p.spec?.validation ?? {};
  const cas = (v.caCertificateRefs ?? []).map((r) => resolveCaRef(r, namespaceOf(p.metadata), maps));
  const problems = cas.filter((c): c is Exclude<CaResult, { pem: string }> => !("pem" in c));
  const pems = cas.filter((c): c is { pem: string } => "pem" in c).map((c) => c.pem.trim());
  const resolved =
    problems.length === 0
      ? condition(CondType.ResolvedRefs, true, PolicyReason.ResolvedRefs, "Resolved all the Object references", gen)
      : condition(CondType.ResolvedRefs, false, problems[0].reason, problems.map((c) => c.message).join("; "), gen);
  const invalid = validationProblem(v, cas.length, pems.length);
  const base = { policy: p, key: keyOf(p.metadata), resolved };
  if (invalid) {
    return { ...base, accepted: condition(CondType.Accepted, false, invalid.reason, invalid.message, gen) };
  }
  const sans = (v.subjectAltNames ?? []).map((s) => ({
    type: s.type,
    value: (s.type === "URI" ? s.uri : s.hostname) ?? "",
  }));
  return {
    ...base,
    accepted: condition(CondType.Accepted, true, PolicyReason.Accepted, "Policy has been accepted", gen),
    tls: {
      sni: v.hostname ?? "",
      ...(pems.length > 0 ? { caCertificate: pems.join("\n") + "\n" } : {}),
      // The spec: without subjectAltNames, the hostname is what the certificate must match.
      subjectAltNames: sans.length > 0 ? sans : [{ type: "Hostname", value: v.hostname ?? "" }],
    },
  };
}

/** Why the policy cannot be accepted, if it cannot. */
function validationProblem(
  v: Partial<BackendTLSPolicyValidation>,
  refs: number,
  validRefs: number,
): { reason: string; message: string } | undefined {
  const wellKnown = v.wellKnownCACertificates ?? "";
  const invalid = (message: string): { reason: string; message: string } => ({ reason: PolicyReason.Invalid, message });
  if (!v.hostname) return invalid("validation.hostname must be set");
  if (refs > 0 && wellKnown !== "") return invalid("set either caCertificateRefs or wellKnownCACertificates, not both");
  if (refs === 0 && wellKnown === "") return invalid("set caCertificateRefs or wellKnownCACertificates");
  if (wellKnown !== "" && wellKnown !== "System") {
    return invalid(`wellKnownCACertificates "${wellKnown}" is not supported (supported: System)`);
  }
  const badSan = (v.subjectAltNames ?? []).find((s) => !(s.type === "URI" ? s.uri : s.hostname));
  if (badSan)
    return invalid(`subjectAltName of type ${badSan.type} must set ${badSan.type === "URI" ? "uri" : "hostname"}`);
  if (refs > 0 && validRefs === 0) {
    return { reason: PolicyReason.NoValidCACertificate, message: "none of the caCertificateRefs is usable" };
  }
  return undefined;
}
