/** YAML the file provider tests write into their folders. */

/** Gateway `default/eg` of class `eg`, one HTTP listener on port 80. */
export const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
  namespace: default
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: 80
`;

/** HTTPRoute `default/<name>` on Gateway `eg`, one rule matching the path prefix `path`. */
export function route(name: string, path = "/"): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs:
    - name: eg
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: ${path}
`;
}
