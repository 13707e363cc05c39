/**
 * Packages that only some inputs need, loaded on their first use instead of at start: CEL (SecurityPolicy
 * authorization and access log expressions), RE2 (regular expression matches), JSONPath/JSON Patch (EnvoyPatchPolicy)
 * and the Lua parser (EnvoyExtensionPolicy Lua). Loaded, they are ~2.4 MiB of the controller's heap and ~4 MiB of its
 * RSS with none of those in the input (ADR 0034). `require` because translation is synchronous.
 */
import type * as Cel from "@bufbuild/cel";
import type * as JsonP3 from "json-p3";
import type * as Luaparse from "luaparse";
import type * as Re2js from "re2js";

let cel: typeof Cel | undefined;
let jsonP3: typeof JsonP3 | undefined;
let luaparse: typeof Luaparse | undefined;
let re2js: typeof Re2js | undefined;

/* eslint-disable @typescript-eslint/no-require-imports -- synchronous loads on first use (see the module comment) */
/** `@bufbuild/cel`. */
export const celPackage = (): typeof Cel => (cel ??= require("@bufbuild/cel") as typeof Cel);
/** `json-p3`. */
export const jsonP3Package = (): typeof JsonP3 => (jsonP3 ??= require("json-p3") as typeof JsonP3);
/** `luaparse`. */
export const luaparsePackage = (): typeof Luaparse => (luaparse ??= require("luaparse") as typeof Luaparse);
/** `re2js`. */
export const re2jsPackage = (): typeof Re2js => (re2js ??= require("re2js") as typeof Re2js);
/* eslint-enable @typescript-eslint/no-require-imports */
