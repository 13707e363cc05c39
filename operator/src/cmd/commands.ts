/**
 * Every `egts` command: names, flags, help and examples, with each runner behind a dynamic import so that
 * a command loads only what it uses. The commands an Envoy Gateway user knows from egctl (`x translate`,
 * `x status`, `x stats envoy-proxy`, `config envoy-proxy …`, `version`) take egctl's names, aliases, flags
 * and defaults; `standalone`, `controller`, `certgen` and `translate` are egts's own.
 */
import type { Command } from "./cli/command";
import type { FlagSpec } from "./cli/flags";
import { ENVOY_GATEWAY_CONFIG_KINDS } from "./envoy-gateway-kinds";

const kubeconfig: FlagSpec = {
  name: "kubeconfig",
  type: "string",
  usage: "Path to the kubeconfig file to use for CLI requests.",
};
const context: FlagSpec = { name: "context", type: "string", usage: "The name of the kubeconfig context to use." };
const configPath: FlagSpec = {
  name: "config-path",
  type: "string",
  usage: "The EnvoyGateway configuration (gateway.envoyproxy.io/v1alpha1), as Envoy Gateway's.",
};

const standalone: Command = {
  name: "standalone",
  short: "Run a gateway from a folder of Gateway API YAML, with one real Envoy per Gateway",
  long:
    "Run the control plane on a folder of Gateway API YAML (--config-dir, else provider.custom.resource.file.paths\n" +
    "of --config-path) with one real Envoy process per Gateway on this machine. Edit the YAML to change routes.",
  examples: [
    "# The quickstart, with a demo backend",
    "egts standalone --config-dir examples/quickstart --demo-backend",
  ],
  maxArgs: 0,
  flags: [
    { name: "config-dir", type: "string", usage: "Folder of Gateway API YAML." },
    configPath,
    { name: "xds-port", type: "string", default: "18000", usage: "Port of the xDS server." },
    { name: "wasm-port", type: "string", default: "18002", usage: "Port serving Wasm modules to Envoy." },
    {
      name: "metrics-port",
      type: "string",
      usage: "Serve /metrics, /healthz and /readyz on 127.0.0.1 at this port (default: not served).",
    },
    { name: "proxy-stats-port", type: "string", default: "19001", usage: "Port of the proxies' Prometheus stats." },
    { name: "listen-address", type: "string", default: "127.0.0.1", usage: "Address the proxies listen on." },
    { name: "controller-name", type: "string", usage: "GatewayClass controller name (gateway.controllerName)." },
    { name: "demo-backend", type: "bool", usage: "Also run an echo backend." },
    { name: "demo-backend-port", type: "string", default: "3000", usage: "Port of the demo backend." },
    { name: "envoy-log-level", type: "string", default: "warn", usage: "Envoy's log level." },
    { name: "xds-cert-dir", type: "string", usage: "Folder with the xDS CA and server certificate (mTLS xDS)." },
  ],
  load: async () => {
    (await import("./v8-flags")).applyV8Flags();
    return (await import("./standalone-cmd")).standalone;
  },
};

const controller: Command = {
  name: "controller",
  short: "Run in Kubernetes: watch Gateway API resources, deploy Envoy proxies, serve xDS, write status",
  long:
    "Run in Kubernetes (what the Helm chart runs): watch Gateway API resources, deploy the Envoy proxies, serve\n" +
    "their xDS, write status. With rateLimit in the configuration, also serve the rate limit service's xDS.\n" +
    "Plaintext xDS off loopback is refused unless --insecure-xds.",
  maxArgs: 0,
  flags: [
    configPath,
    kubeconfig,
    { name: "namespace", type: "string", usage: "Namespace of the control plane (default $ENVOY_GATEWAY_NAMESPACE)." },
    { name: "controller-name", type: "string", usage: "GatewayClass controller name." },
    { name: "xds-listen", type: "string", default: "0.0.0.0:18000", usage: "Address of the xDS server." },
    {
      name: "ratelimit-xds-listen",
      type: "string",
      default: "0.0.0.0:18001",
      usage: "Address of the rate limit service's xDS.",
    },
    { name: "xds-address", type: "string", usage: "HOST[:PORT] the proxies dial for xDS." },
    {
      name: "xds-tls-secret",
      type: "string",
      usage: "Secret of the proxies' xDS certificates; empty for plaintext xDS (default envoy).",
    },
    { name: "envoy-image", type: "string", usage: "Envoy image (default: the distroless image of the pinned Envoy)." },
    {
      name: "shutdown-manager-image",
      type: "string",
      usage:
        "Image of the proxies' shutdown-manager container: this controller's (default ghcr.io/egts/controller:<version>).",
    },
    { name: "watch-namespaces", type: "string", usage: "Comma list of namespaces to watch." },
    { name: "watch-namespace-selector", type: "string", usage: "key=value,… labels a watched namespace carries." },
    { name: "xds-cert-dir", type: "string", usage: "Folder with the xDS CA and server certificate." },
    { name: "insecure-xds", type: "bool", usage: "Allow plaintext xDS off loopback." },
    { name: "metrics-port", type: "string", default: "19001", usage: "Port of the controller's metrics." },
    {
      name: "health-probe-port",
      type: "string",
      default: "8081",
      usage: "Port of /healthz and /readyz (Envoy Gateway's probe port; the metrics port serves them too).",
    },
    {
      name: "wasm-listen",
      type: "string",
      usage: "Address serving Wasm modules to the proxies (default: the --xds-listen host, port 18002).",
    },
    { name: "wasm-cache-dir", type: "string", usage: "Folder of the Wasm module cache (default /var/lib/eg/wasm)." },
  ],
  load: async () => {
    (await import("./v8-flags")).applyV8Flags();
    return (await import("./controller-cmd")).controller;
  },
};

const certgen: Command = {
  name: "certgen",
  short: "Issue the xDS CA and server certificate and the rate limit service's certificate",
  long:
    "Issue the xDS CA and server certificate and the rate limit service's certificate: into DIR (--local), or as\n" +
    "the Secrets envoy-gateway and envoy-rate-limit, each created only when absent (--overwrite replaces them).",
  maxArgs: 0,
  flags: [
    { name: "local", type: "string", usage: "Write the files into this folder instead of Secrets." },
    { name: "namespace", type: "string", usage: "Namespace of the control plane (default $ENVOY_GATEWAY_NAMESPACE)." },
    kubeconfig,
    { name: "overwrite", type: "bool", usage: "Replace existing Secrets." },
  ],
  load: async () => (await import("./certgen-cmd")).certgen,
};

const translateLegacy: Command = {
  name: "translate",
  short: "Translate YAML offline and print statuses, IR or Envoy resources as YAML documents",
  long:
    "Translate Gateway API YAML offline and print, as YAML documents, the statuses a controller would write\n" +
    "(status), the IR (ir), the Envoy resources per node (xds), or all. For egctl's flags and output, use\n" +
    "`egts x translate`.",
  examples: ["egts translate -f examples/quickstart --to xds"],
  maxArgs: 0,
  flags: [
    { name: "file", short: "f", type: "stringArray", usage: "File or folder of YAML (repeatable)." },
    { name: "to", type: "string", default: "status", usage: "One of status, ir, xds, all." },
    configPath,
    { name: "controller-name", type: "string", usage: "GatewayClass controller name." },
    { name: "listen-address", type: "string", usage: "Address the proxies listen on." },
  ],
  load: async () => (await import("./translate-cmd")).translateLegacy,
};

const xTranslate: Command = {
  name: "translate",
  short: "Translate Configuration from an input type to an output type",
  long:
    "Translate Gateway API resources offline into Gateway API resources with their status (gateway-api), the\n" +
    "IR (ir) or Envoy's configuration (xds, in the shape of Envoy's /config_dump), as egctl x translate does.",
  examples: [
    "# Gateway API resources to all xDS resources",
    "egts x translate --from gateway-api --to xds --file <input file>",
    "",
    "# Cluster xDS resources as JSON, input on stdin",
    "cat <input file> | egts x translate --to xds -t cluster -o json -f -",
    "",
    "# With Services and the GatewayClass's controller name filled in when missing",
    "egts x translate --to xds -t cluster --add-missing-resources -f <input file>",
    "",
    "# xDS and the resources with their updated status",
    "egts x translate --from gateway-api --to gateway-api,xds --type all --output yaml --file <input file>",
  ],
  maxArgs: 0,
  flags: [
    { name: "file", short: "f", type: "stringArray", usage: "Location of input file (a folder, or - for stdin)." },
    { name: "from", type: "string", default: "gateway-api", usage: "Valid types are [gateway-api]." },
    {
      name: "to",
      type: "stringSlice",
      default: ["gateway-api", "xds"],
      usage: "Valid types are [xds gateway-api ir].",
    },
    { name: "output", short: "o", type: "string", default: "yaml", usage: "One of 'yaml' or 'json'" },
    {
      name: "type",
      short: "t",
      type: "string",
      default: "all",
      usage: "Valid types are [bootstrap endpoint cluster listener route secret all].",
    },
    { name: "add-missing-resources", type: "bool", usage: "Provides dummy resources if missed" },
    { name: "dns-domain", type: "string", default: "cluster.local", usage: "DNS domain used by k8s services" },
    {
      name: "namespace",
      short: "n",
      type: "string",
      default: "envoy-gateway-system",
      usage: "Namespace where envoy gateway is installed.",
    },
    configPath,
  ],
  load: async () => (await import("./x-translate-cmd")).xTranslate,
};

const xStatus: Command = {
  name: "status",
  argsUsage: "<resource-type>",
  short: "Show the summary of the status of resources in Envoy Gateway",
  long:
    "Show the conditions of resources, read from the cluster (kubeconfig) or, with -f, translated offline from\n" +
    "a file or folder of YAML. Resource types: gatewayclass (gc), gateway (gtw), httproute, grpcroute, tcproute,\n" +
    "udproute, tlsroute, backendtlspolicy (btlspolicy), backendtrafficpolicy (btp), clienttrafficpolicy (ctp),\n" +
    "securitypolicy (sp), envoypatchpolicy (epp), envoyextensionpolicy (eep), xroute, xpolicy, all.",
  examples: [
    "# The status of GatewayClasses",
    "egts x status gatewayclass",
    "",
    "# Gateways in the default namespace, first condition only",
    "egts x status gateway -q",
    "",
    "# HTTPRoutes of a namespace with messages",
    "egts x status httproute -v -n foobar",
    "",
    "# Every route kind, all namespaces",
    "egts x status xroute -A",
    "",
    "# Everything in a folder of YAML, as a controller would report it",
    "egts x status all -A -f examples/quickstart",
  ],
  maxArgs: 1,
  flags: [
    { name: "quiet", short: "q", type: "bool", usage: "Show the first status of resources only" },
    { name: "verbose", short: "v", type: "bool", usage: "Show the status of resources with details" },
    { name: "all-namespaces", short: "A", type: "bool", usage: "Get the status of resources from all namespaces" },
    {
      name: "namespace",
      short: "n",
      type: "string",
      default: "default",
      usage: "Specify a namespace to get the status of resources",
    },
    { name: "file", short: "f", type: "stringArray", usage: "Translate this file or folder offline (- for stdin)." },
    kubeconfig,
    context,
  ],
  load: async () => (await import("./x-status")).xStatus,
};

/** Flags of `config envoy-proxy`, `x stats envoy-proxy`: where the proxies are. */
const proxyLocation: FlagSpec[] = [
  {
    name: "admin-address",
    type: "stringArray",
    usage: "HOST:PORT of an Envoy admin interface to read directly (repeatable; e.g. after kubectl port-forward).",
  },
];

/** One `config envoy-proxy <type>` command. */
function proxyConfig(name: string, alias: string | undefined, what: string): Command {
  const aliases = alias ? { aliases: [alias] } : {};
  return {
    name,
    ...aliases,
    argsUsage: "<pod-name>",
    short: `Retrieves ${what} Envoy xDS resources from the specified pod`,
    long:
      `Retrieves ${what} Envoy xDS resources from Envoy proxies: --admin-address ones; else the proxies that\n` +
      "`egts standalone` runs on this machine (NAME and -n: the Gateway's); else (or with --kubeconfig/--context)\n" +
      "the proxy pods of the cluster (NAME: the pod; -n default envoy-gateway-system), each read through a port\n" +
      "forwarded to its admin port 19000 through the API server, as egctl does.",
    examples: [
      `# ${what} configuration of every standalone proxy`,
      `egts config envoy-proxy ${name}`,
      "",
      "# Of one Gateway's proxy, as YAML",
      `egts config envoy-proxy ${name} <gateway-name> -n <gateway-namespace> -o yaml`,
      "",
      "# Of a proxy pod in the cluster",
      `egts config envoy-proxy ${name} <pod-name> -n envoy-gateway-system --context <context>`,
      "",
      "# Short syntax",
      `egts c proxy ${alias ?? name} <gateway-name> -n <gateway-namespace>`,
    ],
    maxArgs: 1,
    flags: proxyLocation,
    load: async () => (await import("./config-envoy-proxy")).configEnvoyProxy(name),
  };
}

/** One `config envoy-gateway <resource>` command (egctl's). */
function gatewayConfig(resource: string, alias: string | undefined, display: string): Command {
  const short = alias ?? resource;
  const what = resource === "all" ? "all Envoy Gateway" : display;
  return {
    name: resource,
    ...(alias ? { aliases: [alias] } : {}),
    argsUsage: "<pod-name>",
    short: `Retrieves ${what} resources from the specified pod`,
    long:
      `Retrieves information about ${what} resources from the Envoy Gateway admin API in the specified pod\n` +
      "(the controller's /api/config_dump, on 127.0.0.1:19000 in the pod, through a port forwarded by the API server).",
    examples: [
      `# Retrieve ${what} configuration for a given pod from Envoy Gateway.`,
      `egts config envoy-gateway ${resource} <pod-name> -n <pod-namespace>`,
      "",
      `# Retrieve ${what} configuration for a pod matching label selectors`,
      `egts config envoy-gateway ${resource} --labels control-plane=envoy-gateway`,
      "",
      "# Retrieve configuration as YAML",
      `egts config envoy-gateway ${resource} <pod-name> -n <pod-namespace> -o yaml`,
      "",
      "# Retrieve configuration with short syntax",
      `egts c gateway ${short} <pod-name> -n <pod-namespace>`,
    ],
    maxArgs: 1,
    load: async () => (await import("./config-envoy-gateway")).configEnvoyGateway(resource),
  };
}

const config: Command = {
  name: "config",
  aliases: ["c"],
  short: "Retrieve proxy configuration.",
  long: "Retrieve information about proxy configuration from envoy proxy and gateway.",
  persistentFlags: [
    kubeconfig,
    context,
    { name: "output", short: "o", type: "string", default: "json", usage: "One of 'yaml' or 'json'" },
    {
      name: "namespace",
      short: "n",
      type: "string",
      usage: "Namespace of the Gateway (standalone) or of the pods (Kubernetes, default envoy-gateway-system).",
    },
    { name: "labels", short: "l", type: "stringArray", usage: "Labels to select envoy proxy pods." },
    { name: "all-namespaces", short: "A", type: "bool", usage: "List envoy proxies from all namespaces." },
  ],
  subcommands: [
    {
      name: "envoy-proxy",
      aliases: ["proxy"],
      short: "Retrieve information from envoy proxy.",
      subcommands: [
        proxyConfig("all", undefined, "all"),
        proxyConfig("bootstrap", "b", "bootstrap"),
        proxyConfig("cluster", "c", "cluster"),
        proxyConfig("endpoint", "e", "endpoint"),
        proxyConfig("listener", "l", "listener"),
        proxyConfig("route", "r", "route"),
        proxyConfig("secret", "s", "secret"),
      ],
    },
    {
      name: "envoy-gateway",
      aliases: ["gateway"],
      short: "Retrieve information from envoy gateway.",
      long: "Retrieve information from envoy gateway.",
      subcommands: [
        gatewayConfig("all", undefined, "all"),
        ...ENVOY_GATEWAY_CONFIG_KINDS.map(([resource, alias, display]) => gatewayConfig(resource, alias, display)),
      ],
    },
  ],
};

const xStats: Command = {
  name: "stats",
  short: "Retrieve stats from envoy proxy.",
  long: "Retrieve statistics from envoy proxy.",
  subcommands: [
    {
      name: "envoy-proxy",
      aliases: ["ep"],
      argsUsage: "<name> -n <namespace>",
      short: "Retrieves Envoy metrics in the specified pod",
      long:
        "Retrieve the metrics Envoy emits: from --admin-address; else from the proxies `egts standalone` runs\n" +
        "here; else (or with --kubeconfig/--context) from proxy pods of the cluster (a pod name or -l is required;\n" +
        "-n default envoy-gateway-system), through a port forwarded to the admin port 19000, as egctl does.",
      examples: [
        "# Server metrics of a Gateway's proxy in Prometheus format",
        "egts x stats envoy-proxy <gateway-name> -n <namespace> --output prom",
        "",
        "# Cluster metrics",
        "egts x stats envoy-proxy <gateway-name> -n <namespace> --type clusters",
      ],
      maxArgs: 1,
      flags: [
        { name: "output", short: "o", type: "string", default: "prom", usage: "Output format: one of json|yaml|prom" },
        { name: "type", short: "t", type: "string", default: "server", usage: "One of server|clusters" },
        {
          name: "namespace",
          short: "n",
          type: "string",
          usage: "Namespace of the Gateway (standalone) or of the pod (Kubernetes, default envoy-gateway-system).",
        },
        { name: "labels", short: "l", type: "stringArray", usage: "Labels to select the envoy proxy pod." },
        ...proxyLocation,
        kubeconfig,
        context,
      ],
      load: async () => (await import("./stats-envoy-proxy")).statsEnvoyProxy,
    },
  ],
};

const experimental: Command = {
  name: "experimental",
  aliases: ["x"],
  short: "Experimental features",
  examples: [
    "# egctl's experimental commands",
    "egts experimental [command]",
    "",
    "# Short syntax",
    "egts x [command]",
  ],
  subcommands: [xTranslate, xStatus, xStats],
};

const version: Command = {
  name: "version",
  aliases: ["versions", "v"],
  short: "Show version",
  examples: [
    "# Versions of the client and of the controllers in the cluster",
    "egts version",
    "",
    "# As JSON",
    "egts version --output=json",
    "",
    "# The client only",
    "egts version --remote=false",
  ],
  maxArgs: 0,
  flags: [
    { name: "output", short: "o", type: "string", default: "yaml", usage: "One of 'yaml' or 'json'" },
    {
      name: "remote",
      short: "r",
      type: "bool",
      default: false,
      usage: "If true, retrieve the controllers' versions from the cluster.",
    },
    kubeconfig,
    context,
  ],
  load: async () => (await import("./version-cmd")).version,
};

const readyFile: FlagSpec = {
  name: "ready-file",
  type: "string",
  default: "/tmp/shutdown-ready",
  usage: "File the drain writes when it is over (shared by the two commands).",
};

const envoy: Command = {
  name: "envoy",
  short: "Envoy proxy management",
  long:
    "The proxy pod's graceful shutdown, as Envoy Gateway's `envoy-gateway envoy` commands: the shutdown-manager\n" +
    "container and the preStop hook that drains Envoy through its admin interface (on the pod's loopback).",
  subcommands: [
    {
      name: "shutdown",
      short: "Gracefully drain open connections prior to pod shutdown.",
      maxArgs: 0,
      flags: [
        {
          name: "drain-timeout",
          type: "string",
          default: "60s",
          usage: "Graceful shutdown timeout. This should be less than the pod's terminationGracePeriodSeconds.",
        },
        {
          name: "min-drain-duration",
          type: "string",
          default: "10s",
          usage: "Minimum drain duration allowing time for endpoint deprogramming to complete.",
        },
        {
          name: "health-check-failure-delay",
          type: "string",
          default: "0s",
          usage: "How long the listeners drain before Envoy's health checks fail.",
        },
        {
          name: "exit-at-connections",
          type: "string",
          default: "0",
          usage: "Number of connections to wait for when monitoring Envoy listener drain process.",
        },
        { name: "admin-address", type: "string", default: "127.0.0.1:19000", usage: "Envoy's admin HOST:PORT." },
        readyFile,
      ],
      load: async () => (await import("./envoy-shutdown-cmd")).shutdown,
    },
    {
      name: "shutdown-manager",
      short: "Provides HTTP endpoint used in preStop hook to block until ready for pod shutdown.",
      maxArgs: 0,
      flags: [
        {
          name: "ready-timeout",
          type: "string",
          default: "610s",
          usage:
            "Shutdown ready timeout. This should be greater than shutdown's drain-timeout and less than the pod's " +
            "terminationGracePeriodSeconds.",
        },
        { name: "port", type: "string", default: "19002", usage: "Port of the shutdown manager." },
        readyFile,
      ],
      load: async () => (await import("./envoy-shutdown-cmd")).shutdownManager,
    },
  ],
};

/** The `egts` command and its subcommands. */
export const ROOT: Command = {
  name: "egts",
  short: "Envoy Gateway in TypeScript",
  long:
    "egts: Envoy Gateway in TypeScript. Runs the control plane (standalone, controller) and, with egctl's\n" +
    "conventions, translates and inspects configuration (x translate, x status, config envoy-proxy, x stats).",
  flags: [{ name: "version", type: "bool", usage: "version for egts" }],
  subcommands: [certgen, config, controller, envoy, experimental, standalone, translateLegacy, version],
};
