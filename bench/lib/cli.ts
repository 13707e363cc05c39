/** Command-line and timing helpers shared by the benches. */

/** The value after `--<name>` on the command line, if given. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The result of `fn` and the CPU milliseconds (user + system) it took. */
export function cpuTimed<T>(fn: () => T): [T, number] {
  const c0 = process.cpuUsage();
  const v = fn();
  const c = process.cpuUsage(c0);
  return [v, (c.user + c.system) / 1000];
}
