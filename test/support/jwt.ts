/**
 * JSON Web Tokens for tests (with the `jose` package): RS256 and ES256 signing keys, their public key set (JWKS
 * JSON as a SecurityPolicy's localJWKS or a JWKS server serves it) and signed tokens with chosen claims, lifetime,
 * issuer and audience. Used by the JWT authentication tests and by authorization tests on JWT claims.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

/** The signing algorithms tests use. */
export type TestJwtAlg = "RS256" | "ES256";

/** A private key as jose generates it. */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** A signing key: its private half (to sign) and its public JWK (to publish). */
export interface TestSigningKey {
  /** Key ID (`kid` in the JWKS and in the token header). */
  readonly kid: string;
  /** Signing algorithm. */
  readonly alg: TestJwtAlg;
  /** Private key. */
  readonly privateKey: PrivateKey;
  /** Public key as a JWK with kid, alg and use. */
  readonly publicJwk: JWK;
}

/** Creates a key pair for `alg` with key ID `kid`. */
export async function makeSigningKey(alg: TestJwtAlg, kid: string): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk };
}

/** The JWKS JSON publishing the public halves of `keys`. */
export function jwksJson(keys: readonly TestSigningKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
}

/** What a test token says. */
export interface TokenClaims {
  /** `iss`; absent: none. */
  readonly issuer?: string;
  /** `aud`; absent: none. */
  readonly audience?: string | readonly string[];
  /** `sub`; absent: none. */
  readonly subject?: string;
  /** Seconds from now until `exp` (negative: already expired). @default 300 */
  readonly expiresInS?: number;
  /** Other claims (e.g. `scope`, nested objects). */
  readonly claims?: Readonly<JWTPayload>;
  /** `kid` in the header. @default the key's kid */
  readonly kid?: string;
}

/** A compact JWS token signed by `key`. */
export async function signToken(key: TestSigningKey, c: TokenClaims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ ...(c.claims ?? {}) })
    .setProtectedHeader({ alg: key.alg, kid: c.kid ?? key.kid, typ: "JWT" })
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (c.expiresInS ?? 300));
  if (c.issuer !== undefined) jwt = jwt.setIssuer(c.issuer);
  if (c.audience !== undefined) jwt = jwt.setAudience(c.audience as string | string[]);
  if (c.subject !== undefined) jwt = jwt.setSubject(c.subject);
  return jwt.sign(key.privateKey);
}

/** `{authorization: "Bearer <token>"}`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
