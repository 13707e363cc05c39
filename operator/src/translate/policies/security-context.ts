/**
 * What the SecurityPolicy field-group translations share: the objects a policy may reference, and, per field
 * group, the policy that owns it (after a merge, the route-level policy owns a group it sets, else its parent:
 * that policy's namespace resolves the group's references and names its IR objects).
 */
import type { ClusterIr, GenericSecretIr } from "../../ir/xds-ir";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { BackendIndex } from "../backends";
import type { ListenerRefs } from "../listener-tls";
import type { OidcDiscoveryResult } from "../oidc-issuers";

/** The policy owning a field group. */
export interface SecurityOwner {
  /** Its namespace (references without a namespace resolve here; others need a ReferenceGrant from it). */
  readonly namespace: string;
  /** Its name. */
  readonly name: string;
}

/** The context of one SecurityPolicy spec's translation. */
export interface SecurityContext {
  /** The snapshot (objects the policies reference). */
  readonly snapshot: ResourceSnapshot;
  /** Secrets and ConfigMaps by key, and the ReferenceGrants. */
  readonly refs: ListenerRefs;
  /**
   * The policy owning the spec field at path `group` (`basicAuth`, `extAuth.grpc`, …): the first of the chain
   * that sets it (and whose value satisfies `has`, when given: e.g. a list holding an item of some name).
   */
  readonly ownerOf: (group: string, has?: (value: unknown) => boolean) => SecurityOwner;
  /** Services and Backends (the ext-service clusters of security-backends.ts). */
  readonly backends: BackendIndex;
  /**
   * Where a group's translator puts the clusters of the services it calls: the nodes whose routes use the
   * translation get them (deduplicated by name).
   */
  readonly clusters: ClusterIr[];
  /**
   * Where a group's translator puts the generic secrets its filter reads over SDS (OAuth2 client and HMAC
   * secrets): the nodes whose routes use the translation get them (deduplicated by name).
   */
  readonly secrets: GenericSecretIr[];
  /** What the OIDC translation reads from outside the snapshot; absent: nothing (OIDC fails closed). */
  readonly oidc?: OidcInputs;
}

/** What the OIDC translation reads from outside the snapshot (TranslateOptions). */
export interface OidcInputs {
  /** The HMAC secret of the OAuth2 cookies (Secret `envoy-oidc-hmac`, key `hmac-secret`); absent: missing. */
  readonly hmacSecret?: Buffer;
  /** Namespace the HMAC Secret is looked up in (its status messages name it). */
  readonly controllerNamespace: string;
  /** Discovery results by issuer URL (as written in the policy); an issuer without an entry is pending. */
  readonly discovery?: ReadonlyMap<string, OidcDiscoveryResult>;
}

/** Envoy Gateway's IR name of a policy's objects: `securitypolicy/<ns>/<name>`. */
export function securityIrName(owner: SecurityOwner): string {
  return `securitypolicy/${owner.namespace}/${owner.name}`;
}
