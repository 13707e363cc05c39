/**
 * GatewayNamespace mode: the controller's side of the proxies' service-account token authentication
 * (xds/server/token-auth.ts). Every replica (each serves xDS) keeps, from each pass, which ServiceAccount each
 * node's proxies run as, and reviews the tokens with the API server (TokenReview; the chart grants
 * `tokenreviews` create in that mode).
 */
import { HttpMethod } from "../provider/kubernetes/http-method";
import { proxiesToRender } from "../../../constructs/from-snapshot";
import { proxyServiceAccountOf, type RenderOptions } from "../../../constructs/render";
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { KubeClient } from "../provider/kubernetes/client";
import type { ResourceSnapshot } from "../resources/snapshot";
import {
  serviceAccountTokenAuthorizer,
  type NodeAuthorizer,
  type ServiceAccountRef,
  type TokenReviewStatus,
} from "../xds/server/token-auth";

/** Path of the TokenReview API. */
const TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";

/** Asks the API server to review `token` for `audience`. */
export async function reviewToken(client: KubeClient, token: string, audience: string): Promise<TokenReviewStatus> {
  const body = {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token, audiences: [audience] },
  };
  const review = await client.request<{ status?: TokenReviewStatus }>(HttpMethod.POST, TOKEN_REVIEWS, {
    // A proxy's xDS stream waits for it: not behind a burst of status writes (ADR 0036).
    urgent: true,
    body: JSON.stringify(body),
    contentType: "application/json",
  });
  return review.status ?? {};
}

/** The node → ServiceAccount table, and the authorizer that reads it. */
export class ProxyTokenAuth {
  private serviceAccounts = new Map<string, ServiceAccountRef>();

  /** The token check for tokens of `audience` (the render options' `xds.tokenAudience`); none without one. */
  static of(client: KubeClient, audience: string | undefined): ProxyTokenAuth | undefined {
    return audience === undefined ? undefined : new ProxyTokenAuth(client, audience);
  }

  /** Reviews with `client`, for tokens of `audience`. */
  constructor(
    private readonly client: KubeClient,
    private readonly audience: string,
  ) {}

  /** Records the ServiceAccount of each proxy of a pass (merged proxies do not render in this mode). */
  update(infra: readonly ProxyInfraIr[], snapshot: ResourceSnapshot, options: RenderOptions): void {
    const next = new Map<string, ServiceAccountRef>();
    for (const proxy of proxiesToRender(infra, snapshot)) {
      if (proxy.gatewayClass === undefined) next.set(proxy.name, proxyServiceAccountOf(proxy, options));
    }
    this.serviceAccounts = next;
  }

  /** The authorizer the xDS server calls for each stream. */
  authorizer(): NodeAuthorizer {
    return serviceAccountTokenAuthorizer({
      audience: this.audience,
      serviceAccountOf: (nodeId) => this.serviceAccounts.get(nodeId),
      review: (token, audience) => reviewToken(this.client, token, audience),
    });
  }
}
