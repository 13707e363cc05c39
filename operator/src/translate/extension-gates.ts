/**
 * Envoy Gateway's `extensionApis` switches that turn kinds or features on and off, as the translator sees them
 * (config/envoy-gateway-config.ts reads them from the EnvoyGateway configuration). Backend has its own
 * settings (backend-endpoints.ts; `extensionApis.enableBackend` is `BackendSettings.enabled`). An object a
 * switch turns off is never silently dropped: its status says which switch turned it off.
 */
export interface ExtensionApiGates {
  /** `extensionApis.enableEnvoyPatchPolicy`: EnvoyPatchPolicy is applied only when true. @default false */
  readonly enableEnvoyPatchPolicy?: boolean;
  /**
   * `extensionApis.enableLua` (or the deprecated `disableLua: false`): EnvoyExtensionPolicy `lua` is applied
   * only when true. @default false
   */
  readonly enableLua?: boolean;
  /**
   * `extensionApis.enableSDSSecretRef`: Secrets of type `gateway.envoyproxy.io/sds` may point at an SDS server.
   * egts does not implement them yet, so the configuration refuses `true` at startup; this is always false.
   * @default false
   */
  readonly enableSDSSecretRef?: boolean;
}

/** Envoy Gateway's defaults: every gated kind off. */
export const DEFAULT_EXTENSION_API_GATES: ExtensionApiGates = {};
