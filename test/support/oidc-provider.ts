/**
 * A real OpenID Provider for tests: the npm package `oidc-provider` (a certified OP implementation), served over
 * HTTPS on 127.0.0.1 with the issuer `https://localhost:<port>`, in this process.
 *
 * One static confidential client (client_secret_basic, authorization code + refresh token, PKCE as the client
 * sends it); every grant issues a refresh token; access tokens live `accessTokenTtlS`. The login interaction needs
 * no browser: `/interaction/<uid>` logs the test user in and grants what the client asked for. RP-initiated logout
 * (`/session/end`) is on. The test sees the grant types the token endpoint served (`grants`) and can change the
 * client (`setClient`, e.g. a rotated secret or a redirect URI known only once the gateway runs: the provider is
 * rebuilt with it, on the same port; sessions are lost).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import Provider, { type Configuration } from "oidc-provider";
import type { KeyPair } from "./pki";
import { freePort } from "./http";

/** The static client. */
export interface TestOpClient {
  readonly id: string;
  readonly secret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
}

/** A running test OP. */
export interface TestOp {
  /** `https://localhost:<port>`. */
  readonly issuer: string;
  readonly port: number;
  /** Authorization endpoint. */
  readonly authorizationEndpoint: string;
  /** Token endpoint. */
  readonly tokenEndpoint: string;
  /** End session endpoint. */
  readonly endSessionEndpoint: string;
  /** The grant types the token endpoint served, in order (`authorization_code`, `refresh_token`). */
  readonly grants: string[];
  /** The access tokens issued, in order. */
  readonly accessTokens: string[];
  /** Changes the client (a new secret: the old one stops working). */
  setClient(change: Partial<TestOpClient>): void;
  close(): Promise<void>;
}

/** The user every login logs in. */
export const TEST_USER = "test-user";

/** Starts the OP; `tls` is a certificate for `localhost`. */
export async function startOidcProvider(o: {
  readonly tls: KeyPair;
  readonly client: TestOpClient;
  readonly accessTokenTtlS?: number;
}): Promise<TestOp> {
  const port = await freePort();
  const issuer = `https://localhost:${port}`;
  const grants: string[] = [];
  const accessTokens: string[] = [];
  let client = o.client;
  const build = (): Provider => {
    const p = new Provider(issuer, configuration(client, o.accessTokenTtlS ?? 60));
    p.on("grant.success", (ctx) => grants.push(String((ctx.oidc.params as { grant_type?: string }).grant_type)));
    p.on("access_token.saved", (t) => accessTokens.push(t.jti));
    p.on("server_error", (_ctx, err) => process.stderr.write(`oidc-provider: ${err.stack ?? err.message}\n`));
    return p;
  };
  let provider = build();
  const server: Server = createServer({ key: o.tls.key, cert: o.tls.cert }, (req, res) => {
    if (req.url?.startsWith("/interaction/")) void interact(provider, req, res);
    else void provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    issuer,
    port,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    endSessionEndpoint: `${issuer}/session/end`,
    grants,
    accessTokens,
    setClient(change) {
      client = { ...client, ...change };
      provider = build();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function configuration(client: TestOpClient, accessTokenTtlS: number): Configuration {
  return {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: [...client.redirectUris],
        post_logout_redirect_uris: [...(client.postLogoutRedirectUris ?? [])],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    issueRefreshToken: () => true,
    ttl: { AccessToken: accessTokenTtlS, IdToken: 3600, RefreshToken: 3600, Grant: 3600, Session: 3600 },
    cookies: { keys: ["egts-test-op-cookie-key"] },
  };
}

/** The browser-free login: logs the test user in, then grants every scope and claim the client asked for. */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "login") {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: TEST_USER } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const asked = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new Error(`grant ${details.grantId} not found`);
    if (asked.missingOIDCScope) grant.addOIDCScope(asked.missingOIDCScope.join(" "));
    if (asked.missingOIDCClaims) grant.addOIDCClaims(asked.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(asked.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(" "));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } catch (err) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(`interaction failed: ${(err as Error).message}`);
  }
}
