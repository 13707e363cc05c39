/**
 * The extension server stage as both modes run it (standalone and the Kubernetes controller): one gRPC client per
 * configured server (`extensionManager`, or each of `extensionManagers` in order), TLS material read at each call
 * from the latest Secrets the provider saw (the controller: through the API server; standalone: the config
 * folder), and the hook stage that chains them (extension-hooks.ts). Also what translation and the providers
 * need to know about the kinds the servers own.
 */
import type { ExtensionKind, ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import type * as ExtensionClientModule from "../extension/client";
import { tlsMaterial } from "../extension/tls-secrets";
import type { Logger } from "../log";
import type { Secret } from "../resources/core";
import { ExtensionHookStage } from "./extension-hooks";
import { extensionKindsOption } from "./extension-kinds";

export { extensionKindsOption };

/** Settings of the stage. */
export interface ExtensionStageOptions {
  /** The servers, in configuration order (at least one). */
  readonly managers: readonly ExtensionManagerConfig[];
  /** The Secrets the latest snapshot has (for `service.tls`). */
  readonly secrets: () => readonly Secret[];
  /** The controller's namespace: where a TLS Secret reference without namespace points. */
  readonly namespace: string;
  /** Logger (the xds-translator component). */
  readonly logger: Logger;
  /** TEST ONLY: deadline of one hook call, and how long after a failure hooks are called again. */
  readonly timings?: { readonly timeoutMs?: number; readonly retryMs?: number };
}

/** The running stage. */
export interface ExtensionStage {
  /** The hook stage, for translateAndPublish's `stages.hooks`. */
  readonly hooks: ExtensionHookStage;
  /** Stops retries and closes every client. */
  close(): void;
}

/**
 * The extension server's client module (gRPC service definitions, ~55 KB of generated protos), loaded when a
 * configuration names an extension manager (ADR 0038).
 */
function extensionClientModule(): typeof ExtensionClientModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous load on first use
  return require("../extension/client") as typeof ExtensionClientModule;
}

/** Creates the clients and the hook stage. */
export function createExtensionStage(opts: ExtensionStageOptions): ExtensionStage {
  const { ExtensionClient } = extensionClientModule();
  const timeoutMs = opts.timings?.timeoutMs;
  const clients = opts.managers.map((config) => {
    const tls = config.service.tls;
    return new ExtensionClient({
      config,
      ...(tls ? { tls: () => tlsMaterial(tls, opts.secrets(), opts.namespace) } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  });
  const hooks = new ExtensionHookStage({
    servers: opts.managers.map((config, i) => ({ config, caller: clients[i] })),
    logger: opts.logger,
    ...(opts.timings?.retryMs ? { retryMs: opts.timings.retryMs } : {}),
  });
  return {
    hooks,
    close: () => {
      hooks.close();
      for (const c of clients) c.close();
    },
  };
}

/** Every kind the servers own (each group/kind once): what the providers read and do not warn about. */
export function ownedExtensionKinds(managers: readonly ExtensionManagerConfig[] | undefined): ExtensionKind[] {
  const all = (managers ?? []).flatMap((m) => [...m.resources, ...m.backendResources, ...m.policyResources]);
  return all.filter((k, i) => all.findIndex((o) => o.group === k.group && o.kind === k.kind) === i);
}
