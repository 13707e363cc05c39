/**
 * SecurityPolicy `basicAuth` and `apiKeyAuth` on the wire (real Envoy, standalone, an echo backend), one route
 * and policy per case:
 * - basic auth: no credentials and wrong credentials get 401 with Envoy's messages, the right ones 200 with the
 *   user name forwarded in `x-user`; the users Secret rewritten → new user 200, old 401, same Envoy process;
 * - an htpasswd with a bcrypt line (`htpasswd -B`) or an Apache MD5 one (`htpasswd -m`) (Envoy 1.36 takes `{SHA}`
 *   only) → 500 and Accepted=False with Envoy Gateway's message; a missing Secret → 500, and once the Secret
 *   appears → 401/200;
 * - API key: from a header, a query parameter or a cookie (extractFrom order), keys from two Secrets → 200 with
 *   `x-client-id` upstream, wrong or missing key 401; with sanitize the backend does not see the key, without it
 *   does.
 * Every users file is made by the real `htpasswd` (Debian apache2-utils, `bash scripts/install-htpasswd.sh`), as
 * Envoy Gateway's basic auth task makes it: `htpasswd -cbs` for the SHA-1 users.
 */
import * as assert from "node:assert/strict";
import type { PolicyGateway } from "../support/backend-traffic";
import { htpasswdFile, type HtpasswdUser } from "../support/htpasswd";
import { eventually, httpGet, type HttpResult } from "../support/http";
import { startSecurityGateway } from "../support/security";

/** A Secret `default/<name>` with plain-text values. */
function secretYaml(name: string, values: Record<string, string>): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: default }
stringData: ${JSON.stringify(values)}
`;
}

/** A users Secret `default/<name>` whose `.htpasswd` is made by `htpasswd`. */
const users = (name: string, list: readonly HtpasswdUser[]): string =>
  secretYaml(name, { ".htpasswd": htpasswdFile(list) });
const FOO = { user: "foo", password: "bar" };
const USERS = users("htpasswd", [FOO]);
const KEYS = `  apiKeyAuth:
    credentialRefs: [{ name: clients-a }, { name: clients-b }]
    extractFrom: [{ headers: [x-api-key] }, { params: [api_key] }, { cookies: [apikey] }]
    forwardClientIDHeader: x-client-id`;

const CASES = {
  basic: `  basicAuth: { users: { name: htpasswd }, forwardUsernameHeader: x-user }`,
  bcrypt: `  basicAuth: { users: { name: bcrypt-users } }`,
  md5: `  basicAuth: { users: { name: md5-users } }`,
  late: `  basicAuth: { users: { name: late-users } }`,
  keys: `${KEYS}\n    sanitize: true`,
  "keys-plain": KEYS,
};

const SECRETS = [
  USERS,
  users("bcrypt-users", [FOO, { user: "bob", password: "hunter2", hash: "-B" }]),
  users("md5-users", [FOO, { user: "bob", password: "hunter2", hash: "-m" }]),
  secretYaml("clients-a", { alice: "key-alice" }),
  secretYaml("clients-b", { bob: "key-bob" }),
].join("---\n");

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly message: string;
}

const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

describe("SecurityPolicy basicAuth and apiKeyAuth (real Envoy)", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;

  before(async () => {
    g = await startSecurityGateway(CASES, { "secrets.yaml": SECRETS });
  });
  after(async () => {
    await g?.close();
  });

  const send = (name: string, headers: Record<string, string> = {}, path = "/"): Promise<HttpResult> =>
    httpGet((g as PolicyGateway).port, (g as PolicyGateway).host(name), path, { headers });
  /** The request headers the echo backend saw. */
  const upstream = (r: HttpResult): Record<string, string> =>
    (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
  const accepted = (name: string): Condition | undefined => {
    const s = (g as PolicyGateway).t.gw.statuses.get("SecurityPolicy", "default", name)?.status as
      { ancestors?: { conditions: Condition[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };
  const envoyPid = (): number | undefined => (g as PolicyGateway).t.gw.runner?.list()[0]?.pid;

  it("basic auth: 401 without or with wrong credentials, 200 with the right ones and the user forwarded", async () => {
    const none = await send("basic");
    assert.equal(none.status, 401);
    assert.match(none.body, /Missing username and password/);
    const wrong = await send("basic", basic("foo", "nope"));
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /Invalid username\/password combination/);
    const right = await send("basic", basic("foo", "bar"));
    assert.equal(right.status, 200, right.body);
    assert.equal(upstream(right)["x-user"], "foo");
  });

  it("basic auth: a rewritten users Secret takes effect without restarting Envoy", async () => {
    const pid = envoyPid();
    assert.ok(pid, "Envoy runs");
    const t = (g as PolicyGateway).t;
    await t.write("secrets.yaml", SECRETS.replace(USERS, users("htpasswd", [{ user: "new", password: "baz" }])));
    await eventually(async () => (await send("basic", basic("new", "baz"))).status === 200, 20_000, "the new user");
    assert.equal((await send("basic", basic("foo", "bar"))).status, 401);
    assert.equal(envoyPid(), pid, "same Envoy process");
  });

  for (const [name, tool] of [
    ["bcrypt", "htpasswd -B"],
    ["md5", "htpasswd -m"],
  ]) {
    it(`basic auth: a line made by \`${tool}\` → 500 and Accepted=False with Envoy Gateway's message`, async () => {
      const r = await send(name, basic("foo", "bar"));
      assert.equal(r.status, 500);
      const c = accepted(name);
      assert.equal(c?.status, "False");
      assert.equal(c?.message, "BasicAuth: unsupported htpasswd format: please use {SHA}.");
    });
  }

  it("basic auth: a missing Secret → 500; once it exists → 200 with the right credentials, 401 without", async () => {
    const before = await send("late", basic("foo", "bar"));
    assert.equal(before.status, 500);
    assert.equal(accepted("late")?.message, "BasicAuth: secret default/late-users does not exist.");
    await (g as PolicyGateway).t.write("late.yaml", users("late-users", [FOO]));
    await eventually(async () => (await send("late", basic("foo", "bar"))).status === 200, 20_000, "the Secret");
    assert.equal((await send("late")).status, 401);
    assert.equal(accepted("late")?.status, "True");
  });

  it("API key: header, query parameter and cookie sources; client ID forwarded; wrong or missing key 401", async () => {
    const byHeader = await send("keys", { "x-api-key": "key-alice" });
    assert.equal(byHeader.status, 200, byHeader.body);
    assert.equal(upstream(byHeader)["x-client-id"], "alice");
    const byQuery = await send("keys", {}, "/?api_key=key-bob");
    assert.equal(byQuery.status, 200, byQuery.body);
    assert.equal(upstream(byQuery)["x-client-id"], "bob");
    const byCookie = await send("keys", { cookie: "other=1; apikey=key-alice" });
    assert.equal(byCookie.status, 200, byCookie.body);
    assert.equal(upstream(byCookie)["x-client-id"], "alice");
    const wrong = await send("keys", { "x-api-key": "key-mallory" });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /Client authentication failed/);
    assert.equal((await send("keys")).status, 401);
  });

  it("API key: sanitize removes the key before the backend; without it the backend sees it", async () => {
    const clean = await send("keys", { "x-api-key": "key-alice" });
    assert.equal(upstream(clean)["x-api-key"], undefined);
    const plain = await send("keys-plain", { "x-api-key": "key-alice" });
    assert.equal(plain.status, 200, plain.body);
    assert.equal(upstream(plain)["x-api-key"], "key-alice");
    assert.equal(upstream(plain)["x-client-id"], "alice");
  });
});
