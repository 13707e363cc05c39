/**
 * The rules an API server applies to CRD schemas themselves (every node typed, no `properties` next to
 * `additionalProperties`, `anyOf` only for int-or-string, ...), for the tests of our generated CRDs.
 */
import type { JSONSchemaProps } from "../../crds/generate";

/** Breaks of the structural-schema rules in `schema`, each `path: problem`; empty when structural. */
export function structuralProblems(schema: JSONSchemaProps, path = "<root>"): string[] {
  const problems: string[] = [];
  const say = (p: string): number => problems.push(`${path}: ${p}`);
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (!schema.type && !intOrString && !preserve) say("no type");
  if (intOrString && schema.type) say("int-or-string with a type");
  if (schema.anyOf && !intOrString) say("anyOf outside int-or-string");
  if (schema.properties && schema.additionalProperties) say("properties next to additionalProperties");
  if (schema.type === "array" && !schema.items) say("array without items");
  if ((schema.properties || schema.additionalProperties || schema.required) && schema.type !== "object") {
    say("object keywords on a non-object");
  }
  for (const r of schema.required ?? []) if (!schema.properties?.[r]) say(`required ${r} is not a property`);
  if ((schema.minimum !== undefined || schema.maximum !== undefined) && schema.type !== "integer") {
    say("bounds on a non-integer");
  }
  for (const [k, s] of Object.entries(schema.properties ?? {})) problems.push(...structuralProblems(s, `${path}.${k}`));
  if (schema.items) problems.push(...structuralProblems(schema.items, `${path}[]`));
  if (schema.additionalProperties) problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return problems;
}
