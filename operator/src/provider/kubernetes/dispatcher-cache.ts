/**
 * One HTTP dispatcher per TLS identity for {@link KubeClient}. `@kubernetes/client-node`'s
 * `KubeConfig.applySecurityAuthentication` builds a new undici Agent on every request, so every request opened
 * a new connection with a full TLS handshake and a new secure context (the client key parsed again): during a
 * bench attach of 1,000 routes that was about a third of the controller's CPU (bench/README.md, k8s). The
 * Agent it builds is kept and reused while the kubeconfig's TLS material is the same (its fields, and the
 * modification times of the files it names); when that changes, the new Agent replaces it and the old one
 * closes once its requests ended. Users with an exec plugin (which may return client certificates that
 * change without the kubeconfig changing) get the fresh Agent on every request, as before.
 */
import { statSync } from "node:fs";
import type { KubeConfig } from "@kubernetes/client-node";

/** What `ctx.getDispatcher()` gives: an undici Dispatcher (only `close` is used here). */
interface Closable {
  close(): Promise<void>;
}

/** Modification time of `path` (0 when absent or unreadable), so a rewritten file is a new identity. */
function mtime(path: string | undefined): number {
  if (!path) return 0;
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The TLS identity of the kubeconfig's current cluster and user; undefined when it cannot be told apart. */
function identityOf(kc: KubeConfig): string | undefined {
  const u = kc.getCurrentUser() ?? undefined;
  if (u?.exec || u?.authProvider) return undefined;
  const c = kc.getCurrentCluster() ?? undefined;
  const file = (path: string | undefined): [string | undefined, number] => [path, mtime(path)];
  const cluster = c && [c.server, c.caData, file(c.caFile), c.skipTLSVerify, c.tlsServerName, c.proxyUrl];
  const user = u && [u.certData, file(u.certFile), u.keyData, file(u.keyFile)];
  return JSON.stringify([cluster, user]);
}

/** Reuses the dispatcher of the same TLS identity (see the module comment). */
export class DispatcherCache {
  private identity?: string;
  private dispatcher?: Closable;

  constructor(private readonly kc: KubeConfig) {}

  /** The dispatcher to send with, given the one just built for this request (`fresh`, possibly undefined). */
  reuse<T>(fresh: T): T {
    if (fresh === undefined) return fresh;
    const identity = identityOf(this.kc);
    if (identity === undefined) return fresh;
    if (identity === this.identity && this.dispatcher) {
      void (fresh as Closable).close().catch(() => undefined);
      return this.dispatcher as T;
    }
    const old = this.dispatcher;
    this.identity = identity;
    this.dispatcher = fresh as Closable;
    void old?.close().catch(() => undefined);
    return fresh;
  }
}
