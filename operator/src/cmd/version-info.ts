/** The version of this egts build (light: `egts --version` loads only this). */

/** egts's version, as in package.json. */
export const EGTS_VERSION = "0.1.0";

/** The client version that `egts version` and `egts --version` print. */
export function clientVersion(): string {
  return EGTS_VERSION;
}
