/**
 * `egts standalone` as a user runs it (the README's quickstart command, on free ports): it serves the
 * quickstart through real Envoy, and on SIGTERM or SIGINT it stops and leaves no Envoy process behind.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort, httpGet } from "../support/http";
import { alive } from "../support/process";

async function runQuickstart(): Promise<{ child: ChildProcess; output: () => string; port: number; dir: string }> {
  const envoy = requireEnvoy();
  const [port, backendPort, xdsPort] = [await freePort(), await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), "egts-cli-"));
  const yaml = (await readFile("examples/quickstart/quickstart.yaml", "utf8"))
    .replace("port: 8888", `port: ${port}`)
    .replace("port: 3000", `port: ${backendPort}`);
  await writeFile(join(dir, "quickstart.yaml"), yaml);
  const args = [
    "bin/egts.js",
    "standalone",
    "--config-dir",
    dir,
    "--config-path",
    "examples/envoy-gateway.yaml",
    "--xds-port",
    String(xdsPort),
    "--demo-backend",
    "--demo-backend-port",
    String(backendPort),
  ];
  const child = spawn("node", args, { env: { ...process.env, ENVOY_BIN: envoy }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, port, dir };
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  describe(`egts standalone CLI (real Envoy), stopped with ${signal}`, function () {
    it(`serves the quickstart and leaves no Envoy behind after ${signal}`, async function () {
      const { child, output, port, dir } = await runQuickstart();
      try {
        await eventually(
          async () => (await httpGet(port, "www.example.com", "/get")).status === 200,
          20_000,
          "the quickstart through the CLI",
        );
        const body = JSON.parse((await httpGet(port, "www.example.com", "/get")).body) as { backend: string };
        assert.equal(body.backend, "demo-backend");
        const pid = Number(/envoy started gateway=default\/eg pid=(\d+)/.exec(output())?.[1]);
        assert.ok(pid > 0 && alive(pid), `Envoy pid in the log: ${output()}`);
        const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
        child.kill(signal);
        assert.equal(await exited, 0, output());
        assert.equal(alive(pid), false, `Envoy ${pid} still runs after ${signal}`);
        assert.match(output(), new RegExp(`received ${signal}, stopping`));
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
