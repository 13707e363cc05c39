/** The help text of a command, laid out as egctl's (cobra's): description, usage, aliases, examples, commands, flags. */
import { type Command, pathOf } from "./command";
import type { FlagSpec } from "./flags";

function flagLine(f: FlagSpec): [string, string] {
  const names = f.short ? `-${f.short}, --${f.name}` : `    --${f.name}`;
  const kind = f.type === "bool" ? "" : f.type === "string" ? " string" : " strings";
  const d = f.default;
  const shown =
    d === undefined || d === false || d === "" || (Array.isArray(d) && d.length === 0)
      ? ""
      : ` (default ${Array.isArray(d) ? `[${d.join(",")}]` : typeof d === "string" ? `"${d}"` : String(d)})`;
  return [`${names}${kind}`, `${f.usage}${shown}`];
}

function table(rows: readonly [string, string][], indent = "  "): string {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}   ${b}`.trimEnd()).join("\n");
}

/** The help of the last command of `chain`. */
export function helpText(chain: readonly Command[]): string {
  const cmd = chain[chain.length - 1];
  const path = pathOf(chain);
  const subs = cmd.subcommands ?? [];
  const out: string[] = [cmd.long ?? cmd.short, ""];
  const usage: string[] = [];
  if (cmd.load) usage.push(`  ${path}${cmd.argsUsage ? ` ${cmd.argsUsage}` : ""} [flags]`);
  if (subs.length > 0) usage.push(`  ${path} [command]`);
  out.push("Usage:", ...usage, "");
  if (cmd.aliases?.length) out.push("Aliases:", `  ${[cmd.name, ...cmd.aliases].join(", ")}`, "");
  if (cmd.examples?.length) out.push("Examples:", ...cmd.examples.map((e) => (e ? `  ${e}` : "")), "");
  if (subs.length > 0) out.push("Available Commands:", table(subs.map((s) => [s.name, s.short])), "");
  const own = [...(cmd.persistentFlags ?? []), ...(cmd.flags ?? [])];
  const help: FlagSpec = { name: "help", short: "h", type: "bool", usage: `help for ${cmd.name}` };
  out.push("Flags:", table([...own, help].map(flagLine)), "");
  const inherited = chain.slice(0, -1).flatMap((c) => c.persistentFlags ?? []);
  if (inherited.length > 0) out.push("Global Flags:", table(inherited.map(flagLine)), "");
  if (subs.length > 0) out.push(`Use "${path} [command] --help" for more information about a command.`);
  return `${out.join("\n").trimEnd()}\n`;
}
