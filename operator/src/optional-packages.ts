/**
 * Packages that only some inputs need, loaded on their first use instead of at start: CEL (SecurityPolicy
 * authorization and access log expressions), RE2 (regular expression matches), JSONPath/JSON Patch (EnvoyPatchPolicy),
 * the Lua parser (EnvoyExtensionPolicy Lua) and protobuf-es's reflection (EnvoyPatchPolicy, bootstrap customisation,
 * config dumps; ADR 0038). Loaded, they are ~2.4 MiB of the controller's heap and ~4 MiB of its
 * RSS with none of those in the input (ADR 0034). `require` because translation is synchronous.
 */
import type * as Cel from "@bufbuild/cel";
import type * as Protobuf from "@bufbuild/protobuf";
import type * as ProtobufWkt from "@bufbuild/protobuf/wkt";
import type * as JsonP3 from "json-p3";
import type * as Luaparse from "luaparse";
import type * as Re2js from "re2js";

let cel: typeof Cel | undefined;
let jsonP3: typeof JsonP3 | undefined;
let luaparse: typeof Luaparse | undefined;
let re2js: typeof Re2js | undefined;
let protobuf: typeof Protobuf | undefined;
let protobufWkt: typeof ProtobufWkt | undefined;

/* eslint-disable @typescript-eslint/no-require-imports -- synchronous loads on first use (see the module comment) */
/** `@bufbuild/cel`. */
export const celPackage = (): typeof Cel => (cel ??= require("@bufbuild/cel") as typeof Cel);
/** `json-p3`. */
export const jsonP3Package = (): typeof JsonP3 => (jsonP3 ??= require("json-p3") as typeof JsonP3);
/** `luaparse`. */
export const luaparsePackage = (): typeof Luaparse => (luaparse ??= require("luaparse") as typeof Luaparse);
/** `re2js`. */
export const re2jsPackage = (): typeof Re2js => (re2js ??= require("re2js") as typeof Re2js);
/** `@bufbuild/protobuf` (reflection, protojson: EnvoyPatchPolicy, bootstrap customisation, config dumps). */
export const protobufPackage = (): typeof Protobuf => (protobuf ??= require("@bufbuild/protobuf") as typeof Protobuf);
/** `@bufbuild/protobuf/wkt`. */
export const protobufWktPackage = (): typeof ProtobufWkt =>
  (protobufWkt ??= require("@bufbuild/protobuf/wkt") as typeof ProtobufWkt);
/* eslint-enable @typescript-eslint/no-require-imports */
