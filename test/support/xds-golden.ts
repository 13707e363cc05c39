/** The translate options of an xDS golden case (testdata/xds): its EnvoyGateway config and the golden fixtures'. */
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import { inClusterRateLimit } from "../../operator/src/config/envoy-gateway-ratelimit";
import type { TranslateOptions } from "../../operator/src/translate/translate";
import { envoyGatewayConfigFor } from "./golden";
import { GOLDEN_OIDC_OPTIONS } from "./oidc-golden";
import { GOLDEN_WASM_OPTIONS } from "./wasm-golden";

/** Translate options for the xDS golden case `inFile`. */
export function xdsGoldenOptions(inFile: string): TranslateOptions {
  const config = loadEnvoyGatewayConfig(envoyGatewayConfigFor(inFile));
  return {
    ...GOLDEN_OIDC_OPTIONS,
    ...GOLDEN_WASM_OPTIONS,
    backends: config.backends,
    ...(config.extensionApis ? { extensionApis: config.extensionApis } : {}),
    ...(config.rateLimit ? { rateLimit: inClusterRateLimit(config.rateLimit, "envoy-gateway-system") } : {}),
  };
}
