/** The Helm chart: `helm lint` passes and `helm template` renders what the golden files record. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseEnvoyGatewayConfig, kubernetesProviderOf } from "../../operator/src/config/envoy-gateway-config";
import { findKubeTools } from "../../e2e/harness";
import { caseName, checkGolden, goldenInputs, repoRoot, testdataDir } from "../support/golden";

interface Case {
  readonly valuesFiles?: readonly string[];
  readonly set?: readonly string[];
}

describe("helm chart (helm/egts)", () => {
  const helm = (args: readonly string[]): string =>
    execFileSync(findKubeTools().helm, [...args], {
      encoding: "utf8",
      cwd: repoRoot(),
      stdio: ["ignore", "pipe", "pipe"],
    });
  const chart = join(repoRoot(), "helm", "egts");

  it("passes helm lint with the default and the production values", () => {
    assert.match(helm(["lint", chart]), /0 chart\(s\) failed/);
    assert.match(helm(["lint", chart, "-f", join(chart, "values-prod.yaml")]), /0 chart\(s\) failed/);
  });

  for (const inFile of goldenInputs(testdataDir("helm"))) {
    it(`renders ${caseName(inFile)} as recorded`, () => {
      const c = parse(readFileSync(inFile, "utf8")) as Case;
      const args = ["template", "egts", chart, "-n", "envoy-gateway-system", "--include-crds"];
      for (const f of c.valuesFiles ?? []) args.push("-f", join(repoRoot(), f));
      for (const s of c.set ?? []) args.push("--set", s);
      checkGolden(inFile, helm(args));
    });
  }

  it("gives the production profile 3 replicas and a 2Gi memory limit, the development one 1 and none", () => {
    const render = (extra: string[]): { kind: string; spec?: Record<string, unknown> }[] =>
      helm(["template", "egts", chart, "-n", "envoy-gateway-system", ...extra])
        .split(/^---$/m)
        .map((d) => parse(d) as { kind: string; spec?: Record<string, unknown> })
        .filter(Boolean);
    type Deploy = { replicas: number; template: { spec: { containers: { resources: Record<string, unknown> }[] } } };
    const deployment = (docs: ReturnType<typeof render>): Deploy =>
      docs.find((d) => d.kind === "Deployment")?.spec as unknown as Deploy;
    const dev = deployment(render([]));
    const prod = deployment(render(["-f", join(chart, "values-prod.yaml")]));
    assert.equal(dev.replicas, 1);
    assert.deepEqual(dev.template.spec.containers[0]?.resources, { requests: { cpu: "100m", memory: "256Mi" } });
    assert.equal(prod.replicas, 3);
    assert.deepEqual(prod.template.spec.containers[0]?.resources, {
      requests: { cpu: "200m", memory: "512Mi" },
      limits: { memory: "2Gi" },
    });
  });

  it("grants Secrets (and the other namespaced reads) per watched namespace when watchNamespaces is set", () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    type Doc = { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[] };
    const docs = (extra: string[]): Doc[] =>
      helm(["template", "egts", chart, "-n", "envoy-gateway-system", ...extra])
        .split(/^---$/m)
        .map((d) => parse(d) as Doc)
        .filter(Boolean);
    const readsSecrets = (d: Doc): boolean =>
      (d.rules ?? []).some(
        (r) =>
          r.apiGroups.includes("") &&
          r.resources.includes("secrets") &&
          r.verbs.some((v) => ["get", "list", "watch"].includes(v)),
      );
    const scoped = docs(["--set", "watchNamespaces={team-a,team-b}"]);
    const clusterRole = scoped.find((d) => d.kind === "ClusterRole");
    assert.ok(clusterRole, "no ClusterRole");
    assert.equal(readsSecrets(clusterRole), false, "the ClusterRole grants Secrets although watchNamespaces is set");
    const controllerRoles = scoped.filter((d) => d.kind === "Role" && !d.metadata.name.includes("certgen"));
    const roles = controllerRoles.filter(readsSecrets).map((d) => d.metadata.namespace);
    assert.deepEqual(
      roles.sort(),
      ["envoy-gateway-system", "team-a", "team-b"],
      "the release namespace too, as Envoy Gateway",
    );
    const bindings = scoped.filter((d) => d.kind === "RoleBinding").map((d) => d.metadata.namespace);
    assert.ok(bindings.includes("team-a") && bindings.includes("team-b"), `RoleBindings in ${bindings.join(", ")}`);
    const all = docs([]);
    assert.equal(readsSecrets(all.find((d) => d.kind === "ClusterRole") ?? { kind: "", metadata: { name: "" } }), true);
  });

  it("renders config.envoyGateway values into ConfigMap envoy-gateway-config, which the controller loads", () => {
    type Doc = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> };
    const docs = helm([
      "template",
      "egts",
      chart,
      "-n",
      "envoy-gateway-system",
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.type=Namespaces",
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.namespaces={team-a}",
      "--set",
      "config.envoyGateway.provider.kubernetes.leaderElection.leaseDuration=30s",
      "--set",
      "config.envoyGateway.logging.level.xds-server=debug",
      "--set",
      "config.envoyGateway.extensionApis.enableEnvoyPatchPolicy=true",
      "--set",
      "config.envoyGateway.gateway.controllerName=example.com/gateway",
    ])
      .split(/^---$/m)
      .map((d) => parse(d) as Doc)
      .filter(Boolean);
    const cm = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "envoy-gateway-config");
    const text = cm?.data?.["envoy-gateway.yaml"];
    assert.ok(text, "ConfigMap envoy-gateway-config with key envoy-gateway.yaml");
    const config = parseEnvoyGatewayConfig("envoy-gateway.yaml", text);
    const kube = kubernetesProviderOf(config).kubernetes;
    assert.deepEqual(kube.watch, { namespaces: ["team-a"] });
    assert.equal(kube.leaderElection.leaseDurationMs, 30_000);
    assert.deepEqual(config.logging, { default: "info", components: { "xds-server": "debug" } });
    assert.deepEqual(config.extensionApis, { enableEnvoyPatchPolicy: true });
    assert.equal(config.controllerName, "example.com/gateway");
    const gc = docs.find((d) => d.kind === "GatewayClass") as unknown as { spec: { controllerName: string } };
    assert.equal(gc.spec.controllerName, "example.com/gateway", "the GatewayClass follows gateway.controllerName");
    const watchRoles = docs.filter((d) => d.kind === "Role" && d.metadata.name.endsWith("-watch"));
    assert.deepEqual(
      watchRoles.map((d) => d.metadata.namespace).sort(),
      ["envoy-gateway-system", "team-a"],
      "reads granted in the watched namespace and the release's own, as Envoy Gateway's chart",
    );
  });
});
