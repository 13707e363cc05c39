/**
 * The API server connection {@link KubeClient} sends through: an endpoint loaded from a kubeconfig or the
 * in-cluster environment, three keep-alive node:https Agents per TLS identity sharing one TLS context (ADR 0016: a
 * connection pool, not a connection per request; ADR 0036: 16 connections for most requests, 4 for urgent ones, one
 * per watch) and the authentication headers. The identity (server and TLS material, file contents read at load) is
 * computed once per (re)load, never per request; {@link KubeConfig.reload} reads the source again, e.g. after a
 * 401, and replaces the Agents only when the identity changed (the old ones close once their requests ended).
 * A token file (in-cluster, or a user's `tokenFile`) is read again when its last reading is a minute old, as
 * client-go does for rotated ServiceAccount tokens; an exec plugin's token is used until it expires (or a 401),
 * and the plugin runs asynchronously: from {@link EXEC_REFRESH_AHEAD_MS} before the expiry, in the background while
 * requests go on with the token they have; only a request without a valid token waits for it. Replaces `@kubernetes/client-node`'s KubeConfig (ADR 0017).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Agent as HttpAgent } from "node:http";
import { createSecureContext, type SecureContext } from "node:tls";
import { Agent as HttpsAgent } from "node:https";
import { env, type EgtsEnv } from "../../../config/env";
import { KubeconfigError, type KubeEndpoint } from "./endpoint";
import { runExecPlugin, type ExecPlugin } from "./exec-credential";
import { inCluster, inClusterEndpoint } from "./in-cluster";
import { endpointOf, readKubeconfig } from "./kubeconfig-file";

/** What to load: a kubeconfig file and context, or the default chain. */
export interface KubeSource {
  /** A kubeconfig file (`--kubeconfig`); the default chain when absent. */
  readonly path?: string;
  /** A context other than the file's current-context (`--context`). */
  readonly context?: string;
}

/** The environment variables the default chain reads (KUBECONFIG, HOME, the in-cluster ones). */
export type KubeEnv = Pick<EgtsEnv, "kubeconfigFiles" | "home" | "kubernetesService">;

/** How long a token file's contents are used before reading it again (client-go: one minute). */
const TOKEN_FILE_TTL_MS = 60_000;

/** How long before its token expires an exec plugin is run again (in the background). */
export const EXEC_REFRESH_AHEAD_MS = 10_000;

/** A token read from a token file or given by an exec plugin, and when to read or run it again (ms since the epoch). */
interface CachedToken {
  readonly value: string;
  /** Token file: its reading is a minute old; exec plugin: the token expires (Infinity when it did not say). */
  readonly until: number;
}

/**
 * The default chain, as `@kubernetes/client-node`'s `loadFromDefault` (which the operator used): the files of
 * KUBECONFIG (path-list, merged), else ~/.kube/config, else the in-cluster configuration. @throws KubeconfigError
 */
export function loadEndpoint(source: KubeSource, e: KubeEnv = env()): KubeEndpoint {
  if (source.path) return endpointOf(readKubeconfig([source.path]), source.context);
  if (e.kubeconfigFiles.length > 0) return endpointOf(readKubeconfig(e.kubeconfigFiles, true), source.context);
  const home = join(e.home, ".kube", "config");
  if (existsSync(home)) return endpointOf(readKubeconfig([home]), source.context);
  if (inCluster(e)) {
    if (source.context)
      throw new KubeconfigError("in-cluster", "context", `no contexts in-cluster ("${source.context}")`);
    return inClusterEndpoint(e);
  }
  throw new KubeconfigError(
    "kubeconfig",
    "source",
    `none found: no --kubeconfig, KUBECONFIG unset, no ${home}, not in a cluster (KUBERNETES_SERVICE_HOST unset or no ServiceAccount token)`,
  );
}

/** The TLS identity of an endpoint: what an Agent is built from. */
function identityOf(e: KubeEndpoint): string {
  return JSON.stringify([e.server, e.tls]);
}

/** A loaded API server connection (see the module comment). */
export class KubeConfig {
  private endpoint: KubeEndpoint;
  private identity: string;
  private agents: Agents;
  private token?: CachedToken;
  /** The exec plugin's run in progress, if any. */
  private refreshing?: Promise<string>;
  /** A background run failed: the next one waits until the token expired (no run per request until then). */
  private backgroundFailed = false;
  /** Counts reloads: a plugin run started before one does not store its token after it. */
  private generation = 0;

  /** `load` gives the endpoint, on construction and on every reload. @throws KubeconfigError */
  constructor(
    private readonly load: () => KubeEndpoint,
    /** What was asked for (kept for commands that need `@kubernetes/client-node` itself, e.g. port-forward). */
    readonly source: KubeSource = {},
  ) {
    this.endpoint = load();
    this.identity = identityOf(this.endpoint);
    this.agents = agentsOf(this.endpoint);
  }

  /** Loads `source` (see {@link loadEndpoint}). @throws KubeconfigError naming the file and field */
  static load(source: KubeSource = {}): KubeConfig {
    return new KubeConfig(() => loadEndpoint(source), source);
  }

  /** The API server's URL, without a trailing slash. */
  get server(): string {
    return this.endpoint.server;
  }

  /** Where the configuration came from, for messages. */
  get origin(): string {
    return this.endpoint.origin;
  }

  /**
   * The Agent of a request: `watch` for a watch (a connection held for the stream's life), `urgent` for an urgent
   * request, `bounded` for any other; the same three while the TLS identity is unchanged (see {@link Agents}).
   */
  dispatcher(use: keyof Agents): HttpAgent {
    return this.agents[use];
  }

  /** The authentication headers of a request (waits only for an exec plugin when no valid token is cached). */
  async headers(): Promise<Record<string, string>> {
    const auth = this.endpoint.auth;
    switch (auth.kind) {
      case "none":
        return {};
      case "token":
        return { authorization: `Bearer ${auth.token}` };
      case "basic":
        return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` };
      case "tokenFile":
        return { authorization: `Bearer ${this.tokenFrom(auth.path)}` };
      case "exec":
        return { authorization: `Bearer ${await this.tokenOfPlugin(auth.plugin)}` };
    }
  }

  /**
   * Reads the source again. Resolves whether anything a request uses changed (a new Agent when the TLS
   * identity did, or new credentials: an exec plugin runs again). @throws KubeconfigError when the source is now
   * broken (the old configuration stays)
   */
  async reload(): Promise<boolean> {
    const before = this.token?.value ?? JSON.stringify(this.endpoint.auth);
    const next = this.load();
    const identity = identityOf(next);
    const agentChanged = identity !== this.identity;
    // Built before anything changes: a TLS identity that does not load keeps the old configuration.
    const agents = agentChanged ? agentsOf(next) : this.agents;
    this.token = undefined;
    this.refreshing = undefined;
    this.backgroundFailed = false;
    this.generation++;
    if (agentChanged) {
      const old = this.agents;
      this.agents = agents;
      this.identity = identity;
      for (const agent of Object.values(old)) retire(agent);
    }
    this.endpoint = next;
    const auth = next.auth;
    const after =
      auth.kind === "tokenFile"
        ? this.tokenFrom(auth.path)
        : auth.kind === "exec"
          ? await this.runPlugin(auth.plugin)
          : JSON.stringify(auth);
    return agentChanged || before !== after;
  }

  /** Closes the Agents' connections (requests in progress, watches included, are cut). */
  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  /**
   * The plugin's token: the cached one until it expires (run again in the background from
   * {@link EXEC_REFRESH_AHEAD_MS} before), else the one of a run waited for.
   */
  private async tokenOfPlugin(plugin: ExecPlugin): Promise<string> {
    const cached = this.token;
    const now = Date.now();
    if (cached && now < cached.until) {
      if (now >= cached.until - EXEC_REFRESH_AHEAD_MS && !this.backgroundFailed) {
        const generation = this.generation;
        this.runPlugin(plugin).catch(() => (this.backgroundFailed = generation === this.generation));
      }
      return cached.value;
    }
    return this.runPlugin(plugin);
  }

  /** Runs the plugin (one run at a time) and caches its token. */
  private runPlugin(plugin: ExecPlugin): Promise<string> {
    const generation = this.generation;
    this.refreshing ??= runExecPlugin(plugin).then(
      ({ token, expiresAt }) => {
        if (generation === this.generation) {
          this.token = { value: token, until: expiresAt };
          this.refreshing = undefined;
          this.backgroundFailed = false;
        }
        return token;
      },
      (err: unknown) => {
        if (generation === this.generation) this.refreshing = undefined;
        throw err;
      },
    );
    return this.refreshing;
  }

  /** A token file's contents, read again once a minute. */
  private tokenFrom(path: string): string {
    const now = Date.now();
    if (this.token && now < this.token.until) return this.token.value;
    let value: string;
    try {
      value = readFileSync(path, "utf8").trim();
    } catch (err) {
      // A failed re-read keeps the last token (the file is being rotated); a first read is an error.
      if (this.token) return this.token.value;
      throw new KubeconfigError(this.endpoint.origin, path, (err as Error).message);
    }
    this.token = { value, until: now + TOKEN_FILE_TTL_MS };
    return value;
  }
}

/**
 * Connections the requests other than watches and urgent ones share at most. Without a bound, a pass's burst of
 * status writes (1,000 routes attached) opened a TLS connection per write, ~480 at once, each with its own handshake
 * on both sides and ~80 KiB of OpenSSL and socket buffers in the controller, and up to 256 stayed open idle
 * afterwards (node's `maxFreeSockets`): ~30 MiB of the controller's RSS at rest (heaptrack, ADR 0036). Requests
 * beyond it wait in the Agent's queue, in order.
 */
export const REQUEST_CONNECTIONS = 16;

/** Connections urgent requests share at most (`RequestOptions.urgent`). */
export const URGENT_CONNECTIONS = 4;

/**
 * An endpoint's three Agents. A watch holds its connection until the stream ends, so watches have their own,
 * unbounded Agent (one connection per watched kind): in a bounded one, as many watches as its bound would leave no
 * connection for the rest. Urgent requests have their own few connections, so as not to queue behind a burst.
 */
export interface Agents {
  /** Every request but watches and urgent ones: at most {@link REQUEST_CONNECTIONS} connections, kept alive. */
  readonly bounded: HttpAgent;
  /** Urgent requests: at most {@link URGENT_CONNECTIONS} connections, kept alive. */
  readonly urgent: HttpAgent;
  /** Watches: a connection each, kept alive for the next watch. */
  readonly watch: HttpAgent;
}

/**
 * The Agents of an endpoint's TLS identity: connections kept alive and reused (node:http for an `http://` server).
 * Both share one SecureContext: given the PEM texts instead, node:tls parses the CA bundle, certificate and key
 * into a new OpenSSL context for every connection.
 */
function agentsOf(e: KubeEndpoint): Agents {
  const plain = e.server.startsWith("http:");
  const { ca, cert, key, ...connection } = e.tls;
  // A key or certificate that does not load, or a CA bundle OpenSSL refuses, fails here; a CA bundle it reads as no
  // certificate at all fails at the first handshake, as before.
  let secureContext: SecureContext | undefined;
  try {
    secureContext = plain ? undefined : createSecureContext({ ca, cert, key });
  } catch (err) {
    const what = "certificate-authority, client-certificate or client-key";
    throw new KubeconfigError(e.origin, what, `does not load: ${(err as Error).message}`);
  }
  const agent = (bound?: number): HttpAgent => {
    const limits = bound === undefined ? {} : { maxSockets: bound, maxFreeSockets: bound };
    return plain
      ? new HttpAgent({ keepAlive: true, ...limits })
      : new HttpsAgent({ keepAlive: true, ...limits, ...connection, secureContext });
  };
  return { bounded: agent(REQUEST_CONNECTIONS), urgent: agent(URGENT_CONNECTIONS), watch: agent() };
}

/**
 * Lets a replaced Agent's connections end: the idle ones close now, those in use (a watch) when their request
 * ends (an Agent that does not keep alive closes a socket its request freed).
 */
function retire(agent: HttpAgent): void {
  (agent as HttpAgent & { keepAlive: boolean }).keepAlive = false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}
