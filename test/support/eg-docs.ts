/**
 * Envoy Gateway task-doc corpora (testdata/eg-docs/<kind>/): reading the saved examples, and what a translation
 * says about one policy of them (its Accepted conditions).
 */
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import type { KubeObject } from "../../operator/src/resources/meta";
import { isRead } from "../../operator/src/resources/read-kinds";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate, type TranslateOptions, type TranslateResult } from "../../operator/src/translate/translate";
import { httpRouteYaml } from "./manifests";

/** A status condition as the tests read it. */
export interface DocCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** Parses YAML that must parse without errors (`file` names it in the failure). */
export function parseDocYaml(file: string, text: string): KubeObject[] {
  const { objects, errors } = parseManifests(file, text);
  assert.deepEqual(errors.map(formatInputError), [], `${file} must parse`);
  return objects;
}

/** The example files of a corpus folder, without `.yaml`, sorted. */
export function docExamples(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.replace(/\.yaml$/, ""))
    .sort();
}

/** One example file of a corpus folder, parsed. */
export function readDocExample(dir: string, name: string): KubeObject[] {
  const file = join(dir, `${name}.yaml`);
  return parseDocYaml(file, readFileSync(file, "utf8"));
}

/** Identity of an object, for replacing an environment's copy with an example's own. */
export function docKeyOf(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}

/** The Accepted condition of each ancestor of policy `kind` `name` in `result` (asserts there is one). */
export function acceptedPerAncestor(result: TranslateResult, kind: string, name: string): DocCondition[] {
  const status = result.statuses.find((s) => s.kind === kind && s.name === name)?.status as
    { ancestors?: { conditions: DocCondition[] }[] } | undefined;
  const ancestors = status?.ancestors ?? [];
  assert.ok(ancestors.length > 0, `${kind} ${name} has an ancestor status`);
  return ancestors.map((a) => {
    const accepted = a.conditions.find((c) => c.type === "Accepted");
    assert.ok(accepted, `${kind} ${name} has an Accepted condition`);
    return accepted;
  });
}

/** What egts says about every policy of one example file. */
export interface DocExpectation {
  /** Accepted=True expected. */
  readonly accepted: boolean;
  /** When not accepted: the spec field (or other words) the Accepted=False message names. */
  readonly field?: string;
}

/**
 * Checks one example file of a policy corpus: every policy of `kind` in it is Accepted (with Envoy Gateway's
 * message) or Accepted=False naming `want.field`, on `env` plus the example's own objects (which replace the
 * environment's copies of the same name); and the policies change the xDS IR (always, or only when accepted unless
 * `refusedChangesIr`: a refused SecurityPolicy's routes answer 500).
 */
export function checkDocExample(o: {
  readonly kind: string;
  readonly dir: string;
  readonly name: string;
  readonly want: DocExpectation;
  readonly env: readonly KubeObject[];
  readonly options: TranslateOptions;
  readonly refusedChangesIr: boolean;
}): void {
  const example = readDocExample(o.dir, o.name);
  const isPolicy = (x: KubeObject): boolean => x.kind === o.kind;
  const policies = example.filter(isPolicy);
  assert.ok(policies.length > 0, `${o.name}.yaml holds a ${o.kind}`);
  const own = new Set(example.filter(isRead).map(docKeyOf));
  const base = [...o.env.filter((x) => !own.has(docKeyOf(x))), ...example.filter((x) => !isPolicy(x))];
  const result = translate(snapshotFromObjects([...base, ...policies]), o.options);
  for (const p of policies) {
    for (const accepted of acceptedPerAncestor(result, o.kind, p.metadata.name)) {
      assert.equal(accepted.status, o.want.accepted ? "True" : "False", accepted.message);
      if (o.want.accepted) assert.equal(accepted.message, "Policy has been accepted.");
      else assert.ok(accepted.message.includes(o.want.field ?? "?"), `${accepted.message} names ${o.want.field}`);
    }
  }
  if (o.want.accepted || o.refusedChangesIr) {
    const without = translate(snapshotFromObjects(base), o.options);
    assert.notDeepEqual(result.xdsIr, without.xdsIr, `${o.name}: the policies change the xDS IR`);
  }
}

/**
 * A route as the quickstart's HTTPRoute `backend`: `default/<name>` on Gateway `gateway` (`eg` unless given) for
 * `host` and path prefix `path` (`/` unless given) to Service `backend` port 3000.
 */
export function quickstartRouteYaml(name: string, host: string, path = "/", gateway = "eg"): string {
  return httpRouteYaml(
    name,
    host,
    `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs: [{ name: backend, port: 3000 }]`,
    gateway,
  );
}
