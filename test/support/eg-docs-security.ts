/**
 * What Envoy Gateway's SecurityPolicy task pages create besides their SecurityPolicy YAML (testdata/eg-docs/
 * security-policy/): the Secrets of their `kubectl create secret` commands and YAML blocks, made the way the pages
 * make them (the basic auth users file with the real `htpasswd -cbs`).
 */
import { testdataDir } from "./golden";
import { htpasswdFile } from "./htpasswd";

/** The corpus folder. */
export const SP_DOCS_DIR = testdataDir("eg-docs", "security-policy");

/** A Secret `default/<name>` with plain-text values (`stringData`, as `kubectl create secret generic` stores them). */
export function docSecretYaml(name: string, values: Readonly<Record<string, string>>): string {
  return `apiVersion: v1
kind: Secret
type: Opaque
metadata: { name: ${name}, namespace: default }
stringData: ${JSON.stringify(values)}
`;
}

/**
 * The basic auth task's users: `htpasswd -cbs .htpasswd foo bar`, `htpasswd -bs .htpasswd foo1 bar1`, then
 * `kubectl create secret generic basic-auth --from-file=.htpasswd`.
 */
export function basicAuthSecretYaml(): string {
  const users = htpasswdFile([
    { user: "foo", password: "bar" },
    { user: "foo1", password: "bar1" },
  ]);
  return docSecretYaml("basic-auth", { ".htpasswd": users });
}

/** The API key task's Secret (its YAML block: client `client1`, key `supersecret`). */
export const APIKEY_SECRET_YAML = docSecretYaml("apikey-secret", { client1: "supersecret" });

/** The OIDC task's `kubectl create secret generic my-app-client-secret --from-literal=client-secret=...`. */
export const OIDC_CLIENT_SECRET_YAML = docSecretYaml("my-app-client-secret", { "client-secret": "client-secret" });
