/**
 * Fields of Envoy Gateway objects in a folder of YAML that their API does not have: the Kubernetes API server
 * prunes them from a CRD object (and kubectl warns `unknown field`); egts reads the folder without one, so each
 * gets a warning at its object's file and line instead of being ignored in silence — a field misspelt, or one
 * from another Envoy Gateway version (e.g. a task page written for a newer release).
 *
 * The schemas are the CRDs egts ships (`crds/gateway.envoyproxy.io_*.yaml`, generated from the resource types),
 * read once from the repository the command runs from.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { JSONSchemaProps } from "../../../../crds/generate";
import type { KubeObject } from "../../resources/meta";
import type { LocatedObject } from "./duplicates";
import type { InputError } from "./parse";
import { crdSchema, validateResource } from "./structural-schema";

/** The folder of the shipped CRDs (from dist/operator/src/provider/file: the repository's `crds/`). */
const CRD_DIR = join(__dirname, "..", "..", "..", "..", "..", "crds");

let schemas: ReadonlyMap<string, JSONSchemaProps> | undefined;

/** The schema of each shipped CRD by `<group>/<kind>`; empty when the folder cannot be read. */
function shippedSchemas(dir = CRD_DIR): ReadonlyMap<string, JSONSchemaProps> {
  if (schemas) return schemas;
  const out = new Map<string, JSONSchemaProps>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  } catch {
    files = []; // not run from a checkout: nothing to check against
  }
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), "utf8"))) {
      const crd = doc.toJS() as { spec?: { group?: string; names?: { kind?: string } } } | null;
      const group = crd?.spec?.group;
      const kind = crd?.spec?.names?.kind;
      if (group && kind) out.set(`${group}/${kind}`, crdSchema(crd));
    }
  }
  schemas = out;
  return out;
}

/**
 * The unknown fields of each object checked so far. The file provider hands out the same parsed objects while a
 * file is unchanged, so a pass checks only the objects of changed files.
 */
const checked = new WeakMap<KubeObject, readonly string[]>();

/** The fields of `object` its API does not have (none for kinds without a shipped CRD). */
function unknownFields(object: KubeObject): readonly string[] {
  const known = checked.get(object);
  if (known) return known;
  const group = (object.apiVersion ?? "").split("/")[0];
  const schema = shippedSchemas().get(`${group}/${object.kind}`);
  const unknown = schema ? validateResource(schema, object).unknownFields : [];
  checked.set(object, unknown);
  return unknown;
}

/** One warning per object with fields its API does not have, naming each field. */
export function unknownFieldWarnings(items: readonly LocatedObject[]): InputError[] {
  const out: InputError[] = [];
  for (const { object, location } of items) {
    const unknown = unknownFields(object);
    if (unknown.length === 0) continue;
    const name = object.metadata.namespace
      ? `${object.metadata.namespace}/${object.metadata.name}`
      : object.metadata.name;
    const fields = unknown.join(", ");
    out.push({
      file: location.file,
      line: location.line,
      column: 1,
      message: `${object.kind} ${name}: ${unknown.length === 1 ? "field" : "fields"} ${fields} not in the ${object.kind} API of Envoy Gateway v1.9: ignored, as the Kubernetes API server would prune ${unknown.length === 1 ? "it" : "them"}`,
    });
  }
  return out;
}
