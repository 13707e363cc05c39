/**
 * An HTTP/3 client for the traffic tests: one GET over QUIC made by aioquic (test/support/h3-get.py), from the
 * pip folder `scripts/install-aioquic.sh` fills in the egts cache.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../operator/src/config/env";
import { repoRoot } from "./golden";

/** The aioquic release installed by scripts/install-aioquic.sh (keep both in step). */
export const AIOQUIC_VERSION = "1.7.2";

/** An HTTP/3 answer. */
export interface H3Result {
  readonly status: number;
  /** Response headers and trailers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body's bytes, in hex. */
  readonly bodyHex: string;
  /** The ALPN protocol QUIC negotiated. */
  readonly alpn: string;
}

/** An HTTP/3 request beyond a plain GET. */
export interface H3Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

/** The aioquic pip folder; throws naming the install step when it is missing. */
export function aioquicDir(): string {
  const dir = join(loadEnv().cacheDir, `aioquic-${AIOQUIC_VERSION}`);
  if (!existsSync(join(dir, `aioquic-${AIOQUIC_VERSION}.dist-info`))) {
    throw new Error(`aioquic ${AIOQUIC_VERSION} not found in ${dir}: run \`bash scripts/install-aioquic.sh\``);
  }
  return dir;
}

/** GET `path` over HTTP/3 from 127.0.0.1:`port` (UDP) with SNI and :authority `servername`, trusting `ca`. */
export function h3Get(port: number, servername: string, ca: string, path = "/"): Promise<H3Result> {
  return h3Request(port, servername, ca, { method: "GET", path });
}

/** `req` over HTTP/3 from 127.0.0.1:`port` (UDP) with SNI and :authority `servername`, trusting `ca`. */
export function h3Request(port: number, servername: string, ca: string, req: H3Request): Promise<H3Result> {
  const pythonPath = aioquicDir();
  const dir = mkdtempSync(join(tmpdir(), "egts-h3-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, ca);
  const script = join(repoRoot(), "test", "support", "h3-get.py");
  const headers = Object.entries(req.headers ?? {}).map(([k, v]) => `${k}=${v}`);
  const args = [script, "127.0.0.1", String(port), servername, req.path, caFile];
  args.push(req.method, (req.body ?? Buffer.alloc(0)).toString("hex"), ...headers);
  return new Promise<H3Result>((resolve, reject) => {
    execFile(
      "python3",
      args,
      { env: { ...process.env, PYTHONPATH: pythonPath }, timeout: 10_000 },
      (err, out, errOut) => {
        rmSync(dir, { recursive: true, force: true });
        if (err) return reject(new Error(`HTTP/3 ${req.method} failed: ${errOut.trim() || err.message}`));
        resolve(JSON.parse(out) as H3Result);
      },
    );
  });
}
