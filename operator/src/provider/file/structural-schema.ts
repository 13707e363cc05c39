/**
 * A small validator for Kubernetes structural schemas (the OpenAPI v3 subset of CRDs), enough to check our
 * generated CRDs against the YAML users write, without an API server:
 * types, enums, required fields, integer bounds, `additionalProperties`, int-or-string, and fields the API
 * server would prune because the schema does not know them (reported apart from errors, with their paths).
 */
import type { JSONSchemaProps } from "../../../../crds/generate";

/** What validating one value found. */
export interface ValidationResult {
  /** Violations, each `path: message`. */
  readonly errors: string[];
  /** Paths of fields the schema does not know: the API server prunes them (or rejects them with strict field validation). */
  readonly unknownFields: string[];
}

/** The schema of version `version` (default: the first) of a CRD object. */
export function crdSchema(crd: unknown, version?: string): JSONSchemaProps {
  const spec = (crd as { spec?: { versions?: { name: string; schema?: { openAPIV3Schema?: JSONSchemaProps } }[] } })
    .spec;
  const v = version === undefined ? spec?.versions?.[0] : spec?.versions?.find((x) => x.name === version);
  const schema = v?.schema?.openAPIV3Schema;
  if (!schema) throw new Error(`CRD has no openAPIV3Schema for version ${version ?? "(first)"}`);
  return schema;
}

/**
 * Validates a whole object (apiVersion, kind, metadata, spec, ...) against the root schema of a CRD.
 * `metadata` is the API server's business: it is only checked to be an object with a name.
 */
export function validateResource(schema: JSONSchemaProps, obj: unknown): ValidationResult {
  const out: ValidationResult = { errors: [], unknownFields: [] };
  if (!isObject(obj)) {
    out.errors.push(`<root>: must be an object, got ${show(obj)}`);
    return out;
  }
  const { metadata, ...rest } = obj;
  if (!isObject(metadata) || typeof metadata.name !== "string") out.errors.push("metadata.name: required");
  walk(schema, { ...rest, metadata: {} }, "", out);
  return out;
}

/** Validates `value` against `schema`; `path` prefixes every reported path. */
export function validate(schema: JSONSchemaProps, value: unknown, path = ""): ValidationResult {
  const out: ValidationResult = { errors: [], unknownFields: [] };
  walk(schema, value, path, out);
  return out;
}

function walk(schema: JSONSchemaProps, value: unknown, path: string, out: ValidationResult): void {
  const at = path || "<root>";
  if (value === null || value === undefined) {
    out.errors.push(`${at}: must not be null`);
    return;
  }
  if (schema["x-kubernetes-int-or-string"]) {
    if (!Number.isInteger(value) && typeof value !== "string") {
      out.errors.push(`${at}: must be an integer or a string, got ${show(value)}`);
    }
    return;
  }
  if (!typeMatches(schema, value)) {
    out.errors.push(`${at}: must be ${article(schema.type)}, got ${show(value)}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    out.errors.push(`${at}: must be one of ${schema.enum.join(", ")}; got ${show(value)}`);
  }
  if (typeof value === "number") checkBounds(schema, value, at, out);
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => walk(schema.items!, item, `${path}[${i}]`, out));
  }
  if (schema.type === "object" && isObject(value)) walkObject(schema, value, path, out);
}

function walkObject(
  schema: JSONSchemaProps,
  value: Readonly<Record<string, unknown>>,
  path: string,
  out: ValidationResult,
): void {
  const child = (key: string): string => (path ? `${path}.${key}` : key);
  for (const name of schema.required ?? []) {
    if (!(name in value)) out.errors.push(`${child(name)}: required`);
  }
  for (const [key, v] of Object.entries(value)) {
    const known = schema.properties?.[key];
    if (known) walk(known, v, child(key), out);
    else if (schema.additionalProperties) walk(schema.additionalProperties, v, child(key), out);
    else if (!schema["x-kubernetes-preserve-unknown-fields"]) out.unknownFields.push(child(key));
  }
}

function typeMatches(schema: JSONSchemaProps, value: unknown): boolean {
  switch (schema.type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case undefined:
      return schema["x-kubernetes-preserve-unknown-fields"] === true;
  }
}

function checkBounds(schema: JSONSchemaProps, value: number, at: string, out: ValidationResult): void {
  if (schema.minimum !== undefined && value < schema.minimum) {
    out.errors.push(`${at}: must be at least ${schema.minimum}, got ${value}`);
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    out.errors.push(`${at}: must be at most ${schema.maximum}, got ${value}`);
  }
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function article(type: JSONSchemaProps["type"]): string {
  if (type === undefined) return "any value";
  return type === "object" || type === "integer" || type === "array" ? `an ${type}` : `a ${type}`;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
