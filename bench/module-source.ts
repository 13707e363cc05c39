/**
 * The module source a command loads at start (ADR 0038): requires the command's module (`controller`,
 * `standalone`) with a hook on Node's compile step and prints the modules and bytes of source compiled, in total and
 * by group (generated protos, protobuf-es, our own code, each package). Every compiled module's source stays in V8's
 * heap, and its top level runs. With `--expose-gc`, also the process's RSS and V8's heap used after a full GC once
 * loaded (the cost of loading alone, before any pass).
 *
 *   node --expose-gc dist/bench/module-source.js [controller|standalone] [--files proto/gen]
 *   (--files: list that group's files)
 */
import Module from "node:module";
import * as path from "node:path";

/** Node's internal compile step (not in @types/node). */
interface Compiling {
  _compile(content: string, filename: string): unknown;
}

const compiled: { readonly file: string; readonly bytes: number }[] = [];
const proto = Module.prototype as unknown as Compiling;
const compile = proto._compile;
proto._compile = function (this: Compiling, content: string, filename: string): unknown {
  compiled.push({ file: filename, bytes: Buffer.byteLength(content) });
  return compile.call(this, content, filename);
};

/** The group a compiled file counts in. */
function groupOf(file: string): string {
  if (file.includes("/proto/gen/")) return "proto/gen";
  const pkg = file.split("/node_modules/")[1];
  if (pkg !== undefined) {
    const parts = pkg.split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return "egts";
}

const ENTRIES: Readonly<Record<string, string>> = {
  controller: "../operator/src/cmd/controller-cmd",
  standalone: "../operator/src/cmd/standalone-cmd",
};
const command = process.argv[2] ?? "controller";
const entry = ENTRIES[command];
if (entry === undefined) throw new Error(`unknown command ${command}: one of ${Object.keys(ENTRIES).join(", ")}`);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the hook, on purpose
require(entry);

const groups = new Map<string, { modules: number; bytes: number }>();
for (const c of compiled) {
  const g = groups.get(groupOf(c.file)) ?? { modules: 0, bytes: 0 };
  groups.set(groupOf(c.file), { modules: g.modules + 1, bytes: g.bytes + c.bytes });
}
const total = compiled.reduce((n, c) => n + c.bytes, 0);
console.log(`${command}: ${compiled.length} modules, ${total} bytes of source`);
for (const [g, v] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 10)) {
  console.log(`  ${g.padEnd(28)} ${String(v.modules).padStart(5)} modules ${String(v.bytes).padStart(9)} bytes`);
}
const collect = (globalThis as { gc?: () => void }).gc;
if (collect) {
  collect();
  const m = process.memoryUsage();
  const mib = (n: number): string => (n / 1048576).toFixed(1);
  console.log(`after a full GC: RSS ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)} MiB`);
}
const listed = process.argv.indexOf("--files");
if (listed > 0) {
  const group = process.argv[listed + 1];
  for (const c of compiled.filter((x) => groupOf(x.file) === group)) {
    console.log(`  ${String(c.bytes).padStart(8)} ${path.relative(path.resolve(__dirname, ".."), c.file)}`);
  }
}
