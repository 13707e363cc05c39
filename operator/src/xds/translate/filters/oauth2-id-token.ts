/**
 * SecurityPolicy `oidc.forwardIDToken` on Envoy 1.37.0: a Lua filter right after the policy's oauth2 filter.
 *
 * Envoy Gateway v1.9 sets the oauth2 filter's `forward_id_token`, which Envoy 1.37.0 does not have (neither its
 * oauth.proto nor its binary). What 1.37.0's oauth2 filter does do, on a request whose session cookies pass its
 * HMAC check: it decrypts the token cookies in place and sends the ID token cookie (`cookieNames.idToken`)
 * upstream in the Cookie header. This filter, `envoy.filters.http.oauth2/<ir name>/id-token` (an oauth2 instance
 * name, so it ranks and moves with the policy's oauth2 filter; `disabled: true`, turned on by the policy's
 * routes), copies that cookie's value into the configured header: `Bearer <token>` on Authorization, the raw
 * token on any other header (Envoy Gateway's rule). The header is always replaced, or removed when there is no
 * ID token, so a client cannot supply it. A request the oauth2 filter let through unchecked (it matches a
 * `passThroughAuthHeader` matcher: its cookies were not verified) only loses the header.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { OidcIr, SecurityHeaderMatchIr } from "../../../ir/security-ir";
import { LuaType } from "./lua";
import { packPartial } from "./registry";

/** Suffix of the companion filter's name after the policy's oauth2 instance name. */
export const ID_TOKEN_FILTER_SUFFIX = "id-token";

/** The prefix the ID token gets on `header` (Envoy Gateway: the Bearer scheme on Authorization only). */
export function idTokenPrefix(header: string): string {
  return header.toLowerCase() === "authorization" ? "Bearer " : "";
}

/** A Lua string literal of any text (every byte outside [A-Za-z0-9 _-] as a decimal escape). */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9 _-]/.test(c) ? c : `\\${byte}`;
  }
  return `${out}"`;
}

/** The pass-through matchers as a Lua table of {header, value prefix or nil}. */
function passThroughTable(matchers: readonly SecurityHeaderMatchIr[]): string {
  const rows = matchers.map((m) => {
    // egts builds pass-through matchers as presence or Prefix matches only (security-oidc.ts passThroughOf).
    const prefix = m.value?.type === "Prefix" ? luaString(m.value.value) : "nil";
    return `{ ${luaString(m.name.toLowerCase())}, ${prefix} }`;
  });
  return `{ ${rows.join(", ")} }`;
}

/** The Lua script copying the ID token cookie of `o` into `header`. */
export function idTokenScript(o: OidcIr, header: string): string {
  return [
    "-- egts: SecurityPolicy oidc.forwardIDToken (the oauth2 filter before this one decrypted the cookie).",
    `local COOKIE = ${luaString(o.cookieNames.idToken)}`,
    `local HEADER = ${luaString(header.toLowerCase())}`,
    `local PREFIX = ${luaString(idTokenPrefix(header))}`,
    `local PASS_THROUGH = ${passThroughTable(o.passThrough)}`,
    "function envoy_on_request(handle)",
    "  local headers = handle:headers()",
    "  for _, m in ipairs(PASS_THROUGH) do",
    "    local v = headers:get(m[1])",
    "    if v ~= nil and (m[2] == nil or string.sub(v, 1, #m[2]) == m[2]) then",
    "      headers:remove(HEADER)",
    "      return",
    "    end",
    "  end",
    "  local token = nil",
    '  local cookie = headers:get("cookie")',
    "  if cookie ~= nil then",
    '    for name, value in string.gmatch(cookie, "([^=;%s]+)=([^;]*)") do',
    "      if name == COOKIE then",
    '        token = string.match(value, "^%s*(.-)%s*$")',
    "        break",
    "      end",
    "    end",
    "  end",
    '  if token == nil or token == "" then',
    "    headers:remove(HEADER)",
    "  else",
    "    headers:replace(HEADER, PREFIX .. token)",
    "  end",
    "end",
    "",
  ].join("\n");
}

/** The companion HCM filter of the oauth2 instance `oauth2Name` for `o`, when it forwards the ID token. */
export function idTokenFilter(oauth2Name: string, o: OidcIr): HttpFilter | undefined {
  if (o.forwardIdTokenHeader === undefined) return undefined;
  return {
    name: `${oauth2Name}/${ID_TOKEN_FILTER_SUFFIX}`,
    typedConfig: packPartial(LuaType, {
      defaultSourceCode: { inlineString: idTokenScript(o, o.forwardIdTokenHeader) },
    }),
    disabled: true,
  } as HttpFilter;
}
