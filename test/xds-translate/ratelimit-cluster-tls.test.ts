/**
 * The proxies' `ratelimit_cluster` in Kubernetes mode (pipeline/controller.ts kubernetesRateLimit): the chart's
 * `envoy-ratelimit` Service over TLS, presenting the proxy's own xDS client certificate and trusting its CA,
 * both from the file-based SDS resources of the proxy's bootstrap, with the Service's name as SNI and required
 * SAN; plaintext when the proxies have no certificates. The real service accepting it is
 * e2e/test/helm-ratelimit.test.ts.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PROXY_SDS_DIR } from "../../constructs/gateway-proxy";
import { xdsSdsFiles } from "../../operator/src/infra/bootstrap";
import { kubernetesRateLimit } from "../../operator/src/pipeline/controller";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { ClusterType, UpstreamTlsContextType } from "../../operator/src/xds/types";
import { unpack } from "../../proto/any";
import { testdataDir } from "../support/golden";

const CONFIG = {
  backend: { type: "Redis" as const, redis: { url: "redis:6379" } },
  timeoutMs: 20,
  failClosed: false,
  telemetry: { prometheusDisabled: false },
};
const HOST = "envoy-ratelimit.envoy-gateway-system.svc.cluster.local";

function rateLimitCluster(withCertificates: boolean): ReturnType<typeof ClusterType.codec.decode> {
  const file = `${testdataDir("ratelimit-routes")}/global.in.yaml`;
  const { objects } = parseManifests(file, readFileSync(file, "utf8"));
  const rateLimit = kubernetesRateLimit(CONFIG, "envoy-gateway-system", withCertificates);
  const { xdsIr } = translate(snapshotFromObjects(objects), { rateLimit });
  const ir = xdsIr.find((n) => n.clusters.some((c) => c.name === "ratelimit_cluster"));
  assert.ok(ir, "a node with the ratelimit cluster");
  const any = buildNodeResources(ir).get(ClusterType.typeUrl)?.get("ratelimit_cluster");
  assert.ok(any, "ratelimit_cluster built");
  return unpack(ClusterType, any);
}

describe("ratelimit_cluster in Kubernetes: TLS with the proxy's own xDS certificate (file SDS)", () => {
  it("calls envoy-ratelimit:8081 over TLS: SNI and SAN the Service's name, certificate and CA from the bootstrap's SDS files", () => {
    const cluster = rateLimitCluster(true);
    const address = cluster.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.endpoint?.address?.socketAddress;
    assert.equal(address?.address, HOST);
    assert.equal(address?.portValue, 8081);
    const socket = cluster.transportSocket?.typedConfig;
    assert.ok(socket, "a TLS transport socket");
    const tls = unpack(UpstreamTlsContextType, socket);
    assert.equal(tls.sni, HOST);
    const common = tls.commonTlsContext;
    assert.deepEqual(common?.alpnProtocols, ["h2"]);
    // The same SDS resources (name and file) the bootstrap's xDS cluster uses, so they reload together.
    const sdsFiles = Object.keys(xdsSdsFiles({ certFile: "/c/t", keyFile: "/c/k", caFile: "/c/ca", serverName: "x" }));
    const [certificate] = common?.tlsCertificateSdsSecretConfigs ?? [];
    assert.equal(certificate?.name, "xds_client_certificate");
    assert.ok(
      sdsFiles.map((f) => `${PROXY_SDS_DIR}/${f}`).includes(certificate?.sdsConfig?.pathConfigSource?.path ?? ""),
    );
    const validation = common?.combinedValidationContext;
    assert.equal(validation?.validationContextSdsSecretConfig?.name, "xds_trusted_ca");
    assert.equal(
      validation?.validationContextSdsSecretConfig?.sdsConfig?.pathConfigSource?.path,
      `${PROXY_SDS_DIR}/xds-trusted-ca-sds.json`,
    );
    assert.deepEqual(
      validation?.defaultValidationContext?.matchTypedSubjectAltNames.map((m) => m.matcher?.exact),
      [HOST],
    );
  });

  it("is plaintext when the proxies have no xDS certificates (--xds-tls-secret empty)", () => {
    assert.equal(rateLimitCluster(false).transportSocket, undefined);
  });
});
