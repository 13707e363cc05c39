/**
 * A real OCI registry for the Wasm image tests: the CNCF distribution registry (`registry serve`), built by
 * `bash scripts/install-registry.sh` (a missing binary fails the test with that step), on a free loopback port
 * with throwaway storage; and a push of a Wasm module as an image through the plain registry HTTP API (blob
 * uploads, then the manifest), so the test depends on no other client.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { loadEnv } from "../../operator/src/config/env";
import { htpasswdFile } from "./htpasswd";
import { freePort } from "./http";

/** Also pinned in scripts/install-registry.sh: change both together. */
const REGISTRY_VERSION = "v3.1.2";

/** The registry binary; throws naming the install step when it is missing. */
export function registryBinary(cacheDir = loadEnv().cacheDir): string {
  const bin = join(cacheDir, `registry-${REGISTRY_VERSION}`, "bin", "registry");
  if (!existsSync(bin))
    throw new Error(`the OCI registry is not installed at ${bin}: run \`bash scripts/install-registry.sh\``);
  return bin;
}

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the host part of image references. */
  readonly host: string;
  /** The Authorization header of its user (a registry with htpasswd auth); absent: anonymous. */
  readonly authorization?: string;
  /** Stops it and removes its storage. */
  stop(): Promise<void>;
}

/**
 * Starts a registry on a free loopback port; resolves once `GET /v2/` answers (200, or 401 with `user`: a registry
 * that wants that user's password, from a bcrypt users file made by the real `htpasswd`).
 */
export async function startRegistry(user?: { name: string; password: string }): Promise<TestRegistry> {
  const bin = registryBinary();
  const dir = await mkdtemp(join(tmpdir(), "egts-registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  let auth = "";
  if (user) {
    await writeFile(join(dir, "htpasswd"), htpasswdFile([{ user: user.name, password: user.password, hash: "-B" }]));
    auth = `auth: { htpasswd: { realm: egts-test, path: ${join(dir, "htpasswd")} } }`;
  }
  await writeFile(
    config,
    [
      "version: 0.1",
      "log: { level: warn }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      auth,
      "",
    ].join("\n"),
  );
  const authorization = user ? `Basic ${Buffer.from(`${user.name}:${user.password}`).toString("base64")}` : undefined;
  const child: ChildProcess = spawn(bin, ["serve", config], { stdio: "ignore" });
  const host = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === (user ? 401 : 200),
      () => false,
    );
    if (up) return { host, stop, ...(authorization ? { authorization } : {}) };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the registry did not serve http://${host}/v2/ within 15 s (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Media types of the image variants Envoy Gateway reads. */
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const WASM_CONFIG = "application/vnd.module.wasm.config.v1+json";
const WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";
const TAR_GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

/** Where to push an image, and in which of Envoy Gateway's layouts. */
export interface PushTarget {
  /** Repository, e.g. `egts/plugin`. */
  readonly repository: string;
  /** Tag. */
  readonly tag: string;
  /** `artifact`: a Wasm content layer (the "oci" variant); `compat`: `plugin.wasm` in a tar+gzip layer. @default artifact */
  readonly variant?: "artifact" | "compat";
}

/** Pushes `module` to `registry` as a Wasm image; resolves to the manifest's hex sha256 (the image digest). */
export async function pushWasmImage(registry: TestRegistry, target: PushTarget, module: Buffer): Promise<string> {
  const variant = target.variant ?? "artifact";
  const base = `http://${registry.host}/v2/${target.repository}`;
  const auth: Record<string, string> = registry.authorization ? { authorization: registry.authorization } : {};
  const config = Buffer.from(variant === "artifact" ? "{}" : JSON.stringify({ architecture: "wasm", os: "wasip1" }));
  const layer = variant === "artifact" ? module : gzipTar("plugin.wasm", module);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: variant === "artifact" ? WASM_CONFIG : OCI_CONFIG, ...(await pushBlob(base, config, auth)) },
      layers: [
        { mediaType: variant === "artifact" ? WASM_LAYER : TAR_GZIP_LAYER, ...(await pushBlob(base, layer, auth)) },
      ],
    }),
  );
  const r = await fetch(`${base}/manifests/${target.tag}`, {
    method: "PUT",
    headers: { ...auth, "content-type": OCI_MANIFEST },
    body: manifest,
  });
  if (r.status !== 201) throw new Error(`manifest push: ${r.status} ${await r.text()}`);
  return sha256(manifest);
}

/** Uploads a blob (monolithic: POST then PUT with the digest); resolves to its descriptor fields. */
async function pushBlob(
  base: string,
  blob: Buffer,
  auth: Record<string, string>,
): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${sha256(blob)}`;
  const start = await fetch(`${base}/blobs/uploads/`, { method: "POST", headers: auth });
  const location = start.headers.get("location");
  if (start.status !== 202 || !location) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const url = new URL(location, base);
  url.searchParams.set("digest", digest);
  const put = await fetch(url, {
    method: "PUT",
    headers: { ...auth, "content-type": "application/octet-stream" },
    body: blob,
  });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return { digest, size: blob.length };
}

/** A gzipped ustar archive holding one file. */
export function gzipTar(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, "utf8");
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148); // checksum field counts as spaces while summing
  header.write("0", 156);
  header.write("ustar\0" + "00", 257);
  const sum = header.reduce((a, b) => a + b, 0);
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return gzipSync(Buffer.concat([header, data, pad, Buffer.alloc(1024)]));
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}
