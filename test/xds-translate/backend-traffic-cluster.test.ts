/**
 * BackendTrafficPolicy cluster-level settings, spec → ClusterPolicyIr → Envoy (testdata/btp-cluster/X.in.yaml →
 * X.out.yaml): per policy, the problems reported (the policy is then Accepted=False), the IR, and for a valid
 * policy the variant Cluster buildCluster makes of it and the hash policies its routes need. Both go through the
 * protobuf encoder and back, so a value the wire format cannot carry shows. Real Envoy ACKs them
 * (test/standalone/backend-traffic-cluster-envoy.test.ts). Regenerate with UPDATE_GOLDEN=1 and review by eye.
 */
import * as assert from "node:assert/strict";
import { stringify } from "yaml";
import { expandAny } from "../../proto/any";
import { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { RouteAction_HashPolicy } from "../../proto/gen/envoy/config/route/v3/route_components";
import { ClusterLoadAssignment } from "../../proto/gen/envoy/config/endpoint/v3/endpoint";
import type { ClusterIr } from "../../operator/src/ir/xds-ir";
import { variantProblem } from "../../operator/src/translate/policies/backend-traffic-cluster";
import { buildLoadAssignment } from "../../operator/src/xds/translate/cluster";
import { clusterCases } from "../support/btp-cluster";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";

/** The variant's ClusterLoadAssignment, through the encoder and back. */
function loadAssignmentJson(ir: ClusterIr): unknown {
  const cla = buildLoadAssignment(ir);
  return ClusterLoadAssignment.toJSON(ClusterLoadAssignment.decode(ClusterLoadAssignment.encode(cla).finish()));
}

/** What each policy's cluster-level settings become. */
export function renderClusterSettings(inFile: string): string {
  const docs = clusterCases(inFile).map((c) => {
    const valid = c.policy !== undefined && c.invalid.length === 0;
    const cluster = Cluster.toJSON(Cluster.decode(Cluster.encode(c.cluster).finish()));
    const hash = c.hashPolicies.map((h) =>
      RouteAction_HashPolicy.toJSON(RouteAction_HashPolicy.decode(RouteAction_HashPolicy.encode(h).finish())),
    );
    return {
      policy: c.name,
      invalid: c.invalid,
      ir: c.policy ?? null,
      ...(valid ? { cluster: expandAny(cluster) } : {}),
      ...(valid && hash.length > 0 ? { routeHashPolicy: hash } : {}),
      ...(valid && c.policy?.loadBalancer?.zoneAware ? { loadAssignment: loadAssignmentJson(c.ir) } : {}),
    };
  });
  return docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

describe("BackendTrafficPolicy cluster settings golden files (testdata/btp-cluster)", () => {
  for (const inFile of goldenInputs(testdataDir("btp-cluster"))) {
    it(caseName(inFile), () => checkGolden(inFile, renderClusterSettings(inFile)));
  }
});

describe("BackendTrafficPolicy variantProblem", () => {
  const grpc = {
    healthCheck: {
      active: { timeoutMs: 1000, intervalMs: 3000, unhealthyThreshold: 3, healthyThreshold: 1, grpc: {} },
    },
  };
  it("a gRPC health check needs an HTTP/2 backend (Envoy refuses it on an HTTP/1 cluster)", () => {
    assert.match(variantProblem(grpc, "http1") ?? "", /^spec\.healthCheck\.active: a GRPC health check needs/);
    assert.equal(variantProblem(grpc, "h2c"), undefined);
    assert.equal(variantProblem({ connectTimeoutMs: 5 }, "http1"), undefined);
  });
});
