/**
 * Which OpenID Providers the translation needs discovered: a SecurityPolicy `oidc` without an explicit
 * authorization or token endpoint is completed from its issuer's `/.well-known/openid-configuration`, as in Envoy
 * Gateway. Translation is pure, so the discovery itself runs outside it (operator/src/pipeline/oidc-discovery.ts)
 * and its results come back in TranslateOptions; this file only says what to discover, with the trust to use.
 */
import type { ResourceSnapshot } from "../resources/snapshot";
import type { OIDCProvider, SecurityPolicySpec } from "../resources/security-policy";
import { namespaceOf } from "../resources/meta";
import { BackendTlsPolicyIndex } from "./backendtlspolicy";

/** What an OpenID Provider's discovery found, or why it failed (Envoy Gateway's messages). */
export type OidcDiscoveryResult =
  | {
      /** `authorization_endpoint`. */
      readonly authorizationEndpoint: string;
      /** `token_endpoint`. */
      readonly tokenEndpoint: string;
      /** `end_session_endpoint`, when the provider has one. */
      readonly endSessionEndpoint?: string;
    }
  | {
      /** Why discovery failed. */
      readonly error: string;
    };

/** One issuer to discover. */
export interface OidcIssuerRequest {
  /** The issuer URL as the policy writes it. */
  readonly issuer: string;
  /**
   * PEM CA bundle to trust: the BackendTLSPolicy of the provider's first Service backendRef (Envoy Gateway
   * assumes the issuer shares the token endpoint's CA); absent: the system CAs.
   */
  readonly caCertificate?: string;
}

/** The issuers of `snapshot`'s SecurityPolicies that need discovery, by issuer URL. */
export function oidcIssuersToDiscover(snapshot: ResourceSnapshot): Map<string, OidcIssuerRequest> {
  const out = new Map<string, OidcIssuerRequest>();
  let tls: BackendTlsPolicyIndex | undefined;
  const trust = (): BackendTlsPolicyIndex =>
    (tls ??= new BackendTlsPolicyIndex(snapshot.backendTLSPolicies ?? [], snapshot.configMaps ?? []));
  for (const p of snapshot.policies?.securityPolicies ?? []) {
    const provider = (p.spec as SecurityPolicySpec | undefined)?.oidc?.provider;
    if (!needsDiscovery(provider) || out.has(provider.issuer)) continue;
    const caCertificate = providerCa(provider, namespaceOf(p.metadata), snapshot, trust);
    out.set(provider.issuer, { issuer: provider.issuer, ...(caCertificate ? { caCertificate } : {}) });
  }
  return out;
}

/** A provider with an issuer and without both explicit endpoints. */
function needsDiscovery(provider: OIDCProvider | undefined): provider is OIDCProvider {
  if (!provider || typeof provider.issuer !== "string" || provider.issuer === "") return false;
  return !(provider.authorizationEndpoint && provider.tokenEndpoint);
}

/** The CA of the BackendTLSPolicy on the provider's first Service backendRef, if any. */
function providerCa(
  provider: OIDCProvider,
  policyNamespace: string,
  snapshot: ResourceSnapshot,
  trust: () => BackendTlsPolicyIndex,
): string | undefined {
  const ref = provider.backendRefs?.[0] ?? provider.backendRef;
  if (!ref || (ref.kind ?? "Service") !== "Service" || (ref.group ?? "") !== "") return undefined;
  const ns = ref.namespace ?? policyNamespace;
  const svc = snapshot.services.find((s) => s.metadata.name === ref.name && namespaceOf(s.metadata) === ns);
  if (!svc) return undefined;
  const port = svc.spec.ports?.find((x) => x.port === ref.port);
  return trust().forServicePort(ns, ref.name, port?.name).tls?.caCertificate;
}
