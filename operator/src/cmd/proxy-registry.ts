/**
 * How `egts config envoy-proxy` and `egts x stats envoy-proxy` find the proxies `egts standalone` runs: each
 * standalone process keeps `<cache>/standalone/<pid>.json` up to date with its proxies' admin addresses (and
 * logs each address once), and removes it when it stops. Readers skip the files of processes that are gone.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { env } from "../config/env";

/** One running proxy: its node id (`namespace/name` of its Gateway, or its GatewayClass) and admin address. */
export interface ProxyEntry {
  /** Envoy node id. */
  readonly node: string;
  /** `host:port` of the admin interface. */
  readonly admin: string;
}

/** The file a standalone process publishes. */
interface RegistryFile {
  readonly pid: number;
  readonly proxies: readonly ProxyEntry[];
}

/** The folder of the registry files. */
export function registryDir(cacheDir = env().cacheDir): string {
  return join(cacheDir, "standalone");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Every proxy of every running standalone process, sorted by node id. */
export function runningProxies(dir = registryDir()): ProxyEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: ProxyEntry[] = [];
  for (const n of names) {
    try {
      const file = JSON.parse(readFileSync(join(dir, n), "utf8")) as RegistryFile;
      if (alive(file.pid)) out.push(...file.proxies);
    } catch {
      // being written or removed
    }
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}

/** Writes (atomically) this process's registry file; an empty list removes it. */
export function publishProxies(proxies: readonly ProxyEntry[], dir = registryDir()): void {
  const file = join(dir, `${process.pid}.json`);
  if (proxies.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, proxies } satisfies RegistryFile));
  renameSync(tmp, file);
}

/** Splits a node id into the namespace and name shown for it (a GatewayClass-wide proxy: no namespace). */
export function nodeParts(node: string): { namespace: string; name: string } {
  const at = node.indexOf("/");
  return at < 0 ? { namespace: "", name: node } : { namespace: node.slice(0, at), name: node.slice(at + 1) };
}
