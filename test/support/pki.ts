/** Throwaway certificates for tests, made with the `openssl` command in a temporary folder. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";

/** A PEM certificate and its private key. */
export interface KeyPair {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
}

/** A test CA that issues leaf certificates. */
export interface TestCa extends KeyPair {
  /** Issues a certificate with common name `cn` and SANs `dnsNames` (default: [cn]; an IP address is an IP SAN). */
  issue(cn: string, dnsNames?: readonly string[]): KeyPair;
  /** Issues a certificate like `issue` that expired long ago (valid 2020-01-01 to 2020-01-02 only). */
  issueExpired(cn: string): KeyPair;
}

function withDir<T>(fn: (dir: string, ssl: (...args: string[]) => void) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "egts-pki-"));
  const ssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  };
  try {
    return fn(dir, ssl);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Creates a self-signed CA named `name` (valid 2 days). */
export function makeCa(name: string): TestCa {
  const ca = withDir((dir, ssl) => {
    ssl("req", "-x509", ...EC, "-days", "2", "-subj", `/CN=${name}`, "-keyout", "ca.key", "-out", "ca.crt");
    return { cert: readFileSync(join(dir, "ca.crt"), "utf8"), key: readFileSync(join(dir, "ca.key"), "utf8") };
  });
  return {
    ...ca,
    issue: (cn, dnsNames = [cn]) =>
      withDir((dir, ssl) => {
        writeFileSync(join(dir, "ca.crt"), ca.cert);
        writeFileSync(join(dir, "ca.key"), ca.key);
        const sans = dnsNames.map((d) => (isIP(d) ? `IP:${d}` : `DNS:${d}`));
        writeFileSync(join(dir, "leaf.ext"), `subjectAltName=${sans.join(",")}\n`);
        ssl("req", ...EC, "-subj", `/CN=${cn}`, "-keyout", "leaf.key", "-out", "leaf.csr");
        ssl(
          ...["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"],
          ...["-days", "2", "-extfile", "leaf.ext", "-out", "leaf.crt"],
        );
        return { cert: readFileSync(join(dir, "leaf.crt"), "utf8"), key: readFileSync(join(dir, "leaf.key"), "utf8") };
      }),
    issueExpired: (cn) =>
      withDir((dir, ssl) => {
        // `openssl ca` sets any validity window (`x509 -req` only counts days from now).
        writeFileSync(join(dir, "ca.crt"), ca.cert);
        writeFileSync(join(dir, "ca.key"), ca.key);
        writeFileSync(join(dir, "leaf.ext"), `subjectAltName=DNS:${cn}\n`);
        writeFileSync(
          join(dir, "ca.cnf"),
          "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n" +
            "default_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
        );
        writeFileSync(join(dir, "index.txt"), "");
        writeFileSync(join(dir, "serial"), "1000\n");
        ssl("req", ...EC, "-subj", `/CN=${cn}`, "-keyout", "leaf.key", "-out", "leaf.csr");
        ssl(
          ...["ca", "-batch", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-in", "leaf.csr"],
          ...["-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", "leaf.ext"],
          ...["-notext", "-out", "leaf.crt"],
        );
        return { cert: readFileSync(join(dir, "leaf.crt"), "utf8"), key: readFileSync(join(dir, "leaf.key"), "utf8") };
      }),
  };
}

/** A `kubernetes.io/tls` Secret `default/<name>` holding the pair (base64 data, as the API server stores it). */
export function tlsSecretYaml(name: string, pair: KeyPair): string {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: default }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(pair.cert)}
  tls.key: ${b64(pair.key)}
`;
}

/** A ConfigMap `default/<name>` with a PEM bundle under `key` (`ca.crt`; `ca.crl` for revocation lists). */
export function caConfigMapYaml(name: string, pem: string, key = "ca.crt"): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: default }
data:
  ${key}: |
    ${pem.trim().split("\n").join("\n    ")}
`;
}
