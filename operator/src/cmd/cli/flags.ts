/**
 * Command-line flags with the conventions of egctl (spf13/pflag): `--name value`, `--name=value`, `-n value`,
 * `-nvalue`, `-n=value`, grouped boolean shorthands (`-Aq`), `--bool=false`, comma lists that repeat
 * (`--to gateway-api,xds --to ir`), `--` to end the flags, and `-` as an ordinary value (stdin).
 */

/** How a flag takes its value. */
export type FlagType = "string" | "bool" | "stringArray" | "stringSlice";

/** One flag of a command. */
export interface FlagSpec {
  /** Long name, without `--`. */
  readonly name: string;
  /** One-letter shorthand, without `-`. @default none */
  readonly short?: string;
  /** `string`, `bool`, `stringArray` (repeatable) or `stringSlice` (repeatable comma list). */
  readonly type: FlagType;
  /** Value when the flag is absent. @default undefined for strings, false for bools, [] for lists */
  readonly default?: string | boolean | readonly string[];
  /** One line for the help text. */
  readonly usage: string;
}

/** Parsed values by long name: a string, a boolean or a list (a string flag without default and not given: absent). */
export type FlagValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** A mistake in how the command was called (unknown flag, missing value...): exit 1 with a usage hint. */
export class UsageError extends Error {}

/** The result of {@link parseFlags}. */
export interface ParsedArgs {
  /** Every flag of `specs`, set or defaulted. */
  readonly values: FlagValues;
  /** The names of the flags given on the command line. */
  readonly changed: ReadonlySet<string>;
  /** Arguments that are not flags, in order. */
  readonly positionals: readonly string[];
  /** `-h` or `--help` was given. */
  readonly help: boolean;
}

const HELP: FlagSpec = { name: "help", short: "h", type: "bool", usage: "help" };

/** The default value of a flag. */
function defaultOf(spec: FlagSpec): string | boolean | readonly string[] | undefined {
  if (spec.default !== undefined) return spec.default;
  if (spec.type === "bool") return false;
  return spec.type === "string" ? undefined : [];
}

/** `true`/`false` (and pflag's other spellings) as a boolean; throws a UsageError naming the flag otherwise. */
function parseBool(flag: string, value: string): boolean {
  if (["true", "1", "t", "T", "TRUE", "True"].includes(value)) return true;
  if (["false", "0", "f", "F", "FALSE", "False"].includes(value)) return false;
  throw new UsageError(`invalid argument "${value}" for "${flag}" flag: not a boolean`);
}

/** Whether an argument taken by a flag parser is a flag (a lone `-` is a value: stdin). */
function isFlag(arg: string): boolean {
  return arg.startsWith("-") && arg !== "-";
}

/** Finds a flag by long name or shorthand. */
export function findFlag(specs: readonly FlagSpec[], name: string, short: boolean): FlagSpec | undefined {
  return [...specs, HELP].find((s) => (short ? s.short === name : s.name === name));
}

/**
 * Whether `arg` (a flag without `=`) consumes the next argument as its value: used to walk a command line
 * to its subcommand names before the subcommand's own flags are known.
 */
export function takesValue(specs: readonly FlagSpec[], arg: string): boolean {
  if (!isFlag(arg) || arg.includes("=")) return false;
  if (arg.startsWith("--")) {
    const spec = findFlag(specs, arg.slice(2), false);
    return spec !== undefined && spec.type !== "bool";
  }
  // A shorthand group: the value follows only when the last letter is a non-bool flag.
  const letters = arg.slice(1);
  for (let i = 0; i < letters.length; i++) {
    const spec = findFlag(specs, letters[i], true);
    if (!spec) return false;
    if (spec.type !== "bool") return i === letters.length - 1;
  }
  return false;
}

/** Parses `args` against `specs` (plus `-h/--help`). @throws UsageError */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const values: Record<string, string | boolean | readonly string[] | undefined> = {};
  for (const s of specs) values[s.name] = defaultOf(s);
  const changed = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  const set = (spec: FlagSpec, flag: string, value: string | undefined): void => {
    if (spec.name === "help") {
      help = value === undefined ? true : parseBool(flag, value);
      return;
    }
    const first = !changed.has(spec.name);
    changed.add(spec.name);
    if (spec.type === "bool") values[spec.name] = value === undefined ? true : parseBool(flag, value);
    else if (spec.type === "string") values[spec.name] = value ?? "";
    else {
      const items = spec.type === "stringSlice" ? (value ?? "").split(",").filter((v) => v !== "") : [value ?? ""];
      values[spec.name] = [...(first ? [] : (values[spec.name] as readonly string[])), ...items];
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!isFlag(arg)) {
      positionals.push(arg);
      continue;
    }
    const next = (flag: string): string => {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: ${flag}`);
      return args[++i];
    };
    if (arg.startsWith("--")) {
      const [name, inline] = splitOnce(arg.slice(2));
      const spec = findFlag(specs, name, false);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      set(spec, name, inline ?? (spec.type === "bool" ? undefined : next(`--${name}`)));
      continue;
    }
    const letters = arg.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const spec = findFlag(specs, letters[j], true);
      if (!spec) throw new UsageError(`unknown shorthand flag: '${letters[j]}' in ${arg}`);
      const rest = letters.slice(j + 1);
      if (spec.type === "bool") {
        if (rest.startsWith("=")) {
          set(spec, spec.name, rest.slice(1));
          break;
        }
        set(spec, spec.name, undefined);
        continue;
      }
      const value = rest === "" ? next(`'${letters[j]}' in -${letters[j]}`) : rest.replace(/^=/, "");
      set(spec, spec.name, value);
      break;
    }
  }
  return { values, changed, positionals, help };
}

function splitOnce(s: string): [string, string | undefined] {
  const at = s.indexOf("=");
  return at < 0 ? [s, undefined] : [s.slice(0, at), s.slice(at + 1)];
}

/** A string flag's value. */
export function str(values: FlagValues, name: string): string {
  const v = values[name];
  return typeof v === "string" ? v : "";
}

/** A boolean flag's value. */
export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** A list flag's value. */
export function list(values: FlagValues, name: string): readonly string[] {
  const v = values[name];
  return Array.isArray(v) ? (v as readonly string[]) : [];
}
