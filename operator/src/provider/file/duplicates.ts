/**
 * Duplicate objects in a folder of YAML: the same kind, namespace and name defined more than once. The
 * last definition wins, in reading order (files sorted by path, then documents in file order), and a
 * warning names every place, so a copied Gateway cannot silently replace another one's listeners.
 */
import type { KubeObject } from "../../resources/meta";
import { formatLocation, type InputError, type SourceLocation } from "./parse";

/** An object with the place it was read from. */
export interface LocatedObject {
  /** The object. */
  readonly object: KubeObject;
  /** Where it was defined. */
  readonly location: SourceLocation;
}

/** Kinds without a namespace: their metadata.namespace, if any, is not part of their identity. */
const CLUSTER_SCOPED = new Set(["GatewayClass", "Namespace"]);

/** The identity of an object: API group, kind, namespace (`default` when absent) and name. */
export function objectKey(o: KubeObject): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  return `${group}|${o.kind}|${objectName(o)}`;
}

/** `namespace/name`, or `name` for cluster-scoped kinds. */
function objectName(o: KubeObject): string {
  return CLUSTER_SCOPED.has(o.kind) ? o.metadata.name : `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}

/**
 * Keeps the last definition of every object (at the place of that last definition) and returns one
 * warning per duplicated object, located at its first definition, e.g.
 * `Gateway default/eg is defined twice: a.yaml:12 and b.yaml:3; using b.yaml:3`.
 */
export function dropDuplicates(items: readonly LocatedObject[]): { objects: KubeObject[]; warnings: InputError[] } {
  const places = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = objectKey(it.object);
    const list = places.get(key);
    if (list) list.push(i);
    else places.set(key, [i]);
  });
  const warnings: InputError[] = [];
  for (const indexes of places.values()) {
    if (indexes.length < 2) continue;
    const first = items[indexes[0]];
    const where = indexes.map((i) => formatLocation(items[i].location));
    const times = indexes.length === 2 ? "twice" : `${indexes.length} times`;
    const list = `${where.slice(0, -1).join(", ")} and ${where[where.length - 1]}`;
    warnings.push({
      file: first.location.file,
      line: first.location.line,
      column: 1,
      message: `${first.object.kind} ${objectName(first.object)} is defined ${times}: ${list}; using ${where[where.length - 1]}`,
    });
  }
  const winners = new Set([...places.values()].map((indexes) => indexes[indexes.length - 1]));
  return { objects: items.filter((_, i) => winners.has(i)).map((it) => it.object), warnings };
}
