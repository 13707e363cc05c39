/**
 * Content keys of policy specs, for sharing one translation between policies of one translation whose specs are
 * equal (many policies often carry the same settings: in the policy bench a third of the policies share one
 * BackendTrafficPolicy spec). A key is given only when the spec is plain JSON data that its JSON text describes
 * exactly: strings, booleans, finite numbers, null, arrays and plain objects, without undefined values (which
 * JSON drops) or non-finite numbers (which JSON writes as null). Anything else gets no key: it is translated alone.
 */

/** The targeting fields, which say where a spec applies, not what it is. */
const TARGET_FIELDS: ReadonlySet<string> = new Set(["targetRef", "targetRefs", "targetSelectors"]);

/** `namespace` and the JSON text of `spec` without its targeting fields; undefined when it is not plain JSON data. */
export function specContentKey(namespace: string, spec: unknown): string | undefined {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec) || !plainObject(spec)) return undefined;
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(spec)) {
    const v = (spec as Record<string, unknown>)[k];
    if (TARGET_FIELDS.has(k)) continue;
    if (!plainJson(v)) return undefined;
    rest[k] = v;
  }
  return `${namespace}\n${JSON.stringify(rest)}`;
}

function plainObject(o: object): boolean {
  const proto: unknown = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/** Whether `v` is JSON data that JSON.stringify writes faithfully (see the module comment). */
function plainJson(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v);
    case "object":
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !plainJson(v[i])) return false;
        return true;
      }
      if (!plainObject(v)) return false;
      for (const k of Object.keys(v)) if (!plainJson((v as Record<string, unknown>)[k])) return false;
      return true;
    default:
      return false; // undefined, functions, symbols, bigints
  }
}
