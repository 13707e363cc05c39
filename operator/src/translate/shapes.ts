/**
 * Shapes: a small declarative description of the fields the translator dereferences in each kind (lists are
 * lists, strings are strings, integers are in the range Envoy and the CRD allow). The intake check
 * (intake.ts) holds every object against its kind's shape before translation, so a wrong type in one field
 * invalidates that object with a message naming the field, never the whole pass. Fields not listed here are
 * not read by the translator and are not checked.
 */

/** What one place of an object must hold. Absent fields are always fine unless listed in `required`. */
export type Shape =
  | "string"
  | "boolean"
  | "number"
  | "intOrString"
  | "any"
  | { readonly int: readonly [min: number, max: number] }
  | { readonly list: Shape }
  | { readonly map: Shape }
  | { readonly fields: Readonly<Record<string, Shape>>; readonly required?: readonly string[] };

/** Envoy's largest uint32 (retry counts, weights and their sums). */
export const UINT32_MAX = 4_294_967_295;
/** The CRDs' largest int32. */
export const INT32_MAX = 2_147_483_647;

const str = "string";
const port: Shape = { int: [1, 65535] };
const obj = (fields: Record<string, Shape>, ...required: string[]): Shape => ({ fields, required });
const list = (of: Shape): Shape => ({ list: of });
const strings: Shape = list(str);
const stringMap: Shape = { map: str };

const meta = obj(
  {
    name: str,
    namespace: str,
    labels: stringMap,
    annotations: stringMap,
    generation: "number",
    creationTimestamp: str,
  },
  "name",
);
const labelSelector = obj({
  matchLabels: stringMap,
  matchExpressions: list(obj({ key: str, operator: str, values: strings }, "key", "operator")),
});
const ref = obj({ group: str, kind: str, name: str, namespace: str }, "name");
/** A route's parentRef. */
export const PARENT_REF: Shape = obj(
  { group: str, kind: str, namespace: str, name: str, sectionName: str, port },
  "name",
);
const header = obj({ name: str, value: str }, "name", "value");
const headerFilter = obj({ set: list(header), add: list(header), remove: strings });
const pathModifier = obj({ type: str, replaceFullPath: str, replacePrefixMatch: str }, "type");
/** An EnvoyProxy patch: its value is a free-form object (the renderer and the privilege check apply it). */
const PATCH: Shape = obj({ type: str, value: { map: "any" } }, "value");
/** What the renderer and the privilege check read of an EnvoyProxy's Deployment or DaemonSet. */
const WORKLOAD: Record<string, Shape> = {
  patch: PATCH,
  strategy: { map: "any" },
  pod: obj({
    labels: stringMap,
    annotations: stringMap,
    securityContext: { map: "any" },
    volumes: list(obj({ name: str }, "name")),
    affinity: { map: "any" },
    tolerations: list({ map: "any" }),
    nodeSelector: stringMap,
    topologySpreadConstraints: list({ map: "any" }),
    imagePullSecrets: list({ map: "any" }),
  }),
  container: obj({
    image: str,
    env: list(obj({ name: str, value: str }, "name")),
    volumeMounts: list(obj({ name: str, mountPath: str }, "name", "mountPath")),
    securityContext: { map: "any" },
    resources: { map: "any" },
  }),
};
const plainBackendRef = obj(
  { group: str, kind: str, name: str, namespace: str, port, weight: { int: [0, 1_000_000] } },
  "name",
);
const filter = obj(
  {
    type: str,
    requestHeaderModifier: headerFilter,
    responseHeaderModifier: headerFilter,
    requestRedirect: obj({ scheme: str, hostname: str, path: pathModifier, port, statusCode: { int: [300, 399] } }),
    urlRewrite: obj({ hostname: str, path: pathModifier }),
    requestMirror: obj(
      {
        backendRef: plainBackendRef,
        percent: { int: [0, 100] },
        fraction: obj({ numerator: { int: [0, INT32_MAX] }, denominator: { int: [1, INT32_MAX] } }, "numerator"),
      },
      "backendRef",
    ),
    cors: obj({
      allowOrigins: strings,
      allowCredentials: "boolean",
      allowMethods: strings,
      allowHeaders: strings,
      exposeHeaders: strings,
      maxAge: { int: [1, INT32_MAX] },
    }),
    extensionRef: obj({ group: str, kind: str, name: str }, "name"),
  },
  "type",
);
const backendRef = obj(
  {
    group: str,
    kind: str,
    name: str,
    namespace: str,
    port,
    weight: { int: [0, 1_000_000] },
    filters: list(filter),
  },
  "name",
);
const match = obj({ type: str, name: str, value: str }, "name", "value");
const sessionPersistence = obj({
  sessionName: str,
  type: str,
  absoluteTimeout: str,
  idleTimeout: str,
  cookie: obj({ name: str, path: str, lifetimeType: str }),
  cookieConfig: obj({ lifetimeType: str }),
  header: obj({ name: str }),
});
const httpRule = obj({
  name: str,
  matches: list(
    obj({
      path: obj({ type: str, value: str }),
      headers: list(match),
      queryParams: list(match),
      method: str,
    }),
  ),
  filters: list(filter),
  backendRefs: list(backendRef),
  timeouts: obj({ request: str, backendRequest: str }),
  // Envoy's num_retries is a uint32; the CRD sets no maximum.
  retry: obj({ codes: list({ int: [400, 599] }), attempts: { int: [0, UINT32_MAX] }, backoff: str }),
  sessionPersistence,
});
const grpcRule = obj({
  name: str,
  matches: list(obj({ method: obj({ type: str, service: str, method: str }), headers: list(match) })),
  filters: list(filter),
  backendRefs: list(backendRef),
  sessionPersistence,
});
const l4Rule = obj({ name: str, backendRefs: list(plainBackendRef) });
const listener = obj(
  {
    name: str,
    hostname: str,
    port,
    protocol: str,
    tls: obj({ mode: str, certificateRefs: list(ref), options: stringMap }),
    allowedRoutes: obj({
      namespaces: obj({ from: str, selector: labelSelector }),
      kinds: list(obj({ group: str, kind: str }, "kind")),
    }),
  },
  "name",
  "port",
  "protocol",
);
const frontendTls = obj({
  validation: obj({
    caCertificateRefs: list(obj({ group: str, kind: str, name: str, namespace: str }, "name")),
    mode: str,
  }),
});

/** A kind whose whole object must have this shape: `metadata`, then its `spec` (required). */
const withSpec = (spec: Shape): Shape => obj({ metadata: meta, spec }, "metadata", "spec");
const routeSpec = (rule: Shape, hostnames: boolean): Shape =>
  obj({ parentRefs: list(PARENT_REF), ...(hostnames ? { hostnames: strings } : {}), rules: list(rule) });

/** How Envoy Gateway's policy kinds name their targets. */
const policyTarget = obj({ group: str, kind: str, name: str, sectionName: str }, "kind", "name");
const POLICY_TARGETS: Record<string, Shape> = {
  targetRef: policyTarget,
  targetRefs: list(policyTarget),
  targetSelectors: list(
    obj(
      {
        group: str,
        kind: str,
        matchLabels: stringMap,
        matchExpressions: list(obj({ key: str, operator: str, values: strings }, "key", "operator")),
      },
      "kind",
    ),
  ),
};
/** ClientTrafficPolicy: the targets and the fields egts translates (policies/client-traffic-fields.ts). */
const CLIENT_TRAFFIC_POLICY: Shape = obj({
  ...POLICY_TARGETS,
  tcpKeepalive: obj({ probes: { int: [0, UINT32_MAX] }, idleTime: str, interval: str }),
  timeout: obj({
    tcp: obj({ idleTimeout: str }),
    http: obj({ requestReceivedTimeout: str, idleTimeout: str, streamIdleTimeout: str }),
  }),
});

/** The shape of every kind the translator reads, by kind. */
/** What the EnvoyExtensionPolicy translators read of their lists' entries. */
const EXTENSION_LISTS: Record<string, Shape> = {
  lua: list(obj({ type: str, inline: str, valueRef: ref, filterContext: "any" }, "type")),
  extProc: list(
    obj({
      backendRefs: list(plainBackendRef),
      backendRef: plainBackendRef,
      backendSettings: { map: "any" },
      processingMode: obj({
        request: obj({ body: str, attributes: strings }),
        response: obj({ body: str, attributes: strings }),
        allowModeOverride: "boolean",
      }),
      failOpen: "boolean",
      messageTimeout: str,
      metadata: obj({ accessibleNamespaces: strings, writableNamespaces: strings }),
    }),
  ),
  wasm: list(
    obj(
      {
        name: str,
        rootID: str,
        code: obj(
          {
            type: str,
            http: obj({ url: str, sha256: str, tls: obj({ caCertificateRef: ref }, "caCertificateRef") }, "url"),
            image: obj(
              { url: str, sha256: str, pullSecretRef: ref, tls: obj({ caCertificateRef: ref }, "caCertificateRef") },
              "url",
            ),
            pullPolicy: str,
          },
          "type",
        ),
        config: "any",
        failOpen: "boolean",
        env: obj({ hostKeys: strings }),
      },
      "code",
    ),
  ),
  dynamicModule: list(obj({ name: str, filterName: str, config: "any", terminalFilter: "boolean" }, "name")),
};

export const KIND_SHAPES: Readonly<Record<string, Shape>> = {
  GatewayClass: withSpec(obj({ controllerName: str, parametersRef: ref, description: str }, "controllerName")),
  Gateway: withSpec(
    obj(
      {
        gatewayClassName: str,
        listeners: list(listener),
        addresses: list(obj({ type: str, value: str }, "value")),
        tls: obj({
          frontend: obj({ default: frontendTls, perPort: list(obj({ port, tls: frontendTls }, "port", "tls")) }),
          backend: obj({ clientCertificateRef: ref }),
        }),
        infrastructure: obj({ labels: stringMap, annotations: stringMap, parametersRef: ref }),
        allowedListeners: obj({ namespaces: obj({ from: str, selector: labelSelector }) }),
      },
      "gatewayClassName",
      "listeners",
    ),
  ),
  ListenerSet: withSpec(obj({ parentRef: ref, listeners: list(listener) }, "parentRef", "listeners")),
  ClientTrafficPolicy: withSpec(CLIENT_TRAFFIC_POLICY),
  BackendTrafficPolicy: withSpec(obj(POLICY_TARGETS)),
  SecurityPolicy: withSpec(obj(POLICY_TARGETS)),
  EnvoyExtensionPolicy: withSpec(obj({ ...POLICY_TARGETS, ...EXTENSION_LISTS })),
  HTTPRouteFilter: withSpec(
    obj({
      urlRewrite: obj({
        hostname: obj(
          { type: str, header: str, pathRegex: obj({ pattern: str, substitution: str }, "pattern", "substitution") },
          "type",
        ),
        path: obj(
          { type: str, replaceRegexMatch: obj({ pattern: str, substitution: str }, "pattern", "substitution") },
          "type",
        ),
        appendXForwardedHost: "boolean",
      }),
      directResponse: obj({
        contentType: str,
        body: obj({ type: str, inline: str, valueRef: ref }, "type"),
        statusCode: { int: [100, 599] },
        header: headerFilter,
      }),
      credentialInjection: obj(
        { header: str, overwrite: "boolean", credential: obj({ valueRef: ref }, "valueRef") },
        "credential",
      ),
      matches: list(obj({ cookies: list(obj({ type: str, name: str, value: str }, "name", "value")) })),
    }),
  ),
  EnvoyPatchPolicy: withSpec(obj({ targetRef: obj({ group: str, kind: str, name: str }, "name") }, "targetRef")),
  HTTPRoute: withSpec(routeSpec(httpRule, true)),
  GRPCRoute: withSpec(routeSpec(grpcRule, true)),
  TLSRoute: withSpec(routeSpec(l4Rule, true)),
  TCPRoute: withSpec(routeSpec(l4Rule, false)),
  UDPRoute: withSpec(routeSpec(l4Rule, false)),
  ReferenceGrant: withSpec(
    obj(
      {
        from: list(obj({ group: str, kind: str, namespace: str }, "kind", "namespace")),
        to: list(obj({ group: str, kind: str, name: str }, "kind")),
      },
      "from",
      "to",
    ),
  ),
  BackendTLSPolicy: withSpec(
    obj(
      {
        targetRefs: list(obj({ group: str, kind: str, name: str, sectionName: str }, "kind", "name")),
        validation: obj(
          {
            caCertificateRefs: list(obj({ group: str, kind: str, name: str }, "name")),
            wellKnownCACertificates: str,
            hostname: str,
            subjectAltNames: list(obj({ type: str, hostname: str, uri: str }, "type")),
          },
          "hostname",
        ),
        options: stringMap,
      },
      "targetRefs",
      "validation",
    ),
  ),
  Backend: withSpec(
    obj({
      endpoints: list(
        obj({
          ip: obj({ address: str, port }, "address", "port"),
          fqdn: obj({ hostname: str, port }, "hostname", "port"),
          unix: obj({ path: str }, "path"),
          zone: str,
        }),
      ),
      appProtocols: strings,
    }),
  ),
  EnvoyProxy: withSpec(
    obj({
      mergeGateways: "boolean",
      dynamicModules: list(
        obj(
          {
            name: str,
            source: obj({ type: str, local: obj({ path: str }), remote: obj({ url: str, sha256: str }) }),
            doNotClose: "boolean",
            loadGlobally: "boolean",
          },
          "name",
        ),
      ),
      provider: obj({
        type: str,
        kubernetes: obj({
          envoyDeployment: obj({ replicas: { int: [0, INT32_MAX] }, name: str, ...WORKLOAD }),
          envoyDaemonSet: obj({ name: str, ...WORKLOAD }),
          envoyService: obj({ name: str, type: str, labels: stringMap, annotations: stringMap, patch: PATCH }),
          envoyHpa: obj({
            minReplicas: { int: [1, INT32_MAX] },
            maxReplicas: { int: [1, INT32_MAX] },
            patch: PATCH,
          }),
          envoyPDB: obj({ minAvailable: "intOrString", maxUnavailable: "intOrString", patch: PATCH }),
          envoyServiceAccount: obj({ name: str }),
        }),
      }),
    }),
  ),
  Service: obj(
    {
      metadata: meta,
      spec: obj({
        ports: list(obj({ name: str, port, targetPort: "intOrString", protocol: str, appProtocol: str }, "port")),
        clusterIP: str,
        type: str,
      }),
    },
    "metadata",
    "spec",
  ),
  EndpointSlice: obj(
    {
      metadata: meta,
      addressType: str,
      endpoints: list(
        obj(
          {
            addresses: strings,
            conditions: obj({ ready: "boolean", serving: "boolean", terminating: "boolean" }),
            zone: str,
          },
          "addresses",
        ),
      ),
      ports: list(obj({ name: str, port, protocol: str })),
    },
    "metadata",
  ),
  ConfigMap: obj({ metadata: meta, data: stringMap }, "metadata"),
  Secret: obj({ metadata: meta, type: str, data: stringMap, stringData: stringMap }, "metadata"),
  Namespace: obj({ metadata: meta }, "metadata"),
};

/** The first place where `value` does not have `shape`, as `path: expected …, got …`; undefined when it does. */
export function shapeProblem(value: unknown, shape: Shape, path: string): string | undefined {
  // The fast check allocates nothing; the paths are built only for a value that does not fit.
  return hasShape(value, shape) ? undefined : locate(value, shape, path);
}

/** Whether the value and everything in it has the shape. */
function hasShape(value: unknown, shape: Shape): boolean {
  if (!fits(value, shape)) return false;
  if (typeof shape !== "object" || "int" in shape) return true;
  if ("list" in shape) {
    for (const v of value as unknown[]) if (!hasShape(v, shape.list)) return false;
    return true;
  }
  return objectHasShape(value as Record<string, unknown>, shape);
}

function objectHasShape(
  o: Record<string, unknown>,
  shape: Extract<Shape, { map: Shape } | { fields: unknown }>,
): boolean {
  if ("map" in shape) {
    for (const k in o) if (!hasShape(o[k], shape.map)) return false;
    return true;
  }
  for (const k of shape.required ?? []) if (o[k] === undefined || o[k] === null) return false;
  for (const k in shape.fields) {
    const v = o[k];
    if (v !== undefined && v !== null && !hasShape(v, shape.fields[k])) return false;
  }
  return true;
}

/** The message for the first place where `value` does not have `shape`. */
function locate(value: unknown, shape: Shape, path: string): string | undefined {
  if (!fits(value, shape)) return `${path}: expected ${describe(shape)}, got ${describeValue(value)}`;
  if (typeof shape !== "object" || "int" in shape) return undefined;
  if ("list" in shape) return firstProblem((value as unknown[]).map((v, i) => [v, shape.list, `${path}[${i}]`]));
  if ("map" in shape) {
    const entries = Object.entries(value as Record<string, unknown>);
    return firstProblem(entries.map(([k, v]) => [v, shape.map, `${path}.${k}`]));
  }
  const o = value as Record<string, unknown>;
  const missing = (shape.required ?? []).find((k) => o[k] === undefined || o[k] === null);
  if (missing !== undefined) return `${join(path, missing)}: required, got nothing`;
  const present = Object.entries(shape.fields).filter(([k]) => o[k] !== undefined && o[k] !== null);
  return firstProblem(present.map(([k, s]) => [o[k], s, join(path, k)]));
}

function firstProblem(items: readonly (readonly [unknown, Shape, string])[]): string | undefined {
  for (const [v, s, p] of items) {
    const problem = locate(v, s, p);
    if (problem) return problem;
  }
  return undefined;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Whether the value's own type (not its contents) fits. */
function fits(v: unknown, shape: Shape): boolean {
  switch (shape) {
    case "any":
      return true;
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "intOrString":
      return typeof v === "string" || (Number.isSafeInteger(v) && (v as number) >= 0);
  }
  if ("int" in shape) return Number.isSafeInteger(v) && (v as number) >= shape.int[0] && (v as number) <= shape.int[1];
  if ("list" in shape) return Array.isArray(v);
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(shape: Shape): string {
  if (typeof shape === "string") {
    const names: Record<string, string> = {
      any: "anything",
      string: "a string",
      boolean: "a boolean",
      number: "a finite number",
      intOrString: "an integer >= 0 or a string",
    };
    return names[shape];
  }
  if ("int" in shape) return `an integer from ${shape.int[0]} to ${shape.int[1]}`;
  if ("list" in shape) return `a list of ${plural(shape.list)}`;
  if ("map" in shape) return `a map of ${plural(shape.map)}`;
  return "an object";
}

function plural(shape: Shape): string {
  if (shape === "string") return "strings";
  if (typeof shape === "object" && "int" in shape) return `integers from ${shape.int[0]} to ${shape.int[1]}`;
  if (typeof shape === "object" && "fields" in shape) return "objects";
  return describe(shape);
}

/** A short description of a value for a message: its type, and the value itself when it is a scalar. */
export function describeValue(v: unknown): string {
  if (v === undefined || v === null) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `a string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `${v}` : `the number ${v}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
