/**
 * An HTTP backend whose answers a test scripts per request: header `x-script` lists what each attempt of the
 * request (same `x-attempt-key`) gets, comma-separated: a status code (`503`), or `sleep<ms>` then 200
 * (`sleep2000`). Attempts past the list get the last entry. It counts the attempts of every key, so a test sees
 * how many times Envoy tried.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running scripted backend. */
export interface ScriptedBackend {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Attempts received for an `x-attempt-key`. */
  attempts(key: string): number;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts a scripted backend on a free port of 127.0.0.1. */
export async function startScriptedBackend(): Promise<ScriptedBackend> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const key = String(req.headers["x-attempt-key"] ?? "");
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const script = String(req.headers["x-script"] ?? "200").split(",");
    const step = script[Math.min(n, script.length) - 1].trim();
    req.resume();
    const answer = (status: number): void => {
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "text/plain", "x-attempt": String(n) });
      res.end(`attempt ${n}: ${status}\n`);
    };
    const sleep = /^sleep(\d+)$/.exec(step);
    if (sleep) setTimeout(() => answer(200), Number(sleep[1]));
    else answer(Number(step) || 200);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    attempts: (key) => counts.get(key) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
