/**
 * `egts standalone` with `rateLimit` in its EnvoyGateway configuration, as a user runs it: the CLI starts the
 * real rate limit service (envoyproxy/ratelimit) on a port below the kernel's ephemeral range (so no `port: 0`
 * socket, such as Envoy's admin, can take it before the service binds), points the proxy's ratelimit cluster at
 * it, and a BackendTrafficPolicy global limit of 2 per hour answers 429 on the third request (real Envoy,
 * real Redis). On SIGTERM the service stops with the gateway.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireEnvoy } from "../support/envoy";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, httpRouteYaml } from "../support/manifests";
import { ratelimitBinary, startRedis } from "../support/ratelimit";
import { startEchoBackend } from "../../operator/src/demo/echo-backend";
import { alive } from "../support/process";

describe("egts standalone CLI with rateLimit (real Envoy, ratelimit service, Redis)", function () {
  this.timeout(90_000);

  it("starts the rate limit service on a non-ephemeral port; a global limit of 2 answers 429 on the 3rd request", async () => {
    const envoy = requireEnvoy();
    ratelimitBinary(); // fails naming the install step when the service is not built
    const redis = await startRedis();
    const echo = await startEchoBackend({ name: "echo" });
    const [port, xdsPort] = [await freePort(), await freePort()];
    const dir = await mkdtemp(join(tmpdir(), "egts-cli-rl-"));
    const config = join(dir, "envoy-gateway.yaml");
    const resources = join(dir, "resources");
    await writeFile(
      config,
      `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
extensionApis: { enableBackend: true, backend: { allow: [Loopback] } }
rateLimit:
  backend: { type: Redis, redis: { url: ${redis.url} } }
`,
    );
    await mkdir(resources);
    await writeFile(
      join(resources, "gateway.yaml"),
      [
        gatewayYaml(port),
        httpRouteYaml(
          "limited",
          "limited.example.com",
          `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]`,
        ),
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: echo, namespace: default }
spec: { endpoints: [{ ip: { address: 127.0.0.1, port: ${echo.port} } }] }`,
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: limit, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: limited }]
  rateLimit: { type: Global, global: { rules: [{ limit: { requests: 2, unit: Hour } }] } }`,
      ].join("\n---\n"),
    );
    const child = spawn(
      "node",
      ["bin/egts.js", "standalone", "--config-dir", resources, "--config-path", config, "--xds-port", String(xdsPort)],
      { env: { ...process.env, ENVOY_BIN: envoy }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await eventually(async () => /rate limit service running/.test(out), 20_000, "the rate limit service's log line");
      const grpcPort = Number(/rate limit service running grpc=127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      assert.ok(grpcPort >= 20_000 && grpcPort < 32_768, `the service's port is below the ephemeral range: ${out}`);
      await eventually(
        async () => (await httpGet(port, "limited.example.com", "/")).status === 429,
        30_000,
        "the limit enforced",
      );
      // The count lives in Redis, and the limit holds.
      assert.ok(redis.cli(["--scan"]).trim() !== "", "Redis holds the counter");
      assert.equal((await httpGet(port, "limited.example.com", "/")).status, 429);
      const pid = Number(/rate limit service running .*pid=(\d+)/.exec(out)?.[1]);
      assert.ok(pid > 0 && alive(pid), `the service's pid in the log: ${out}`);
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      assert.equal(await exited, 0, out);
      assert.equal(alive(pid), false, `rate limit service ${pid} still runs after SIGTERM`);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await echo.close();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
