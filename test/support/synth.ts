/**
 * Helpers of the `cdk8s synth` tests: the Gateway API YAML of a folder as a snapshot, the manifests the
 * controller's render path produces for it, and running the real cdk8s CLI on the repository's cdk8s.yaml.
 */
import * as assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { renderForSnapshot } from "../../constructs/from-snapshot";
import type { Manifest } from "../../constructs/render";
import { readInputs } from "../../operator/src/cmd/translate";
import { CONTROLLER_DEFAULTS, controllerRenderOptions } from "../../operator/src/config/controller-defaults";
import { formatInputError } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { repoRoot } from "./golden";

/** The control plane's namespace when ENVOY_GATEWAY_NAMESPACE is unset. */
export const DEFAULT_NAMESPACE = "envoy-gateway-system";

/** The install step that provides the cdk8s CLI, for failure messages. */
export const CLI_INSTALL_STEP = "run `npm ci --ignore-scripts` in the repository (cdk8s-cli is a devDependency)";

/** The example `cdk8s synth` renders by default. */
export function kubernetesExampleDir(): string {
  return join(repoRoot(), "examples", "kubernetes");
}

/** The YAML of a file or folder as a snapshot; a parse error fails the test. */
export async function readSnapshot(path: string): Promise<ResourceSnapshot> {
  const { objects, errors } = await readInputs([path]);
  assert.deepEqual(errors.map(formatInputError), [], `${path} must parse`);
  return snapshotFromObjects(objects);
}

/** What one pass of `egts controller` with its default flags renders for a snapshot. */
export function defaultControllerManifests(snapshot: ResourceSnapshot): Manifest[] {
  return renderForSnapshot(snapshot, {
    translate: { controllerName: CONTROLLER_DEFAULTS.controllerName },
    render: controllerRenderOptions({ namespace: DEFAULT_NAMESPACE }),
  });
}

/** Manifests sorted by kind, namespace and name (cdk8s writes them in construct order). */
export function sortManifests(manifests: readonly Manifest[]): Manifest[] {
  const key = (m: Manifest): string => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
  return [...manifests].sort((a, b) => key(a).localeCompare(key(b)));
}

/** Manifests as one multi-document YAML text (the golden file form). */
export function manifestsYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m, { lineWidth: 0 })).join("---\n");
}

/** What `cdk8s synth` wrote. */
export interface SynthRun {
  /** The `*.k8s.yaml` files, sorted. */
  readonly files: readonly string[];
  /** Every manifest of those files. */
  readonly manifests: readonly Manifest[];
  /** The CLI's and the app's stderr. */
  readonly stderr: string;
}

/**
 * Runs the real `cdk8s synth` from node_modules/.bin in the repository root, so that it reads cdk8s.yaml and
 * runs its `app` (the compiled constructs/synth.js), writing into `outdir`. `env` replaces variables of the
 * child's environment (undefined removes one). Fails, naming the install step, when the CLI is missing.
 */
export function spawnCdk8sSynth(
  outdir: string,
  env: Readonly<Record<string, string | undefined>> = {},
): SpawnSyncReturns<string> {
  const root = repoRoot();
  const cli = join(root, "node_modules", ".bin", "cdk8s");
  assert.ok(existsSync(cli), `the cdk8s CLI is not installed (${cli} is missing): ${CLI_INSTALL_STEP}`);
  const app = join(root, "dist", "constructs", "synth.js");
  assert.ok(existsSync(app), `${app} is missing: build first (npm run build)`);
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  return spawnSync(cli, ["synth", "--no-check-upgrade", "--output", outdir], {
    cwd: root,
    env: childEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
}

/** {@link spawnCdk8sSynth}, which must succeed, and the manifests it wrote. */
export function runCdk8sSynth(outdir: string, env: Readonly<Record<string, string | undefined>> = {}): SynthRun {
  const r = spawnCdk8sSynth(outdir, env);
  assert.equal(
    r.status,
    0,
    `cdk8s synth failed (${r.error?.message ?? `exit ${r.status}`}); if the CLI is missing or broken, ` +
      `${CLI_INSTALL_STEP}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
  );
  const files = readdirSync(outdir)
    .filter((f) => f.endsWith(".k8s.yaml"))
    .sort();
  const manifests = files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(outdir, f), "utf8"))
      .map((d) => d.toJSON() as Manifest | null)
      .filter((m): m is Manifest => m !== null),
  );
  return { files, manifests, stderr: r.stderr };
}
