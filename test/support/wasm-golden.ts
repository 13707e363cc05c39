/**
 * The EnvoyExtensionPolicy Wasm inputs every golden case is translated with (the translator reads fetch results
 * from TranslateOptions, never from the network): egts's module server at `http://127.0.0.1:18002`, and results for
 * a few sources, keyed as the cache keys them (default pull policy, no CA, no pull secret):
 * - HTTP `https://modules.example.com/ok.wasm` (sha256 `11…`): fetched;
 * - HTTP `https://modules.example.com/ok.wasm` expecting sha256 `22…`: checksum mismatch;
 * - image `registry.example.com/plugins/ok:v1`: pulled;
 * - HTTP `https://modules.example.com/broken.wasm`: failed (404).
 * Any other source is pending.
 */
import type { TranslateOptions } from "../../operator/src/translate/translate";
import { wasmSourceKey, type WasmModuleResult } from "../../operator/src/translate/wasm-sources";

const OK = "11".repeat(32);
const OTHER = "22".repeat(32);
const OK_URL = "https://modules.example.com/ok.wasm";

function result(
  type: "HTTP" | "Image",
  url: string,
  sha256: string | undefined,
  r: WasmModuleResult,
): [string, WasmModuleResult] {
  return [wasmSourceKey({ type, url, pullPolicy: "IfNotPresent", ...(sha256 ? { sha256 } : {}) }), r];
}

/** The Wasm options of golden translations. */
export const GOLDEN_WASM_OPTIONS: Pick<TranslateOptions, "wasmModules"> = {
  wasmModules: {
    servingBase: "http://127.0.0.1:18002",
    results: new Map([
      result("HTTP", OK_URL, OK, { path: "ok-http.wasm", sha256: OK }),
      result("HTTP", OK_URL, undefined, { path: "ok-http-unchecked.wasm", sha256: OK }),
      result("HTTP", OK_URL, OTHER, {
        error: `module downloaded from ${OK_URL} has checksum ${OK}, which does not match: ${OTHER}`,
      }),
      result("Image", "registry.example.com/plugins/ok:v1", undefined, { path: "ok-image.wasm", sha256: OTHER }),
      result("HTTP", "https://modules.example.com/broken.wasm", undefined, {
        error: "could not fetch Wasm binary: wasm module download request failed: status code 404",
      }),
    ]),
  },
};
