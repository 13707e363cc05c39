/**
 * The rate limit service's settings in Kubernetes mode, apart from the controller (pipeline/controller.ts) so that
 * offline translation (`egts x translate`) does not load the controller's Kubernetes client to compute them.
 */
import { PROXY_SDS_DIR } from "../../../constructs/gateway-proxy";
import { inClusterRateLimit, type RateLimitConfig } from "../config/envoy-gateway-ratelimit";
import { xdsSdsSources } from "../infra/bootstrap";
import type { UpstreamTlsIr } from "../ir/xds-ir";
import type { RateLimitServiceSettings } from "../translate/policies/backend-traffic";

/**
 * How the proxies call the in-cluster rate limit service (the Helm chart's `envoy-ratelimit` Service, as Envoy
 * Gateway deploys it) for the EnvoyGateway configuration's `rateLimit`: over TLS with their own xDS client
 * certificate and the CA that signed it (the file-based SDS resources their bootstrap already has), checking
 * the Service's name in the service's `envoy-rate-limit` certificate, when the proxies have certificates
 * (mTLS xDS); plaintext otherwise.
 */
export function kubernetesRateLimit(
  cfg: RateLimitConfig,
  namespace: string,
  proxiesHaveCertificates: boolean,
): RateLimitServiceSettings {
  const service = inClusterRateLimit(cfg, namespace);
  if (!proxiesHaveCertificates) return service;
  const tls: UpstreamTlsIr = {
    sni: service.host,
    subjectAltNames: [{ type: "Hostname", value: service.host }],
    sdsFiles: xdsSdsSources(PROXY_SDS_DIR),
  };
  return { ...service, tls };
}
