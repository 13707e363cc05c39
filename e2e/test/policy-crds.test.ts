/**
 * Our CRDs of Envoy Gateway's policy kinds and HTTPRouteFilter against a real API server: it accepts them (they
 * are structural), it stores the YAML of Envoy Gateway's task pages unchanged (nothing pruned, nothing
 * defaulted), and kubectl's strict field validation rejects a misspelt field, a value outside an enum and a
 * malformed duration, naming the field.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { startKubeCluster, type KubeCluster } from "../harness";

const REPO = resolve(__dirname, "../../..");
const TASK_DOCS = join(REPO, "test", "crds", "testdata", "eg-tasks");

/** A Kubernetes object as kubectl prints it. */
interface KubeObjectJson {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec?: unknown;
}

/** The documents of one task page file. */
function docsOf(file: string): KubeObjectJson[] {
  return parseAllDocuments(readFileSync(join(TASK_DOCS, file), "utf8")).map((d) => d.toJS() as KubeObjectJson);
}

describe("policy CRDs on a real API server: Envoy Gateway's task YAML accepted unchanged, typos rejected", function () {
  this.timeout(240_000);
  let cluster: KubeCluster;

  before(async () => {
    cluster = await startKubeCluster({ manifests: [join(REPO, "crds")] });
  });
  after(async () => {
    await cluster?.stop();
  });

  /** What the server would store for the one object in `yaml`, without storing it (strict field validation). */
  async function dryRun(yaml: string): Promise<KubeObjectJson> {
    const args = ["create", "--dry-run=server", "--validate=strict", "-f", "-", "-o", "json"];
    return JSON.parse(await cluster.kubectl(args, { input: yaml })) as KubeObjectJson;
  }

  it("serves every kind from a structural schema", async () => {
    const crds = await cluster.kubectlJson<{
      items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[];
    }>(["get", "crd"]);
    const ours = crds.items.filter((c) => c.metadata.name.endsWith(".gateway.envoyproxy.io"));
    assert.equal(ours.length, 8);
    for (const crd of ours) {
      const conditions = new Map((crd.status.conditions ?? []).map((c) => [c.type, c.status]));
      assert.equal(conditions.get("Established"), "True", crd.metadata.name);
      assert.equal(conditions.get("NonStructuralSchema"), undefined, crd.metadata.name);
    }
  });

  const files = readdirSync(TASK_DOCS)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  for (const file of files) {
    it(`stores ${file} unchanged`, async () => {
      for (const doc of docsOf(file)) {
        const stored = await dryRun(stringify(doc));
        assert.equal(stored.kind, doc.kind);
        assert.deepEqual(stored.spec, doc.spec, `${file}: ${doc.kind} ${doc.metadata.name}`);
      }
    });
  }

  /** Task document `index` of `file`, as YAML, with the value at `path` below `spec` set to `value`. */
  function edited(file: string, index: number, path: readonly (string | number)[], value: unknown): string {
    const doc = structuredClone(docsOf(file)[index]!) as unknown as Record<string, unknown>;
    let node = doc.spec as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = value;
    return stringify(doc);
  }

  const typos: readonly [string, string, number, readonly (string | number)[]][] = [
    ["spec.retry.numRetrys", "retry.yaml", 0, ["retry", "numRetrys"]],
    ["spec.basicAuth.user", "basic-auth.yaml", 0, ["basicAuth", "user"]],
    ["spec.lua[0].inlined", "lua.yaml", 0, ["lua", 0, "inlined"]],
    ["spec.jsonPatches[0].operation.paths", "envoy-patch-policy.yaml", 2, ["jsonPatches", 0, "operation", "paths"]],
    ["spec.urlRewrite.hostname.headers", "http-urlrewrite.yaml", 1, ["urlRewrite", "hostname", "headers"]],
    [
      "spec.oidc.provider.backendSettings.retry.perRetry.backoff",
      "oidc.yaml",
      2,
      ["oidc", "provider", "backendSettings", "retry", "perRetry", "backoff"],
    ],
  ];
  for (const [field, file, index, path] of typos) {
    it(`rejects the misspelt field ${field} (strict field validation)`, async () => {
      await assert.rejects(dryRun(edited(file, index, path, "x")), (err: Error) =>
        err.message.includes(`unknown field "${field}"`),
      );
    });
  }

  it("rejects a value outside an enum and a malformed duration, naming the field", async () => {
    await assert.rejects(
      cluster.kubectl(["create", "--dry-run=server", "-f", "-"], {
        input: edited("retry.yaml", 0, ["retry", "retryOn", "triggers"], ["connect-failure", "sometimes"]),
      }),
      (err: Error) => /spec\.retry\.retryOn\.triggers\[1\]: Unsupported value: "sometimes"/.test(err.message),
    );
    await assert.rejects(
      cluster.kubectl(["create", "--dry-run=server", "-f", "-"], {
        input: edited("retry.yaml", 0, ["retry", "perRetry", "timeout"], "250 milliseconds"),
      }),
      (err: Error) => /spec\.retry\.perRetry\.timeout: Invalid value: "250 milliseconds"/.test(err.message),
    );
  });
});
