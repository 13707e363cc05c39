/**
 * The `egts` command line, egctl's conventions: help (`-h/--help` on every command, `egts help <command>`) and
 * results on stdout, errors on stderr as `Error: …`, exit code 0 on success and 1 on any error, a usage
 * mistake included (as egctl). Only the command that runs is loaded (commands.ts).
 */
import { type Command, invocation, pathOf, resolve } from "./cli/command";
import { UsageError } from "./cli/flags";
import { helpText } from "./cli/help";
import { ROOT } from "./commands";
import { clientVersion } from "./version-info";

/** Entry point; returns the exit code (standalone and controller run until a signal). */
export async function main(argv: readonly string[], root: Command = ROOT): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "help") {
    process.stdout.write(helpText(resolve(root, rest).chain));
    return 0;
  }
  const found = resolve(root, argv);
  const cmd = found.chain[found.chain.length - 1];
  try {
    const inv = invocation(found);
    if (inv.help) {
      process.stdout.write(helpText(found.chain));
      return 0;
    }
    if (found.chain.length === 1 && inv.values.version === true) {
      process.stdout.write(`egts version ${clientVersion()}\n`);
      return 0;
    }
    if (!cmd.load) {
      process.stdout.write(helpText(found.chain));
      return 0;
    }
    const run = await cmd.load();
    return await run(inv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`Error: ${err.message}\nRun '${pathOf(found.chain)} --help' for usage.\n`);
    return 1;
  }
}
