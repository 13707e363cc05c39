/**
 * The generated extension types the policy kinds will use, against real Envoy: listeners with the PROXY
 * protocol, TLS and HTTP inspector listener filters, the connection limit filter, access loggers (file,
 * stdout, gRPC, OpenTelemetry, with a CEL filter), each tracer (OpenTelemetry, Zipkin, Datadog), client IP detection
 * (custom header, XFF), the UUID request ID, early header mutation and preserve-case headers; clusters with
 * each load balancer policy and the upstream PROXY protocol and TCP stats transport sockets; a route retrying
 * with the previous-hosts predicate. Envoy ACKs them all (it decodes and validates every typed config), and a
 * PROXY protocol v1 header sent by a real client reaches the listener. Stat sinks live in the bootstrap:
 * `envoy --mode validate` checks a binary bootstrap we encode with them.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pack, type RegisteredType } from "../../proto/any";
import { ProxyProtocolConfig_Version } from "../../proto/gen/envoy/config/core/v3/proxy_protocol";
import { Bootstrap } from "../../proto/gen/envoy/config/bootstrap/v3/bootstrap";
import { Cluster } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { RouteConfiguration } from "../../proto/gen/envoy/config/route/v3/route";
import { ZipkinConfig_CollectorEndpointVersion } from "../../proto/gen/envoy/config/trace/v3/zipkin";
import { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Any } from "../../proto/gen/google/protobuf/any";
import * as X from "../../operator/src/xds/extension-types";
import { adsConfigSource } from "../../operator/src/xds/translate/config-source";
import { SAMPLE_CLUSTER } from "../../operator/src/xds/translate/filters/registry";
import { ROUTER_FILTER } from "../../operator/src/xds/translate/filters/router";
import { HcmType, ListenerType, RouterType, RouteType, TlsInspectorType } from "../../operator/src/xds/types";
import { requireEnvoy } from "../support/envoy";
import { boundPort, http2Upstream, localCluster, serveToEnvoy, type XdsEnvoy } from "../support/xds-envoy";

const run = promisify(execFile);

const ROUTES = "extension-types";

/** A typed extension config `{ name, typedConfig }`. */
function ext<T>(name: string, type: RegisteredType<T>, partial: object = {}): object {
  return { name, typedConfig: pack(type, type.codec.fromPartial(partial as never)) };
}

const sampleGrpc = { envoyGrpc: { clusterName: SAMPLE_CLUSTER } };

/** The three tracers (one HCM each: an HCM has one tracing provider). */
const TRACERS: Record<string, object> = {
  otel: ext("envoy.tracers.opentelemetry", X.OpenTelemetryTracerType, { grpcService: sampleGrpc, serviceName: "egts" }),
  zipkin: ext("envoy.tracers.zipkin", X.ZipkinTracerType, {
    collectorCluster: SAMPLE_CLUSTER,
    collectorEndpoint: "/api/v2/spans",
    collectorEndpointVersion: ZipkinConfig_CollectorEndpointVersion.HTTP_JSON,
  }),
  datadog: ext("envoy.tracers.datadog", X.DatadogTracerType, { collectorCluster: SAMPLE_CLUSTER, serviceName: "egts" }),
};

function hcm(tracer: string, ipDetection: object): object {
  return HttpConnectionManager.fromPartial({
    statPrefix: tracer,
    rds: { routeConfigName: ROUTES, configSource: adsConfigSource() },
    httpFilters: [{ name: ROUTER_FILTER, typedConfig: pack(RouterType, RouterType.codec.fromPartial({} as never)) }],
    accessLog: [
      ext("envoy.access_loggers.file", X.FileAccessLogType, { path: "/dev/null" }),
      {
        ...ext("envoy.access_loggers.stdout", X.StdoutAccessLogType),
        filter: {
          extensionFilter: ext("envoy.access_loggers.extension_filters.cel", X.CelAccessLogFilterType, {
            expression: "response.code >= 500",
          }),
        },
      },
      ext("envoy.access_loggers.http_grpc", X.HttpGrpcAccessLogType, {
        commonConfig: { logName: "egts", grpcService: sampleGrpc, transportApiVersion: 2 },
      }),
      ext("envoy.access_loggers.open_telemetry", X.OpenTelemetryAccessLogType, {
        commonConfig: { logName: "egts", grpcService: sampleGrpc, transportApiVersion: 2 },
        body: { stringValue: "%REQ(:METHOD)%" },
      }),
    ],
    tracing: { provider: TRACERS[tracer] },
    originalIpDetectionExtensions: [ipDetection],
    requestIdExtension: { typedConfig: pack(X.UuidRequestIdType, X.UuidRequestIdType.codec.fromPartial({} as never)) },
    earlyHeaderMutationExtensions: [
      ext("envoy.http.early_header_mutation.header_mutation", X.EarlyHeaderMutationType, {
        mutations: [{ remove: "x-egts-remove-me" }],
      }),
    ],
    httpProtocolOptions: {
      headerKeyFormat: { statefulFormatter: ext("preserve_case", X.PreserveCaseFormatterType) },
    },
  } as never);
}

function listener(tracer: string, ipDetection: object): Any {
  return pack(
    ListenerType,
    Listener.fromPartial({
      name: tracer,
      address: { socketAddress: { address: "127.0.0.1", portValue: 0 } },
      listenerFilters: [
        ext("envoy.filters.listener.proxy_protocol", X.ProxyProtocolListenerType, {
          allowRequestsWithoutProxyProtocol: false,
        }),
        ext("envoy.filters.listener.tls_inspector", TlsInspectorType),
        ext("envoy.filters.listener.http_inspector", X.HttpInspectorType),
      ],
      filterChains: [
        {
          filters: [
            ext("envoy.filters.network.connection_limit", X.ConnectionLimitType, {
              statPrefix: tracer,
              maxConnections: 100,
            }),
            {
              name: "envoy.filters.network.http_connection_manager",
              typedConfig: pack(HcmType, hcm(tracer, ipDetection) as never),
            },
          ],
        },
      ],
    } as never),
  );
}

/** A static cluster on 127.0.0.1:1 (nothing listens) with extra fields. */
function cluster(name: string, extra: object = {}): Any {
  return localCluster(name, 1, extra);
}

const LB_POLICIES: Record<string, object> = {
  "lb-round-robin": ext("envoy.load_balancing_policies.round_robin", X.RoundRobinLbType),
  "lb-least-request": ext("envoy.load_balancing_policies.least_request", X.LeastRequestLbType),
  "lb-random": ext("envoy.load_balancing_policies.random", X.RandomLbType),
  "lb-ring-hash": ext("envoy.load_balancing_policies.ring_hash", X.RingHashLbType),
  "lb-maglev": ext("envoy.load_balancing_policies.maglev", X.MaglevLbType),
  "lb-cswrr": ext(
    "envoy.load_balancing_policies.client_side_weighted_round_robin",
    X.ClientSideWeightedRoundRobinLbType,
  ),
};

function clusters(): Map<string, Any> {
  const rawBuffer = ext("envoy.transport_sockets.raw_buffer", X.RawBufferType);
  const out = new Map<string, Any>([
    [SAMPLE_CLUSTER, cluster(SAMPLE_CLUSTER, http2Upstream())],
    [
      "upstream-proxy-protocol",
      cluster("upstream-proxy-protocol", {
        transportSocket: ext("envoy.transport_sockets.upstream_proxy_protocol", X.ProxyProtocolUpstreamTransportType, {
          config: { version: ProxyProtocolConfig_Version.V2 },
          transportSocket: rawBuffer,
        }),
      }),
    ],
    [
      "tcp-stats",
      cluster("tcp-stats", {
        transportSocket: ext("envoy.transport_sockets.tcp_stats", X.TcpStatsType, { transportSocket: rawBuffer }),
      }),
    ],
  ]);
  for (const [name, policy] of Object.entries(LB_POLICIES)) {
    out.set(name, cluster(name, { loadBalancingPolicy: { policies: [{ typedExtensionConfig: policy }] } }));
  }
  return out;
}

function routes(): Any {
  return pack(
    RouteType,
    RouteConfiguration.fromPartial({
      name: ROUTES,
      virtualHosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [
            {
              match: { prefix: "/retry" },
              route: {
                cluster: "lb-round-robin",
                retryPolicy: {
                  retryOn: "connect-failure",
                  numRetries: 2,
                  retryHostPredicate: [ext("envoy.retry_host_predicates.previous_hosts", X.PreviousHostsPredicateType)],
                },
              },
            },
            { match: { prefix: "/" }, directResponse: { status: 200, body: { inlineString: "ok" } } },
          ],
        },
      ],
    } as never),
  );
}

/** Sends raw bytes, resolves with everything the server answered before closing (or resetting) or 3 s. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("\r\n\r\n")) socket.end();
    });
    socket.on("close", () => resolve(got));
    socket.on("error", () => resolve(got));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

describe("generated extension types against real Envoy", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;

  after(async () => {
    await envoy?.close();
  });

  it("ACKs listeners, clusters and routes using every generated listener, upstream and telemetry type", async () => {
    const customHeader = ext("envoy.http.original_ip_detection.custom_header", X.CustomHeaderIpDetectionType, {
      headerName: "x-client-ip",
    });
    const xff = ext("envoy.http.original_ip_detection.xff", X.XffIpDetectionType, { xffNumTrustedHops: 1 });
    envoy = await serveToEnvoy(
      "default/extension-types",
      {
        Cluster: clusters(),
        Listener: new Map([
          ["otel", listener("otel", customHeader)],
          ["zipkin", listener("zipkin", xff)],
          ["datadog", listener("datadog", xff)],
        ]),
        Route: new Map([[ROUTES, routes()]]),
      },
      ["Cluster", "Listener", "Route"],
    );
    const dump = await (await fetch(`${envoy.admin}/config_dump`)).text();
    for (const name of Object.keys(LB_POLICIES)) assert.ok(dump.includes(`"${name}"`), `Envoy has cluster ${name}`);

    const port = await boundPort(envoy.admin, "otel");
    const request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const withProxy = await rawExchange(port, `PROXY TCP4 192.0.2.7 127.0.0.1 40000 ${port}\r\n${request}`);
    assert.match(withProxy, /^HTTP\/1\.1 200/, "a request behind a PROXY v1 header is answered");
    const plain = await rawExchange(port, request);
    assert.doesNotMatch(plain, /^HTTP\/1\.1 200/, "a request without the PROXY header is refused");
  });
});

describe("generated stat sink types against real Envoy (bootstrap, binary)", function () {
  this.timeout(60_000);

  it("envoy --mode validate accepts a binary bootstrap with the OpenTelemetry and metrics service sinks", async () => {
    const dir = await mkdtemp(join(tmpdir(), "egts-stat-sinks-"));
    try {
      const bootstrap = Bootstrap.fromPartial({
        node: { id: "stat-sinks", cluster: "egts" },
        staticResources: { clusters: [Cluster.decode(unpackCluster(clusters().get(SAMPLE_CLUSTER)))] },
        statsSinks: [
          ext("envoy.stat_sinks.open_telemetry", X.OpenTelemetrySinkType, { grpcService: sampleGrpc }),
          ext("envoy.stat_sinks.metrics_service", X.MetricsServiceSinkType, {
            grpcService: sampleGrpc,
            transportApiVersion: 2,
          }),
        ],
      } as never);
      const file = join(dir, "bootstrap.pb");
      await writeFile(file, Bootstrap.encode(bootstrap).finish());
      const out = await run(requireEnvoy(), ["--mode", "validate", "-c", file, "-l", "critical"]).then(
        (r) => ({ ok: true, text: r.stdout + r.stderr }),
        (e: { stdout: string; stderr: string }) => ({ ok: false, text: e.stdout + e.stderr }),
      );
      assert.ok(out.ok, out.text);
      assert.match(out.text, /configuration .* OK/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The encoded Cluster inside a packed Any. */
function unpackCluster(any: Any | undefined): Uint8Array {
  assert.ok(any, "sample cluster");
  return any.value;
}
