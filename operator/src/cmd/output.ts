/** Printing a result as egctl does: `-o yaml` or `-o json` (two-space indented), anything else refused. */
import { UsageError } from "./cli/flags";

/** The output formats of `-o`. */
export type OutputFormat = "yaml" | "json";

/** Checks an `-o` value. @throws UsageError naming the value and the allowed ones */
export function outputFormat(value: string | undefined, allowed: readonly string[] = ["yaml", "json"]): string {
  const v = value ?? "";
  if (!allowed.includes(v)) throw new UsageError(`invalid output format "${v}": one of ${allowed.join(", ")}`);
  return v;
}

/**
 * `data` as YAML (no anchors, no line folding, sequences at their key's indentation) or indented JSON, ending with
 * a newline. Plain data is printed by the fast writer (yaml-emit.ts), anything else by the `yaml` package (the same
 * text).
 */
export async function formatOutput(data: unknown, format: string): Promise<string> {
  if (format === "json") return `${JSON.stringify(data, null, 2)}\n`;
  const { emitYaml } = await import("./yaml-emit");
  const fast = emitYaml(data);
  if (fast !== undefined) return fast;
  const { stringify } = await import("yaml");
  // Sequences not indented under their key, as Go's YAML writers (egctl's) print them.
  return stringify(data, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false });
}
