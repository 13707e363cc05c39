/**
 * A browser-like HTTP client for login flows: it follows redirects across hosts (and schemes), keeps a cookie jar
 * (host-only cookies, Path, Max-Age and Expires honoured) and records each hop. Every host is reached at the
 * address `resolve(host)` gives (127.0.0.1 unless told), with the URL's host in the Host header and as TLS SNI,
 * so names like `app.example.com` work without DNS. HTTPS peers are trusted through `ca`. Like a browser, it sends
 * `Secure` cookies over HTTPS only, unless `secureOverHttp` says otherwise (a test of a plain-HTTP listener
 * behind which a browser would need TLS, or `localhost`, which browsers treat as secure).
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

/** One request and its answer. */
export interface Hop {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** The Location header (a redirect), if any. */
  readonly location?: string;
  /** The Set-Cookie headers of the answer. */
  readonly setCookies: readonly string[];
}

/** The last answer of a (followed) request, and every hop it took. */
export interface Browsed {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The URL of the last hop. */
  readonly url: string;
  readonly hops: readonly Hop[];
}

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  /** Epoch milliseconds; absent: a session cookie. */
  readonly expires?: number;
  /** Sent over HTTPS only. */
  readonly secure: boolean;
}

/** A cookie-keeping, redirect-following client; see the module comment. */
export class CookieClient {
  /** Cookies by host. */
  private readonly jar = new Map<string, StoredCookie[]>();

  constructor(
    private readonly opts: {
      readonly ca?: string;
      readonly resolve?: (host: string) => string;
      readonly secureOverHttp?: boolean;
    } = {},
  ) {}

  /** The cookies the jar would send to `url` (name → value). */
  cookies(url: string): Record<string, string> {
    const u = new URL(url);
    const now = Date.now();
    const out: Record<string, string> = {};
    const secureOk = u.protocol === "https:" || this.opts.secureOverHttp === true;
    for (const c of this.jar.get(u.hostname) ?? []) {
      const live = c.expires === undefined || c.expires > now;
      if (live && (secureOk || !c.secure) && pathMatches(u.pathname, c.path)) out[c.name] = c.value;
    }
    return out;
  }

  /** Sets a cookie by hand (e.g. to tamper with one). */
  setCookie(url: string, name: string, value: string): void {
    this.store(new URL(url), `${name}=${value}; Path=/`);
  }

  /** Sends one request; follows up to `maxHops` redirects (GET after 301/302/303, as browsers do). */
  async fetch(
    url: string,
    opts: { readonly method?: string; readonly headers?: Record<string, string>; readonly maxHops?: number } = {},
  ): Promise<Browsed> {
    const hops: Hop[] = [];
    let current = url;
    let method = opts.method ?? "GET";
    for (let i = 0; ; i++) {
      const r = await this.once(current, method, opts.headers ?? {});
      const location = r.headers.location;
      hops.push({
        method,
        url: current,
        status: r.status,
        setCookies: r.headers["set-cookie"] ?? [],
        ...(location ? { location } : {}),
      });
      if (r.status < 300 || r.status >= 400 || !location || i >= (opts.maxHops ?? 20))
        return { ...r, url: current, hops };
      current = new URL(location, current).toString();
      if (r.status !== 307 && r.status !== 308) method = "GET";
    }
  }

  private once(
    url: string,
    method: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const u = new URL(url);
    const cookie = Object.entries(this.cookies(url))
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    const https = u.protocol === "https:";
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          host: this.opts.resolve?.(u.hostname) ?? "127.0.0.1",
          port: u.port !== "" ? Number(u.port) : https ? 443 : 80,
          path: `${u.pathname}${u.search}`,
          method,
          headers: { host: u.host, ...(cookie ? { cookie } : {}), ...headers },
          agent: false,
          timeout: 10_000,
          ...(https ? { servername: u.hostname, ...(this.opts.ca ? { ca: this.opts.ca } : {}) } : {}),
        },
        (res) => {
          for (const line of res.headers["set-cookie"] ?? []) this.store(u, line);
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${url}`)));
      req.on("error", reject);
      req.end();
    });
  }

  /** Stores (or, when expired, removes) the cookie of one Set-Cookie line. */
  private store(u: URL, line: string): void {
    const [pair, ...attrs] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    if (eq <= 0) return;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = defaultPath(u.pathname);
    let expires: number | undefined;
    let secure = false;
    for (const a of attrs) {
      const [k, v = ""] = a.split("=", 2);
      const key = k.toLowerCase();
      if (key === "path" && v.startsWith("/")) path = v;
      else if (key === "max-age") expires = Date.now() + Number(v) * 1000;
      else if (key === "expires" && expires === undefined) expires = Date.parse(v);
      else if (key === "secure") secure = true;
    }
    const rest = (this.jar.get(u.hostname) ?? []).filter((c) => !(c.name === name && c.path === path));
    const live = expires === undefined || expires > Date.now();
    const cookie = { name, value, path, secure, ...(expires !== undefined ? { expires } : {}) };
    this.jar.set(u.hostname, live ? [...rest, cookie] : rest);
  }
}

/** RFC 6265 default-path: the request path up to its last `/` (or `/`). */
function defaultPath(path: string): string {
  const last = path.lastIndexOf("/");
  return last <= 0 ? "/" : path.slice(0, last);
}

/** RFC 6265 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}
