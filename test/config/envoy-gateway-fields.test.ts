/**
 * Every field of the EnvoyGateway configuration (Envoy Gateway v1.9) egts reads: the value it takes, and the
 * startup error (file:line:column) for an invalid value or a setting egts does not implement yet; harmless
 * defaults are accepted with a note giving the reason.
 */
import assert from "node:assert/strict";
import {
  customProviderOf,
  EnvoyGatewayConfigError,
  kubernetesProviderOf,
  parseEnvoyGatewayConfig,
  type EnvoyGatewayConfig,
} from "../../operator/src/config/envoy-gateway-config";
import { DEFAULT_LEADER_ELECTION } from "../../operator/src/config/envoy-gateway-provider";
import { xdsServerSettings } from "../../operator/src/config/envoy-gateway-admin";
import { componentLoggers, levelOf } from "../../operator/src/log";
import { logLevels } from "../../operator/src/cmd/gateway-config";

const HEAD = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n";

function parse(body: string): EnvoyGatewayConfig {
  return parseEnvoyGatewayConfig("eg.yaml", HEAD + body);
}

function errorOf(body: string): string {
  try {
    parse(body);
  } catch (err) {
    assert.ok(err instanceof EnvoyGatewayConfigError, String(err));
    return err.message;
  }
  assert.fail(`expected an EnvoyGatewayConfigError for:\n${body}`);
}

describe("EnvoyGateway configuration: every field", () => {
  describe("provider.kubernetes.watch", () => {
    it("type Namespaces reads namespaces", () => {
      const c = parse(
        "provider:\n  type: Kubernetes\n  kubernetes:\n    watch:\n      type: Namespaces\n      namespaces: [team-a, team-b]\n",
      );
      assert.deepEqual(kubernetesProviderOf(c).kubernetes.watch, { namespaces: ["team-a", "team-b"] });
    });

    it("type NamespaceSelector reads matchLabels and matchExpressions", () => {
      const c = parse(
        "provider:\n  type: Kubernetes\n  kubernetes:\n    watch:\n      type: NamespaceSelector\n      namespaceSelector:\n        matchLabels: { gateway: enabled }\n        matchExpressions: [{ key: tier, operator: In, values: [web] }]\n",
      );
      assert.deepEqual(kubernetesProviderOf(c).kubernetes.watch, {
        namespaceSelector: {
          matchLabels: { gateway: "enabled" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }],
        },
      });
    });

    it("refuses a missing type, a type without its field, both fields, a bad name, a bad operator", () => {
      const pre = "provider:\n  type: Kubernetes\n  kubernetes:\n    watch:\n";
      assert.match(
        errorOf(`${pre}      namespaces: [a]\n`),
        /^eg\.yaml:7:7: provider\.kubernetes\.watch\.type is required/,
      );
      assert.match(
        errorOf(`${pre}      type: Namespaces\n`),
        /^eg\.yaml:7:13: provider\.kubernetes\.watch\.type Namespaces needs a non-empty provider\.kubernetes\.watch\.namespaces/,
      );
      assert.match(
        errorOf(
          `${pre}      type: Namespaces\n      namespaces: [a]\n      namespaceSelector: { matchLabels: { x: y } }\n`,
        ),
        /^eg\.yaml:9:7: provider\.kubernetes\.watch\.namespaceSelector is set but provider\.kubernetes\.watch\.type is Namespaces/,
      );
      assert.match(
        errorOf(`${pre}      type: Namespaces\n      namespaces: [Team_A]\n`),
        /^eg\.yaml:8:20: provider\.kubernetes\.watch\.namespaces\[0\]: "Team_A" is not a namespace name/,
      );
      assert.match(
        errorOf(`${pre}      type: Labels\n`),
        /^eg\.yaml:7:13: provider\.kubernetes\.watch\.type must be one of Namespaces, NamespaceSelector \(got Labels\)/,
      );
      assert.match(
        errorOf(
          `${pre}      type: NamespaceSelector\n      namespaceSelector: { matchExpressions: [{ key: k, operator: Is }] }\n`,
        ),
        /eg\.yaml:8:67: provider\.kubernetes\.watch\.namespaceSelector\.matchExpressions\[0\]\.operator must be one of In, NotIn, Exists, DoesNotExist/,
      );
    });
  });

  describe("provider.kubernetes.leaderElection", () => {
    it("defaults to Envoy Gateway's 15s / 10s / 2s, enabled", () => {
      assert.deepEqual(kubernetesProviderOf(parse("")).kubernetes.leaderElection, DEFAULT_LEADER_ELECTION);
      assert.deepEqual(DEFAULT_LEADER_ELECTION, {
        disable: false,
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      });
    });

    it("reads disable, leaseDuration, renewDeadline and retryPeriod", () => {
      const c = parse(
        "provider:\n  type: Kubernetes\n  kubernetes:\n    leaderElection: { disable: true, leaseDuration: 1m, renewDeadline: 40s, retryPeriod: 5s }\n",
      );
      assert.deepEqual(kubernetesProviderOf(c).kubernetes.leaderElection, {
        disable: true,
        leaseDurationMs: 60_000,
        renewDeadlineMs: 40_000,
        retryPeriodMs: 5_000,
      });
    });

    it("refuses a bad duration and an order that client-go refuses", () => {
      const pre = "provider:\n  type: Kubernetes\n  kubernetes:\n    leaderElection:\n";
      assert.match(
        errorOf(`${pre}      leaseDuration: 15\n`),
        /^eg\.yaml:7:22: provider\.kubernetes\.leaderElection\.leaseDuration must be a string \(got 15\)/,
      );
      assert.match(
        errorOf(`${pre}      leaseDuration: 1 minute\n`),
        /^eg\.yaml:7:22: provider\.kubernetes\.leaderElection\.leaseDuration: "1 minute" is not a duration/,
      );
      assert.match(
        errorOf(`${pre}      leaseDuration: 5s\n`),
        /^eg\.yaml:7:22: provider\.kubernetes\.leaderElection: leaseDuration \(5000 ms\) must be greater than renewDeadline \(10000 ms\)/,
      );
      assert.match(
        errorOf(`${pre}      retryPeriod: 12s\n`),
        /^eg\.yaml:7:20: provider\.kubernetes\.leaderElection: renewDeadline \(10000 ms\) must be greater than retryPeriod/,
      );
      assert.match(
        errorOf(`${pre}      disable: "yes"\n`),
        /^eg\.yaml:7:16: provider\.kubernetes\.leaderElection\.disable must be true or false/,
      );
    });
  });

  describe("provider.custom (egts standalone)", () => {
    it("reads resource type File with one path and infrastructure type Host with runtimeDir", () => {
      const c = parse(
        "provider:\n  type: Custom\n  custom:\n    resource:\n      type: File\n      file: { paths: [/etc/gw] }\n    infrastructure:\n      type: Host\n      host: { runtimeDir: /run/egts }\n",
      );
      assert.deepEqual(customProviderOf(c)?.custom, {
        paths: ["/etc/gw"],
        infrastructure: { type: "Host", runtimeDir: "/run/egts" },
      });
      assert.throws(
        () => kubernetesProviderOf(c),
        /^EnvoyGatewayConfigError: eg\.yaml:4:9: provider\.type is Custom; egts controller runs the Kubernetes provider/,
      );
    });

    it("without infrastructure there is no infrastructure provider (xDS only), as in Envoy Gateway", () => {
      const c = parse("provider:\n  type: Custom\n  custom:\n    resource: { type: File, file: { paths: [dir] } }\n");
      assert.deepEqual(customProviderOf(c)?.custom, { paths: ["dir"] });
    });

    it("egts standalone refuses provider.type Kubernetes, naming the line; no provider leaves it to the flags", () => {
      assert.throws(
        () => customProviderOf(parse("provider: { type: Kubernetes }\n")),
        /eg\.yaml:3:19: provider\.type is Kubernetes; egts standalone runs the Custom provider/,
      );
      assert.equal(customProviderOf(parse("")), undefined);
    });

    it("refuses what it does not implement, and missing or mismatched parts, naming the line", () => {
      const pre = "provider:\n  type: Custom\n  custom:\n";
      assert.match(
        errorOf(`${pre}    resource: { type: File, file: { paths: [a, b] } }\n`),
        /^eg\.yaml:6:44: provider\.custom\.resource\.file\.paths: egts standalone reads one folder; 2 paths are not implemented yet/,
      );
      assert.match(
        errorOf(
          `${pre}    resource: { type: File, file: { paths: [a] } }\n    infrastructure: { type: Host, host: { dataHome: /d } }\n`,
        ),
        /^eg\.yaml:7:43: provider\.custom\.infrastructure\.host\.dataHome is not implemented yet/,
      );
      assert.match(
        errorOf(`${pre}    resource: { type: Git }\n`),
        /^eg\.yaml:6:23: provider\.custom\.resource\.type must be one of File \(got Git\)/,
      );
      assert.match(
        errorOf("provider: { type: Custom }\n"),
        /^eg\.yaml:3:19: provider\.type is Custom but provider\.custom is missing/,
      );
      assert.match(
        errorOf("provider: { type: Kubernetes, custom: { resource: { type: File, file: { paths: [a] } } } }\n"),
        /^eg\.yaml:3:31: provider\.custom is set but provider\.type is Kubernetes/,
      );
      assert.match(errorOf("provider: { kubernetes: {} }\n"), /^eg\.yaml:3:11: provider\.type is required/);
    });
  });

  describe("provider.kubernetes: harmless defaults accepted with a reason, the rest refused", () => {
    it("accepts what Envoy Gateway's chart renders (rateLimitDeployment, shutdownManager) with a note", () => {
      const c = parse(
        "provider:\n  type: Kubernetes\n  kubernetes:\n    rateLimitDeployment: { container: { image: docker.io/envoyproxy/ratelimit:x } }\n    shutdownManager: { image: docker.io/envoyproxy/gateway:v1.9.0 }\n    deploy: { type: ControllerNamespace }\n    proxyTopologyInjector: { disabled: true }\n",
      );
      assert.equal(c.notes.length, 3);
      assert.match(
        c.notes[0] ?? "",
        /^eg\.yaml:6:5: provider\.kubernetes\.rateLimitDeployment accepted, no effect: .*configured by its rateLimit values/,
      );
      assert.match(c.notes[1] ?? "", /^eg\.yaml:7:5: provider\.kubernetes\.shutdownManager accepted, no effect/);
    });

    it("reads deploy.type (GatewayNamespace: the proxies in the Gateway's namespace)", () => {
      const deployOf = (type: string): string | undefined =>
        kubernetesProviderOf(parse(`provider:\n  type: Kubernetes\n  kubernetes:\n    deploy: { type: ${type} }\n`))
          .kubernetes.deploy;
      assert.equal(deployOf("GatewayNamespace"), "GatewayNamespace");
      assert.equal(deployOf("ControllerNamespace"), "ControllerNamespace");
      assert.match(
        errorOf("provider:\n  type: Kubernetes\n  kubernetes:\n    deploy: { type: Elsewhere }\n"),
        /provider\.kubernetes\.deploy\.type/,
      );
    });

    it("refuses settings it does not implement yet, naming each with file:line", () => {
      const pre = "provider:\n  type: Kubernetes\n  kubernetes:\n";
      for (const [key, col] of [
        ["client: { rateLimit: { qps: 10 } }", 5],
        ["cacheSyncPeriod: 1h", 5],
        ["rateLimitHpa: {}", 5],
        ["rateLimitPDB: {}", 5],
      ] as const) {
        const name = key.split(":")[0];
        assert.match(
          errorOf(`${pre}    ${key}\n`),
          new RegExp(
            `^eg\\.yaml:6:${col}: provider\\.kubernetes\\.${name} is an Envoy Gateway setting egts does not implement yet`,
          ),
        );
      }
      assert.match(
        errorOf(`${pre}    proxyTopologyInjector: { disabled: false }\n`),
        /provider\.kubernetes\.proxyTopologyInjector\.disabled: false is not implemented/,
      );
      assert.match(errorOf(`${pre}    watsh: {}\n`), /^eg\.yaml:6:5: unknown field provider\.kubernetes\.watsh/);
    });
  });

  describe("logging.level", () => {
    it("reads a level per component; a component without one uses default (info by default)", () => {
      const c = parse("logging:\n  level: { default: warn, provider: debug, xds-server: error }\n");
      assert.deepEqual(c.logging, { default: "warn", components: { provider: "debug", "xds-server": "error" } });
      assert.equal(levelOf(c.logging, "provider"), "debug");
      assert.equal(levelOf(c.logging, "gateway-api"), "warn");
      assert.equal(levelOf(parse("").logging, "infrastructure"), "info");
    });

    it("EGTS_LOG_LEVEL overrides default only", () => {
      const c = parse("logging:\n  level: { default: warn, provider: debug }\n");
      assert.deepEqual(logLevels(c, "error"), { default: "error", components: { provider: "debug" } });
      assert.deepEqual(logLevels(c, undefined), c.logging);
    });

    it("each component's logger writes at its level and names itself", () => {
      const lines: string[] = [];
      const loggers = componentLoggers({ default: "warn", components: { provider: "debug" } }, (l) => lines.push(l));
      loggers("provider")("debug", "listed");
      loggers("gateway-api")("info", "translated");
      loggers("gateway-api")("warn", "invalid");
      assert.equal(lines.length, 2, lines.join("\n"));
      assert.match(lines[0] ?? "", /DEBUG listed logger=provider$/);
      assert.match(lines[1] ?? "", /WARN {2}invalid logger=gateway-api$/);
    });

    it("refuses an unknown component or level; Text encoder is a harmless default, JSON is refused", () => {
      assert.match(
        errorOf("logging:\n  level: { translator: info }\n"),
        /^eg\.yaml:4:12: unknown logging component translator \(one of default, provider, gateway-api, xds-translator, xds-server, xds, infrastructure, global-ratelimit\)/,
      );
      assert.match(
        errorOf("logging:\n  level: { default: trace }\n"),
        /^eg\.yaml:4:21: logging\.level\.default must be one of debug, info, warn, error \(got trace\)/,
      );
      assert.match(
        errorOf("logging: { encoder: JSON }\n"),
        /^eg\.yaml:3:21: logging\.encoder: JSON is not implemented yet/,
      );
      assert.match(
        parse("logging: { encoder: Text }\n").notes[0] ?? "",
        /^eg\.yaml:3:21: logging\.encoder: Text accepted, no effect/,
      );
    });
  });

  describe("extensionApis", () => {
    it("every switch defaults off, as in Envoy Gateway", () => {
      const c = parse("extensionApis: {}\n");
      assert.deepEqual(c.extensionApis, {});
      assert.deepEqual(c.backends, { enabled: false });
    });

    it("reads enableEnvoyPatchPolicy, enableLua and the deprecated disableLua: false", () => {
      assert.deepEqual(parse("extensionApis: { enableEnvoyPatchPolicy: true, enableLua: true }\n").extensionApis, {
        enableEnvoyPatchPolicy: true,
        enableLua: true,
      });
      assert.deepEqual(parse("extensionApis: { disableLua: false }\n").extensionApis, { enableLua: true });
      assert.deepEqual(parse("extensionApis: { disableLua: true, enableEnvoyPatchPolicy: false }\n").extensionApis, {});
    });

    it("refuses enableLua with disableLua, enableSDSSecretRef: true, and a non-boolean", () => {
      assert.match(
        errorOf("extensionApis: { enableLua: true, disableLua: true }\n"),
        /^eg\.yaml:3:47: extensionApis\.disableLua and extensionApis\.enableLua are mutually exclusive/,
      );
      assert.match(
        errorOf("extensionApis: { enableSDSSecretRef: true }\n"),
        /^eg\.yaml:3:38: extensionApis\.enableSDSSecretRef: true is not implemented yet/,
      );
      assert.match(
        errorOf("extensionApis: { enableLua: 1 }\n"),
        /^eg\.yaml:3:29: extensionApis\.enableLua must be true or false \(got 1\)/,
      );
      assert.deepEqual(parse("extensionApis: { enableSDSSecretRef: false }\n").extensionApis, {});
    });
  });

  describe("rateLimit (parsed for the next issue's global rate limit)", () => {
    it("reads the Redis backend with TLS, timeout, failClosed and telemetry; timeout defaults to 20ms", () => {
      const c = parse(
        "rateLimit:\n  backend:\n    type: Redis\n    redis:\n      url: redis.redis-system.svc.cluster.local:6379\n      tls: { certificateRef: { name: redis-client } }\n  timeout: 50ms\n  failClosed: true\n  telemetry:\n    metrics: { prometheus: { disable: true } }\n    tracing: { samplingRate: 10, provider: { type: OpenTelemetry, url: otel:4317 } }\n",
      );
      assert.deepEqual(c.rateLimit, {
        backend: {
          type: "Redis",
          redis: {
            url: "redis.redis-system.svc.cluster.local:6379",
            tls: { certificateRef: { name: "redis-client" } },
          },
        },
        timeoutMs: 50,
        failClosed: true,
        telemetry: { prometheusDisabled: true, tracing: { samplingRate: 10, url: "otel:4317" } },
      });
      const d = parse(
        "rateLimit: { backend: { type: Redis, redis: { urlRef: { secretKeyRef: { name: r, key: url } } } } }\n",
      );
      assert.deepEqual(d.rateLimit, {
        backend: { type: "Redis", redis: { urlRef: { name: "r", key: "url" } } },
        timeoutMs: 20,
        failClosed: false,
        telemetry: { prometheusDisabled: false },
      });
      assert.equal(parse("").rateLimit, undefined);
    });

    it("refuses a missing backend, a bad URL, url with urlRef, a bad timeout or sampling rate", () => {
      assert.match(errorOf("rateLimit: { timeout: 1s }\n"), /^eg\.yaml:3:12: rateLimit\.backend is required/);
      assert.match(
        errorOf("rateLimit: { backend: { type: Redis, redis: { url: 'http://x' } } }\n"),
        /^eg\.yaml:3:52: rateLimit\.backend\.redis\.url: "http:\/\/x" is not host:port/,
      );
      assert.match(
        errorOf(
          "rateLimit: { backend: { type: Redis, redis: { url: r:6379, urlRef: { secretKeyRef: { name: r, key: u } } } } }\n",
        ),
        /^eg\.yaml:3:45: rateLimit\.backend\.redis: exactly one of url or urlRef must be set/,
      );
      assert.match(
        errorOf("rateLimit: { backend: { type: Memcache } }\n"),
        /^eg\.yaml:3:31: rateLimit\.backend\.type must be one of Redis \(got Memcache\)/,
      );
      assert.match(
        errorOf("rateLimit: { backend: { type: Redis, redis: { url: r:6379 } }, timeout: soon }\n"),
        /^eg\.yaml:3:73: rateLimit\.timeout: "soon" is not a duration/,
      );
      assert.match(
        errorOf(
          "rateLimit: { backend: { type: Redis, redis: { url: r:6379 } }, telemetry: { tracing: { samplingRate: 101 } } }\n",
        ),
        /rateLimit\.telemetry\.tracing\.samplingRate must be a whole number from 0 to 100 \(got 101\)/,
      );
    });
  });

  describe("telemetry", () => {
    it("reads telemetry.metrics.prometheus.disable; Prometheus stays on without it", () => {
      assert.equal(
        parse("telemetry: { metrics: { prometheus: { disable: true } } }\n").telemetry?.prometheusDisabled,
        true,
      );
      assert.equal(parse("telemetry: { metrics: { prometheus: {} } }\n").telemetry?.prometheusDisabled, false);
      assert.equal(parse("gateway: {}\n").telemetry, undefined);
    });

    it("reads OpenTelemetry metric sinks with Envoy Gateway's defaults (type OpenTelemetry, port 4317)", () => {
      const t = parse(
        "telemetry:\n  metrics:\n    sinks:\n" +
          "    - { type: OpenTelemetry, openTelemetry: { host: otel, protocol: grpc } }\n" +
          "    - openTelemetry: { host: '::1', port: 4318, protocol: http, exportInterval: 10s, exportTimeout: 2s }\n",
      ).telemetry;
      assert.deepEqual(t?.metricSinks, [
        { host: "otel", port: 4317, protocol: "grpc" },
        { host: "::1", port: 4318, protocol: "http", exportIntervalMs: 10_000, exportTimeoutMs: 2_000 },
      ]);
      assert.equal(t?.traces, undefined);
      assert.deepEqual(parse("telemetry: { metrics: { sinks: [] } }\n").telemetry?.metricSinks, []);
    });

    it("reads traces: the sink and samplingRate as a Gateway API Fraction (denominator 100 if omitted)", () => {
      const sink = "sink: { type: OpenTelemetry, openTelemetry: { host: otel, port: 4317, protocol: grpc } }";
      assert.deepEqual(parse(`telemetry: { traces: { ${sink} } }\n`).telemetry?.traces, {
        sink: { host: "otel", port: 4317, protocol: "grpc" },
        samplingRatio: 1,
      });
      const rate = (r: string): number | undefined =>
        parse(`telemetry: { traces: { ${sink}, samplingRate: ${r} } }\n`).telemetry?.traces?.samplingRatio;
      assert.equal(rate("{ numerator: 25 }"), 0.25);
      assert.equal(rate("{ numerator: 1, denominator: 1000 }"), 0.001);
      assert.equal(rate("{ numerator: 0 }"), 0);
    });

    it("refuses a sink or traces Envoy Gateway refuses, naming the field with file:line", () => {
      const sinkError = (otel: string): string =>
        errorOf(`telemetry:\n  metrics:\n    sinks: [{ type: OpenTelemetry, openTelemetry: ${otel} }]\n`);
      assert.match(
        sinkError("{ host: otel }"),
        /^eg\.yaml:5:51: telemetry\.metrics\.sinks\[0\]\.openTelemetry\.protocol is required \(grpc or http\)$/,
      );
      assert.match(sinkError("{ protocol: grpc }"), /telemetry\.metrics\.sinks\[0\]\.openTelemetry\.host is required/);
      assert.match(
        sinkError("{ host: otel, protocol: tcp }"),
        /telemetry\.metrics\.sinks\[0\]\.openTelemetry\.protocol must be one of grpc, http \(got tcp\)/,
      );
      assert.match(
        sinkError("{ host: otel, protocol: grpc, exportInterval: 0s }"),
        /eg\.yaml:5:\d+: telemetry\.metrics\.sinks\[0\]\.openTelemetry\.exportInterval must be greater than zero/,
      );
      assert.match(
        sinkError("{ host: otel, protocol: grpc, exportTimeout: soon }"),
        /exportTimeout: "soon" is not a duration/,
      );
      assert.match(
        sinkError("{ host: otel, protocol: grpc, port: 70000 }"),
        /port must be a whole number from 1 to 65535/,
      );
      assert.match(
        errorOf("telemetry: { metrics: { sinks: [{ type: Prometheus }] } }\n"),
        /sinks\[0\]\.type must be one of OpenTelemetry \(got Prometheus\)[\s\S]*sinks\[0\]\.openTelemetry is required/,
      );
      assert.match(errorOf("telemetry: { traces: {} }\n"), /^eg\.yaml:3:22: telemetry\.traces\.sink is required/);
      const sink = "sink: { openTelemetry: { host: otel, protocol: http } }";
      assert.match(
        errorOf(`telemetry: { traces: { ${sink}, samplingRate: { numerator: 3, denominator: 2 } } }\n`),
        /telemetry\.traces\.samplingRate: numerator \(3\) must not be greater than denominator \(2\)/,
      );
      assert.match(
        errorOf(`telemetry: { traces: { ${sink}, samplingRate: { denominator: 2 } } }\n`),
        /telemetry\.traces\.samplingRate\.numerator is required/,
      );
      assert.match(errorOf("telemetry: { metrics: { prometheus: { disabled: true } } }\n"), /disabled/);
    });
  });

  describe("the other Envoy Gateway settings", () => {
    it("refuses each setting egts does not implement yet, naming it with file:line", () => {
      for (const key of ["envoyProxy"]) {
        assert.match(
          errorOf(`${key}: {}\n`),
          new RegExp(`^eg\\.yaml:3:1: ${key} \\(.*\\) is an Envoy Gateway setting egts does not implement yet$`),
        );
      }
      assert.match(
        errorOf("gatewayAPI: { enabled: [XBackendTrafficPolicy] }\n"),
        /^eg\.yaml:3:24: gatewayAPI\.enabled: XBackendTrafficPolicy: experimental Gateway API kinds are not implemented yet/,
      );
      assert.match(
        errorOf("runtimeFlags: { enabled: [XDSNameSchemeV2] }\n"),
        /^eg\.yaml:3:26: runtimeFlags\.enabled: XDSNameSchemeV2: runtime flags are not implemented yet/,
      );
    });

    it("accepts their harmless defaults with a note naming the reason", () => {
      const c = parse("gatewayAPI: { enabled: [] }\nruntimeFlags: { enabled: [], disabled: [] }\n");
      assert.equal(c.notes.length, 3, c.notes.join("\n"));
      assert.match(c.notes[0] ?? "", /^eg\.yaml:3:24: gatewayAPI\.enabled: \[\] accepted, no effect/);
    });
  });

  describe("admin and xdsServer", () => {
    it("admin: Envoy Gateway's defaults (127.0.0.1:19000, no dump, no pprof), each field read", () => {
      assert.deepEqual(parse("").admin, {
        host: "127.0.0.1",
        port: 19000,
        enableDumpConfig: false,
        enablePprof: false,
      });
      assert.deepEqual(
        parse("admin: { address: { host: 0.0.0.0, port: 19010 }, enableDumpConfig: true, enablePprof: true }\n").admin,
        { host: "0.0.0.0", port: 19010, enableDumpConfig: true, enablePprof: true },
      );
      assert.deepEqual(parse("admin: { address: { port: 19020 } }\n").admin.host, "127.0.0.1");
    });

    it("admin: a port out of range, an empty host or an unknown key is refused with file:line", () => {
      assert.match(errorOf("admin: { address: { port: 70000 } }\n"), /^eg\.yaml:3:27: admin\.address\.port/);
      assert.match(errorOf("admin: { address: { host: '' } }\n"), /^eg\.yaml:3:27: admin\.address\.host/);
      assert.match(errorOf("admin: { enableConsole: true }\n"), /enableConsole/);
    });

    it("xdsServer: connection age, grace and largest message read; Envoy Gateway's defaults otherwise", () => {
      const c = parse(
        "xdsServer: { maxConnectionAge: 1h30m, maxConnectionAgeGrace: 30s, maxReceiveMessageSize: 8Mi }\n",
      );
      assert.deepEqual(c.xdsServer, {
        maxConnectionAgeMs: 5_400_000,
        maxConnectionAgeGraceMs: 30_000,
        maxReceiveMessageBytes: 8 * 1024 * 1024,
      });
      const low = xdsServerSettings(undefined, () => 0);
      const high = xdsServerSettings(undefined, () => 0.999999);
      assert.deepEqual(low, {
        maxConnectionAgeMs: 36_000_000,
        maxConnectionAgeGraceMs: 120_000,
        maxReceiveMessageBytes: 33_554_432,
      });
      assert.ok(
        high.maxConnectionAgeMs < 43_200_000 && high.maxConnectionAgeMs > 43_000_000,
        String(high.maxConnectionAgeMs),
      );
      assert.equal(xdsServerSettings(c.xdsServer).maxConnectionAgeMs, 5_400_000);
    });

    it("xdsServer: zero or malformed durations and sizes are refused with file:line", () => {
      assert.match(
        errorOf("xdsServer: { maxConnectionAge: 0s }\n"),
        /^eg\.yaml:3:32: xdsServer\.maxConnectionAge must be greater than zero/,
      );
      assert.match(
        errorOf("xdsServer: { maxConnectionAgeGrace: soon }\n"),
        /xdsServer\.maxConnectionAgeGrace: "soon" is not a duration/,
      );
      assert.match(
        errorOf("xdsServer: { maxReceiveMessageSize: lots }\n"),
        /xdsServer\.maxReceiveMessageSize must be a quantity/,
      );
    });

    it("gateway.controllerName must be a non-empty string", () => {
      assert.match(
        errorOf("gateway: { controllerName: '' }\n"),
        /^eg\.yaml:3:28: gateway\.controllerName must not be empty/,
      );
      assert.match(
        errorOf("gateway: { name: x }\n"),
        /^eg\.yaml:3:12: unknown field gateway\.name \(gateway fields: controllerName\)/,
      );
    });
  });
});
