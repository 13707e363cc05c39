/**
 * Kubeconfig files as kubectl reads them: one file, or several (KUBECONFIG's list) merged with the first file to
 * set a value winning (current-context, and each named cluster, user and context); relative file paths are
 * resolved against the directory of the file that names them. The context chosen (current-context, or the one
 * asked for) resolves to a {@link KubeEndpoint}.
 *
 * Supported: clusters' `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify`, `tls-server-name`
 * (and `disable-compression`, `extensions`, which change nothing here); users' `client-certificate(-data)`,
 * `client-key(-data)`, `token`, `tokenFile`, `username`/`password`, `exec` (credential plugins giving tokens,
 * exec-credential.ts); contexts' `cluster`, `user`, `namespace`.
 * Anything else in a cluster or user (auth providers, impersonation, `proxy-url`) is refused
 * with an error naming the file and field, never ignored.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { isFields, KubeconfigError, type Fields, type KubeAuth, type KubeEndpoint, type KubeTls } from "./endpoint";
import { execPluginOf } from "./exec-credential";

/** One named entry of `clusters`, `users` or `contexts`, with the file it came from. */
interface Entry {
  readonly file: string;
  /** The field path, e.g. `users[name=admin].user`. */
  readonly field: string;
  readonly value: Fields;
}

/** The merge of one or more kubeconfig files. */
export interface Kubeconfig {
  /** The files read, in order. */
  readonly files: readonly string[];
  readonly currentContext?: string;
  readonly clusters: ReadonlyMap<string, Entry>;
  readonly users: ReadonlyMap<string, Entry>;
  readonly contexts: ReadonlyMap<string, Entry>;
}

const CLUSTER_FIELDS = new Set([
  "server",
  "certificate-authority",
  "certificate-authority-data",
  "insecure-skip-tls-verify",
  "tls-server-name",
  "disable-compression",
  "extensions",
]);
const USER_FIELDS = new Set([
  "client-certificate",
  "client-certificate-data",
  "client-key",
  "client-key-data",
  "token",
  "tokenFile",
  "username",
  "password",
  "exec",
  "extensions",
]);
const CONTEXT_FIELDS = new Set(["cluster", "user", "namespace", "extensions"]);

/**
 * Reads and merges `files` (first wins). Files that do not exist are skipped when `skipMissing` (KUBECONFIG's
 * list, as kubectl does); otherwise, and when none is left, it is an error. @throws KubeconfigError
 */
export function readKubeconfig(files: readonly string[], skipMissing = false): Kubeconfig {
  const present = skipMissing ? files.filter((f) => existsSync(f)) : files;
  if (present.length === 0) throw new KubeconfigError(files.join(":") || "KUBECONFIG", "file", "no such file");
  const clusters = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const contexts = new Map<string, Entry>();
  let currentContext: string | undefined;
  for (const file of present) {
    const doc = parseFile(file);
    const cc = doc["current-context"];
    if (currentContext === undefined && typeof cc === "string" && cc) currentContext = cc;
    addEntries(file, doc, "clusters", "cluster", clusters);
    addEntries(file, doc, "users", "user", users);
    addEntries(file, doc, "contexts", "context", contexts);
  }
  return { files: present, currentContext, clusters, users, contexts };
}

/** One file's YAML document. */
function parseFile(file: string): Fields {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new KubeconfigError(file, "file", (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(file, "file", `not YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isFields(doc)) throw new KubeconfigError(file, "file", "not a mapping");
  return doc;
}

/** Adds `doc[list]`'s entries not already named to `into`. */
function addEntries(file: string, doc: Fields, list: string, key: string, into: Map<string, Entry>): void {
  const items = doc[list];
  if (items === undefined || items === null) return;
  if (!Array.isArray(items)) throw new KubeconfigError(file, list, "not a list");
  items.forEach((item: unknown, i) => {
    if (!isFields(item) || typeof item.name !== "string" || !item.name) {
      throw new KubeconfigError(file, `${list}[${i}].name`, "missing");
    }
    const value = item[key] ?? {};
    const field = `${list}[name=${item.name}].${key}`;
    if (!isFields(value)) throw new KubeconfigError(file, field, "not a mapping");
    if (!into.has(item.name)) into.set(item.name, { file, field, value });
  });
}

/** The endpoint of `context` (the current context when absent). @throws KubeconfigError */
export function endpointOf(kc: Kubeconfig, context?: string): KubeEndpoint {
  const where = kc.files.join(":");
  const name = context || kc.currentContext;
  if (!name) throw new KubeconfigError(where, "current-context", "not set (and no context asked for)");
  const ctx = kc.contexts.get(name);
  if (!ctx) throw new KubeconfigError(where, context ? "context" : "current-context", `no context named "${name}"`);
  refuseUnknown(ctx, CONTEXT_FIELDS);
  const cluster = named(kc.clusters, ctx, "cluster");
  if (!cluster) throw new KubeconfigError(ctx.file, `${ctx.field}.cluster`, "missing");
  const user = named(kc.users, ctx, "user");
  refuseUnknown(cluster, CLUSTER_FIELDS);
  if (user) refuseUnknown(user, USER_FIELDS);
  const server = serverOf(cluster);
  const tls = clusterTls(cluster);
  return {
    server,
    tls: { ...tls, ...(user ? clientPair(user) : {}) },
    auth: user ? authOf(user, server, tls.ca) : { kind: "none" },
    origin: `kubeconfig ${where} (context ${name})`,
  };
}

/** The cluster or user the context names in `field`; undefined when it names none. */
function named(entries: ReadonlyMap<string, Entry>, ctx: Entry, field: "cluster" | "user"): Entry | undefined {
  const name = str(ctx, field);
  if (!name) return undefined;
  const entry = entries.get(name);
  if (!entry) throw new KubeconfigError(ctx.file, `${ctx.field}.${field}`, `no ${field} named "${name}"`);
  return entry;
}

/** The cluster's `server`, checked to be a URL, without a trailing slash. */
function serverOf(cluster: Entry): string {
  const server = str(cluster, "server");
  if (!server) throw new KubeconfigError(cluster.file, `${cluster.field}.server`, "missing");
  try {
    new URL(server);
  } catch {
    throw new KubeconfigError(cluster.file, `${cluster.field}.server`, `not a URL: "${server}"`);
  }
  return server.replace(/\/+$/, "");
}

/** How the cluster's certificate is verified. */
function clusterTls(cluster: Entry): KubeTls {
  const skipVerify = cluster.value["insecure-skip-tls-verify"];
  if (skipVerify !== undefined && typeof skipVerify !== "boolean") {
    throw new KubeconfigError(cluster.file, `${cluster.field}.insecure-skip-tls-verify`, "not a boolean");
  }
  const ca = material(cluster, "certificate-authority");
  const servername = str(cluster, "tls-server-name");
  return { ...(ca ? { ca } : {}), rejectUnauthorized: skipVerify !== true, ...(servername ? { servername } : {}) };
}

/** The user's client certificate and key (both or neither). */
function clientPair(user: Entry): { cert?: string; key?: string } {
  const cert = material(user, "client-certificate");
  const key = material(user, "client-key");
  if (Boolean(cert) !== Boolean(key)) {
    const missing = cert ? "client-key" : "client-certificate";
    throw new KubeconfigError(
      user.file,
      `${user.field}.${missing}`,
      "missing (client certificate and key go together)",
    );
  }
  return cert && key ? { cert, key } : {};
}

/** A string field; an error when present and not a string. */
function str(e: Entry, name: string): string | undefined {
  const v = e.value[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new KubeconfigError(e.file, `${e.field}.${name}`, "not a string");
  return v;
}

/** Refuses a field this loader does not implement, so it is never silently ignored. */
function refuseUnknown(e: Entry, known: ReadonlySet<string>): void {
  for (const name of Object.keys(e.value)) {
    if (!known.has(name)) throw new KubeconfigError(e.file, `${e.field}.${name}`, "not supported by egts");
  }
}

/** A file path of `e`, resolved against the directory of the file that names it. */
function pathOf(e: Entry, name: string): string | undefined {
  const p = str(e, name);
  return p ? resolve(dirname(e.file), p) : undefined;
}

/** PEM text from `<name>-data` (base64) or the file `<name>` (the data wins, as in kubectl). */
function material(e: Entry, name: string): string | undefined {
  const data = str(e, `${name}-data`);
  if (data) {
    const text = Buffer.from(data, "base64").toString("utf8");
    if (!text.includes("-----BEGIN")) throw new KubeconfigError(e.file, `${e.field}.${name}-data`, "not base64 PEM");
    return text;
  }
  const path = pathOf(e, name);
  if (!path) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new KubeconfigError(e.file, `${e.field}.${name}`, (err as Error).message);
  }
}

/** A user's token, token file, basic credentials or exec plugin (`server`, `ca`: the cluster's, for the plugin). */
function authOf(user: Entry, server: string, ca?: string): KubeAuth {
  const token = str(user, "token");
  const tokenFile = pathOf(user, "tokenFile");
  const username = str(user, "username");
  const password = str(user, "password");
  if ((token || tokenFile) && (username || password)) {
    throw new KubeconfigError(user.file, `${user.field}.username`, "a user has a token or a username, not both");
  }
  const others = [token, tokenFile, username, password].some(Boolean);
  if (user.value.exec !== undefined) return execAuth(user, others, server, ca);
  if (token) return { kind: "token", token };
  if (tokenFile) {
    if (!existsSync(tokenFile))
      throw new KubeconfigError(user.file, `${user.field}.tokenFile`, `no such file ${tokenFile}`);
    return { kind: "tokenFile", path: tokenFile };
  }
  if (username || password) return { kind: "basic", username: username ?? "", password: password ?? "" };
  return { kind: "none" };
}

/** A user's exec plugin (`others`: the user also has a token or username). */
function execAuth(user: Entry, others: boolean, server: string, ca?: string): KubeAuth {
  if (others)
    throw new KubeconfigError(user.file, `${user.field}.exec`, "a user has exec or a token / username, not both");
  const caData = ca ? Buffer.from(ca).toString("base64") : undefined;
  return { kind: "exec", plugin: execPluginOf(user.value.exec, user.file, `${user.field}.exec`, server, caData) };
}
