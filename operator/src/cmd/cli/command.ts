/**
 * The command tree of `egts`, egctl-style: each command has a name, aliases, a one-line and a long description,
 * examples, its own flags and flags inherited by its subcommands, and a runner loaded only when the command runs
 * (so `egts --help` and `egts version` load none of the controller, the translator or the Kubernetes client).
 */
import { type FlagSpec, type FlagValues, parseFlags, takesValue, UsageError } from "./flags";

/** What a runner gets: the flags (own and inherited), the arguments, and the command's path for messages. */
export interface Invocation {
  /** Flag values by long name. */
  readonly values: FlagValues;
  /** The names of the flags given on the command line. */
  readonly changed: ReadonlySet<string>;
  /** Positional arguments. */
  readonly args: readonly string[];
  /** The command's full name, e.g. `egts x translate`. */
  readonly path: string;
}

/** Runs a command; resolves to the exit code. Throw a UsageError for a wrong call, an Error for a failure. */
export type Runner = (inv: Invocation) => Promise<number>;

/** One command. */
export interface Command {
  /** Name, as typed. */
  readonly name: string;
  /** Other names it answers to. @default none */
  readonly aliases?: readonly string[];
  /** Arguments shown in the usage line, e.g. `<pod-name>`. @default none */
  readonly argsUsage?: string;
  /** One line for the parent's command list. */
  readonly short: string;
  /** Paragraph at the top of its help. @default short */
  readonly long?: string;
  /** Examples, each a comment line and a command line. @default none */
  readonly examples?: readonly string[];
  /** Flags of this command only. @default none */
  readonly flags?: readonly FlagSpec[];
  /** Flags of this command and all its subcommands. @default none */
  readonly persistentFlags?: readonly FlagSpec[];
  /** Subcommands. @default none */
  readonly subcommands?: readonly Command[];
  /** Most positional arguments accepted. @default unlimited */
  readonly maxArgs?: number;
  /** Loads the runner (a dynamic import). Without it, the command prints its help. @default none */
  readonly load?: () => Promise<Runner>;
}

/** A command found on the command line, with its ancestors (root first) and its arguments. */
export interface Resolved {
  /** Root first, the command last. */
  readonly chain: readonly Command[];
  /** What follows the command names (flags and positionals). */
  readonly rest: readonly string[];
}

/** Every flag a command sees: its own and its ancestors' persistent ones. */
export function flagsOf(chain: readonly Command[]): FlagSpec[] {
  const own = chain[chain.length - 1];
  return [...chain.flatMap((c) => c.persistentFlags ?? []), ...(own.flags ?? [])];
}

/** The subcommand of `cmd` named or aliased `name`. */
function child(cmd: Command, name: string): Command | undefined {
  return cmd.subcommands?.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

/** Walks `argv` from `root` down to the command it names; flags may come before the subcommand names. */
export function resolve(root: Command, argv: readonly string[]): Resolved {
  const chain: Command[] = [root];
  const rest: string[] = [];
  let positional = false; // after the first argument that is not a command name, none is looked up
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const cmd = chain[chain.length - 1];
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      rest.push(arg);
      if (takesValue(flagsOf(chain), arg) && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    const sub = positional ? undefined : child(cmd, arg);
    if (sub) chain.push(sub);
    else {
      positional = true;
      rest.push(arg);
    }
  }
  return { chain, rest };
}

/** The full name of a command chain: `egts x translate`. */
export function pathOf(chain: readonly Command[]): string {
  return chain.map((c) => c.name).join(" ");
}

/** Parses the flags of a resolved command; a positional where subcommands were expected is an unknown command. */
export function invocation(r: Resolved): Invocation & { help: boolean } {
  const cmd = r.chain[r.chain.length - 1];
  const path = pathOf(r.chain);
  // A word where a subcommand was expected is reported as such, before any flag that follows it.
  const specs = flagsOf(r.chain);
  const word = r.rest.find((a, i) => !a.startsWith("-") && !(i > 0 && takesValue(specs, r.rest[i - 1])));
  if (!cmd.load && word !== undefined && !r.rest.some((a) => a === "-h" || a === "--help")) {
    throw new UsageError(`unknown command "${word}" for "${path}"`);
  }
  const parsed = parseFlags(r.rest, specs);
  if (!parsed.help && cmd.maxArgs !== undefined && parsed.positionals.length > cmd.maxArgs) {
    throw new UsageError(`unknown args: ${parsed.positionals.slice(cmd.maxArgs).join(",")}`);
  }
  return { values: parsed.values, changed: parsed.changed, args: parsed.positionals, path, help: parsed.help };
}
