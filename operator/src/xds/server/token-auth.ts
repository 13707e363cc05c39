/**
 * xDS client authentication by Kubernetes service-account token (EnvoyGateway `provider.kubernetes.deploy.type:
 * GatewayNamespace`, as Envoy Gateway does it): each proxy sends a projected token for the xDS server's audience
 * in the `authorization` header of its stream; the server has the API server review it (TokenReview) and serves
 * the node only when the token is a service account's, for that audience, and that service account is the one the
 * node's proxies run as (so a proxy in namespace A cannot fetch the configuration of a Gateway in namespace B).
 * The decision is pure ({@link judgeTokenReview}); the review itself is the caller's I/O.
 */
import * as grpc from "@grpc/grpc-js";

/** Why a stream is refused: the gRPC status it ends with, and a message for the client and the log. */
export interface NodeRefusal {
  /** UNAUTHENTICATED (no or bad token), PERMISSION_DENIED (another node's), UNAVAILABLE (review failed). */
  readonly code: grpc.status;
  /** What was wrong. */
  readonly reason: string;
}

/** Decides whether a stream may be served `nodeId`, from its request metadata; undefined grants it. */
export type NodeAuthorizer = (nodeId: string, metadata: grpc.Metadata) => Promise<NodeRefusal | undefined>;

/** The parts of a TokenReview's `status` the decision reads. */
export interface TokenReviewStatus {
  readonly authenticated?: boolean;
  readonly error?: string;
  readonly audiences?: readonly string[];
  readonly user?: {
    readonly username?: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
}

/** A service account: namespace and name. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** What {@link serviceAccountTokenAuthorizer} needs. */
export interface ServiceAccountTokenAuthOptions {
  /** The audience the tokens must be for (the xDS Service's name, as Envoy Gateway's). */
  readonly audience: string;
  /** The service account `nodeId`'s proxies run as; undefined for a node this control plane runs no proxy for. */
  readonly serviceAccountOf: (nodeId: string) => ServiceAccountRef | undefined;
  /** Reviews `token` for `audience` (POST tokenreviews); rejects when the API server cannot be asked. */
  readonly review: (token: string, audience: string) => Promise<TokenReviewStatus>;
}

const SERVICE_ACCOUNT_USER = "system:serviceaccount:";
const POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";

/** The bearer token of the `authorization` header (with or without the `Bearer ` prefix), or undefined. */
export function bearerToken(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get("authorization")[0];
  if (typeof value !== "string") return undefined;
  const token = value.replace(/^Bearer\s+/i, "").trim();
  return token === "" ? undefined : token;
}

/** The service account of a reviewed token (`system:serviceaccount:<namespace>:<name>`), or undefined. */
function serviceAccountOfUser(user: TokenReviewStatus["user"]): ServiceAccountRef | undefined {
  const username = user?.username ?? "";
  if (!username.startsWith(SERVICE_ACCOUNT_USER) || !user?.groups?.includes("system:serviceaccounts")) return undefined;
  const [namespace, name, ...rest] = username.slice(SERVICE_ACCOUNT_USER.length).split(":");
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

/** The decision on a reviewed token for `nodeId`, whose proxies run as `expected`. */
export function judgeTokenReview(
  nodeId: string,
  status: TokenReviewStatus,
  audience: string,
  expected: ServiceAccountRef,
): NodeRefusal | undefined {
  if (status.authenticated !== true) {
    const why = status.error ? `: ${status.error}` : "";
    return { code: grpc.status.UNAUTHENTICATED, reason: `the token is not authenticated${why}` };
  }
  if (status.audiences !== undefined && !status.audiences.includes(audience)) {
    return { code: grpc.status.UNAUTHENTICATED, reason: `the token is not for audience ${audience}` };
  }
  const sa = serviceAccountOfUser(status.user);
  if (!sa) return { code: grpc.status.UNAUTHENTICATED, reason: "the token is not a service account's" };
  if (sa.namespace !== expected.namespace || sa.name !== expected.name) {
    return {
      code: grpc.status.PERMISSION_DENIED,
      reason:
        `service account ${sa.namespace}/${sa.name} may not fetch node ${nodeId} ` +
        `(its proxies run as ${expected.namespace}/${expected.name})`,
    };
  }
  return undefined;
}

/** The pod a reviewed token is bound to (a projected token's), for logs. */
export function podOfTokenReview(status: TokenReviewStatus): string | undefined {
  return status.user?.extra?.[POD_NAME_EXTRA]?.[0];
}

/** A {@link NodeAuthorizer} that reviews each stream's service-account token (see the module comment). */
export function serviceAccountTokenAuthorizer(opts: ServiceAccountTokenAuthOptions): NodeAuthorizer {
  return async (nodeId, metadata) => {
    const token = bearerToken(metadata);
    if (token === undefined) {
      return { code: grpc.status.UNAUTHENTICATED, reason: `missing authorization header for node ${nodeId}` };
    }
    const expected = opts.serviceAccountOf(nodeId);
    if (!expected) {
      return { code: grpc.status.PERMISSION_DENIED, reason: `no proxy of this control plane has node id ${nodeId}` };
    }
    let status: TokenReviewStatus;
    try {
      status = await opts.review(token, opts.audience);
    } catch (err) {
      return { code: grpc.status.UNAVAILABLE, reason: `the token could not be reviewed: ${(err as Error).message}` };
    }
    return judgeTokenReview(nodeId, status, opts.audience, expected);
  };
}
