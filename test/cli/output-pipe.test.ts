/**
 * Every `egts` command flushes its output before it exits: `egts translate … | less` (a slow reader on a
 * pipe) gets every byte, and `egts translate … | head` (a reader that closes early) ends quietly.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readInputs, renderTranslation } from "../../operator/src/cmd/translate";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";

/** A folder whose `egts translate --to all` output is several MiB: a Gateway and `routes` HTTPRoutes. */
async function bigInput(routes: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "egts-pipe-"));
  const docs = [gatewayYaml(8080), backendYaml("b", 3000)];
  for (let i = 0; i < routes; i++) {
    docs.push(
      routeYaml(`r${i}`, `host-${i}.example.com`, "b", { responseHeader: ["x-route", `r${i}-${"x".repeat(2000)}`] }),
    );
  }
  await writeFile(join(dir, "all.yaml"), docs.join("---\n"));
  return dir;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `egts translate -f dir --to all` with stdout on a pipe that the reader drains slowly (one chunk, then
 * a 5 ms pause, until end of file), or closes after `closeAfter` bytes. What arrives before end of file is
 * all the command wrote: a command that exits with writes still queued ends the file early.
 */
async function runTranslatePiped(dir: string, opts: { closeAfter?: number } = {}): Promise<Run> {
  const child = spawn("node", ["bin/egts.js", "translate", "-f", dir, "--to", "all"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    received += chunk.length;
    if (opts.closeAfter !== undefined && received >= opts.closeAfter) {
      child.stdout.destroy();
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { ...(await exited), stdout: Buffer.concat(chunks), stderr };
}

describe("egts CLI output on a pipe", function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await bigInput(200);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("a slow reader gets every byte of a multi-MiB `egts translate` output, then exit 0", async () => {
    const { objects } = await readInputs([dir]);
    const expected = renderTranslation(
      translate(snapshotFromObjects(objects), { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" }),
      "all",
    );
    assert.ok(expected.length > 1024 * 1024, `the test's output is ${expected.length} bytes, want > 1 MiB`);
    const run = await runTranslatePiped(dir);
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    assert.equal(run.stdout.length, Buffer.byteLength(expected), "bytes received on the pipe");
    assert.ok(run.stdout.toString() === expected, "the output on the pipe differs from the translation");
  });

  it("a reader that closes early (`| head`) ends it quietly: exit 0, no stack trace", async () => {
    const run = await runTranslatePiped(dir, { closeAfter: 1 });
    assert.equal(run.stderr, "", "stderr");
    assert.equal(run.signal, null);
    assert.equal(run.code, 0);
  });
});
