/** YAML builders for test scenarios. */

/** GatewayClass `eg` for our controller. */
export const GATEWAY_CLASS_YAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
`;

/** GatewayClass `merged` whose EnvoyProxy `envoy-gateway-system/merged` sets `mergeGateways: true`. */
export const MERGED_CLASS_YAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: merged }
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: merged, namespace: envoy-gateway-system }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: merged, namespace: envoy-gateway-system }
spec: { mergeGateways: true }
`;

/**
 * GatewayClass `eg` + Gateway `default/eg` with the given listeners: YAML list items indented by four
 * spaces. `specYaml` adds other spec fields (indented by two spaces), e.g. `tls:`.
 */
export function gatewayWithListenersYaml(listenersYaml: string, specYaml = ""): string {
  return `${GATEWAY_CLASS_YAML}---
${egGatewayYaml(listenersYaml, specYaml)}`;
}

/** Gateway `default/eg` of class `eg` alone (see gatewayWithListenersYaml). */
function egGatewayYaml(listenersYaml: string, specYaml: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
${specYaml}  listeners:
${listenersYaml.replace(/\n?$/, "\n")}`;
}

/** One HTTP listener `http` on `port`, as a list item for gatewayWithListenersYaml. */
export function httpListenerYaml(port: number): string {
  return `    - { name: http, protocol: HTTP, port: ${port} }`;
}

/**
 * GatewayClass `eg` whose `parametersRef` names EnvoyProxy `default/proxy`, that EnvoyProxy, and Gateway `default/eg`
 * with the given listeners (as gatewayWithListenersYaml). `spec` is the EnvoyProxy's spec: an object (written as a
 * JSON flow mapping) or YAML block lines indented by two spaces.
 */
export function classWithEnvoyProxyYaml(
  spec: Record<string, unknown> | string,
  listenersYaml: string,
  gatewaySpecYaml = "",
): string {
  const body = typeof spec === "string" ? `\n${spec.replace(/\n?$/, "")}` : ` ${JSON.stringify(spec)}`;
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: default }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: proxy, namespace: default }
spec:${body}
---
${egGatewayYaml(listenersYaml, gatewaySpecYaml)}`;
}

/** GatewayClass `eg` + Gateway `default/eg` with one HTTP listener on `port`. */
export function gatewayYaml(port: number): string {
  return gatewayWithListenersYaml(httpListenerYaml(port));
}

/**
 * EnvoyProxy and Gateway `default/<name>` of class `cls` (the EnvoyProxy's `spec` is `specYaml`, indented by two),
 * one HTTP listener on `port`; the Gateway names the EnvoyProxy in `infrastructure.parametersRef`.
 */
export function gatewayWithProxyYaml(name: string, port: number, specYaml: string, cls = "eg"): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: ${name}, namespace: default }
spec:
${specYaml}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: ${cls}
  infrastructure: { parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ${name} } }
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
`;
}

/**
 * An HTTPRoute `default/<name>` on Gateway `gateway` (`eg` unless given) for `host`; `rulesYaml` holds the rules,
 * indented by four spaces.
 */
export function httpRouteYaml(name: string, host: string, rulesYaml: string, gateway = "eg"): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: ${gateway} }]
  hostnames: [${host}]
  rules:
${rulesYaml.replace(/\n?$/, "\n")}`;
}

/** A Backend `default/<name>` at 127.0.0.1:`port`. */
export function backendYaml(name: string, port: number): string {
  return backendPoolYaml(name, [port]);
}

/** A Backend `default/<name>` with one endpoint on 127.0.0.1 per port (one cluster, several endpoints). */
export function backendPoolYaml(name: string, ports: readonly number[]): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: default }
spec:
  endpoints:
${ports.map((p) => `    - ip: { address: 127.0.0.1, port: ${p} }`).join("\n")}
`;
}

/** A Backend `default/<name>` at 127.0.0.1:`port` with `tls` (YAML lines under `tls:`) and endpoint extras. */
export function tlsBackendYaml(name: string, port: number, tls: string, endpointExtra = ""): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: default }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${port} }${endpointExtra} }]
  tls:
${tls.replace(/^/gm, "    ")}
`;
}

/** An HTTPRoute `default/<name>` for `host` to the Backend `backend`, with optional response headers to set. */
export function routeYaml(
  name: string,
  host: string,
  backend: string,
  opts: { responseHeader?: [string, string]; path?: string } = {},
): string {
  const filters = opts.responseHeader
    ? `
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set: [{ name: ${opts.responseHeader[0]}, value: "${opts.responseHeader[1]}" }]`
    : "";
  return httpRouteYaml(
    name,
    host,
    `    - matches: [{ path: { type: PathPrefix, value: ${opts.path ?? "/"} } }]${filters}
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`,
  );
}

/** A TCPRoute `default/<name>` from listener `section` of Gateway eg to the Backend `backend`. */
export function tcpRouteYaml(name: string, section: string, backend: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: eg, sectionName: ${section} }]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }] }]
`;
}

/** One EndpointSlice of {@link serviceYaml}: an endpoint address (127.0.0.1 unless given) on a port, in a zone. */
export interface SliceEndpoint {
  readonly port: number;
  readonly zone?: string;
  readonly address?: string;
}

/**
 * Service `default/<name>` with port `port` (named http) and an EndpointSlice per entry of `slices`; `clusterIP`
 * sets the Service's cluster IP (none: the field is absent).
 */
export function serviceYaml(name: string, port: number, slices: readonly SliceEndpoint[], clusterIP?: string): string {
  const service = `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
${clusterIP !== undefined ? `  clusterIP: ${clusterIP}\n` : ""}  ports: [{ name: http, port: ${port} }]
`;
  const slice = (s: SliceEndpoint, i: number): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-${i}
  namespace: default
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ name: http, port: ${s.port} }]
endpoints: [{ addresses: [${s.address ?? "127.0.0.1"}]${s.zone !== undefined ? `, zone: ${s.zone}` : ""} }]
`;
  return [service, ...slices.map(slice)].join("---\n");
}

/** An HTTPRoute `default/<name>` for `host` to port `port` of the Service `service`. */
export function serviceRouteYaml(name: string, host: string, service: string, port: number): string {
  return httpRouteYaml(
    name,
    host,
    `    - matches: [{ path: { type: PathPrefix, value: / } }]
      backendRefs: [{ name: ${service}, port: ${port} }]`,
  );
}

/** A path regex beyond RE2's default program size limit: Envoy refuses it (the translator's regex check would too). */
export const TOO_BIG_REGEX = `^/(${Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i).repeat(3)).join("|")}){8}$`;

/** HTTPRoute `default/huge-regex` for regex.example.com on Gateway `eg` with TOO_BIG_REGEX, to Backend `b`. */
export function hugeRegexRouteYaml(): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: huge-regex, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [regex.example.com]
  rules:
    - matches: [{ path: { type: RegularExpression, value: "${TOO_BIG_REGEX}" } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: b }]
`;
}

/**
 * GatewayClass `cls` whose `parametersRef` names EnvoyProxy `envoy-gateway-system/<cls>-proxy` with spec `specYaml`
 * (indented by two), without a Gateway (classWithEnvoyProxyYaml adds one): the class-level EnvoyProxy a Gateway's own
 * can merge onto (`mergeType`).
 */
export function classWithProxyYaml(specYaml: string, cls = "eg"): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ${cls} }
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: ${cls}-proxy, namespace: envoy-gateway-system }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: ${cls}-proxy, namespace: envoy-gateway-system }
spec:
${specYaml}
`;
}
