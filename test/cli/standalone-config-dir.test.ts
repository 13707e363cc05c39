/**
 * `egts standalone --config-dir` with a path that is no usable folder (missing, a file, unreadable): the
 * command exits non-zero at once with a message naming the path, instead of logging an error and running on.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireEnvoy } from "../support/envoy";
import { freePort } from "../support/http";

/** How long the command may take to give up (it should be well under a second). */
const EXIT_WITHIN_MS = 10_000;

/**
 * Runs `egts standalone --config-dir dir`; as root, for the unreadable case, without the capabilities
 * that bypass file permissions (util-linux setpriv), so the permission bits count.
 */
async function runStandalone(dir: string, dropDac: boolean): Promise<{ code: number | null; output: string }> {
  const args = ["bin/egts.js", "standalone", "--config-dir", dir, "--xds-port", String(await freePort())];
  let cmd = process.execPath;
  if (dropDac && process.getuid?.() === 0) {
    const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
    assert.ok(setpriv, "needs util-linux setpriv (apt-get install util-linux) to drop root's DAC capabilities");
    const drop = "-dac_override,-dac_read_search";
    args.unshift(`--bounding-set=${drop}`, `--inh-caps=${drop}`, process.execPath);
    cmd = setpriv;
  }
  const child = spawn(cmd, args, {
    env: { ...process.env, ENVOY_BIN: requireEnvoy() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const timer = new Promise<"running">((r) => setTimeout(() => r("running"), EXIT_WITHIN_MS));
  const code = await Promise.race([exited, timer]);
  if (code === "running") {
    child.kill("SIGKILL");
    await exited;
    assert.fail(`egts standalone still runs ${EXIT_WITHIN_MS} ms after starting on ${dir}; output:\n${output}`);
  }
  return { code, output };
}

describe("egts standalone --config-dir that is no usable folder", function () {
  this.timeout(30_000);
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "egts-config-dir-"));
  });

  afterEach(() => {
    chmodSync(root, 0o700);
    if (existsSync(join(root, "locked"))) chmodSync(join(root, "locked"), 0o700);
    rmSync(root, { recursive: true, force: true });
  });

  it("a missing folder: exits 1 naming the path", async () => {
    const dir = join(root, "missing");
    const { code, output } = await runStandalone(dir, false);
    assert.equal(code, 1, output);
    assert.equal(output, `Error: --config-dir ${JSON.stringify(dir)}: no such directory\n`);
  });

  it("a path that is a file: exits 1 naming the path", async () => {
    const file = join(root, "gateway.yaml");
    writeFileSync(file, "kind: Gateway\n");
    const { code, output } = await runStandalone(file, false);
    assert.equal(code, 1, output);
    assert.equal(
      output,
      `Error: --config-dir ${JSON.stringify(file)}: is not a directory (give the folder holding the YAML files)\n`,
    );
  });

  it("an unreadable folder: exits 1 naming the path and EACCES", async () => {
    const dir = join(root, "locked");
    mkdirSync(dir);
    chmodSync(dir, 0o000);
    const { code, output } = await runStandalone(dir, true);
    assert.equal(code, 1, output);
    assert.equal(
      output,
      `Error: --config-dir ${JSON.stringify(dir)}: cannot be read: EACCES (the folder needs read and search permission)\n`,
    );
  });
});
