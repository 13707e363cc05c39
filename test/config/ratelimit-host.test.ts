/**
 * The standalone rate limit service's settings: from the EnvoyGateway configuration's `rateLimit` section to
 * the service's environment (Envoy Gateway's variable names), the fields standalone mode refuses, and the
 * install step named when a tool is missing.
 */
import * as assert from "node:assert/strict";
import { parseEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import { findRatelimit, findRedisServer } from "../../operator/src/infra/host/ratelimit-binary";
import { rateLimitEnv } from "../../operator/src/infra/host/ratelimit-process";
import { hostRateLimitSettings } from "../../operator/src/infra/host/ratelimit-runner";

const HEAD = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\nprovider: { type: Kubernetes }\n";
const rateLimitOf = (yaml: string): NonNullable<ReturnType<typeof parseEnvoyGatewayConfig>["rateLimit"]> => {
  const cfg = parseEnvoyGatewayConfig("eg.yaml", HEAD + yaml);
  assert.ok(cfg.rateLimit, "rateLimit parsed");
  return cfg.rateLimit;
};

describe("standalone rate limit service settings", () => {
  it("takes the Redis URL from rateLimit.backend.redis.url and sets Envoy Gateway's variables", () => {
    const settings = hostRateLimitSettings(
      rateLimitOf("rateLimit:\n  backend:\n    type: Redis\n    redis: { url: 'redis.local:6380' }\n"),
    );
    assert.deepEqual(settings, { redisUrl: "redis.local:6380" });
    const env = rateLimitEnv({ binary: "/x", ...settings, xdsAddress: "127.0.0.1:18001", grpcPort: 8081 });
    assert.equal(env.CONFIG_TYPE, "GRPC_XDS_SOTW");
    assert.equal(env.CONFIG_GRPC_XDS_SERVER_URL, "127.0.0.1:18001");
    assert.equal(env.CONFIG_GRPC_XDS_NODE_ID, "envoy-ratelimit");
    assert.equal(env.FORCE_START_WITHOUT_INITIAL_CONFIG, "true");
    assert.equal(env.REDIS_SOCKET_TYPE, "tcp");
    assert.equal(env.REDIS_URL, "redis.local:6380");
    assert.equal(env.USE_STATSD, "false");
    assert.equal(env.GRPC_PORT, "8081");
  });

  it("refuses, naming them, the fields it cannot honour", () => {
    assert.throws(
      () =>
        hostRateLimitSettings(
          rateLimitOf(
            "rateLimit:\n  backend:\n    type: Redis\n    redis:\n      urlRef: { secretKeyRef: { name: r, key: url } }\n      tls: { certificateRef: { name: c } }\n",
          ),
        ),
      /does not support rateLimit\.backend\.redis\.urlRef .*, rateLimit\.backend\.redis\.tls$/,
    );
  });

  it("names the install step when the service or redis-server is missing", () => {
    assert.throws(() => findRatelimit({ cacheDir: "/nonexistent" }), /run `bash scripts\/install-ratelimit\.sh`/);
    assert.throws(() => findRedisServer({ path: [] }), /run `bash scripts\/install-ratelimit\.sh`/);
  });
});
