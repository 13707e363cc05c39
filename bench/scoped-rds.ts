/**
 * Envoy's own time to apply one changed virtual host, per route layout, with real Envoy and the real xDS server:
 *   inline  one RouteConfiguration of N virtual hosts (the default layout)
 *   scoped  scoped RDS keyed on `:authority`: one ScopedRouteConfiguration per exact hostname carrying its own
 *           RouteConfiguration (one virtual host), as the product's scoped layout makes them (xds/translate/scoped.ts,
 *           ADR 0020 addendum)
 * The bench fixture (N routes, one hostname each) is translated and built as the pipeline does, then laid out. Each repetition changes one virtual host (one added request header) and times `setNode` → the route
 * resource's send (the server alone: no pipeline runs here) and send → Envoy's ACK (server events), and Envoy's CPU
 * (/proc, 10 ms ticks) until 100 ms after the ACK; a GET for that host must then answer 200.
 *
 *   node --expose-gc dist/bench/scoped-rds.js [--routes 3000] [--reps 10] [--layout inline|scoped]
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom, timeout } from "rxjs";
import { pack, unpack } from "../proto/any";
import type { VirtualHost } from "../proto/gen/envoy/config/route/v3/route_components";
import type { Any } from "../proto/gen/google/protobuf/any";
import { startEchoBackend } from "../operator/src/demo/echo-backend";
import { buildBootstrap } from "../operator/src/infra/bootstrap";
import { findEnvoy } from "../operator/src/infra/host/envoy-binary";
import { freePort } from "../operator/src/infra/host/free-port";
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import { translate } from "../operator/src/translate/translate";
import { XdsCache } from "../operator/src/xds/cache/snapshot-cache";
import { XdsServer } from "../operator/src/xds/server/server";
import { buildNodeResources, type LaidOutResources, type NodeResources } from "../operator/src/xds/translate/resources";
import { scopeName, scopeRoutes } from "../operator/src/xds/translate/scoped";
import { RouteType, TypeUrl } from "../operator/src/xds/types";
import { buildObjects, routeHost } from "./lib/fixtures";
import { arg } from "./lib/cli";
import { finish, envInfo, loadAverage, median, percentile, round, table, type Metric } from "./lib/report";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function cpuMsOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Status of one GET through Envoy with `host` as the Host header (0 on a socket error). */
function status(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** Virtual host `vh` with one request header more (`x-change: <v>`): the change each repetition makes. */
function changed(vh: VirtualHost, v: number): VirtualHost {
  const header = { key: "x-change", value: String(v), rawValue: Buffer.alloc(0) };
  return {
    ...vh,
    requestHeadersToAdd: [...vh.requestHeadersToAdd, { header, appendAction: 0, keepEmptyValue: false }],
  };
}

/**
 * The node's resources in the scoped layout (the product's, xds/translate/scoped.ts), and a function building the
 * changed scope of virtual host `i` (variant `v`): the layout of the RouteConfiguration holding that one changed host.
 */
function scoped(res: NodeResources): {
  resources: LaidOutResources;
  change(i: number, v: number): [string, Any, string];
} {
  const rcs = res.get(TypeUrl.Route);
  if (!rcs || rcs.size !== 1) throw new Error("expected one RouteConfiguration");
  const [rcName, rcAny] = [...rcs][0]!;
  const rc = unpack(RouteType, rcAny);
  const resources = scopeRoutes(res, undefined, null);
  if (!resources.has(TypeUrl.ScopedRoute)) throw new Error("the fixture does not qualify for the scoped layout");
  return {
    resources,
    change: (i, v) => {
      const vh = rc.virtualHosts[i % rc.virtualHosts.length]!;
      const host = vh.domains[0] ?? "";
      const one = pack(RouteType, { ...rc, virtualHosts: [changed(vh, v)] });
      const laid = scopeRoutes(new Map(res).set(TypeUrl.Route, new Map([[rcName, one]])), undefined, null);
      const name = scopeName(host);
      return [name, laid.get(TypeUrl.ScopedRoute)!.get(name)!, host];
    },
  };
}

/** The inline layout's change of virtual host `i`: the whole RouteConfiguration with one header added. */
function inline(res: NodeResources): {
  resources: LaidOutResources;
  change(i: number, v: number): [string, Any, string];
} {
  const [rcName, rcAny] = [...(res.get(TypeUrl.Route) ?? [])][0]!;
  const rc = unpack(RouteType, rcAny);
  return {
    resources: res,
    change: (i, v) => {
      const vhs = rc.virtualHosts.slice();
      i %= vhs.length;
      const vh = vhs[i]!;
      vhs[i] = changed(vh, v);
      return [rcName, pack(RouteType, { ...rc, virtualHosts: vhs }), vh.domains[0] ?? ""];
    },
  };
}

async function main(): Promise<void> {
  const n = Number(arg("routes") ?? 3000);
  const reps = Number(arg("reps") ?? 10);
  const layout = arg("layout") === "scoped" ? "scoped" : "inline";
  const echo = await startEchoBackend({ name: "bench" });
  const port = await freePort();
  const objects = buildObjects(n, { port, backendAddress: { host: "127.0.0.1", port: echo.port } });
  const ir = translate(snapshotFromObjects(objects), {
    listenAddress: "127.0.0.1",
    backends: { enabled: true, allow: ["Loopback"] },
  }).xdsIr[0];
  if (!ir) throw new Error("no Gateway IR");
  const built = buildNodeResources(ir);
  const l = layout === "scoped" ? scoped(built) : inline(built);
  const typeUrl = layout === "scoped" ? TypeUrl.ScopedRoute : TypeUrl.Route;

  const cache = new XdsCache();
  const server = new XdsServer(cache, { logger: () => undefined });
  const xdsPort = await server.start("127.0.0.1:0");
  server.events$.subscribe((e) => {
    if (e.kind === "nack") process.stderr.write(`NACK ${e.typeUrl}: ${e.error}\n`);
  });
  cache.setNode(ir.name, l.resources);
  const dir = await mkdtemp(join(tmpdir(), "egts-scoped-"));
  const bootstrap = buildBootstrap({ nodeId: ir.name, xdsHost: "127.0.0.1", xdsPort, adminPort: await freePort() });
  await writeFile(join(dir, "bootstrap.json"), JSON.stringify(bootstrap));
  const envoy = spawn(
    findEnvoy(),
    ["-c", join(dir, "bootstrap.json"), "--use-dynamic-base-id", "--concurrency", "1", "--log-level", "warn"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const acks: number[] = [];
  const toSent: number[] = [];
  const cpu: number[] = [];
  try {
    const t0 = performance.now();
    while ((await status(port, routeHost(0))) !== 200) {
      if (performance.now() - t0 > 120_000) {
        throw new Error(`Envoy never served the first host (${await status(port, routeHost(0))})`);
      }
      await sleep(100);
    }
    process.stderr.write(`${layout}: serving after ${round(performance.now() - t0)} ms\n`);
    let res = l.resources;
    for (let rep = -1; rep < reps; rep++) {
      const [name, any, host] = l.change(7 + (rep + 1) * 13, rep + 10);
      const next = new Map(res);
      next.set(typeUrl, new Map(res.get(typeUrl)).set(name, any));
      res = next;
      const events = server.events$.pipe(filter((e) => e.typeUrl === typeUrl));
      const sentP = firstValueFrom(
        events.pipe(
          filter((e) => e.kind === "sent"),
          timeout(30_000),
        ),
      );
      const ackP = firstValueFrom(
        events.pipe(
          filter((e) => e.kind === "ack"),
          timeout(30_000),
        ),
      );
      const c0 = await cpuMsOf(envoy.pid);
      const tSet = performance.now();
      cache.setNode(ir.name, res);
      await sentP;
      const ts = performance.now();
      await ackP;
      const ta = performance.now();
      await sleep(100);
      const c1 = await cpuMsOf(envoy.pid);
      const st = await status(port, host);
      if (st !== 200) throw new Error(`host ${host} answered ${st} after the change`);
      if (rep >= 0) {
        acks.push(ta - ts);
        toSent.push(ts - tSet);
        cpu.push(c1 - c0);
      }
      process.stderr.write(`  rep ${rep}: sent → ACK ${(ta - ts).toFixed(1)} ms, Envoy CPU ${c1 - c0} ms\n`);
      await sleep(200);
    }
  } finally {
    envoy.kill("SIGKILL");
    await server.stop();
    await echo.close();
    await rm(dir, { recursive: true, force: true });
  }
  const bytes = l.change(0, 1)[1].value.length;
  const metrics: Record<string, Metric> = {
    "sent_to_ack_ms.median": { value: round(median(acks)), unit: "ms" },
    "sent_to_ack_ms.p90": { value: round(percentile(acks, 90)), unit: "ms" },
    "envoy_cpu_ms.median": { value: median(cpu), unit: "ms" },
    "set_node_to_sent_ms.median": { value: round(median(toSent)), unit: "ms" },
    change_bytes: { value: bytes, unit: "B" },
  };
  finish(
    {
      name: `scoped-rds-${layout}`,
      finishedAt: new Date().toISOString(),
      env: envInfo(),
      params: { routes: n, reps, layout, load: loadAverage() },
      metrics,
      samples: { sent_to_ack_ms: acks.map((x) => round(x)), envoy_cpu_ms: cpu, set_node_to_sent_ms: toSent },
    },
    [
      table(
        [`${layout}, ${n} routes, one virtual host changed`, "median", "p90"],
        [
          ["setNode → sent (ms; the server alone, no pipeline)", median(toSent), percentile(toSent, 90)],
          ["sent → ACK (ms)", median(acks), percentile(acks, 90)],
          ["Envoy CPU until 100 ms after the ACK (ms, 10 ms ticks)", median(cpu), percentile(cpu, 90)],
          ["bytes of the changed resource", bytes, bytes],
        ],
      ),
    ],
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`scoped-rds bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
