/** YAML the Kubernetes-tier tests apply: a Service backed by a server on this host, and the quickstart. */
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import { httpRouteYaml } from "../../test/support/manifests";

/**
 * Service `default/<name>` on `port` without a selector, whose EndpointSlice points at `ip`:`targetPort`: a
 * server of the test on this host, listening on the cluster's node address (198.18.0.1), which pods reach.
 */
export function hostServiceYaml(name: string, port: number, ip: string, targetPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec: { ports: [{ name: http, port: ${port}, targetPort: ${targetPort} }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: default, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${targetPort} }]
endpoints: [{ addresses: [${ip}], conditions: { ready: true } }]
`;
}

/** HTTPRoute `default/<name>` on Gateway `eg` for `host`, to Service `echo` port 80. */
export function echoRouteYaml(name: string, host: string): string {
  return httpRouteYaml(name, host, "    - backendRefs: [{ name: echo, port: 80 }]");
}

/**
 * GatewayClass `eg`, Gateway `default/eg` (HTTP listener on `port`), Service `echo` backed by `ip`:`echoPort`,
 * and HTTPRoute `web` for www.example.com.
 */
export function quickstartYaml(port: number, ip: string, echoPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
---
${hostServiceYaml("echo", 80, ip, echoPort)}---
${echoRouteYaml("web", "www.example.com")}`;
}
