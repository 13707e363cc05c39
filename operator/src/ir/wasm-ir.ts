/**
 * The Wasm part of the EnvoyExtensionPolicy IR: one envoy.filters.http.wasm instance per `wasm` entry of a route's
 * effective policy. The module is never fetched by Envoy from the user's URL: egts fetches (HTTP) or pulls (OCI
 * image) it outside translation, checks and caches it, and serves it to Envoy from its own HTTP server, as Envoy
 * Gateway does; the filter's remote code source points there, with the module's sha256 for Envoy to verify.
 */

/** Envoy Gateway's name of the cluster through which Envoy fetches modules from the controller. */
export const WASM_CLUSTER = "wasm_cluster";

/** One Wasm module run on a route (filter envoy.filters.http.wasm, one instance per entry). */
export interface WasmIr {
  /** Instance name suffix and VM id: `envoyextensionpolicy/<ns>/<name>/wasm/<index>`. */
  readonly name: string;
  /** The plugin's name (the entry's `name`, else {@link name}). */
  readonly pluginName: string;
  /** The root context id inside the module; absent: the module's default root. */
  readonly rootId?: string;
  /** The plugin configuration handed to the module: the entry's `config` as JSON (empty when unset). */
  readonly config: string;
  /** Requests pass when the module cannot be loaded or fails (`failOpen`). */
  readonly failOpen: boolean;
  /** Environment variables of the proxy the module may read. */
  readonly hostKeys: readonly string[];
  /** Where Envoy fetches the module: a URL of egts's module server. */
  readonly servingUrl: string;
  /** Hex SHA-256 of the module bytes (Envoy checks the download against it). */
  readonly sha256: string;
}
