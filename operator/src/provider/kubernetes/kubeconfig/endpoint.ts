/** What a kubeconfig or the in-cluster environment resolves to: where the API server is and how to authenticate. */
import type { ExecPlugin } from "./exec-credential";

/** The TLS material of a connection to the API server (file contents already read). */
export interface KubeTls {
  /** PEM CA bundle to verify the server with; the system roots when absent. */
  readonly ca?: string;
  /** PEM client certificate (with `key`). */
  readonly cert?: string;
  /** PEM client key (with `cert`). */
  readonly key?: string;
  /** false with `insecure-skip-tls-verify: true`. */
  readonly rejectUnauthorized: boolean;
  /** `tls-server-name`: the name to verify the server certificate against (and send as SNI). */
  readonly servername?: string;
}

/** How requests authenticate besides a client certificate. */
export type KubeAuth =
  | { readonly kind: "none" }
  | { readonly kind: "token"; readonly token: string }
  /** A token read from a file, read again while running (a rotated ServiceAccount token). */
  | { readonly kind: "tokenFile"; readonly path: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  /** A token an exec credential plugin gives, run again when it expires or after a 401. */
  | { readonly kind: "exec"; readonly plugin: ExecPlugin };

/** One resolved API server endpoint. */
export interface KubeEndpoint {
  /** `https://host:port` (a path prefix allowed), without a trailing slash. */
  readonly server: string;
  readonly tls: KubeTls;
  readonly auth: KubeAuth;
  /** Where it came from, for messages: `kubeconfig /path (context c)` or `in-cluster`. */
  readonly origin: string;
}

/** A YAML or JSON mapping as parsed: field names to values not yet checked. */
export type Fields = Readonly<Record<string, unknown>>;

/** Whether `v` is a mapping (not null, not a list). */
export const isFields = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);

/** A configuration error naming the file (or `in-cluster`) and the field. */
export class KubeconfigError extends Error {
  constructor(where: string, field: string, message: string) {
    super(`${where}: ${field}: ${message}`);
    this.name = "KubeconfigError";
  }
}
