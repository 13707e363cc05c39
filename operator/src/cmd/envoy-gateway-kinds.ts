/** The resource kinds of `config envoy-gateway` (light: the command tree reads it before loading a runner). */

/** egctl's `config envoy-gateway` subcommands: the admin API's `resource` value, aliases, and display name. */
export const ENVOY_GATEWAY_CONFIG_KINDS: readonly (readonly [string, string | undefined, string])[] = [
  ["gatewayclass", "gc", "GatewayClass"],
  ["gateway", "gw", "Gateway"],
  ["httproute", "hr", "HTTPRoute"],
  ["grpcroute", "gr", "GRPCRoute"],
  ["tlsroute", "tr", "TLSRoute"],
  ["tcproute", "tcr", "TCPRoute"],
  ["udproute", "ur", "UDPRoute"],
  ["clienttrafficpolicy", "ctp", "ClientTrafficPolicy"],
  ["backendtrafficpolicy", "btp", "BackendTrafficPolicy"],
  ["backendtlspolicy", "btlsp", "BackendTLSPolicy"],
  ["securitypolicy", "sp", "SecurityPolicy"],
  ["envoypatchpolicy", "epp", "EnvoyPatchPolicy"],
  ["envoyextensionpolicy", "eep", "EnvoyExtensionPolicy"],
  ["service", "svc", "Service"],
  ["secret", "sec", "Secret"],
  ["configmap", "cm", "ConfigMap"],
  ["namespace", "ns", "Namespace"],
  ["endpointslice", "eps", "EndpointSlice"],
  ["referencegrant", "rg", "ReferenceGrant"],
  ["httproutefilter", "hrf", "HTTPRouteFilter"],
  ["envoyproxy", "ep", "EnvoyProxy"],
  ["backend", "be", "Backend"],
  ["serviceimport", "si", "ServiceImport"],
];
