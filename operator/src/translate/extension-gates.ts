/**
 * Envoy Gateway's `extensionApis` switches that turn kinds or features on and off, as the translator sees them
 * (config/envoy-gateway-config.ts reads them from the EnvoyGateway configuration). Backend has its own
 * settings (backend-endpoints.ts). An object a switch turns off is never silently dropped: its status says
 * which switch turned it off.
 */
export interface ExtensionApiGates {
  /** `extensionApis.enableEnvoyPatchPolicy`: EnvoyPatchPolicy is applied only when true. @default false */
  readonly enableEnvoyPatchPolicy?: boolean;
}

/** Envoy Gateway's defaults: every gated kind off. */
export const DEFAULT_EXTENSION_API_GATES: ExtensionApiGates = {};
