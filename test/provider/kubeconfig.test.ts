/**
 * The kubeconfig / in-cluster loader (provider/kubernetes/kubeconfig/) against real files: KUBECONFIG's list
 * merged first-wins, relative paths, contexts, the in-cluster environment, and errors that name the file and
 * field for what is missing, broken or not supported (auth providers, impersonation, proxy-url, exec fields).
 */
import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { loadEnv } from "../../operator/src/config/env";
import { KubeconfigError } from "../../operator/src/provider/kubernetes/kubeconfig/endpoint";
import { inClusterEndpoint } from "../../operator/src/provider/kubernetes/kubeconfig/in-cluster";
import { KubeConfig, loadEndpoint } from "../../operator/src/provider/kubernetes/kubeconfig/kube-config";
import { makeCa, type TestCa } from "../support/pki";

describe("kubeconfig loader", () => {
  let dir: string;
  let ca: TestCa;
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** A kubeconfig with one context `name` → cluster `name` (server `server`) → user `name` (`user` fields). */
  const single = (name: string, server: string, user = "token: t", current = name): string => `apiVersion: v1
kind: Config
current-context: ${current}
clusters: [{ name: ${name}, cluster: { server: "${server}" } }]
users: [{ name: ${name}, user: { ${user} } }]
contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]
`;
  /** The KubeconfigError message of loading `path` (fails when it loads). */
  const errorOf = (path: string, context?: string): string => {
    try {
      loadEndpoint({ path, ...(context ? { context } : {}) });
    } catch (err) {
      assert.ok(err instanceof KubeconfigError, String(err));
      return err.message;
    }
    assert.fail(`${path} loaded`);
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "egts-kubeconfig-loader-"));
    ca = makeCa("loader-ca");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("merges KUBECONFIG's files first-wins and skips missing ones, as kubectl", () => {
    const a = write("a.yaml", single("a", "https://a.example:6443/", "token: from-a"));
    // b names a cluster "a" too (ignored: a's came first) and sets its own current-context (ignored).
    const b = write(
      "b.yaml",
      `current-context: b
clusters: [{ name: a, cluster: { server: "https://other.example" } }, { name: b, cluster: { server: "https://b.example" } }]
users: [{ name: b, user: { token: from-b } }]
contexts: [{ name: b, context: { cluster: b, user: b } }]
`,
    );
    const env = loadEnv({ KUBECONFIG: [join(dir, "missing.yaml"), a, b].join(delimiter) });
    const e = loadEndpoint({}, env);
    assert.equal(e.server, "https://a.example:6443");
    assert.deepEqual(e.auth, { kind: "token", token: "from-a" });
    assert.equal(e.origin, `kubeconfig ${a}:${b} (context a)`);
    const other = loadEndpoint({ context: "b" }, env);
    assert.equal(other.server, "https://b.example");
    assert.deepEqual(other.auth, { kind: "token", token: "from-b" });
  });

  it("reads ~/.kube/config when KUBECONFIG is unset", () => {
    mkdirSync(join(dir, "home", ".kube"), { recursive: true });
    writeFileSync(join(dir, "home", ".kube", "config"), single("h", "https://home.example"));
    assert.equal(loadEndpoint({}, loadEnv({ HOME: join(dir, "home") })).server, "https://home.example");
  });

  it("says where it looked when there is no configuration at all", () => {
    assert.throws(
      () => loadEndpoint({}, loadEnv({ HOME: join(dir, "nowhere") })),
      /none found: .*KUBECONFIG unset.*not in a cluster/,
    );
  });

  it("resolves certificate files relative to the kubeconfig and prefers -data", () => {
    const pair = ca.issue("user");
    mkdirSync(join(dir, "pki"), { recursive: true });
    write("pki/ca.crt", ca.cert);
    write("pki/user.crt", pair.cert);
    write("pki/user.key", pair.key);
    const other = ca.issue("data");
    const path = write(
      "files.yaml",
      `current-context: f
clusters: [{ name: f, cluster: { server: "https://f.example", certificate-authority: pki/ca.crt, tls-server-name: api.f } }]
users: [{ name: f, user: { client-certificate: pki/user.crt, client-key: pki/user.key,
  client-certificate-data: ${Buffer.from(other.cert).toString("base64")}, client-key-data: ${Buffer.from(other.key).toString("base64")} } }]
contexts: [{ name: f, context: { cluster: f, user: f, namespace: ns } }]
`,
    );
    const e = loadEndpoint({ path });
    assert.equal(e.tls.ca, ca.cert);
    assert.equal(e.tls.cert, other.cert);
    assert.equal(e.tls.key, other.key);
    assert.equal(e.tls.servername, "api.f");
    assert.equal(e.tls.rejectUnauthorized, true);
    assert.deepEqual(e.auth, { kind: "none" });
  });

  it("names the file and field of what is missing or broken", () => {
    const cases: [string, string, RegExp][] = [
      [
        "nocert.yaml",
        single("n", "https://n", "client-certificate: gone.crt, client-key: gone.key"),
        /users\[name=n\]\.user\.client-certificate: ENOENT/,
      ],
      [
        "halfpair.yaml",
        single("h", "https://h", `client-key-data: ${Buffer.from(ca.key).toString("base64")}`),
        /users\[name=h\]\.user\.client-certificate: missing/,
      ],
      ["noserver.yaml", single("s", ""), /clusters\[name=s\]\.cluster\.server: missing/],
      ["badurl.yaml", single("u", "not a url"), /clusters\[name=u\]\.cluster\.server: not a URL/],
      [
        "nocontext.yaml",
        single("c", "https://c", "token: t", "elsewhere"),
        /current-context: no context named "elsewhere"/,
      ],
      ["notyaml.yaml", "clusters: [", /: file: not YAML/],
      [
        "both.yaml",
        single("b", "https://b", "token: t, username: u, password: p"),
        /users\[name=b\]\.user\.username: a user has a token or a username, not both/,
      ],
      [
        "skip.yaml",
        single("k", "https://k").replace('server: "https://k"', 'server: "https://k", insecure-skip-tls-verify: "yes"'),
        /insecure-skip-tls-verify: not a boolean/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const path = write(name, text);
      const message = errorOf(path);
      assert.ok(message.startsWith(path), `${name}: ${message}`);
      assert.match(message, expected, name);
    }
    assert.match(errorOf(write("ctx.yaml", single("x", "https://x")), "y"), /ctx\.yaml: context: no context named "y"/);
    assert.match(errorOf(join(dir, "absent.yaml")), /absent\.yaml: file: ENOENT/);
  });

  it("names the file when its certificate, key or CA does not load into a TLS context (not at the first request)", () => {
    const pem = (s: string): string => Buffer.from(s).toString("base64");
    const other = ca.issue("other");
    const cases: [string, string][] = [
      [
        "garbage-key.yaml",
        `client-certificate-data: ${pem(other.cert)}, client-key-data: ${pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}`,
      ],
      ["mismatch.yaml", `client-certificate-data: ${pem(other.cert)}, client-key-data: ${pem(ca.key)}`],
    ];
    for (const [name, user] of cases) {
      const path = write(name, single("t", "https://t", user));
      assert.throws(
        () => KubeConfig.load({ path }),
        (err: unknown) =>
          err instanceof KubeconfigError &&
          err.message.includes(path) &&
          /certificate-authority, client-certificate or client-key: does not load: /.test(err.message),
        name,
      );
    }
  });

  it("refuses auth providers, impersonation, proxy-url and unknown exec fields instead of ignoring them", () => {
    const refused: [string, string, string][] = [
      ["auth-provider", "auth-provider: { name: oidc }", "users[name=e].user.auth-provider"],
      ["as", "as: someone", "users[name=e].user.as"],
      [
        "exec-field",
        "exec: { apiVersion: client.authentication.k8s.io/v1, command: aws, stdin: true }",
        "users[name=e].user.exec.stdin",
      ],
    ];
    for (const [name, user, field] of refused) {
      const path = write(`${name}.yaml`, single("e", "https://e", user));
      assert.equal(errorOf(path), `${path}: ${field}: not supported by egts`);
    }
    const proxy = write(
      "proxy.yaml",
      single("p", "https://p").replace('server: "https://p"', 'server: "https://p", proxy-url: "http://proxy:3128"'),
    );
    assert.equal(errorOf(proxy), `${proxy}: clusters[name=p].cluster.proxy-url: not supported by egts`);
  });

  it("reads the in-cluster environment (IPv6 host in brackets, the token as a file)", async () => {
    const sa = join(dir, "sa");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "ca.crt"), ca.cert);
    writeFileSync(join(sa, "token"), "sa-token\n");
    const e = inClusterEndpoint({ kubernetesService: { host: "fd00::1", port: "443" } }, sa);
    assert.equal(e.server, "https://[fd00::1]:443");
    assert.equal(e.tls.ca, ca.cert);
    assert.deepEqual(e.auth, { kind: "tokenFile", path: join(sa, "token") });
    const kc = new KubeConfig(() => inClusterEndpoint({ kubernetesService: { host: "10.96.0.1", port: "443" } }, sa));
    assert.equal(kc.server, "https://10.96.0.1:443");
    assert.deepEqual(await kc.headers(), { authorization: "Bearer sa-token" });
    writeFileSync(join(sa, "token"), "rotated\n");
    assert.equal(await kc.reload(), true, "a new token is a change");
    assert.deepEqual(await kc.headers(), { authorization: "Bearer rotated" });
    assert.throws(
      () => inClusterEndpoint({ kubernetesService: undefined }, sa),
      /in-cluster: KUBERNETES_SERVICE_HOST\/KUBERNETES_SERVICE_PORT: not set/,
    );
    assert.throws(
      () => inClusterEndpoint({ kubernetesService: { host: "h", port: "1" } }, join(dir, "nosa")),
      /in-cluster: .*nosa\/ca\.crt: ENOENT/,
    );
  });
});
