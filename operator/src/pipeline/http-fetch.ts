/**
 * A small HTTP(S) client on node:http and node:https for the fetches egts makes outside translation (Wasm
 * modules, OCI registries): optional CA bundle, size limit, timeout, redirects followed (up to 5), the whole body
 * in memory. Never used on the request path of the proxies.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

/** One request. */
export interface FetchOptions {
  /** HTTP method. @default "GET" */
  readonly method?: string;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA bundle the server's certificate must chain to (https). @default the system CAs */
  readonly ca?: string;
  /** Give up after this long without an answer. @default 15000 */
  readonly timeoutMs?: number;
  /** Refuse bodies larger than this. @default 256 MiB */
  readonly maxBytes?: number;
  /** Redirects followed (3xx with Location). @default 5 */
  readonly maxRedirects?: number;
}

/** A response: status, headers, body, and the URL that answered (after redirects). */
export interface FetchResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** The whole body. */
  readonly body: Buffer;
  /** The URL of the last request (after redirects). */
  readonly url: string;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Sends `opts.method` to `url`, following redirects; rejects on network errors, timeouts and oversized bodies. */
export async function httpFetch(url: string, opts: FetchOptions = {}): Promise<FetchResponse> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const r = await once(current, opts);
    const location = r.headers.location;
    if (r.status >= 300 && r.status < 400 && location) {
      if (hop >= (opts.maxRedirects ?? 5)) throw new Error(`stopped after ${hop} redirects at ${current.toString()}`);
      const next = new URL(location, current);
      // Credentials go to the host they were meant for only (registries redirect blobs to storage).
      if (next.host !== current.host) opts = { ...opts, headers: withoutAuthorization(opts.headers) };
      current = next;
      continue;
    }
    return r;
  }
}

function withoutAuthorization(h: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).filter(([k]) => k.toLowerCase() !== "authorization"));
}

function once(url: URL, opts: FetchOptions): Promise<FetchResponse> {
  const timeout = opts.timeoutMs ?? 15_000;
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const send = url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : undefined;
  if (!send) return Promise.reject(new Error(`unsupported URL scheme ${url.protocol} in ${url.toString()}`));
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: opts.method ?? "GET",
        headers: opts.headers ?? {},
        timeout,
        ...(opts.ca && url.protocol === "https:" ? { ca: opts.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > max) req.destroy(new Error(`response from ${url.toString()} is larger than ${max} bytes`));
          else chunks.push(c);
        });
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            url: url.toString(),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.toString()} within ${timeout} ms`)));
    req.on("error", reject);
    req.end();
  });
}
