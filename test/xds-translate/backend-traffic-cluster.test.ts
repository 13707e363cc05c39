/**
 * BackendTrafficPolicy cluster-level settings, spec → ClusterPolicyIr → Envoy (testdata/btp-cluster/X.in.yaml →
 * X.out.yaml): per policy, the problems reported (the policy is then Accepted=False), the IR, the variant
 * Cluster buildCluster makes of it and the hash policies its routes need. The Cluster and the hash policies go
 * through the protobuf encoder and back, so a value the wire format cannot carry shows. Regenerate with
 * UPDATE_GOLDEN=1 and review by eye.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { expandAny } from "../../proto/any";
import { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { RouteAction_HashPolicy } from "../../proto/gen/envoy/config/route/v3/route_components";
import type { ClusterIr } from "../../operator/src/ir/xds-ir";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { BackendTrafficPolicySpec } from "../../operator/src/resources/backend-traffic-policy";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translateClusterSettings } from "../../operator/src/translate/policies/backend-traffic-cluster";
import { buildCluster } from "../../operator/src/xds/translate/cluster";
import { routeHashPolicies } from "../../operator/src/xds/translate/cluster-policy-lb";
import "../../operator/src/xds/types";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";

/** What one policy's cluster-level settings become. */
export function renderClusterSettings(inFile: string): string {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  const snapshot = snapshotFromObjects([]);
  const docs = objects.map((o) => {
    const invalid: string[] = [];
    const spec = (o as unknown as { spec: BackendTrafficPolicySpec }).spec;
    const policy = translateClusterSettings(spec, { namespace: "default", snapshot }, invalid);
    const base = "service/default/web/80";
    const ir: ClusterIr = {
      name: `${base}/btp-test`,
      discovery: "static",
      endpoints: [],
      protocol: "http1",
      ...(policy ? { policy } : {}),
      edsServiceName: base,
    };
    const cluster = Cluster.decode(Cluster.encode(buildCluster(ir)).finish());
    const hash = routeHashPolicies(policy?.loadBalancer?.hashKeys).map((h) =>
      RouteAction_HashPolicy.toJSON(RouteAction_HashPolicy.decode(RouteAction_HashPolicy.encode(h).finish())),
    );
    return {
      policy: o.metadata.name,
      invalid,
      ir: policy ?? null,
      ...(policy && invalid.length === 0 ? { cluster: expandAny(Cluster.toJSON(cluster)) } : {}),
      ...(hash.length > 0 ? { routeHashPolicy: hash } : {}),
    };
  });
  return docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

describe("BackendTrafficPolicy cluster settings golden files (testdata/btp-cluster)", () => {
  for (const inFile of goldenInputs(testdataDir("btp-cluster"))) {
    it(caseName(inFile), () => checkGolden(inFile, renderClusterSettings(inFile)));
  }
});
