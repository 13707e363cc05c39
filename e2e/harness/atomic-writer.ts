/**
 * The kubelet's atomic writer layout for ConfigMap and Secret volumes, which programs watching a mounted
 * Secret rely on (Envoy's SDS `watched_directory` reloads when `..data` is moved into the folder):
 *
 *     ..2026_12_03_21_50_00.123456789/   the data, one timestamped folder per version
 *     ..data -> ..2026_12_03_21_50_00.123456789
 *     tls.crt -> ..data/tls.crt           one symlink per key
 *
 * An update writes a new timestamped folder, points a temporary `..data_tmp` symlink at it and renames that
 * over `..data` (one atomic step: a reader sees the old files or the new ones, never a mix), then adds the
 * symlinks of new keys, removes those of deleted keys and the old data folder.
 */
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

const DATA = "..data";
const DATA_TMP = "..data_tmp";

/** The name of a new data folder: `..` + the UTC time to the nanosecond (as the kubelet names them). */
function versionName(now: Date, seq: number): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const date = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${date}_${time}.${p(now.getUTCMilliseconds(), 3)}${p(seq % 1_000_000, 6)}`;
}

let sequence = 0;

/** The data folder `..data` points at now, or undefined before the first write. */
function currentVersion(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, DATA));
  } catch {
    return undefined;
  }
}

/** A file's content, with its own mode (a volume item's `mode`). */
export interface VolumeFile {
  readonly content: Buffer | string;
  readonly mode: number;
}

/**
 * Writes `files` (path → content) into the volume folder `dir` with the atomic writer layout; the first call
 * creates it, later calls swap `..data`. A path is a key, or a volume item's `path` (which may have folders:
 * the top folder is then the symlink through `..data`, as the kubelet does). `mode` applies to the files
 * given without their own.
 */
export function writeAtomicVolume(
  dir: string,
  files: Readonly<Record<string, Buffer | string | VolumeFile>>,
  mode = 0o644,
): void {
  mkdirSync(dir, { recursive: true });
  const old = currentVersion(dir);
  const version = versionName(new Date(), ++sequence);
  mkdirSync(join(dir, version), { mode: 0o755 });
  for (const [path, file] of Object.entries(files)) {
    const target = join(dir, version, path);
    if (path.split("/").some((p) => p === ".." || p === "") || path.startsWith("..")) {
      throw new Error(`volume path ${JSON.stringify(path)} must be relative, without '..' elements`);
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const own = typeof file === "object" && !Buffer.isBuffer(file) ? file : { content: file, mode };
    writeFileSync(target, own.content, { mode: own.mode });
    chmodSync(target, own.mode);
  }
  rmSync(join(dir, DATA_TMP), { force: true });
  symlinkSync(version, join(dir, DATA_TMP));
  renameSync(join(dir, DATA_TMP), join(dir, DATA));
  const keys = new Set(Object.keys(files).map((p) => p.split("/")[0] ?? p));
  for (const name of readdirSync(dir)) {
    if (name.startsWith("..") || keys.has(name)) continue;
    rmSync(join(dir, name), { force: true }); // a key the object no longer has
  }
  const present = new Set(readdirSync(dir));
  for (const key of keys) if (!present.has(key)) symlinkSync(join(DATA, key), join(dir, key));
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
}
