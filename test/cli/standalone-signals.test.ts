/**
 * `egts standalone` always exits on SIGTERM, in bounded time, leaving no Envoy behind, at the awkward
 * moments: with a FIFO in the folder at startup, while the first pass is still reading a large folder, and
 * with its Envoy hung (SIGSTOP). Run as a user runs it: `node bin/egts.js standalone` (after the build).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { alive } from "../support/process";

/** The bound within which `egts standalone` must have exited after SIGTERM. */
const EXIT_WITHIN_MS = 5000;

/** Every descendant of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp !== p || out.includes(child)) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly xdsPort: number;
  /** Resolves with the exit code (null when killed by a signal) and how long after `since` it came. */
  exit(since: number): Promise<{ code: number | null; signal: string | null; ms: number }>;
}

function run(dir: string, xdsPort: number): Run {
  const child = spawn("node", ["bin/egts.js", "standalone", "--config-dir", dir, "--xds-port", String(xdsPort)], {
    env: { ...process.env, ENVOY_BIN: requireEnvoy() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal, at: Date.now() })),
  );
  return {
    child,
    output: () => out,
    xdsPort,
    async exit(since) {
      const timeout = new Promise<{ code: null; signal: string; at: number }>((r) =>
        setTimeout(() => r({ code: null, signal: "still running", at: Date.now() }), 15_000).unref(),
      );
      const e = await Promise.race([exited, timeout]);
      return { code: e.code, signal: e.signal, ms: e.at - since };
    },
  };
}

describe("egts standalone exits on SIGTERM at awkward moments (real Envoy)", function () {
  this.timeout(60_000);
  let dir: string;
  let r: Run | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "egts-signals-"));
  });

  afterEach(async () => {
    if (r)
      for (const pid of [...descendants(r.child.pid ?? -1), r.child.pid ?? -1])
        if (alive(pid)) process.kill(pid, "SIGKILL");
    r = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("with a FIFO in the folder at startup: the FIFO is an error, and SIGTERM exits cleanly", async () => {
    await writeFile(join(dir, "gateway.yaml"), gatewayYaml(await freePort()));
    execFileSync("mkfifo", [join(dir, "pipe.yaml")]);
    r = run(dir, await freePort());
    const run1 = r;
    await eventually(async () => /pipe\.yaml: is a FIFO/.test(run1.output()), 10_000, "the FIFO reported").catch(
      (err: Error) => assert.fail(`${err.message}\n${run1.output()}`),
    );
    const sent = Date.now();
    r.child.kill("SIGTERM");
    const e = await r.exit(sent);
    assert.deepEqual([e.code, e.signal], [0, null], r.output());
    assert.ok(e.ms < EXIT_WITHIN_MS, `exited after ${e.ms} ms`);
    process.stdout.write(`      (exited ${e.ms} ms after SIGTERM)\n`);
    assert.match(r.output(), /received SIGTERM, stopping/);
  });

  it("during startup, while the first pass reads a large folder: exits cleanly within the bound", async () => {
    await writeFile(join(dir, "00-gateway.yaml"), gatewayYaml(await freePort()));
    // About 1 MiB of routes per file: the first pass takes seconds on this machine.
    const doc = `${backendYaml("b", 9)}---\n`;
    for (let f = 0; f < 12; f++) {
      const routes = Array.from(
        { length: 2500 },
        (_, i) => `${routeYaml(`r${f}-${i}`, `h${f}-${i}.example.com`, "b")}---\n`,
      );
      await writeFile(join(dir, `10-routes-${f}.yaml`), doc + routes.join(""));
    }
    r = run(dir, await freePort());
    const run2 = r;
    // The xDS server listens before the first pass starts.
    await eventually(() => listening(run2.xdsPort), 10_000, "the xDS port");
    assert.doesNotMatch(r.output(), /standalone gateway running/, "the first pass should still be running");
    const sent = Date.now();
    r.child.kill("SIGTERM");
    const e = await r.exit(sent);
    assert.deepEqual([e.code, e.signal], [0, null], r.output());
    assert.ok(e.ms < EXIT_WITHIN_MS, `exited after ${e.ms} ms`);
    process.stdout.write(`      (exited ${e.ms} ms after SIGTERM)\n`);
    assert.deepEqual(descendants(r.child.pid ?? -1).filter(alive), [], "no process left behind");
  });

  it("with its Envoy hung (SIGSTOP): exits within the bound and the Envoy is gone", async () => {
    await writeFile(join(dir, "gateway.yaml"), gatewayYaml(await freePort()));
    r = run(dir, await freePort());
    const run3 = r;
    await eventually(async () => /standalone gateway running/.test(run3.output()), 15_000, "startup");
    const envoyPid = Number(/envoy started gateway=default\/eg pid=(\d+)/.exec(r.output())?.[1]);
    assert.ok(envoyPid > 0 && alive(envoyPid), r.output());
    assert.ok(descendants(r.child.pid ?? -1).includes(envoyPid), "Envoy is a child of egts");
    process.kill(envoyPid, "SIGSTOP");
    const sent = Date.now();
    r.child.kill("SIGTERM");
    const e = await r.exit(sent);
    assert.deepEqual([e.code, e.signal], [0, null], r.output());
    // A hung Envoy gets 1 s after SIGTERM before SIGKILL (it was 3 s, plus 2 s for the xDS server).
    assert.ok(e.ms < 2500, `exited after ${e.ms} ms`);
    process.stdout.write(`      (exited ${e.ms} ms after SIGTERM)\n`);
    await eventually(async () => !alive(envoyPid), 2000, "the Envoy process gone");
  });
});
