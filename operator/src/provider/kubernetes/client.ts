/**
 * A small Kubernetes API client: list, watch, server-side apply, status patch and delete on raw paths.
 * Where the API server is and how to authenticate (certificates, tokens, in-cluster) comes from our own
 * {@link KubeConfig} (kubeconfig/kube-config.ts, ADR 0017); requests go through node:https (or node:http) with its
 * keep-alive Agents: 16 connections for most requests, 4 for urgent ones, one per watch (ADR 0036). Not undici:
 * the controller's only user of it, whose modules cost 3.6 MiB of heap and 11 MiB of RSS at start, and whose fetch
 * allocates WHATWG Headers, streams and Response objects per request (ADR 0028).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { KubeObject } from "../../resources/meta";
import { HttpMethod } from "./http-method";
import { KubeConfig } from "./kubeconfig/kube-config";

export { HttpMethod } from "./http-method";
export { KubeConfig } from "./kubeconfig/kube-config";

/** An error answer of the API server, with its HTTP status and `Status.reason`. */
export class KubeApiError extends Error {
  constructor(
    /** HTTP status code. */
    readonly status: number,
    /** `Status.reason`, e.g. NotFound, Conflict, Expired, Gone. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

/**
 * No answer of the API server: the connection was refused, failed (TLS) or cut before the answer ended; the
 * system error is the cause. (The reflector retries these with its short "unavailable" backoff.)
 */
export class KubeConnectionError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = "KubeConnectionError";
  }
}

/** How long a connection may stay silent before the request fails (undici's header and body timeouts). */
const IDLE_TIMEOUT_MS = 300_000;

/** A list answer. */
export interface KubeList<T = KubeObject> {
  /** Items. */
  readonly items: readonly T[];
  /** The collection's resourceVersion, to watch from. */
  readonly metadata: { readonly resourceVersion: string; readonly continue?: string };
}

/** One watch event. */
export interface WatchEvent<T = KubeObject> {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. */
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  /** The object (a Status for ERROR). */
  readonly object: T;
}

/** Options of a request. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /**
   * Sent on the urgent Agent's few connections, not behind a burst in the bounded one (ADR 0036): leader election's
   * Lease requests, whose renewal must not wait behind thousands of status writes, xDS TokenReviews, and the
   * statuses of Gateways and GatewayClasses.
   */
  readonly urgent?: boolean;
}

/**
 * Loads a KubeConfig: from `path` if given, else the default chain (KUBECONFIG, ~/.kube/config, in-cluster), at
 * `context` if given. @throws KubeconfigError naming the file and field
 */
export function loadKubeConfig(path?: string, context?: string): KubeConfig {
  return KubeConfig.load({ ...(path ? { path } : {}), ...(context ? { context } : {}) });
}

/** Which of the KubeConfig's Agents a request goes through (ADR 0036). */
type Lane = Parameters<KubeConfig["dispatcher"]>[0];

/** The REST client every Kubernetes edge of the operator uses. */
export class KubeClient {
  constructor(private readonly kc: KubeConfig) {}

  /** Sends one request; resolves the parsed JSON body, rejects with KubeApiError on a non-2xx answer. */
  async request<T>(method: HttpMethod, path: string, o: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, o);
    const text = await textOf(response);
    const status = response.statusCode ?? 0;
    if (status >= 300) throw apiError(status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** GET a collection (all pages). */
  async list<T = KubeObject>(path: string, query: RequestOptions["query"] = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.request<KubeList<T>>(HttpMethod.GET, path, {
        query: { ...query, limit: 500, continue: cont },
      });
      items.push(...page.items);
      resourceVersion = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont);
    return { items, metadata: { resourceVersion } };
  }

  /**
   * Watches a collection from `resourceVersion` with bookmarks until the server closes the stream, the
   * signal aborts or `onEvent` throws. Resolves when the stream ends; rejects with KubeApiError on an error
   * answer (410 Gone when the version is too old). `onOpen` is called once the server accepted the watch.
   */
  async watch<T = KubeObject>(
    path: string,
    resourceVersion: string,
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void> {
    const query = { watch: true, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 290 };
    // Our own controller, so that leaving early (onEvent threw) also closes the connection.
    const stream = new AbortController();
    const stop = (): void => stream.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const response = await this.send(HttpMethod.GET, path, { query, signal: stream.signal }, "watch");
      if (response.statusCode !== 200)
        throw apiError(response.statusCode ?? 0, await textOf(response), `WATCH ${path}`);
      onOpen?.();
      await forEachLine(chunksOf(response), (line) => onEvent(JSON.parse(line) as WatchEvent<T>));
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      signal.removeEventListener("abort", stop);
      stream.abort();
    }
  }

  /** Server-side apply of a whole object (or its status with `subresource: "status"`) as `fieldManager`. */
  async apply<T extends KubeObject>(
    path: string,
    object: unknown,
    fieldManager: string,
    subresource?: "status",
  ): Promise<T> {
    return this.request<T>(HttpMethod.PATCH, subresource ? `${path}/${subresource}` : path, {
      query: { fieldManager, force: true },
      body: JSON.stringify(object),
      contentType: "application/apply-patch+yaml",
    });
  }

  /** POST `object` to the collection `path`; resolves false when it already exists (409), true when created. */
  async createIfAbsent(path: string, object: unknown): Promise<boolean> {
    try {
      await this.request(HttpMethod.POST, path, { body: JSON.stringify(object), contentType: "application/json" });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return false;
      throw err;
    }
  }

  /** DELETE an object with background propagation; a missing object is not an error. */
  async delete(path: string): Promise<void> {
    try {
      await this.request(HttpMethod.DELETE, path, {
        body: JSON.stringify({ propagationPolicy: "Background" }),
        contentType: "application/json",
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
  }

  /**
   * Sends one request. A 401 answer makes the KubeConfig read its source again (a rotated token or client
   * certificate); when that changed anything, the request is sent once more (a 401 was not acted upon).
   */
  private async send(
    method: HttpMethod,
    path: string,
    o: RequestOptions,
    lane: Lane = o.urgent ? "urgent" : "bounded",
  ): Promise<IncomingMessage> {
    const url = new URL(this.kc.server + path);
    for (const [key, value] of Object.entries(o.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const once = async (): Promise<IncomingMessage> => {
      const headers: Record<string, string> = { ...(await this.kc.headers()), accept: "application/json" };
      if (o.contentType) headers["content-type"] = o.contentType;
      // Always said: node:http sends a DELETE's body without a length (read to the connection's end), and the
      // API server then takes it for the start of the next request on the kept-alive connection (400).
      if (o.body !== undefined) headers["content-length"] = String(Buffer.byteLength(o.body));
      return exchange(url, method, headers, this.kc.dispatcher(lane), o);
    };
    const response = await once();
    if (response.statusCode !== 401) return response;
    let changed: boolean;
    try {
      changed = await this.kc.reload();
    } catch (err) {
      // reload() throws a KubeconfigError (file and field) when the source is now broken: that explains the 401.
      // The answer's body is not read: its connection goes back to the pool (not held until the idle timeout).
      response.resume();
      throw err;
    }
    if (!changed) return response;
    response.resume();
    return once();
  }
}

/**
 * One HTTP exchange: resolves the answer once its head arrived (the body is read by the caller); rejects with
 * KubeConnectionError when there is none, and the answer's body errors with one when the connection is cut or
 * silent for {@link IDLE_TIMEOUT_MS}. `o.signal` aborts it (an AbortError).
 */
function exchange(
  url: URL,
  method: HttpMethod,
  headers: Record<string, string>,
  agent: ReturnType<KubeConfig["dispatcher"]>,
  o: RequestOptions,
): Promise<IncomingMessage> {
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, agent, signal: o.signal, timeout: IDLE_TIMEOUT_MS });
    req.on("timeout", () => req.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => reject(o.signal?.aborted ? err : new KubeConnectionError("request failed", err)));
    req.on("response", resolve);
    req.end(o.body);
  });
}

/** An answer's body chunks; a connection cut or silent before its end is a KubeConnectionError. */
async function* chunksOf(res: IncomingMessage): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of res) yield chunk as Buffer;
  } catch (err) {
    throw err instanceof KubeConnectionError ? err : new KubeConnectionError("connection lost", err);
  }
}

/** The whole body of an answer as text. */
async function textOf(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of chunksOf(res)) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Calls `onLine` for each non-empty line of `body` until it ends; rejects when the stream fails (connection
 * lost) or `onLine` throws (the stream is then destroyed, or cancelled for a web stream: the connection closes).
 * Read with `for await`, not node:readline: over a stream cut or aborted, readline's adapter emitted an 'error'
 * nobody listened to any more, an uncaught exception that took the whole process down. A trailing line without
 * its newline (the connection was cut mid-event) is dropped: the caller resumes from the last complete one.
 */
export async function forEachLine(
  body: AsyncIterable<Uint8Array | string>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body) {
    buffered += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(line);
  }
}

/** Builds a KubeApiError from an error answer's body (a metav1.Status when the API server wrote it). */
function apiError(status: number, text: string, what: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, s.reason ?? "", `${what}: ${status} ${s.message ?? text}`);
  } catch {
    return new KubeApiError(status, "", `${what}: ${status} ${text.slice(0, 200)}`);
  }
}

/** The fields of a Node.js system error (a refused or cut connection) that say where and why. */
interface SystemErrorFields {
  readonly code?: string;
  readonly syscall?: string;
  readonly address?: string;
  readonly port?: number;
  /** An error that carries the socket it happened on: its remote address and port. */
  readonly socket?: { readonly remoteAddress?: string; readonly remotePort?: number };
}

/**
 * One line saying what went wrong, with the cause chain followed: a KubeConnectionError keeps the errno, address
 * and port in `cause` (several causes, as an AggregateError, when more than one address was tried), so that
 * `String(err)` says nothing of them. E.g. `request failed: connect ECONNREFUSED 127.0.0.1:6443`.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(errorLine(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.filter((p, i) => p && parts.indexOf(p) === i).join(": ");
}

/** One error's message, with its code and address when it is a system error; an AggregateError's errors. */
function errorLine(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(errorLine).join("; ");
  const f = e as Error & SystemErrorFields;
  const address = f.address ?? f.socket?.remoteAddress;
  const port = f.port ?? f.socket?.remotePort;
  const where = address ? (port !== undefined ? `${address}:${port}` : address) : "";
  if (!f.code) return e.message;
  // Node's own message is already `connect ECONNREFUSED 127.0.0.1:6443`; others get the code and address added.
  const missing = [f.code, where].filter((x) => x && !e.message.includes(x));
  return [e.message, ...missing].join(" ").trim();
}
