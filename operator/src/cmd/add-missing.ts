/**
 * `egts x translate --add-missing-resources`, as egctl's: a GatewayClass without `controllerName` gets the
 * controller's name, and every Service a route's backendRef names but the input lacks is added with a
 * placeholder cluster IP (1.2.3.4) and the referenced ports (`TCP-<port>`, `UDP-<port>` for UDPRoutes); a
 * Service that is given but lacks a referenced port gets that port. egctl also adds an EnvoyProxy holding its
 * rendered default bootstrap; egts does not (that bootstrap is the one egts renders anyway).
 */
import type { KubeObject } from "../resources/meta";

/** The placeholder cluster IP of added Services (egctl's). */
export const PLACEHOLDER_CLUSTER_IP = "1.2.3.4";

const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);

interface BackendRefLike {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly port?: number;
}

interface ServicePortLike {
  readonly name?: string;
  readonly protocol?: string;
  readonly port: number;
}

/** The Service backendRefs of a route's rules, each with its port. */
function serviceRefs(route: KubeObject): (BackendRefLike & { name: string; port: number })[] {
  const rules = (route.spec as { rules?: unknown[] } | undefined)?.rules ?? [];
  return rules
    .flatMap((r) =>
      r !== null && typeof r === "object" ? ((r as { backendRefs?: BackendRefLike[] }).backendRefs ?? []) : [],
    )
    .filter((ref): ref is BackendRefLike & { name: string; port: number } => {
      const isService = (ref.group ?? "") === "" && (ref.kind ?? "Service") === "Service";
      return isService && typeof ref.name === "string" && ref.name !== "" && typeof ref.port === "number";
    });
}

/** `namespace/name` of the Services the routes reference, with the protocol/port pairs they need. */
function requiredServices(objects: readonly KubeObject[]): Map<string, ServicePortLike[]> {
  const need = new Map<string, ServicePortLike[]>();
  for (const o of objects.filter((x) => ROUTE_KINDS.has(x.kind))) {
    const protocol = o.kind === "UDPRoute" ? "UDP" : "TCP";
    for (const ref of serviceRefs(o)) {
      const key = `${ref.namespace ?? o.metadata.namespace ?? "default"}/${ref.name}`;
      const ports = need.get(key) ?? [];
      if (!ports.some((p) => p.protocol === protocol && p.port === ref.port)) {
        ports.push({ name: `${protocol}-${ref.port}`, protocol, port: ref.port });
      }
      need.set(key, ports);
    }
  }
  return need;
}

/** The input with egctl's missing resources added (see the file comment); the input objects are not changed. */
export function addMissingResources(objects: readonly KubeObject[], controllerName: string): KubeObject[] {
  const out = objects.map((o): KubeObject => {
    if (o.kind !== "GatewayClass") return o;
    const spec = (o.spec ?? {}) as { controllerName?: string };
    return spec.controllerName ? o : { ...o, spec: { ...spec, controllerName } };
  });
  const given = new Map(
    out.flatMap((o, i) =>
      o.kind === "Service" && o.apiVersion === "v1"
        ? [[`${o.metadata.namespace ?? "default"}/${o.metadata.name}`, i]]
        : [],
    ),
  );
  for (const [key, ports] of [...requiredServices(out)].sort(([a], [b]) => a.localeCompare(b))) {
    const at = given.get(key);
    if (at === undefined) {
      const [namespace, name] = key.split("/");
      out.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace },
        spec: { clusterIP: PLACEHOLDER_CLUSTER_IP, ports },
      });
      continue;
    }
    const svc = out[at] as KubeObject<{ ports?: ServicePortLike[] }>;
    const have = svc.spec?.ports ?? [];
    const missing = ports.filter((p) => !have.some((h) => (h.protocol ?? "TCP") === p.protocol && h.port === p.port));
    if (missing.length > 0) out[at] = { ...svc, spec: { ...svc.spec, ports: [...have, ...missing] } };
  }
  return out;
}

/** The label marking the EndpointSlices {@link clusterIpSlices} makes, so that the output can leave them out. */
export const CLUSTER_IP_SLICE_LABEL = "egts.io/cluster-ip-slice";

/**
 * egctl translates with endpoint routing off: a Service's traffic goes to its cluster IP and port. egts routes to
 * a Service's EndpointSlices, which an input written for egctl rarely has; so each Service with a cluster IP and
 * no EndpointSlice gets one holding that IP with the Service's ports (ready), marked with
 * {@link CLUSTER_IP_SLICE_LABEL}, and the clusters come out as egctl's.
 */
export function clusterIpSlices(objects: readonly KubeObject[]): KubeObject[] {
  const sliced = new Set(
    objects
      .filter((o) => o.kind === "EndpointSlice")
      .map((o) => `${o.metadata.namespace ?? "default"}/${o.metadata.labels?.["kubernetes.io/service-name"] ?? ""}`),
  );
  const slices: KubeObject[] = [];
  for (const o of objects) {
    if (o.kind !== "Service" || o.apiVersion !== "v1") continue;
    const spec = (o.spec ?? {}) as { clusterIP?: string; ports?: ServicePortLike[] };
    const namespace = o.metadata.namespace ?? "default";
    if (!spec.clusterIP || spec.clusterIP === "None" || sliced.has(`${namespace}/${o.metadata.name}`)) continue;
    slices.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${o.metadata.name}-cluster-ip`,
        namespace,
        labels: { "kubernetes.io/service-name": o.metadata.name, [CLUSTER_IP_SLICE_LABEL]: "true" },
      },
      spec: undefined,
      addressType: spec.clusterIP.includes(":") ? "IPv6" : "IPv4",
      endpoints: [{ addresses: [spec.clusterIP], conditions: { ready: true } }],
      ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP" })),
    } as KubeObject);
  }
  return [...objects, ...slices];
}
