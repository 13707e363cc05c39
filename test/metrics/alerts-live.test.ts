/**
 * The chart's five alerts evaluated by a real Prometheus (scripts/install-prometheus.sh) that scrapes a running
 * controller's /metrics every second, with the rules rendered from the chart (helm template) with short `for`
 * durations and windows and small limits. Each alert's condition is caused for real, and the alert fires and
 * then clears as Prometheus's /api/v1/alerts reports it:
 * - HighMemory, HighCPU, PodNotReady on a standalone pipeline in this process: worker threads hold 300 MB more
 *   than the memory limit leaves room for, or spin on two cores; a translator fault (the pipeline's test-only
 *   hook) fails a pass so /readyz answers 503;
 * - Down and CrashLooping on `egts standalone --metrics-port` child processes on the same port: SIGKILLed, and
 *   restarted until three new process start times fall in the window.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { repoRoot } from "../support/golden";
import { eventually, freePort } from "../support/http";
import { gatewayYaml, routeYaml } from "../support/manifests";
import {
  prometheusBinary,
  renderPrometheusRule,
  rulesFileOf,
  startPrometheus,
  type ActiveAlert,
  type TestPrometheus,
} from "../support/prometheus-server";
import { startTestGateway, type TestGateway } from "../support/standalone";

const MB = 1024 * 1024;
const JOB = 'job="envoy-gateway"';

/** A worker thread running `code` (CommonJS), resolved once it posts its first message. */
async function worker(code: string): Promise<Worker> {
  const w = new Worker(code, { eval: true });
  await new Promise((resolve, reject) => w.once("message", resolve).once("error", reject));
  return w;
}

describe("the chart's alerts against a real Prometheus scraping a running controller", function () {
  this.timeout(120_000);
  let prom: TestPrometheus;
  let metricsPort: number;
  let gw: TestGateway | undefined;
  let fault: string | undefined;
  let memoryLimit: number;
  let root: string;
  let child: { process: ChildProcess; output: () => string } | undefined;

  before(async function () {
    prometheusBinary("prometheus");
    metricsPort = await freePort();
    root = await mkdtemp(join(tmpdir(), "egts-alerts-"));
    gw = await startTestGateway(
      { "gateway.yaml": gatewayYaml(await freePort()) },
      {
        withEnvoy: false,
        metrics: { port: metricsPort },
        beforeTranslate: () => {
          if (fault !== undefined) throw new Error(fault);
        },
      },
    );
    // 90% of the limit is 150 MB above this process's memory now; the memory test holds 300 MB more.
    memoryLimit = Math.round((process.memoryUsage.rss() + 150 * MB) / 0.9);
    const rules = renderPrometheusRule({
      "prometheusRule.down.for": "2s",
      "prometheusRule.crashLooping.restarts": 3,
      "prometheusRule.crashLooping.window": "30s",
      "prometheusRule.crashLooping.for": "0s",
      "prometheusRule.highMemory.limit": memoryLimit,
      "prometheusRule.highMemory.for": "2s",
      "prometheusRule.highCPU.limit": "100m",
      "prometheusRule.highCPU.window": "4s",
      "prometheusRule.highCPU.for": "2s",
      "prometheusRule.podNotReady.for": "3s",
    });
    prom = await startPrometheus({
      targets: [{ job: "envoy-gateway", port: metricsPort }],
      rules: rulesFileOf(rules),
      intervalSeconds: 1,
    });
  });

  after(async function () {
    if (child?.process.exitCode === null) child.process.kill("SIGKILL");
    await gw?.close();
    await prom?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const active = async (name: string): Promise<ActiveAlert | undefined> =>
    (await prom.alerts()).find((a) => a.labels.alertname === name);
  /** Waits for `name` to fire; returns it. */
  const fires = async (name: string, timeoutMs = 20_000): Promise<ActiveAlert> => {
    let alert: ActiveAlert | undefined;
    await eventually(
      async () => (alert = await active(name))?.state === "firing",
      timeoutMs,
      `${name} firing (alerts: ${JSON.stringify(await prom.alerts().catch(() => []))})`,
      250,
    );
    assert.ok(alert);
    return alert;
  };
  /** Waits for `name` to be neither pending nor firing. */
  const clears = (name: string, timeoutMs = 20_000): Promise<number> =>
    eventually(async () => (await active(name)) === undefined, timeoutMs, `${name} cleared`, 250);

  it("fires nothing while the controller is up, ready and idle", async () => {
    await eventually(async () => (await prom.query(`up{${JOB}}`)) === 1, 20_000, "the controller scraped", 250);
    assert.equal(await prom.query(`egts_ready{${JOB}}`), 1);
    await eventually(async () => (await prom.alerts()).length === 0, 20_000, "no alert active", 250);
  });

  it("EnvoyGatewayHighMemory fires while the process holds more than 90% of the memory limit, and clears", async () => {
    const held = await worker(
      `const b = Buffer.alloc(${300 * MB}, 1); require("node:worker_threads").parentPort.postMessage("held");` +
        `setInterval(() => b[0]++, 1000);`,
    );
    let alert: ActiveAlert;
    try {
      alert = await fires("EnvoyGatewayHighMemory");
    } finally {
      await held.terminate();
    }
    assert.ok(Number(alert.value) > 0.9, `value ${alert.value}`);
    assert.equal(alert.labels.severity, "warning");
    assert.match(alert.annotations.description, new RegExp(`memory limit of ${memoryLimit}\\.$`));
    await clears("EnvoyGatewayHighMemory");
  });

  it("EnvoyGatewayHighCPU fires while the process spins above 80% of 100m, and clears", async () => {
    const spin = `require("node:worker_threads").parentPort.postMessage("spinning"); for (;;) {}`;
    const spinning = await Promise.all([worker(spin), worker(spin)]);
    let alert: ActiveAlert;
    try {
      alert = await fires("EnvoyGatewayHighCPU");
    } finally {
      await Promise.all(spinning.map((w) => w.terminate()));
    }
    assert.ok(Number(alert.value) > 0.8, `value ${alert.value}`);
    await clears("EnvoyGatewayHighCPU");
  });

  it("EnvoyGatewayPodNotReady fires while /readyz answers 503 (a failed pass), and clears after a good pass", async () => {
    const t = gw;
    assert.ok(t);
    fault = "injected translator bug";
    await t.write("one.yaml", routeYaml("one", "one.example.com", "web"));
    await eventually(async () => (await prom.query(`egts_ready{${JOB}}`)) === 0, 10_000, "egts_ready 0", 250);
    const alert = await fires("EnvoyGatewayPodNotReady");
    assert.equal(alert.labels.instance, `127.0.0.1:${metricsPort}`);
    fault = undefined;
    await t.write("two.yaml", routeYaml("two", "two.example.com", "web"));
    await clears("EnvoyGatewayPodNotReady");
  });

  /** Starts `egts standalone --metrics-port` on the port (xDS only: no proxies); waits until Prometheus scraped it. */
  const startChild = async (): Promise<void> => {
    const before = await prom.query(`process_start_time_seconds{${JOB}}`);
    const dir = join(root, "config");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "gateway.yaml"), gatewayYaml(await freePort()));
    await writeFile(join(root, "eg.yaml"), egYaml(dir));
    const args = ["bin/egts.js", "standalone", "--config-path", join(root, "eg.yaml"), "--config-dir", dir];
    args.push("--xds-port", String(await freePort()), "--metrics-port", String(metricsPort));
    const p = spawn("node", args, { cwd: repoRoot(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    child = { process: p, output: () => out };
    await eventually(
      async () => {
        if (p.exitCode !== null) throw new Error(`egts standalone exited ${p.exitCode}:\n${out}`);
        const started = await prom.query(`process_start_time_seconds{${JOB}}`);
        return started !== undefined && started !== before && (await prom.query(`up{${JOB}}`)) === 1;
      },
      30_000,
      "Prometheus scraping the new controller process",
      250,
    );
  };
  const kill = async (): Promise<void> => {
    const p = child?.process;
    assert.ok(p && p.exitCode === null, "a controller process runs");
    const exited = new Promise((resolve) => p.once("exit", resolve));
    p.kill("SIGKILL");
    await exited;
  };

  it("EnvoyGatewayDown fires when the controller is killed, and clears when it is back", async () => {
    await gw?.close();
    gw = undefined;
    await startChild(); // a new process start time on the target (1)
    await clears("EnvoyGatewayDown"); // the gap between the two processes may have made it pending
    await kill();
    const down = await fires("EnvoyGatewayDown");
    assert.deepEqual(down.labels, { alertname: "EnvoyGatewayDown", severity: "critical" });
    await startChild(); // (2)
    await clears("EnvoyGatewayDown");
    assert.equal(await active("EnvoyGatewayCrashLooping"), undefined, "two restarts are not a crash loop");
  });

  it("EnvoyGatewayCrashLooping fires on the third restart within the window, and clears after it", async () => {
    await kill();
    await startChild(); // (3)
    const alert = await fires("EnvoyGatewayCrashLooping", 10_000);
    assert.equal(Number(alert.value), 3);
    assert.match(alert.annotations.description, /restarted 3 times in 30s\.$/);
    await clears("EnvoyGatewayCrashLooping", 35_000);
    assert.equal(await prom.query(`up{${JOB}}`), 1, "the last process still runs");
  });
});

/** EnvoyGateway configuration of the child: the file provider on `dir`, no infrastructure (xDS only). */
function egYaml(dir: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
provider:
  type: Custom
  custom:
    resource: { type: File, file: { paths: [${dir}] } }
`;
}
