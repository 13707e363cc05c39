/**
 * The Node.js counterparts of Envoy Gateway's pprof endpoints (`admin.enablePprof`), under the same paths:
 * `/debug/pprof/profile?seconds=N` records a V8 CPU profile for N seconds (default 30, as pprof; at most 300)
 * through the inspector and answers it as a `.cpuprofile` (JSON: Chrome DevTools, `speedscope`, VS Code open
 * it); `/debug/pprof/heap` answers a V8 heap snapshot (`.heapsnapshot`); `/debug/pprof/cmdline` the command
 * line, NUL-separated; `/debug/pprof/` lists them. Go's goroutine/trace/symbol profiles have no counterpart.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Session } from "node:inspector/promises";
import { getHeapSnapshot } from "node:v8";

/** The longest CPU profile one request may ask for, in seconds. */
export const MAX_PROFILE_SECONDS = 300;

/** Records a CPU profile of this process for `ms` milliseconds; resolves the profile (JSON-serializable). */
export async function cpuProfile(ms: number): Promise<unknown> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    await new Promise((resolve) => setTimeout(resolve, ms));
    const { profile } = await session.post("Profiler.stop");
    return profile;
  } finally {
    session.disconnect();
  }
}

const INDEX =
  "/debug/pprof/ profiles of this egts process (Node.js):\n" +
  "  profile?seconds=N  V8 CPU profile for N seconds (default 30), .cpuprofile JSON\n" +
  "  heap               V8 heap snapshot, .heapsnapshot JSON\n" +
  "  cmdline            the command line, NUL-separated\n";

/** Serves a `/debug/pprof/…` request; returns false for other paths. */
export function servePprof(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (!url.pathname.startsWith("/debug/pprof/")) return false;
  const what = url.pathname.slice("/debug/pprof/".length);
  if (what === "") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(INDEX);
  } else if (what === "cmdline") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(process.argv.join("\0"));
  } else if (what === "heap") {
    res.writeHead(200, {
      "content-type": "application/json",
      "content-disposition": 'attachment; filename="heap.heapsnapshot"',
    });
    getHeapSnapshot().pipe(res);
  } else if (what === "profile") {
    void serveProfile(url, res);
  } else {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`unknown profile ${what}\n${INDEX}`);
  }
  void req;
  return true;
}

async function serveProfile(url: URL, res: ServerResponse): Promise<void> {
  const raw = url.searchParams.get("seconds") ?? "30";
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || seconds <= 0 || seconds > MAX_PROFILE_SECONDS) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end(`seconds=${raw}: want a number of seconds in (0, ${MAX_PROFILE_SECONDS}]\n`);
    return;
  }
  try {
    const profile = await cpuProfile(seconds * 1000);
    res.writeHead(200, {
      "content-type": "application/json",
      "content-disposition": 'attachment; filename="profile.cpuprofile"',
    });
    res.end(JSON.stringify(profile));
  } catch (err) {
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`${(err as Error).message}\n`);
  }
}
