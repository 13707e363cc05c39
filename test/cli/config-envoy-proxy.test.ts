/**
 * `egts config envoy-proxy …` and `egts x stats envoy-proxy` against the real Envoy of `egts standalone` (run as
 * a user runs it): the standalone process logs and publishes its proxies' admin addresses, and the commands read
 * the live /config_dump and stats, in egctl's output shape (namespace → name → config, JSON field names). The
 * listeners and routes the live Envoy holds are the ones `egts x translate` prints for the same input.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { egtsAsync } from "../support/egts-cli";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort } from "../support/http";

type Json = Record<string, unknown>;
const ADMIN = "type.googleapis.com/envoy.admin.v3.";

describe("egts config envoy-proxy and x stats envoy-proxy (standalone, real Envoy)", function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let dir = "";
  let output = "";
  let env: Record<string, string> = {};

  before(async function () {
    const envoy = requireEnvoy();
    dir = await mkdtemp(join(tmpdir(), "egts-config-"));
    const [port, backendPort, xdsPort] = [await freePort(), await freePort(), await freePort()];
    const yaml = (await readFile("examples/quickstart/quickstart.yaml", "utf8"))
      .replace("port: 8888", `port: ${port}`)
      .replace("port: 3000", `port: ${backendPort}`);
    await writeFile(join(dir, "quickstart.yaml"), yaml);
    // Its own cache folder: the proxy registry of this test only.
    env = { ENVOY_BIN: envoy, EGTS_CACHE: join(dir, "cache") };
    const args = ["bin/egts.js", "standalone", "--config-dir", dir, "--config-path", "examples/envoy-gateway.yaml"];
    child = spawn("node", [...args, "--xds-port", String(xdsPort), "--wasm-port", String(await freePort())], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    await eventually(
      async () => /envoy admin gateway=default\/eg admin=127\.0\.0\.1:\d+/.test(output),
      30_000,
      "admin logged",
    );
  });

  after(async function () {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("config envoy-proxy listener: the live listeners of the Gateway's proxy, keyed namespace → name", async () => {
    const r = await egtsAsync(["config", "envoy-proxy", "listener", "eg", "-n", "default"], { env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, Record<string, Json>>;
    const dump = doc.default.eg;
    assert.equal(dump["@type"], `${ADMIN}ListenersConfigDump`);
    const live = (dump.dynamicListeners as { activeState: { listener: Json } }[]).map((l) => l.activeState.listener);
    assert.ok(live.every((l) => l["@type"] === "type.googleapis.com/envoy.config.listener.v3.Listener"));
    const offline = await egtsAsync(["x", "translate", "--to", "xds", "-t", "listener", "-o", "json", "-f", dir], {
      env,
    });
    assert.equal(offline.code, 0, offline.stderr);
    const translated = (JSON.parse(offline.stdout) as { xds: Record<string, Json> }).xds["default/eg"];
    const names = (d: Json): string[] =>
      (d.dynamicListeners as { activeState: { listener: Json } }[])
        .map((l) => String(l.activeState.listener.name))
        .sort();
    assert.deepEqual(names(dump), names(translated), "the listeners x translate prints for the same folder");
  });

  it("config envoy-proxy all -o yaml (short: c proxy all): the whole dump, bootstrap first, EDS included", async () => {
    const r = await egtsAsync(["c", "proxy", "all", "-o", "yaml"], { env });
    assert.equal(r.code, 0, r.stderr);
    const dump = (parse(r.stdout) as Record<string, Record<string, { configs: Json[] }>>).default.eg;
    const types = dump.configs.map((c) => String(c["@type"]).replace(ADMIN, ""));
    assert.equal(types[0], "BootstrapConfigDump");
    for (const t of ["ClustersConfigDump", "ListenersConfigDump", "RoutesConfigDump", "EndpointsConfigDump"]) {
      assert.ok(types.includes(t), `${t} in ${types.join(", ")}`);
    }
    const bootstrap = dump.configs[0].bootstrap as Json;
    assert.deepEqual((bootstrap.node as Json).id, "default/eg");
    assert.ok("dynamicResources" in bootstrap && !("dynamic_resources" in bootstrap), "JSON field names");
  });

  it("config envoy-proxy route / cluster / endpoint / bootstrap each give their config; --admin-address reads one Envoy", async () => {
    const admin = /envoy admin gateway=default\/eg admin=(127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
    for (const [type, dumpType] of [
      ["route", "RoutesConfigDump"],
      ["cluster", "ClustersConfigDump"],
      ["endpoint", "EndpointsConfigDump"],
      ["bootstrap", "BootstrapConfigDump"],
    ]) {
      const r = await egtsAsync(["config", "envoy-proxy", type, "--admin-address", admin], { env });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as Record<string, Record<string, Json>>;
      assert.equal(doc[""][admin]["@type"], ADMIN + dumpType, type);
      if (type !== "route") continue;
      // The quickstart's hosts are exact, so Envoy holds its routes in routing scopes (ADR 0031): the route view
      // lists the RouteConfiguration inside each scope as egctl lists RDS ones.
      const configs = (doc[""][admin].dynamicRouteConfigs ?? []) as { routeConfig: Json }[];
      const domains = configs.flatMap((c) =>
        ((c.routeConfig.virtualHosts ?? []) as { domains: string[] }[]).flatMap((v) => v.domains),
      );
      assert.ok(domains.includes("www.example.com"), `www.example.com in ${JSON.stringify(configs).slice(0, 500)}`);
    }
  });

  it("x stats envoy-proxy: Prometheus text by default, cluster stats with --type clusters, JSON with -o json", async () => {
    const prom = await egtsAsync(["x", "stats", "envoy-proxy", "eg", "-n", "default"], { env });
    assert.equal(prom.code, 0, prom.stderr);
    assert.match(prom.stdout, /^default\/eg:\n/);
    assert.match(prom.stdout, /^envoy_server_live\{\} 1$/m);
    const clusters = await egtsAsync(["x", "stats", "ep", "eg", "-n", "default", "--type", "clusters"], { env });
    assert.equal(clusters.code, 0, clusters.stderr);
    assert.match(clusters.stdout, /^xds_cluster::/m);
    const json = await egtsAsync(["x", "stats", "envoy-proxy", "-n", "default", "-o", "json"], { env });
    const stats = JSON.parse((JSON.parse(json.stdout) as Record<string, string>)["default/eg"]) as { stats: unknown[] };
    assert.ok(stats.stats.length > 0);
  });

  it("no such proxy: exit 1 naming where standalone proxies are published and how to read Kubernetes pods", async () => {
    const r = await egtsAsync(["config", "envoy-proxy", "listener", "nope", "-n", "default"], { env });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Error: no running egts standalone proxy for default\/nope .*pass --kubeconfig or --context/,
    );
  });
});
