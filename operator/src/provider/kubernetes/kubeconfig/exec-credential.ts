/**
 * Exec credential plugins (a kubeconfig user's `exec`, e.g. `aws eks get-token`, `gke-gcloud-auth-plugin`,
 * `kubelogin`), as client-go runs them: the command with its args and env added to ours, `KUBERNETES_EXEC_INFO`
 * holding an ExecCredential of the plugin's apiVersion (`spec.interactive: false`, and `spec.cluster` when
 * `provideClusterInfo`), stdin closed, and its standard output read as an ExecCredential whose `status.token` is
 * the bearer token, used until `status.expirationTimestamp` (or until a 401). A plugin that answers with a
 * client certificate instead of a token is refused naming the field: egts sends plugin tokens only.
 * The plugin runs asynchronously (execFile): the controller's event loop goes on while it runs (a plugin may take
 * seconds: a cloud CLI refreshing its own login); kube-config.ts runs it once per token lifetime, not per request.
 */
import { execFile } from "node:child_process";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { childEnv } from "../../../config/env";
import { isFields, KubeconfigError } from "./endpoint";

const execFileAsync = promisify(execFile);

/** The plugin API versions client-go accepts. */
const API_VERSIONS = new Set(["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]);

/** How long a plugin may run. */
const PLUGIN_TIMEOUT_MS = 60_000;

/** A kubeconfig user's `exec` section, checked. */
export interface ExecPlugin {
  readonly apiVersion: string;
  /** The command: absolute, on PATH, or (with a path separator) relative to the kubeconfig's folder. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** `spec.cluster` of KUBERNETES_EXEC_INFO when the user asked for `provideClusterInfo`. */
  readonly cluster?: { readonly server: string; readonly "certificate-authority-data"?: string };
  /** `<file>: users[name=…].user.exec`, for messages. */
  readonly where: string;
}

/** A token a plugin gave, and when it expires (ms since the epoch; Infinity when it did not say). */
export interface ExecToken {
  readonly token: string;
  readonly expiresAt: number;
}

const EXEC_FIELDS = new Set([
  "apiVersion",
  "command",
  "args",
  "env",
  "installHint",
  "provideClusterInfo",
  "interactiveMode",
]);

/**
 * Checks a user's `exec` section (`file`/`field` name it in errors); `server` and `caData` feed
 * `provideClusterInfo`. @throws KubeconfigError
 */
export function execPluginOf(value: unknown, file: string, field: string, server: string, caData?: string): ExecPlugin {
  const err: FieldError = (f, m) => new KubeconfigError(file, `${field}.${f}`, m);
  if (!isFields(value)) throw new KubeconfigError(file, field, "not a mapping");
  for (const name of Object.keys(value)) if (!EXEC_FIELDS.has(name)) throw err(name, "not supported by egts");
  const { apiVersion, command, args = [], env = [], provideClusterInfo, interactiveMode } = value;
  if (typeof apiVersion !== "string" || !API_VERSIONS.has(apiVersion))
    throw err("apiVersion", `must be one of ${[...API_VERSIONS].join(", ")}`);
  if (typeof command !== "string" || !command) throw err("command", "missing");
  const vars = envOf(env, err);
  checkModes(provideClusterInfo, interactiveMode, err);
  const relative = !isAbsolute(command) && command.includes(sep);
  return {
    apiVersion,
    command: relative ? resolve(dirname(file), command) : command,
    args: argsOf(args, err),
    env: vars,
    ...(provideClusterInfo ? { cluster: { server, ...(caData ? { "certificate-authority-data": caData } : {}) } } : {}),
    where: `${file}: ${field}`,
  };
}

type FieldError = (field: string, message: string) => KubeconfigError;

/** The plugin's `args`. */
function argsOf(args: unknown, err: FieldError): string[] {
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) throw err("args", "not a list of strings");
  return args as string[];
}

/** The plugin's `env` list. */
function envOf(env: unknown, err: FieldError): { name: string; value: string }[] {
  if (!Array.isArray(env)) throw err("env", "not a list");
  return env.map((e: unknown, i) => {
    if (!isFields(e) || typeof e.name !== "string" || typeof e.value !== "string")
      throw err(`env[${i}]`, "needs a string name and value");
    return { name: e.name, value: e.value };
  });
}

/** `provideClusterInfo` is a boolean; egts runs plugins without a terminal: `interactiveMode: Always` cannot be honoured. */
function checkModes(provideClusterInfo: unknown, mode: unknown, err: FieldError): void {
  if (provideClusterInfo !== undefined && typeof provideClusterInfo !== "boolean")
    throw err("provideClusterInfo", "not a boolean");
  if (mode === "Always")
    throw err("interactiveMode", "Always: egts runs plugins without a terminal (use Never or IfAvailable)");
  if (mode !== undefined && mode !== "Never" && mode !== "IfAvailable")
    throw err("interactiveMode", "must be Never, IfAvailable or Always");
}

/** Runs the plugin and reads its token. @throws KubeconfigError naming the plugin and what went wrong */
export async function runExecPlugin(plugin: ExecPlugin): Promise<ExecToken> {
  const info = {
    apiVersion: plugin.apiVersion,
    kind: "ExecCredential",
    spec: { interactive: false, ...(plugin.cluster ? { cluster: plugin.cluster } : {}) },
  };
  let out: string;
  try {
    const run = execFileAsync(plugin.command, plugin.args, {
      env: childEnv({
        ...Object.fromEntries(plugin.env.map((e) => [e.name, e.value])),
        KUBERNETES_EXEC_INFO: JSON.stringify(info),
      }),
      encoding: "utf8",
      timeout: PLUGIN_TIMEOUT_MS,
      maxBuffer: 1 << 20,
    });
    // No terminal, no input: a plugin that reads stdin sees its end (one that exited already: EPIPE, ignored).
    run.child.stdin?.on("error", () => undefined).end();
    out = (await run).stdout;
  } catch (e) {
    const failed = e as Error & { stderr?: string };
    const detail = (failed.stderr ?? "").trim() || failed.message;
    throw new KubeconfigError(plugin.where, "command", `${plugin.command} failed: ${detail}`);
  }
  return tokenOf(plugin, out);
}

/** The token in a plugin's output. */
function tokenOf(plugin: ExecPlugin, out: string): ExecToken {
  const bad = (f: string, m: string): KubeconfigError =>
    new KubeconfigError(plugin.where, f, `${plugin.command}'s ExecCredential: ${m}`);
  let cred: unknown;
  try {
    cred = JSON.parse(out);
  } catch {
    throw bad("output", "not JSON");
  }
  if (!isFields(cred) || cred.kind !== "ExecCredential") throw bad("output", "kind is not ExecCredential");
  if (cred.apiVersion !== plugin.apiVersion)
    throw bad("output", `apiVersion ${String(cred.apiVersion)}, not the ${plugin.apiVersion} asked for`);
  const status = cred.status;
  if (!isFields(status)) throw bad("status", "missing");
  if (typeof status.token !== "string" || !status.token) {
    if (status.clientCertificateData !== undefined)
      throw bad("status.clientCertificateData", "client certificates from exec plugins are not supported by egts");
    throw bad("status.token", "missing");
  }
  let expiresAt = Infinity;
  if (status.expirationTimestamp !== undefined) {
    expiresAt = typeof status.expirationTimestamp === "string" ? Date.parse(status.expirationTimestamp) : NaN;
    if (Number.isNaN(expiresAt)) throw bad("status.expirationTimestamp", "not an RFC 3339 time");
  }
  return { token: status.token, expiresAt };
}
