/**
 * Golden file of the infra rendered for examples/kubernetes/ (what `cdk8s synth` previews and the controller
 * applies with its default flags): testdata/constructs/kubernetes-example.out.yaml. Its input is the example
 * folder, not a `.in.yaml` beside it. And the infra of testdata/constructs/envoy-proxy-merge.in.yaml (EnvoyProxy
 * `mergeType`). Regenerate with UPDATE_GOLDEN=1, then review the diff by eye.
 */
import { join } from "node:path";
import { checkGolden, testdataDir } from "../support/golden";
import {
  defaultControllerManifests,
  kubernetesExampleDir,
  manifestsYaml,
  readSnapshot,
  sortManifests,
} from "../support/synth";

describe("constructs: golden", () => {
  it("examples/kubernetes renders as testdata/constructs/kubernetes-example.out.yaml", async () => {
    const manifests = defaultControllerManifests(await readSnapshot(kubernetesExampleDir()));
    checkGolden(join(testdataDir("constructs"), "kubernetes-example.in.yaml"), manifestsYaml(manifests));
  });

  it("EnvoyProxy mergeType: Gateways' EnvoyProxies merged onto the class's render as testdata/constructs/envoy-proxy-merge.out.yaml", async () => {
    const inFile = join(testdataDir("constructs"), "envoy-proxy-merge.in.yaml");
    const manifests = defaultControllerManifests(await readSnapshot(inFile));
    checkGolden(inFile, manifestsYaml(sortManifests(manifests)));
  });
});
