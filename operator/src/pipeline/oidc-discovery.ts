/**
 * OpenID Provider discovery, outside the (pure) translation: for every issuer a SecurityPolicy needs discovered
 * (translate/oidc-issuers.ts), GET `<issuer>/.well-known/openid-configuration` and keep the endpoints it names, or
 * why it failed, for TranslateOptions.oidcDiscovery. A result that changes asks the pipeline for a new pass
 * (`changes$`); until an issuer has a result its policies fail closed ("discovery pending").
 *
 * The fetch follows Envoy Gateway's rules: https only, at most 3 redirects (each an https issuer URL), 5 s per
 * request, transient statuses (5xx but 501, 505, 511) retried with exponential back-off for up to 5 s, 400 and
 * 404 final, and the issuer host must not resolve to a loopback, link-local, unspecified or multicast address
 * (the connection goes to the address that was checked). egts extension: the EnvoyGateway configuration's
 * `extensionApis.backend.allow` classes (Loopback, LinkLocal, Unspecified) lift that refusal, as they do for
 * Backend endpoints. A failed discovery is tried again after a back-off (1 s doubling to 5 min); a good one is
 * refreshed every 15 minutes.
 */
import { lookup } from "node:dns/promises";
import { request } from "node:https";
import { Subject, type Observable } from "rxjs";
import type { BackendSettings } from "../translate/backend-endpoints";
import { classifyIp, parseIp, type IpBytes } from "../translate/backend-endpoints";
import type { ResourceSnapshot } from "../resources/snapshot";
import { oidcIssuersToDiscover, type OidcDiscoveryResult, type OidcIssuerRequest } from "../translate/oidc-issuers";
import { issuerProblem } from "../translate/policies/security-oidc";

/** Per-request timeout and the total time transient failures are retried (Envoy Gateway's values). */
const REQUEST_TIMEOUT_MS = 5_000;
const RETRY_WINDOW_MS = 5_000;
const MAX_REDIRECTS = 3;
/** Refresh of a good result, and the back-off bounds of a failed one. */
const REFRESH_MS = 15 * 60_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;

/** How long a pass waits for a newly needed OpenID Provider's discovery before translating without it. */
export const FIRST_DISCOVERY_MS = 2_000;

/** How discovery reaches providers. */
export interface OidcDiscoveryOptions {
  /** The EnvoyGateway configuration's Backend settings (`allow` classes lift the address refusal). */
  readonly backends?: BackendSettings;
  /** Logs a result change. */
  readonly log?: (level: "info" | "warn", message: string, fields: Record<string, unknown>) => void;
}

interface Entry {
  request: OidcIssuerRequest;
  result?: OidcDiscoveryResult;
  timer?: NodeJS.Timeout;
  failures: number;
  inFlight: boolean;
}

/** The discovery results of the issuers the last snapshot needs, kept fresh in the background. */
export class OidcDiscovery {
  private readonly entries = new Map<string, Entry>();
  private readonly changes = new Subject<void>();
  private closed = false;

  /** Emits when a result changes (the pipeline translates again). */
  readonly changes$: Observable<void> = this.changes.asObservable();

  constructor(private readonly opts: OidcDiscoveryOptions = {}) {}

  /**
   * Makes the set of discovered issuers `wanted`: new ones are fetched (in the background), ones no longer
   * needed are forgotten, one whose trust (CA) changed is fetched again. Returns true when a fetch started.
   */
  sync(wanted: ReadonlyMap<string, OidcIssuerRequest>): boolean {
    let started = false;
    for (const [issuer, e] of this.entries) {
      if (wanted.has(issuer)) continue;
      clearTimeout(e.timer);
      this.entries.delete(issuer);
    }
    for (const [issuer, req] of wanted) {
      const e = this.entries.get(issuer);
      if (e && e.request.caCertificate === req.caCertificate) continue;
      if (e) clearTimeout(e.timer);
      const entry: Entry = { request: req, failures: 0, inFlight: false };
      this.entries.set(issuer, entry);
      this.fetch(issuer, entry);
      started = true;
    }
    return started;
  }

  /**
   * Syncs with the issuers `snapshot` needs; a newly needed one gets up to {@link FIRST_DISCOVERY_MS} to be
   * discovered, so its routes do not fail closed for one pass.
   */
  async prepare(snapshot: ResourceSnapshot): Promise<void> {
    if (this.sync(oidcIssuersToDiscover(snapshot))) await this.settled(FIRST_DISCOVERY_MS);
  }

  /** The results so far, by issuer (an issuer still being fetched the first time has none). */
  results(): ReadonlyMap<string, OidcDiscoveryResult> {
    const out = new Map<string, OidcDiscoveryResult>();
    for (const [issuer, e] of this.entries) if (e.result) out.set(issuer, e.result);
    return out;
  }

  /** Waits until every wanted issuer has a result (tests, and the first pass of a starting controller). */
  async settled(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.entries.values()].some((e) => !e.result) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops every timer. */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.changes.complete();
  }

  private fetch(issuer: string, entry: Entry): void {
    if (this.closed || entry.inFlight) return;
    entry.inFlight = true;
    void discoverIssuer(entry.request, this.opts.backends).then((result) => {
      entry.inFlight = false;
      if (this.closed || this.entries.get(issuer) !== entry) return;
      const changed = JSON.stringify(result) !== JSON.stringify(entry.result);
      entry.result = result;
      entry.failures = "error" in result ? entry.failures + 1 : 0;
      const delay = "error" in result ? Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (entry.failures - 1)) : REFRESH_MS;
      entry.timer = setTimeout(() => this.fetch(issuer, entry), delay);
      entry.timer.unref();
      if (!changed) return;
      this.opts.log?.(
        "error" in result ? "warn" : "info",
        "error" in result ? "OIDC discovery failed" : "OIDC provider discovered",
        { issuer, ...result },
      );
      this.changes.next();
    });
  }
}

/** Fetches and validates one issuer's discovery document (never rejects: a failure is `{error}`). */
export async function discoverIssuer(
  req: OidcIssuerRequest,
  backends: BackendSettings = { enabled: false },
): Promise<OidcDiscoveryResult> {
  const invalid = issuerProblem(req.issuer);
  if (invalid) return { error: invalid };
  const url = new URL(req.issuer);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const started = Date.now();
  let wait = 250;
  for (;;) {
    const r = await getFollowing(url, req, backends);
    if ("body" in r) return parseConfig(req.issuer, r.body);
    if (!r.transient || Date.now() - started + wait > RETRY_WINDOW_MS) return { error: r.error };
    await new Promise((res) => setTimeout(res, wait));
    wait = Math.min(wait * 2, 2_000);
  }
}

type Fetched = { body: string } | { error: string; transient: boolean };

/** GET `url`, following up to 3 redirects to https issuer URLs, each host checked. */
async function getFollowing(url: URL, req: OidcIssuerRequest, backends: BackendSettings): Promise<Fetched> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const r = await getOnce(current, req, backends);
    if (!("location" in r)) return r;
    if (hop >= MAX_REDIRECTS) return { error: `stopped after ${MAX_REDIRECTS} redirects`, transient: false };
    const next = new URL(r.location, current);
    const problem = issuerProblem(next.toString());
    if (problem) return { error: problem, transient: false };
    current = next;
  }
}

/** One GET to the checked address of `url`'s host. */
async function getOnce(
  url: URL,
  req: OidcIssuerRequest,
  backends: BackendSettings,
): Promise<Fetched | { location: string }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const address = await checkedAddress(host, backends);
  if ("error" in address) return { error: address.error, transient: false };
  return new Promise((resolve) => {
    const r = request(
      {
        host: address.ip,
        servername: parseIp(host) ? undefined : host,
        port: url.port === "" ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: { host: url.host, accept: "application/json" },
        timeout: REQUEST_TIMEOUT_MS,
        ...(req.caCertificate ? { ca: req.caCertificate } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => resolve({ error: err.message, transient: true }));
        res.on("end", () => {
          const code = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString("utf8");
          if (code >= 300 && code < 400 && res.headers.location) resolve({ location: res.headers.location });
          else if (code === 200) resolve({ body });
          else resolve(statusError(req.issuer, code));
        });
      },
    );
    r.on("timeout", () => r.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
    r.on("error", (err) =>
      resolve({
        error: `fetching openid-configuration from issuer URL ${req.issuer}: ${err.message}`,
        transient: true,
      }),
    );
    r.end();
  });
}

/** Envoy Gateway's verdict on a non-200 status. */
function statusError(issuer: string, code: number): Fetched {
  if (code >= 500 && ![501, 505, 511].includes(code)) {
    return {
      error: `transient error fetching openid-configuration from issuer URL: ${issuer}, status code: ${code}`,
      transient: true,
    };
  }
  if (code === 404 || code === 400) {
    return {
      error: `failed fetching openid-configuration from issuer URL: ${issuer}, status code: ${code}`,
      transient: false,
    };
  }
  return {
    error: `unexpected status code ${code} when fetching openid-configuration from issuer URL: ${issuer}`,
    transient: false,
  };
}

/** The address to connect to for `host`, or why none may be used. */
async function checkedAddress(host: string, backends: BackendSettings): Promise<{ ip: string } | { error: string }> {
  const literal = parseIp(host);
  if (literal) {
    const blocked = blockedBy(literal, backends);
    return blocked ? { error: `issuer host resolves to blocked address ${host}` } : { ip: host };
  }
  let addrs: { address: string }[];
  try {
    addrs = await lookup(host, { all: true });
  } catch (err) {
    return { error: `resolving issuer host ${host}: ${(err as Error).message}` };
  }
  for (const a of addrs) {
    const ip = parseIp(a.address);
    if (!ip || blockedBy(ip, backends))
      return { error: `issuer host "${host}" resolves to blocked address ${a.address}` };
  }
  if (addrs.length === 0) return { error: `issuer host "${host}" did not resolve to any addresses` };
  return { ip: addrs[0].address };
}

/** Whether discovery may not connect to `ip` (Envoy Gateway's classes; `allow` lifts all but multicast). */
function blockedBy(ip: IpBytes, backends: BackendSettings): boolean {
  const multicast = ip.length === 4 ? ip[0] >= 224 && ip[0] <= 239 : ip[0] === 0xff;
  if (multicast) return true;
  const refusal = classifyIp(ip);
  return refusal !== undefined && !(backends.allow ?? []).includes(refusal.class);
}

/** The discovery document's endpoints, or Envoy Gateway's reason it is not usable. */
function parseConfig(issuer: string, body: string): OidcDiscoveryResult {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    return { error: `error decoding openid-configuration response: ${(err as Error).message}` };
  }
  const d = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  const str = (k: string): string | undefined =>
    typeof d[k] === "string" && d[k] !== "" ? (d[k] as string) : undefined;
  const token = str("token_endpoint");
  const auth = str("authorization_endpoint");
  const invalid = (what: string): OidcDiscoveryResult => ({
    error: `invalid openid-configuration from issuer URL ${issuer}: ${what} not found in OpenID configuration`,
  });
  if (!token) return invalid("token_endpoint");
  if (!auth) return invalid("authorization_endpoint");
  const end = str("end_session_endpoint");
  return { authorizationEndpoint: auth, tokenEndpoint: token, ...(end ? { endSessionEndpoint: end } : {}) };
}
