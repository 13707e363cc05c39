/**
 * TLS of HTTPS and TLS listeners: certificateRefs (Secrets of type kubernetes.io/tls) and the Gateway's
 * frontend client certificate validation (CA bundles in ConfigMaps), resolved into IR with the spec's
 * reasons when a reference cannot be used.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { ClientValidationIr, DownstreamTlsIr, SecretIr } from "../ir/xds-ir";
import type { ConfigMap, Secret } from "../resources/core";
import type { Gateway, Listener, ObjectReference, SecretObjectReference, TLSConfig } from "../resources/gateway-api";
import { keyOf, namespaceOf } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { Reason, type RefProblem } from "./conditions";
import { checkCertificateRef, type ReferenceGrantIndex } from "./reference-grants";

/** The objects listener TLS refers to, indexed once per translation. */
export class ListenerRefs {
  private readonly secrets: ReadonlyMap<string, Secret>;
  private readonly configMaps: ReadonlyMap<string, ConfigMap>;

  constructor(
    snapshot: Pick<ResourceSnapshot, "secrets" | "configMaps">,
    /** Cross-namespace references the ReferenceGrants allow. */
    readonly grants: ReferenceGrantIndex,
  ) {
    this.secrets = new Map((snapshot.secrets ?? []).map((s) => [keyOf(s.metadata), s]));
    this.configMaps = new Map((snapshot.configMaps ?? []).map((c) => [keyOf(c.metadata), c]));
  }

  /** The Secret `namespace/name`, if present. */
  secret(key: string): Secret | undefined {
    return this.secrets.get(key);
  }

  /** The ConfigMap `namespace/name`, if present. */
  configMap(key: string): ConfigMap | undefined {
    return this.configMaps.get(key);
  }
}

/** What resolving one listener's TLS produced. */
export interface ListenerTlsResult {
  /** Termination settings; absent when nothing usable was found (or in Passthrough mode). */
  readonly tls?: DownstreamTlsIr;
  /** Certificates the listener uses. */
  readonly secrets: readonly SecretIr[];
  /** First unresolved reference (ResolvedRefs=False). */
  readonly problem?: RefProblem;
  /** Why the listener cannot be accepted (Accepted=False), e.g. no valid CA certificate. */
  readonly notAccepted?: RefProblem;
}

/** Who declares a listener: its Gateway or a ListenerSet (certificateRefs are relative to it). */
export interface ListenerDeclarer {
  /** Gateway or ListenerSet. */
  readonly kind: "Gateway" | "ListenerSet";
  /** Its namespace. */
  readonly namespace: string;
}

/**
 * Resolves the certificates (and, for HTTPS, the client validation) of a terminating listener. A
 * ListenerSet's certificateRefs are relative to the ListenerSet (and ReferenceGrants from ListenerSet);
 * the frontend client validation is always the Gateway's.
 */
export function resolveListenerTls(
  gateway: Gateway,
  listener: Listener,
  refs: ListenerRefs,
  declarer?: ListenerDeclarer,
): ListenerTlsResult {
  const gwNs = namespaceOf(gateway.metadata);
  const certs = resolveCertificates(declarer ?? { kind: "Gateway", namespace: gwNs }, listener, refs);
  const { secrets } = certs;
  let problem = certs.problem;
  const validation = listener.protocol === "HTTPS" ? frontendValidation(gateway, listener.port) : undefined;
  const client = validation ? resolveClientValidation(gwNs, validation, refs) : undefined;
  problem ??= client?.problem;
  if (client?.notAccepted) return { secrets, problem, notAccepted: client.notAccepted };
  if (secrets.length === 0) return { secrets, problem };
  return {
    secrets,
    problem,
    tls: {
      certificates: secrets.map((s) => s.name),
      ...(client?.validation ? { clientValidation: client.validation } : {}),
    },
  };
}

/** The listener's certificates that can be served, and the first problem with the others. */
function resolveCertificates(
  from: ListenerDeclarer,
  listener: Listener,
  refs: ListenerRefs,
): { secrets: SecretIr[]; problem?: RefProblem } {
  const certRefs = listener.tls?.certificateRefs ?? [];
  if (certRefs.length === 0) {
    return {
      secrets: [],
      problem: {
        reason: Reason.InvalidCertificateRef,
        message: `listener ${listener.name} terminates TLS but has no tls.certificateRefs; add a Secret of type kubernetes.io/tls`,
      },
    };
  }
  const secrets: SecretIr[] = [];
  let problem: RefProblem | undefined;
  for (const ref of certRefs) {
    const r = resolveCertificate(from, ref, refs);
    if ("reason" in r) problem ??= r;
    else secrets.push(r);
  }
  return { secrets, problem };
}

/** The Gateway's frontend TLS config that applies to a port: the per-port entry, else the default. */
function frontendValidation(gateway: Gateway, port: number): TLSConfig["validation"] {
  const frontend = gateway.spec.tls?.frontend;
  if (!frontend) return undefined;
  const perPort = (frontend.perPort ?? []).find((p) => p.port === port);
  return perPort ? perPort.tls.validation : frontend.default?.validation;
}

/**
 * One certificate reference (a Secret of type kubernetes.io/tls holding a matching tls.crt and tls.key),
 * resolved into a SecretIr, or the problem with it (InvalidCertificateRef, RefNotPermitted) with a message
 * that starts with `field` (the referring field's name).
 */
export function resolveCertificate(
  from: ListenerDeclarer,
  ref: SecretObjectReference,
  refs: ListenerRefs,
  field = "certificateRef",
): SecretIr | RefProblem {
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Secret";
  const ns = ref.namespace ?? from.namespace;
  const what = `${field} ${group ? group + "/" : ""}${kind} ${ns}/${ref.name}`;
  if (group !== "" || kind !== "Secret") {
    return {
      reason: Reason.InvalidCertificateRef,
      message: `${what}: only core Secrets (type kubernetes.io/tls) are supported`,
    };
  }
  const denied = checkCertificateRef(refs.grants, from.namespace, ref, from.kind);
  if (denied) return { reason: denied.reason, message: `${field} to ${denied.message}` };
  const secret = refs.secret(`${ns}/${ref.name}`);
  if (!secret) return { reason: Reason.InvalidCertificateRef, message: `${what} not found; create it` };
  if (secret.type !== undefined && secret.type !== "kubernetes.io/tls") {
    return {
      reason: Reason.InvalidCertificateRef,
      message: `${what} has type ${secret.type}; a certificate must be a Secret of type kubernetes.io/tls`,
    };
  }
  const crt = secretValue(secret, "tls.crt");
  const key = secretValue(secret, "tls.key");
  if (crt === undefined || key === undefined) {
    return {
      reason: Reason.InvalidCertificateRef,
      message: `${what} must hold PEM data under both tls.crt and tls.key (type kubernetes.io/tls)`,
    };
  }
  const bad = pemProblem(crt, key);
  if (bad) return { reason: Reason.InvalidCertificateRef, message: `${what}: ${bad}` };
  return { name: `${ns}/${ref.name}`, certificateChain: crt, privateKey: key };
}

/** A Secret value: `stringData` as written, else base64-decoded `data`. */
export function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const b64 = secret.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8");
}

/** Why a certificate and key cannot be served, or undefined when they parse and belong together. */
function pemProblem(crt: string, key: string): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(crt);
  } catch {
    return "tls.crt is not a PEM X.509 certificate";
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(key)))
      return "tls.key is not the private key of the certificate in tls.crt";
  } catch {
    return "tls.key is not a PEM private key";
  }
  return undefined;
}

interface ClientValidationResult {
  readonly validation?: ClientValidationIr;
  readonly problem?: RefProblem;
  readonly notAccepted?: RefProblem;
}

/**
 * The spec: an invalid CA reference sets ResolvedRefs=False (InvalidCACertificateRef, InvalidCACertificateKind
 * or RefNotPermitted); when every reference is invalid the listener is also not accepted (NoValidCACertificate).
 */
function resolveClientValidation(
  gwNs: string,
  validation: NonNullable<TLSConfig["validation"]>,
  refs: ListenerRefs,
): ClientValidationResult {
  const bundles: string[] = [];
  let problem: RefProblem | undefined;
  for (const ref of validation.caCertificateRefs ?? []) {
    const r = resolveCaBundle(gwNs, ref, refs);
    if (typeof r === "string") bundles.push(r);
    else problem ??= r;
  }
  if (bundles.length === 0) {
    return {
      problem,
      notAccepted: {
        reason: Reason.NoValidCACertificate,
        message: `none of the frontend validation caCertificateRefs is usable${problem ? ` (${problem.message})` : ""}`,
      },
    };
  }
  return {
    problem,
    validation: {
      caCertificate: bundles.join("\n"),
      optional: validation.mode === "AllowInsecureFallback",
    },
  };
}

function resolveCaBundle(gwNs: string, ref: ObjectReference, refs: ListenerRefs): string | RefProblem {
  const ns = ref.namespace ?? gwNs;
  const what = `caCertificateRef ${ref.group ? ref.group + "/" : ""}${ref.kind} ${ns}/${ref.name}`;
  if ((ref.group ?? "") !== "" || ref.kind !== "ConfigMap") {
    return { reason: Reason.InvalidCACertificateKind, message: `${what}: only core ConfigMaps are supported` };
  }
  const denied = refs.grants.check(
    { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: gwNs },
    { group: "", kind: "ConfigMap", namespace: ns, name: ref.name },
  );
  if (denied) return { reason: denied.reason, message: `caCertificateRef to ${denied.message}` };
  const cm = refs.configMap(`${ns}/${ref.name}`);
  const pem = cm?.data?.["ca.crt"];
  if (!cm || pem === undefined) {
    return {
      reason: Reason.InvalidCACertificateRef,
      message: `${what} ${cm ? "has no key ca.crt" : "not found"}; it must hold a PEM CA bundle under ca.crt`,
    };
  }
  try {
    new X509Certificate(pem);
  } catch {
    return { reason: Reason.InvalidCACertificateRef, message: `${what}: ca.crt is not a PEM certificate` };
  }
  return pem;
}
