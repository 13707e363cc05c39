/**
 * The SecurityPolicy OIDC inputs every golden case is translated with (the translator reads them from
 * TranslateOptions, never from the network): a fixed HMAC secret, and discovery results for two issuers,
 * `https://discovered.example.com` (endpoints found) and `https://broken.example.com` (discovery failed). Any other
 * issuer without explicit endpoints is pending.
 */
import type { TranslateOptions } from "../../operator/src/translate/translate";

/** The OIDC options of golden translations. */
export const GOLDEN_OIDC_OPTIONS: Pick<TranslateOptions, "oidcHmacSecret" | "oidcDiscovery"> = {
  oidcHmacSecret: Buffer.from("golden-oidc-hmac-secret-32-bytes"),
  oidcDiscovery: new Map([
    [
      "https://discovered.example.com",
      {
        authorizationEndpoint: "https://discovered.example.com/oauth2/authorize",
        tokenEndpoint: "https://discovered.example.com/oauth2/token",
        endSessionEndpoint: "https://discovered.example.com/oauth2/logout",
      },
    ],
    [
      "https://broken.example.com",
      {
        error: "failed fetching openid-configuration from issuer URL: https://broken.example.com, status code: 404",
      },
    ],
  ]),
};
