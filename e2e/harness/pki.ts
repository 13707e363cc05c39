/**
 * Certificates and kubeconfigs for a throwaway control plane, made with the `openssl` command: a CA, the
 * API server's serving certificate, the service-account signing key pair, and client certificates for
 * the admin (O=system:masters) and the controller manager.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Files written by {@link makeClusterPki}, all in one folder. */
export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  /** Service-account token signing key (private) and its public key. */
  readonly saKey: string;
  readonly saPub: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly controllerManagerCert: string;
  readonly controllerManagerKey: string;
  /** The simulated kubelet's serving certificate (for `kubectl logs`), for `nodeIps`. */
  readonly kubeletCert: string;
  readonly kubeletKey: string;
  /** kube-apiserver's client certificate towards the kubelet (--kubelet-client-certificate). */
  readonly kubeletClientCert: string;
  readonly kubeletClientKey: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const DAYS = "7";

function openssl(dir: string, args: readonly string[]): void {
  try {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer; message: string };
    if (err.code === "ENOENT")
      throw new Error("openssl was not found on PATH (the Kubernetes harness needs it)", { cause: e });
    throw new Error(`openssl ${args.join(" ")} failed: ${err.stderr?.toString().trim() || err.message}`, {
      cause: e,
    });
  }
}

/** Issues `name`.crt/.key signed by ca.crt, with the given subject and extensions. */
function issue(dir: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["req", ...EC_KEY, "-subj", subject, "-keyout", `${name}.key`, "-out", `${name}.csr`]);
  openssl(dir, [
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-days", DAYS, "-extfile", `${name}.ext`, "-out", `${name}.crt`],
  ]);
}

/**
 * Writes the PKI into `dir`. `serviceIp` is the first address of the service CIDR (the `kubernetes`
 * Service), added to the API server certificate's SANs with 127.0.0.1, `nodeIps` and the usual DNS names;
 * `nodeIps` (the addresses pods and the API server reach the node at) are the kubelet certificate's SANs.
 */
export function makeClusterPki(dir: string, serviceIp: string, nodeIps: readonly string[] = []): ClusterPki {
  openssl(dir, [
    ...["req", "-x509", ...EC_KEY, "-days", DAYS, "-subj", "/CN=egts-e2e-ca"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ...["-keyout", "ca.key", "-out", "ca.crt"],
  ]);
  const server = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n";
  const client = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n";
  const sans = [
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
    "IP:127.0.0.1",
    `IP:${serviceIp}`,
    ...nodeIps.map((ip) => `IP:${ip}`),
  ];
  issue(dir, "apiserver", "/CN=kube-apiserver", `${server}subjectAltName=${sans.join(",")}\n`);
  issue(dir, "admin", "/O=system:masters/CN=egts-e2e-admin", client);
  issue(dir, "controller-manager", "/CN=system:kube-controller-manager", client);
  const kubeletSans = ["IP:127.0.0.1", ...nodeIps.map((ip) => `IP:${ip}`)].join(",");
  issue(dir, "kubelet", "/CN=simulated-node", `${server}subjectAltName=${kubeletSans}\n`);
  issue(dir, "kubelet-client", "/O=system:masters/CN=kube-apiserver-kubelet-client", client);
  openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"]);
  openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  const f = (name: string): string => join(dir, name);
  return {
    caCert: f("ca.crt"),
    caKey: f("ca.key"),
    apiserverCert: f("apiserver.crt"),
    apiserverKey: f("apiserver.key"),
    saKey: f("sa.key"),
    saPub: f("sa.pub"),
    adminCert: f("admin.crt"),
    adminKey: f("admin.key"),
    controllerManagerCert: f("controller-manager.crt"),
    controllerManagerKey: f("controller-manager.key"),
    kubeletCert: f("kubelet.crt"),
    kubeletKey: f("kubelet.key"),
    kubeletClientCert: f("kubelet-client.crt"),
    kubeletClientKey: f("kubelet-client.key"),
  };
}

/** A kubeconfig (YAML) with the certificates embedded, so it works wherever it is copied. */
export function kubeconfigYaml(opts: {
  readonly server: string;
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly user: string;
}): string {
  const b64 = (file: string): string => readFileSync(file).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: egts-e2e",
    "    cluster:",
    `      server: ${opts.server}`,
    `      certificate-authority-data: ${b64(opts.caCert)}`,
    "users:",
    `  - name: ${opts.user}`,
    "    user:",
    `      client-certificate-data: ${b64(opts.clientCert)}`,
    `      client-key-data: ${b64(opts.clientKey)}`,
    "contexts:",
    "  - name: egts-e2e",
    "    context:",
    "      cluster: egts-e2e",
    `      user: ${opts.user}`,
    "current-context: egts-e2e",
    "",
  ].join("\n");
}
