/**
 * The controller's admin server, Envoy Gateway's (EnvoyGateway `admin`; 127.0.0.1:19000 by default, so only
 * the pod itself, or a port-forward through the API server, reaches it): the JSON API its console and
 * `egctl config envoy-gateway` read — `/api/info` (version, start time, uptime, platform), `/api/server_info`
 * (state, version, uptime, components, the EnvoyGateway configuration), `/api/config_dump[?resource=…]` (the
 * provider resources, config-dump.ts) — and, with `admin.enablePprof`, profiling (profiling.ts). Envoy
 * Gateway's HTML console pages are not served.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ResourceSnapshot } from "../resources/snapshot";
import { CONFIG_DUMP_RESOURCES, configDump, configDumpSummary } from "./config-dump";
import { servePprof } from "./profiling";

/** What the admin server serves. */
export interface AdminServerOptions {
  /** Address to bind. @default 127.0.0.1 */
  readonly host?: string;
  /** Port to bind (0 picks one). @default 19000 */
  readonly port?: number;
  /** `admin.enablePprof`: serve `/debug/pprof/`. @default false */
  readonly enablePprof?: boolean;
  /** The latest provider snapshot, if one arrived. */
  readonly snapshot: () => ResourceSnapshot | undefined;
  /** The GatewayClass controller name (which classes `resource=all` lists). */
  readonly controllerName: string;
  /** The EnvoyGateway configuration as read (shown by `/api/server_info`). */
  readonly envoyGatewayConfig: unknown;
  /** This program's version. */
  readonly version: string;
}

/** The components `/api/server_info` lists: the controller's pipeline stages, running once the server answers. */
const COMPONENTS = [
  ["Provider Service", "Watches the Kubernetes resources and publishes snapshots of them"],
  ["GatewayAPI Translator", "Translates the snapshots into xDS IR and infra IR"],
  ["XDS Translator", "Translates the xDS IR into xDS resources and serves them over delta ADS"],
  ["Infrastructure Manager", "Renders the infra IR into the proxies' Kubernetes objects and applies them"],
] as const;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
}

function uptime(since: number): string {
  const s = Math.floor((Date.now() - since) / 1000);
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m${s % 60}s`;
}

/** The admin server; see the module comment. */
export class AdminServer {
  private server?: Server;
  private readonly started = Date.now();

  constructor(private readonly o: AdminServerOptions) {}

  /** Binds; resolves the bound port. */
  async start(): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.o.port ?? 19000, this.o.host ?? "127.0.0.1", () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening. */
  stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://admin");
    if (req.method !== "GET") {
      res.writeHead(405, { "content-type": "text/plain" }).end("Method not allowed\n");
      return;
    }
    if (this.o.enablePprof && servePprof(req, res, url)) return;
    if (url.pathname === "/api/info") {
      json(res, 200, {
        version: this.o.version,
        startTime: new Date(this.started).toISOString(),
        uptime: uptime(this.started),
        nodeVersion: process.version,
        platform: `${process.platform}/${process.arch}`,
        timestamp: new Date().toISOString(),
      });
    } else if (url.pathname === "/api/server_info") {
      json(res, 200, {
        state: "Running",
        version: this.o.version,
        uptime: uptime(this.started),
        components: COMPONENTS.map(([name, message]) => ({ name, status: "Running", message })),
        envoyGatewayConfig: this.o.envoyGatewayConfig,
        lastUpdated: new Date().toISOString(),
      });
    } else if (url.pathname === "/api/config_dump") {
      this.configDump(url, res);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
    }
  }

  private configDump(url: URL, res: ServerResponse): void {
    const resource = url.searchParams.get("resource") ?? "";
    const snapshot = this.o.snapshot();
    const timestamp = new Date().toISOString();
    if (resource === "") {
      json(res, 200, { ...(snapshot ? configDumpSummary(snapshot) : {}), lastUpdated: timestamp });
      return;
    }
    if (!CONFIG_DUMP_RESOURCES.includes(resource)) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end(`Invalid resource filter. Supported values: ${CONFIG_DUMP_RESOURCES.join(", ")}\n`);
      return;
    }
    if (!snapshot) {
      json(res, 200, { message: "No provider resources available", timestamp });
      return;
    }
    json(res, 200, { ...configDump(snapshot, resource, this.o.controllerName), timestamp });
  }
}
