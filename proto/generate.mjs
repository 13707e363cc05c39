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
  "envoy/extensions/access_loggers/file/v3/file.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
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
