/** Port-number flags (`--xds-port`, `--metrics-port`, …): parsed once, refused with the flag's name when wrong. */

/** A port flag's value: a whole number 1-65535. @throws Error naming the flag and the value otherwise */
export function portFlag(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new Error(`--${flag} ${JSON.stringify(value)} is not a port number (1-65535)`);
  }
  return port;
}
