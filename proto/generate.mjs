#!/usr/bin/env node
// Regenerates proto/gen/ (TypeScript types for Envoy's xDS API) reproducibly.
//
// Source: Envoy's own API protos (`api/envoy/**` of Envoy's source at the pinned release tag, fetched as the Go
// module zip github.com/envoyproxy/envoy@v<release> from proxy.golang.org: ENVOY_API below), laid over the .proto
// files of the Maven Central jar io.envoyproxy.controlplane:api (java-control-plane's copy of Envoy's API, used
// only for the imports Envoy's protos need: xds, udpa, validate, googleapis, cel, opentelemetry, prometheus; its
// own older `envoy/` tree is dropped: DEPS below). buf itself supplies google/protobuf. Both archives are pinned
// by URL and sha256, downloaded once into $EGTS_CACHE (default ~/.cache/egts)/envoy-api-<release>+<jar>/ and
// their .proto files extracted there; see docs/adr/0004-envoy-proto-source.md and docs/adr/0007-envoy-1-37.md.
// Only the roots listed in ROOTS and their imports are generated.
// egts's own protos (OWN_ROOTS, under proto/: Envoy Gateway's extension server API) are a second module of
// one buf workspace with the jar's files, so they import Envoy's protos by their usual paths.
// `--check` regenerates into a temporary folder and fails when the result differs from what is committed
// (CI drift check).
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  readdirSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync, inflateRawSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");

/**
 * Envoy's API protos: the Go module zip of Envoy's repository at the release egts runs (scripts/install-envoy.mjs
 * VERSION). Its `api/envoy/` folder (PREFIX) becomes `envoy/`. Changing it: update all fields, run
 * `npm run gen:proto`, read the diff.
 */
const ENVOY_API = {
  version: "1.37.0",
  url: "https://proxy.golang.org/github.com/envoyproxy/envoy/@v/v1.37.0.zip",
  sha256: "2131fded85c05c90896a42d027003bd3b76f332091b49f4c4f48efec58eae540",
  prefix: "github.com/envoyproxy/envoy@v1.37.0/api/envoy/",
  target: "envoy/",
};

/** The imports of Envoy's protos (everything in the jar but its `envoy/` tree, which ENVOY_API replaces). */
const DEPS = {
  version: "1.0.49",
  url: "https://repo1.maven.org/maven2/io/envoyproxy/controlplane/api/1.0.49/api-1.0.49.jar",
  sha256: "cbac9ac918071e132c552100f6c26978346116205d8f93a2efe5050049c1cc6e",
  skip: "envoy/",
};

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
  // order.
  "envoy/extensions/filters/http/custom_response/v3/custom_response.proto",
  "envoy/extensions/http/custom_response/local_response_policy/v3/local_response_policy.proto",
  "envoy/extensions/http/custom_response/redirect_policy/v3/redirect_policy.proto",
  "envoy/type/matcher/v3/http_inputs.proto",
  "envoy/type/matcher/v3/status_code_input.proto",
  "envoy/extensions/filters/http/health_check/v3/health_check.proto",
  "envoy/extensions/filters/http/fault/v3/fault.proto",
  "envoy/extensions/filters/http/csrf/v3/csrf.proto",
  "envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/http/api_key_auth/v3/api_key_auth.proto",
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
  "envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver.proto",
  "envoy/extensions/load_balancing_policies/cluster_provided/v3/cluster_provided.proto",
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
  "envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto",
  "envoy/extensions/filters/http/admission_control/v3/admission_control.proto",
  "envoy/extensions/filters/http/upstream_codec/v3/upstream_codec.proto",
  "envoy/extensions/health_check/event_sinks/file/v3/file.proto",
  // Telemetry (EnvoyProxy): access loggers, tracers, stat sinks.
  "envoy/extensions/access_loggers/file/v3/file.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
  "envoy/extensions/access_loggers/grpc/v3/als.proto",
  "envoy/extensions/access_loggers/open_telemetry/v3/logs_service.proto",
  "envoy/extensions/access_loggers/filters/cel/v3/cel.proto",
  "envoy/config/trace/v3/opentelemetry.proto",
  "envoy/config/trace/v3/zipkin.proto",
  "envoy/config/trace/v3/datadog.proto",
  "envoy/config/metrics/v3/metrics_service.proto",
  "envoy/extensions/stat_sinks/open_telemetry/v3/open_telemetry.proto",
  // The global rate limit service's API (BackendTrafficPolicy rateLimit.global): the tests call
  // ShouldRateLimit on the real envoyproxy/ratelimit service.
  "envoy/service/ratelimit/v3/rls.proto",
  // SecurityPolicy: network RBAC for TCP routes, the matcher-tree inputs and matchers of RBAC (client IP,
  // JWT claims in dynamic metadata, CEL), and the ext_authz service API the tests' authorization servers serve.
  "envoy/extensions/filters/network/rbac/v3/rbac.proto",
  "envoy/extensions/matching/common_inputs/network/v3/network_inputs.proto",
  "envoy/extensions/matching/input_matchers/ip/v3/ip.proto",
  "envoy/extensions/matching/input_matchers/metadata/v3/metadata.proto",
  "xds/type/matcher/v3/cel.proto",
  "xds/type/matcher/v3/http_inputs.proto",
  "envoy/service/auth/v3/external_auth.proto",
  // EnvoyExtensionPolicy: the external processing service API the tests' processors serve, dynamic modules,
  // and TLS passthrough through the SNI dynamic forward proxy (Backend type DynamicResolver).
  "envoy/service/ext_proc/v3/external_processor.proto",
  "envoy/extensions/filters/http/dynamic_modules/v3/dynamic_modules.proto",
  "envoy/extensions/filters/network/sni_dynamic_forward_proxy/v3/sni_dynamic_forward_proxy.proto",
];

/** Our own proto files (paths under proto/), generated with the Envoy roots; they import Envoy's protos. */
const OWN_ROOTS = ["extension/service.proto", "extension/context.proto"];

/** The own module's folder name inside the staging workspace. */
const OWN_MODULE = "egts-own";
/**
 * Fields Envoy has but the pinned proto source lacks, which egts encodes by hand; added to the descriptor set
 * (proto/gen/descriptors.ts, the schema of EnvoyPatchPolicy's protojson round trip) so a patched resource keeps
 * them. Entries are [file, message, field name, number, type ("message", "bool", "string"), message type,
 * dependency the type needs], numbers and types from Envoy's protos. Hand-encoded fields not listed here make the
 * patch refuse the resource (operator/src/xds/patch/protojson.ts) instead of dropping them. Empty since the
 * protos come from Envoy 1.37.0 itself (docs/adr/0007-envoy-1-37.md): every field once listed is generated.
 */
const EXTRA_FIELDS = [];

const FIELD_TYPES = {
  message: FieldDescriptorProto_Type.MESSAGE,
  bool: FieldDescriptorProto_Type.BOOL,
  string: FieldDescriptorProto_Type.STRING,
};

/** snake_case → lowerCamelCase, as protoc derives json_name. */
const jsonName = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** Adds {@link EXTRA_FIELDS} to a FileDescriptorSet (binary), returning the new binary. */
function withExtraFields(bytes) {
  const set = fromBinary(FileDescriptorSetSchema, bytes);
  for (const [fileName, messageName, name, number, type, typeName, dependency] of EXTRA_FIELDS) {
    const file = set.file.find((f) => f.name === fileName);
    const message = file?.messageType.find((m) => m.name === messageName);
    if (!file || !message) throw new Error(`proto: ${fileName} ${messageName} not in the descriptor set`);
    if (message.field.some((f) => f.number === number || f.name === name)) {
      throw new Error(`proto: ${messageName} already has field ${name} = ${number}; remove it from EXTRA_FIELDS`);
    }
    message.field.push(
      create(FieldDescriptorProtoSchema, {
        name,
        number,
        label: FieldDescriptorProto_Label.OPTIONAL,
        type: FIELD_TYPES[type],
        ...(typeName ? { typeName } : {}),
        jsonName: jsonName(name),
      }),
    );
    if (dependency && !file.dependency.includes(dependency)) file.dependency.push(dependency);
  }
  return toBinary(FileDescriptorSetSchema, set);
}

/**
 * proto/gen/descriptors.ts: the FileDescriptorSet of ROOTS and their imports (no source info), with
 * {@link EXTRA_FIELDS}, gzipped in base64 (the drift check compares the inflated bytes).
 */
function buildDescriptors(source, out) {
  const tmp = mkdtempSync(join(tmpdir(), "egts-desc-"));
  try {
    const file = join(tmp, "descriptors.binpb");
    const buf = join(repo, "node_modules/.bin/buf");
    const args = ["build", "--exclude-source-info", "-o", file, ...ROOTS.flatMap((r) => ["--path", r])];
    execFileSync(buf, args, { cwd: source, stdio: "inherit" });
    const gz = gzipSync(withExtraFields(readFileSync(file)), { level: 9 }).toString("base64");
    const text = [
      "// Generated by proto/generate.mjs: do not edit. The FileDescriptorSet of its ROOTS (+ EXTRA_FIELDS), gzipped,",
      "// in base64 (a module, so it ships inside dist/ like the generated types).",
      `export const DESCRIPTORS_GZ_BASE64 =\n  "${gz}";`,
      "",
    ].join("\n");
    writeFileSync(join(out, DESCRIPTORS), text);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** File name of the descriptor set module in proto/gen. */
const DESCRIPTORS = "descriptors.ts";

const TS_PROTO_OPTS = [
  "esModuleInterop=true",
  "env=node",
  "forceLong=number",
  "outputServices=false",
  "useOptionals=messages",
  "useExactTypes=false",
  // toJSON only (config dumps, `egts translate`): nothing reads protobuf JSON, and the fromJSON methods were 0.8 MiB
  // of module source every process loaded (ADR 0036).
  "outputJsonMethods=to-only",
  "outputPartialMethods=true",
  "exportCommonSymbols=false",
  "stringEnums=false",
  "unrecognizedEnum=false",
  "outputTypeAnnotations=static-only",
];

/** Downloads `source.url` and checks its sha256; returns the bytes. */
async function download(source) {
  console.log(`proto: downloading ${source.url}`);
  const response = await fetch(source.url);
  if (!response.ok) throw new Error(`proto: GET ${source.url}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== source.sha256) throw new Error(`proto: ${source.url} has sha256 ${sha256}, want ${source.sha256}`);
  return bytes;
}

/** Writes the `.proto` entries of `zip` whose name `rename` maps to a path (others: undefined) under `root`. */
function extractProtos(zip, root, rename) {
  let count = 0;
  for (const entry of zipEntries(zip)) {
    if (!entry.name.endsWith(".proto")) continue;
    const name = rename(entry.name);
    if (name === undefined) continue;
    const file = join(root, name);
    if (relative(root, file).startsWith("..")) throw new Error(`proto: unsafe path ${entry.name} in the archive`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, entry.data());
    count++;
  }
  return count;
}

/**
 * `$EGTS_CACHE/envoy-api-<Envoy release>+<jar version>`: the extracted source (Envoy's API over the jar's
 * imports), downloaded and unpacked on first use.
 */
async function protoSource() {
  const env = process.env;
  const cache = resolve(env.EGTS_CACHE?.trim() || join(env.HOME?.trim() || homedir(), ".cache", "egts"));
  const dir = join(cache, `envoy-api-${ENVOY_API.version}+${DEPS.version}`);
  // buf.yaml is written last, and the folder is renamed into place: its presence means complete.
  if (existsSync(join(dir, "buf.yaml"))) return dir;
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const deps = extractProtos(await download(DEPS), staging, (n) => (n.startsWith(DEPS.skip) ? undefined : n));
    const api = extractProtos(await download(ENVOY_API), staging, (n) =>
      n.startsWith(ENVOY_API.prefix) ? ENVOY_API.target + n.slice(ENVOY_API.prefix.length) : undefined,
    );
    writeFileSync(join(staging, "buf.yaml"), "version: v2\n");
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (e) {
      // A concurrent run finished first: its copy is as good as ours.
      if (!existsSync(join(dir, "buf.yaml"))) throw e;
    }
    console.log(`proto: extracted ${api} Envoy API and ${deps} dependency .proto files into ${dir}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/**
 * The entries of a zip archive (a jar, a Go module zip), read from its central directory. Handles what Maven and
 * the Go module proxy write: stored and deflated entries, no zip64, no encryption.
 */
function* zipEntries(zip) {
  // End of central directory record: signature 0x06054b50, at most 64 KiB of comment after it.
  let eocd = zip.length - 22;
  while (eocd >= Math.max(0, zip.length - 22 - 0xffff) && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0 || zip.readUInt32LE(eocd) !== 0x06054b50) throw new Error("proto: not a zip archive");
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`proto: bad zip central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    at += 46 + skip;
    const data = () => {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + compressed);
      const out = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined;
      if (!out || out.length !== size) throw new Error(`proto: cannot read ${name} (zip method ${method})`);
      return out;
    };
    yield { name, data };
  }
}

async function generate(out) {
  const source = await protoSource();
  const staging = mkdtempSync(join(tmpdir(), "egts-proto-"));
  try {
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
    const template = join(staging, "buf.gen.yaml");
    writeFileSync(template, genYaml + "\n");
    const workspace = stageWorkspace(source, staging);
    const buf = join(repo, "node_modules/.bin/buf");
    const paths = [...ROOTS, ...OWN_ROOTS.map((r) => `${OWN_MODULE}/${r}`)];
    const args = ["generate", "--template", template, ...paths.flatMap((r) => ["--path", r])];
    execFileSync(buf, args, { cwd: workspace, stdio: "inherit" });
    buildDescriptors(source, out);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A buf workspace of two modules in `staging/ws`: the jar's files (symlinks to its top-level folders) and
 * our own protos (a symlink to proto/, holding OWN_ROOTS). Returns the workspace folder.
 */
function stageWorkspace(source, staging) {
  const ws = join(staging, "ws");
  mkdirSync(ws);
  for (const name of readdirSync(source)) {
    if (statSync(join(source, name)).isDirectory()) symlinkSync(join(source, name), join(ws, name));
  }
  symlinkSync(here, join(ws, OWN_MODULE));
  const bufYaml = [
    "version: v2",
    "modules:",
    "  - path: .",
    `    excludes: [${OWN_MODULE}]`,
    `  - path: ${OWN_MODULE}`,
  ];
  writeFileSync(join(ws, "buf.yaml"), bufYaml.join("\n") + "\n");
  return ws;
}

/** Whether two generated files hold the same content (the descriptor set: the same inflated bytes). */
function sameContent(a, b) {
  const x = readFileSync(a);
  const y = readFileSync(b);
  if (!a.endsWith(DESCRIPTORS)) return x.equals(y);
  const inflate = (t) => gunzipSync(Buffer.from(/"([A-Za-z0-9+/=]+)"/.exec(t.toString())?.[1] ?? "", "base64"));
  return inflate(x).equals(inflate(y));
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
  await generate(tmp);
  const a = listFiles(tmp);
  const b = listFiles(target);
  const diffs = [];
  if (a.join("\n") !== b.join("\n")) diffs.push("file list differs");
  for (const f of a) {
    if (b.includes(f) && !sameContent(join(tmp, f), join(target, f))) diffs.push(f);
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
  await generate(target);
  console.log(`generated ${listFiles(target).length} files into proto/gen`);
}
