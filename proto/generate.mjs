#!/usr/bin/env node
// Regenerates proto/gen/ (TypeScript types for Envoy's xDS API) reproducibly.
//
// Source: the Envoy, xds, googleapis and protoc-gen-validate protos shipped by the pinned
// npm package @grpc/grpc-js-xds (see package.json). Only the roots listed in ROOTS and
// their imports are generated. `--check` regenerates into a temporary folder and fails
// when the result differs from what is committed (CI drift check).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const deps = join(repo, "node_modules/@grpc/grpc-js-xds/deps");

/** The proto files we use directly; buf adds their imports. */
const ROOTS = [
  "envoy/service/discovery/v3/ads.proto",
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/route/v3/route.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/transport_sockets/tls/v3/secret.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto",
  "envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy.proto",
  "envoy/extensions/filters/udp/udp_proxy/v3/route.proto",
  "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/filters/http/cors/v3/cors.proto",
  "envoy/extensions/filters/http/stateful_session/v3/stateful_session.proto",
  "envoy/extensions/http/stateful_session/cookie/v3/cookie.proto",
  "envoy/extensions/http/stateful_session/header/v3/header.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  // HTTP filters of the ranked filter registry (operator/src/xds/translate/filters/), in Envoy Gateway's
  // order. api_key_auth is missing: the pinned proto source predates it (see filters/api-key-auth.ts).
  "envoy/extensions/filters/http/custom_response/v3/custom_response.proto",
  "envoy/extensions/http/custom_response/local_response_policy/v3/local_response_policy.proto",
  "envoy/extensions/http/custom_response/redirect_policy/v3/redirect_policy.proto",
  "envoy/type/matcher/v3/http_inputs.proto",
  "envoy/extensions/filters/http/health_check/v3/health_check.proto",
  "envoy/extensions/filters/http/fault/v3/fault.proto",
  "envoy/extensions/filters/http/csrf/v3/csrf.proto",
  "envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/http/basic_auth/v3/basic_auth.proto",
  "envoy/extensions/filters/http/oauth2/v3/oauth.proto",
  "envoy/extensions/filters/http/jwt_authn/v3/config.proto",
  "envoy/extensions/filters/http/buffer/v3/buffer.proto",
  "envoy/extensions/filters/http/lua/v3/lua.proto",
  "envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto",
  "envoy/extensions/filters/http/wasm/v3/wasm.proto",
  "envoy/extensions/filters/http/geoip/v3/geoip.proto",
  "envoy/extensions/geoip_providers/maxmind/v3/maxmind.proto",
  "envoy/extensions/filters/http/rbac/v3/rbac.proto",
  "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto",
  "envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto",
  "envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit.proto",
  "envoy/extensions/filters/http/grpc_web/v3/grpc_web.proto",
  "envoy/extensions/filters/http/grpc_stats/v3/config.proto",
  "envoy/extensions/filters/http/credential_injector/v3/credential_injector.proto",
  "envoy/extensions/http/injected_credentials/generic/v3/generic.proto",
  "envoy/extensions/http/injected_credentials/oauth2/v3/oauth2.proto",
  "envoy/extensions/filters/http/compressor/v3/compressor.proto",
  "envoy/extensions/compression/gzip/compressor/v3/gzip.proto",
  "envoy/extensions/compression/brotli/compressor/v3/brotli.proto",
  "envoy/extensions/compression/zstd/compressor/v3/zstd.proto",
  "envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy.proto",
  "envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster.proto",
  // Listener level (ClientTrafficPolicy).
  "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.proto",
  "envoy/extensions/filters/listener/original_dst/v3/original_dst.proto",
  "envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto",
  "envoy/extensions/filters/network/connection_limit/v3/connection_limit.proto",
  "envoy/extensions/transport_sockets/quic/v3/quic_transport.proto",
  "envoy/extensions/http/header_formatters/preserve_case/v3/preserve_case.proto",
  "envoy/extensions/http/original_ip_detection/custom_header/v3/custom_header.proto",
  "envoy/extensions/http/original_ip_detection/xff/v3/xff.proto",
  "envoy/extensions/http/early_header_mutation/header_mutation/v3/header_mutation.proto",
  "envoy/extensions/request_id/uuid/v3/uuid.proto",
  // Upstream (BackendTrafficPolicy): load balancer policies, upstream PROXY protocol, retries.
  "envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto",
  "envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto",
  "envoy/extensions/load_balancing_policies/random/v3/random.proto",
  "envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto",
  "envoy/extensions/load_balancing_policies/maglev/v3/maglev.proto",
  "envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin.proto",
  "envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.proto",
  "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto",
  "envoy/extensions/transport_sockets/tcp_stats/v3/tcp_stats.proto",
  "envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto",
  // Telemetry (EnvoyProxy): access loggers, tracers, stat sinks.
  "envoy/extensions/access_loggers/file/v3/file.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
  "envoy/extensions/access_loggers/grpc/v3/als.proto",
  // The OpenTelemetry access logger (access_loggers/open_telemetry/v3/logs_service.proto) imports
  // opentelemetry/proto/common/v1/common.proto, which the pinned proto source does not ship: not generated yet.
  "envoy/extensions/access_loggers/filters/cel/v3/cel.proto",
  "envoy/config/trace/v3/opentelemetry.proto",
  "envoy/config/trace/v3/zipkin.proto",
  "envoy/config/trace/v3/datadog.proto",
  "envoy/config/metrics/v3/metrics_service.proto",
  "envoy/extensions/stat_sinks/open_telemetry/v3/open_telemetry.proto",
];

const TS_PROTO_OPTS = [
  "esModuleInterop=true",
  "env=node",
  "forceLong=number",
  "outputServices=false",
  "useOptionals=messages",
  "useExactTypes=false",
  "outputJsonMethods=true",
  "outputPartialMethods=true",
  "exportCommonSymbols=false",
  "stringEnums=false",
  "unrecognizedEnum=false",
  "outputTypeAnnotations=static-only",
];

function stage(dir) {
  for (const sub of ["envoy-api", "xds", "googleapis"]) cpSync(join(deps, sub), dir, { recursive: true });
  mkdirSync(join(dir, "validate"), { recursive: true });
  cpSync(join(deps, "protoc-gen-validate/validate/validate.proto"), join(dir, "validate/validate.proto"));
  patchValidate(join(dir, "validate/validate.proto"));
  writeFileSync(join(dir, "buf.yaml"), "version: v2\n");
}

/**
 * The validate.proto bundled with @grpc/grpc-js-xds predates rules the Envoy protos use
 * (StringRules.ignore_empty). Unknown options only matter to the compiler, so we
 * add the few fields that are missing; this does not change any Envoy message.
 */
function patchValidate(file) {
  const text = readFileSync(file, "utf8");
  const anchor = "optional bool strict = 25 [default = true];";
  if (!text.includes(anchor)) throw new Error(`validate.proto changed upstream: cannot find "${anchor}"`);
  // Upstream protoc-gen-validate: StringRules.ignore_empty is field 26.
  writeFileSync(file, text.replace(anchor, `${anchor}\n  optional bool ignore_empty = 26;`));
}

function generate(out) {
  const staging = mkdtempSync(join(tmpdir(), "egts-proto-"));
  try {
    stage(staging);
    const plugin = join(repo, "node_modules/.bin/protoc-gen-ts_proto");
    const genYaml = [
      "version: v2",
      "plugins:",
      `  - local: ${plugin}`,
      `    out: ${out}`,
      "    include_imports: true",
      "    opt:",
      ...TS_PROTO_OPTS.map((o) => `      - ${o}`),
    ].join("\n");
    writeFileSync(join(staging, "buf.gen.yaml"), genYaml + "\n");
    const buf = join(repo, "node_modules/.bin/buf");
    execFileSync(buf, ["generate", ...ROOTS.flatMap((r) => ["--path", r])], { cwd: staging, stdio: "inherit" });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

const target = join(here, "gen");
if (process.argv.includes("--check")) {
  const tmp = mkdtempSync(join(tmpdir(), "egts-proto-check-"));
  generate(tmp);
  const a = listFiles(tmp);
  const b = listFiles(target);
  const diffs = [];
  if (a.join("\n") !== b.join("\n")) diffs.push("file list differs");
  for (const f of a) {
    if (b.includes(f) && readFileSync(join(tmp, f), "utf8") !== readFileSync(join(target, f), "utf8")) diffs.push(f);
  }
  rmSync(tmp, { recursive: true, force: true });
  if (diffs.length) {
    console.error(`proto/gen is out of date (${diffs.slice(0, 10).join(", ")}); run: npm run gen:proto`);
    process.exit(1);
  }
  console.log("proto/gen is up to date");
} else {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  generate(target);
  console.log(`generated ${listFiles(target).length} files into proto/gen`);
}
