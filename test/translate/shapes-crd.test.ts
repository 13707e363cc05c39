/**
 * The intake shapes (operator/src/translate/shapes.ts) against the CRD schemas: every field a shape checks
 * that exists in the kind's CRD has a compatible type, and is required in the shape wherever the CRD requires it.
 * The translator dereferences what the CRD promises is there; an object that reaches it without the API
 * server's validation (a YAML folder, an object stored under an older CRD, the fuzzer) must be refused by the
 * intake check, not crash the translator (the fuzzer found two such throws: a cookie match without `name`, a
 * dynamic module with `source: null`).
 */
import * as assert from "node:assert/strict";
import type { JSONSchemaProps } from "../../crds/generate";
import { KIND_SHAPES, type Shape } from "../../operator/src/translate/shapes";
import { KINDS, specSchema } from "../fuzz/arbitraries";

/**
 * CRD-required fields the shapes leave optional on purpose: reference `group` and `kind` (the translator
 * defaults them as the Gateway API does for other references), and lists whose absence the translator treats as
 * empty with its own status condition (a route without rules or hostnames, a frontend TLS block without
 * `default`).
 */
const OPTIONAL_ON_PURPOSE =
  /(^|\.)(group|kind)$|^spec\.(rules|hostnames|rules\[\]\.backendRefs)$|^spec\.tls\.frontend\.(default|default\.validation\.caCertificateRefs|perPort\[\]\.tls\.validation\.caCertificateRefs)$/;

/** Disagreements between a shape and its schema, as `path: problem`. */
function compare(shape: Shape, schema: JSONSchemaProps, path: string, out: string[]): void {
  if (shape === "any" || schema["x-kubernetes-preserve-unknown-fields"] === true) return;
  if (typeof shape === "string") {
    const ok: Record<string, string[]> = {
      string: ["string"],
      boolean: ["boolean"],
      number: ["number", "integer"],
      intOrString: ["integer", "string"],
    };
    if (schema["x-kubernetes-int-or-string"] === true) return;
    if (schema.type && !ok[shape].includes(schema.type)) out.push(`${path}: shape ${shape}, CRD ${schema.type}`);
    return;
  }
  if ("int" in shape) {
    if (schema.type && schema.type !== "integer" && schema["x-kubernetes-int-or-string"] !== true) {
      out.push(`${path}: shape integer, CRD ${schema.type}`);
    }
    return;
  }
  if ("list" in shape) {
    if (schema.type !== "array") out.push(`${path}: shape list, CRD ${schema.type}`);
    else if (schema.items) compare(shape.list, schema.items as JSONSchemaProps, `${path}[]`, out);
    return;
  }
  if ("map" in shape) {
    const values = schema.additionalProperties;
    if (schema.type !== "object") out.push(`${path}: shape map, CRD ${schema.type}`);
    else if (typeof values === "object") compare(shape.map, values, `${path}.*`, out);
    return;
  }
  if (schema.type !== undefined && schema.type !== "object") {
    out.push(`${path}: shape object, CRD ${schema.type}`);
    return;
  }
  const required = new Set(shape.required ?? []);
  for (const [k, child] of Object.entries(shape.fields)) {
    // A shape may check more than one kind's CRD has (shared route filters, experimental-channel fields).
    const prop = schema.properties?.[k];
    if (!prop) continue;
    if ((schema.required ?? []).includes(k) && !required.has(k) && !OPTIONAL_ON_PURPOSE.test(`${path}.${k}`)) {
      out.push(`${path}.${k}: required by the CRD, optional in the shape`);
    }
    compare(child, prop, `${path}.${k}`, out);
  }
}

describe("intake shapes agree with the CRD schemas", () => {
  for (const k of KINDS) {
    it(`${k.kind}: types agree, CRD-required fields are required`, () => {
      const shape = KIND_SHAPES[k.kind];
      assert.ok(shape && typeof shape === "object" && "fields" in shape, `no shape for ${k.kind}`);
      const spec = shape.fields.spec;
      assert.ok(spec, `${k.kind}'s shape has no spec`);
      const problems: string[] = [];
      compare(spec, specSchema(k), "spec", problems);
      assert.deepEqual(problems, []);
    });
  }
});
