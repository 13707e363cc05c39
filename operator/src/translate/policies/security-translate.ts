/**
 * One SecurityPolicy spec (a policy's own, or a route policy merged onto its parent's) → the route IR it asks for,
 * or the problems that make it fail closed. Each field group has one translator (a file of its own); a group
 * without a translator yet makes the policy Accepted=False naming the field, and its routes answer 500 (serving
 * them without the authentication or authorization asked for would open them).
 *
 * Problems carry Envoy Gateway's per-feature prefix (`BasicAuth: `, `APIKeyAuth: `, `JWT: `, `OIDC: `,
 * `ExtAuth: `, `Authorization: `; CORS and CSRF have none: Envoy Gateway's translator has no error there, and
 * their problems are CRD rules named by field path). All the problems of one spec make one message, written as
 * Envoy Gateway writes its condition messages: joined with newlines, ending with a period.
 */
import type { RouteSecurityIr } from "../../ir/security-ir";
import type { ClusterIr, GenericSecretIr } from "../../ir/xds-ir";
import type { SecurityPolicySpec } from "../../resources/security-policy";
import { translateAuthorization } from "./security-authz";
import { translateApiKeyAuth, translateBasicAuth } from "./security-basic-apikey";
import type { SecurityContext } from "./security-context";
import { translateSecurityCors, translateSecurityCsrf } from "./security-cors-csrf";
import { translateExtAuth } from "./security-extauth";
import { translateJwt } from "./security-jwt";
import { translateOidc } from "./security-oidc";

/**
 * A field group's translator: its part of the route IR, or undefined when the spec does not set the group.
 * Problems (without the feature prefix) go to `problems`; any problem fails the policy closed. `bypassed` takes
 * problems that leave the group out without closing the routes (only ext auth with `failOpen`, Envoy Gateway's
 * documented bypass): the policy is still reported invalid.
 */
export type SecurityGroupTranslator = (
  spec: SecurityPolicySpec,
  ctx: SecurityContext,
  problems: string[],
  bypassed: string[],
) => Partial<Omit<RouteSecurityIr, "policy">> | undefined;

/** One top-level spec field group. */
interface SecurityGroup {
  /** Envoy Gateway's prefix of its problems ("" where its translator has no errors, only CRD rules). */
  readonly prefix: string;
  /** Its translator; absent while egts does not translate the group. */
  readonly translate?: SecurityGroupTranslator;
}

/**
 * The field groups, by spec field, in Envoy Gateway's reporting order. Implementing a group means giving it a
 * translator here (and a golden and a test on the wire).
 */
const GROUPS: Readonly<Record<keyof SecurityGroups, SecurityGroup>> = {
  cors: { prefix: "", translate: (spec, _ctx, p) => part("cors", translateSecurityCors(spec.cors, p)) },
  csrf: { prefix: "", translate: (spec, _ctx, p) => part("csrf", translateSecurityCsrf(spec.csrf, p)) },
  basicAuth: {
    prefix: "BasicAuth: ",
    translate: (spec, ctx, p) => part("basicAuth", translateBasicAuth(spec.basicAuth, ctx, p)),
  },
  apiKeyAuth: {
    prefix: "APIKeyAuth: ",
    translate: (spec, ctx, p) => part("apiKeyAuth", translateApiKeyAuth(spec.apiKeyAuth, ctx, p)),
  },
  authorization: {
    prefix: "Authorization: ",
    translate: (spec, ctx, p) =>
      part(
        "authorization",
        translateAuthorization(
          spec.authorization,
          spec.jwt?.providers?.map((x) => x.name),
          ctx,
          p,
        ),
      ),
  },
  jwt: { prefix: "JWT: ", translate: (spec, ctx, p) => part("jwt", translateJwt(spec.jwt, ctx, p)) },
  oidc: { prefix: "OIDC: ", translate: (spec, ctx, p) => part("oidc", translateOidc(spec, ctx, p)) },
  extAuth: {
    prefix: "ExtAuth: ",
    translate: (spec, ctx, p, b) => part("extAuth", translateExtAuth(spec.extAuth, ctx, p, b)),
  },
};

/** `{ [key]: value }`, or undefined without a value. */
function part<K extends keyof RouteSecurityIr>(
  key: K,
  value: RouteSecurityIr[K] | undefined,
): Partial<RouteSecurityIr> | undefined {
  return value === undefined ? undefined : ({ [key]: value } as Partial<RouteSecurityIr>);
}

/** The spec fields that are feature groups. */
type SecurityGroups = Required<Omit<SecurityPolicySpec, "targetRef" | "targetRefs" | "targetSelectors" | "mergeType">>;

/** Spec fields that only attach the policy. */
const ATTACHMENT_FIELDS = new Set(["targetRef", "targetRefs", "targetSelectors", "mergeType"]);

/** The message after the fields egts does not translate yet. */
export const UNTRANSLATED =
  "not implemented by egts yet: the traffic the policy applies to is refused (HTTP 500, TCP connections closed)";

/** What one spec translates to. */
export interface SecurityTranslation {
  /** Why the policy cannot be applied (its routes answer 500, its TCP chains close connections). */
  readonly problems: readonly string[];
  /** The route IR; absent when the spec sets no feature. */
  readonly security?: RouteSecurityIr;
  /** The clusters of the services the route IR calls (JWKS, token endpoint, ext auth); absent: none. */
  readonly clusters?: readonly ClusterIr[];
  /** The generic secrets the route IR's filters read over SDS (OAuth2 client and HMAC secrets); absent: none. */
  readonly secrets?: readonly GenericSecretIr[];
  /**
   * True when every problem was bypassed (ext auth with `failOpen`): the policy is reported invalid, but its
   * routes get `security` (without ext auth), or stay as they are when nothing else is set.
   */
  readonly failOpen?: boolean;
}

/** Translates one spec (`policy`: the IR's policy name, `ns/name` or merged `a+b`). */
export function translateSecuritySpec(
  spec: SecurityPolicySpec,
  policy: string,
  ctx: SecurityContext,
): SecurityTranslation {
  const problems: string[] = [];
  const bypassed: string[] = [];
  const untranslated: string[] = [];
  let ir: RouteSecurityIr = { policy };
  let any = false;
  for (const field of Object.keys(spec).sort(byGroupOrder)) {
    const value = (spec as Record<string, unknown>)[field];
    if (value === undefined || ATTACHMENT_FIELDS.has(field)) continue;
    const group = (GROUPS as Record<string, SecurityGroup | undefined>)[field];
    if (!group?.translate) {
      untranslated.push(`spec.${field}`);
      continue;
    }
    const own: string[] = [];
    const skipped: string[] = [];
    const part = group.translate(spec, ctx, own, skipped);
    for (const p of own) problems.push(`${group.prefix}${p}`);
    for (const p of skipped) bypassed.push(`${group.prefix}${p}`);
    if (part) {
      ir = { ...ir, ...part };
      any = true;
    }
  }
  if (untranslated.length > 0) problems.unshift(`${untranslated.join(", ")}: ${UNTRANSLATED}`);
  if (problems.length > 0) return { problems: [conditionMessage([...problems, ...bypassed])] };
  const failOpen = bypassed.length > 0 ? { failOpen: true } : {};
  const reported = bypassed.length > 0 ? [conditionMessage(bypassed)] : [];
  if (!any) return { problems: reported, ...failOpen };
  return {
    problems: reported,
    ...failOpen,
    security: ir,
    ...calledServices(ctx),
  };
}

/** The clusters and SDS secrets the translators put in `ctx` (deduplicated; absent when none). */
function calledServices(ctx: SecurityContext): Pick<SecurityTranslation, "clusters" | "secrets"> {
  return {
    ...(ctx.clusters.length > 0 ? { clusters: dedupe(ctx.clusters) } : {}),
    ...(ctx.secrets.length > 0 ? { secrets: dedupe(ctx.secrets) } : {}),
  };
}

/**
 * Problems as one condition message, as Envoy Gateway writes them: joined with newlines (its `errors.Join`), a
 * period at the end unless there is one (its `Error2ConditionMsg`; the first letter is already a capital, or a
 * field path's `spec.`, which stays as written).
 */
function conditionMessage(problems: readonly string[]): string {
  const joined = problems.join("\n");
  return joined.endsWith(".") ? joined : `${joined}.`;
}

/** Items by name, the first of each name kept. */
function dedupe<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const c of items) if (!byName.has(c.name)) byName.set(c.name, c);
  return [...byName.values()];
}

function byGroupOrder(a: string, b: string): number {
  const order = Object.keys(GROUPS);
  const rank = (f: string): number => (order.includes(f) ? order.indexOf(f) : order.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
