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

/** GatewayClass `<name>` of our controller, written as Gateway API `version`. */
export function gatewayClassYaml(name = "eg", version = "v1"): string {
  return `apiVersion: gateway.networking.k8s.io/${version}
kind: GatewayClass
metadata: { name: ${name} }
spec: { controllerName: ${DEFAULT_CONTROLLER_NAME} }
`;
}

/**
 * Gateway `<namespace>/<name>` (default namespace `default`) with `listeners` (a YAML flow list), of class
 * `className` (default eg), written as Gateway API `version` (default v1); `spec` is more spec lines,
 * indented by two spaces.
 */
export function gatewayYaml(
  name: string,
  listeners: string,
  o: {
    readonly className?: string;
    readonly version?: string;
    readonly spec?: string;
    readonly namespace?: string;
  } = {},
): string {
  return `apiVersion: gateway.networking.k8s.io/${o.version ?? "v1"}
kind: Gateway
metadata: { name: ${name}, namespace: ${o.namespace ?? "default"} }
spec:
  gatewayClassName: ${o.className ?? "eg"}
${o.spec ?? ""}  listeners: ${listeners}
`;
}

/**
 * GatewayClass `eg`, Gateway `default/eg` (HTTP listener on `port`), Service `echo` backed by `ip`:`echoPort`,
 * and HTTPRoute `web` for www.example.com.
 */
export function quickstartYaml(port: number, ip: string, echoPort: number): string {
  return `${gatewayClassYaml()}---
${gatewayYaml("eg", `[{ name: http, protocol: HTTP, port: ${port} }]`)}---
${hostServiceYaml("echo", 80, ip, echoPort)}---
${echoRouteYaml("web", "www.example.com")}`;
}
