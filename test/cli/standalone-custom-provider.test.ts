/**
 * `egts standalone --config-path` with Envoy Gateway's Custom provider (`provider.custom`): the YAML folder
 * comes from `resource.file.paths`, the proxies' files go to `infrastructure.host.runtimeDir`, no
 * `infrastructure` means no proxies (xDS only), `--config-dir` overrides the paths, and `logging.level`
 * decides what each component logs. Real Envoy, real traffic.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort, httpGet } from "../support/http";

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly port: number;
}

describe("egts standalone with provider.custom (EnvoyGateway configuration)", function () {
  this.timeout(60_000);
  let root: string;
  let run: Run | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "egts-custom-"));
  });
  afterEach(async () => {
    if (run && run.child.exitCode === null) {
      const exited = new Promise((ok) => run?.child.once("exit", ok));
      run.child.kill("SIGTERM");
      await exited;
    }
    run = undefined;
    await rm(root, { recursive: true, force: true });
  });

  /** Writes the quickstart (on free ports) into root/gw and `config` into root/eg.yaml; runs standalone. */
  const start = async (config: (dirs: { gw: string; rt: string }) => string, extra: string[] = []): Promise<Run> => {
    const [port, backendPort, xdsPort] = [await freePort(), await freePort(), await freePort()];
    const gw = join(root, "gw");
    const rt = join(root, "runtime");
    await rm(gw, { recursive: true, force: true });
    await mkdir(gw);
    const yaml = (await readFile("examples/quickstart/quickstart.yaml", "utf8"))
      .replace("port: 8888", `port: ${port}`)
      .replace("port: 3000", `port: ${backendPort}`);
    await writeFile(join(gw, "quickstart.yaml"), yaml);
    await writeFile(
      join(root, "eg.yaml"),
      `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
extensionApis:
  enableBackend: true
  backend: { allow: [Loopback] }
${config({ gw, rt })}`,
    );
    const args = ["bin/egts.js", "standalone", "--config-path", join(root, "eg.yaml"), "--xds-port", String(xdsPort)];
    args.push("--demo-backend", "--demo-backend-port", String(backendPort), ...extra);
    const env: NodeJS.ProcessEnv = { ...process.env, ENVOY_BIN: requireEnvoy() };
    delete env.EGTS_LOG_LEVEL;
    const child = spawn("node", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    return { child, output: () => out, port };
  };

  it("reads its folder from resource.file.paths and runs Envoy (Host) with its files in runtimeDir; logging.level per component", async () => {
    run = await start(
      ({ gw, rt }) => `provider:
  type: Custom
  custom:
    resource: { type: File, file: { paths: [${gw}] } }
    infrastructure: { type: Host, host: { runtimeDir: ${rt} } }
logging:
  level: { default: warn, infrastructure: info }
`,
    );
    const r = run;
    await eventually(
      async () => (await httpGet(r.port, "www.example.com", "/get")).status === 200,
      20_000,
      `the quickstart from provider.custom's folder; output:\n${r.output()}`,
    );
    assert.ok((await readdir(join(root, "runtime"))).length > 0, "the proxies' files are in host.runtimeDir");
    const lines = r.output().split("\n");
    assert.ok(
      lines.some((l) => / INFO .*envoy started .*logger=infrastructure/.test(l)),
      `infrastructure logs at info:\n${r.output()}`,
    );
    const otherInfo = lines.filter((l) => / (DEBUG|INFO) /.test(l) && !/logger=infrastructure/.test(l));
    assert.deepEqual(otherInfo, [], "the other components log at warn (logging.level.default)");
  });

  it("without infrastructure: xDS only, no Envoy; --config-dir overrides resource.file.paths", async () => {
    run = await start(
      () => `provider:
  type: Custom
  custom:
    resource: { type: File, file: { paths: [${join(root, "absent")}] } }
`,
      ["--config-dir", join(root, "gw")],
    );
    const r = run;
    await eventually(
      async () => /standalone gateway running/.test(r.output()),
      20_000,
      `running; output:\n${r.output()}`,
    );
    assert.match(r.output(), /configDir=\S*egts-custom-\S*\/gw /, "--config-dir wins over the paths");
    assert.match(r.output(), /envoy="none \(provider\.custom has no infrastructure\)"/);
    await new Promise((ok) => setTimeout(ok, 1500));
    assert.doesNotMatch(r.output(), /envoy started/, "no infrastructure provider: no proxy");
  });

  it("refuses provider.type Kubernetes (egts controller's) naming the file and line", async () => {
    run = await start(() => "provider: { type: Kubernetes }\n");
    const r = run;
    const code = await new Promise<number | null>((ok) => r.child.once("exit", ok));
    assert.equal(code, 1, r.output());
    assert.match(r.output(), /eg\.yaml:6:19: provider\.type is Kubernetes; egts standalone runs the Custom provider/);
  });
});
