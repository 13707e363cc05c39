/** YAML builders for test scenarios. */

/** GatewayClass `eg` + Gateway `default/eg` with one HTTP listener on `port`. */
export function gatewayYaml(port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners:
    - { name: http, protocol: HTTP, port: ${port} }
`;
}

/** A Backend `default/<name>` at 127.0.0.1:`port`. */
export function backendYaml(name: string, port: number): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: default }
spec:
  endpoints:
    - ip: { address: 127.0.0.1, port: ${port} }
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
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  hostnames: [${host}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: ${opts.path ?? "/"} } }]${filters}
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]
`;
}
