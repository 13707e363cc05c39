/**
 * `egts controller` refuses to serve plaintext xDS on a non-loopback address: anyone reaching it would get
 * every Gateway's configuration and TLS keys. `--insecure-xds` (or a loopback address, or mTLS) lets it go on.
 * The same holds for the rate limit service's xDS and the Wasm module server.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A kubeconfig pointing at a closed port: the controller gets past its flags, then fails to reach the API. */
function deadKubeconfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), "egts-kc-")), "kubeconfig");
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
  );
  return file;
}

function controller(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync("node", ["bin/egts.js", "controller", "--kubeconfig", deadKubeconfig(), ...args], {
    encoding: "utf8",
    timeout: 8000,
    env: { ...process.env, EGTS_LOG_LEVEL: "error" },
  });
  return { status: r.status, stderr: r.stderr };
}

describe("egts controller: plaintext xDS only on loopback", () => {
  it("refuses plaintext xDS on 0.0.0.0 without --insecure-xds, naming the flag", () => {
    const r = controller(["--xds-listen", "0.0.0.0:0"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to serve plaintext xDS on 0\.0\.0\.0:0/);
    assert.match(r.stderr, /--insecure-xds/);
  });

  it("refuses it on [::] too", () => {
    const r = controller(["--xds-listen", "[::]:0"]);
    assert.match(r.stderr, /refusing to serve plaintext xDS/);
  });

  it("goes on with --insecure-xds, or on 127.0.0.1", () => {
    for (const args of [
      ["--xds-listen", "0.0.0.0:0", "--insecure-xds"],
      ["--xds-listen", "127.0.0.1:0"],
    ]) {
      const r = controller(args);
      assert.doesNotMatch(r.stderr, /refusing to serve plaintext xDS/, args.join(" "));
    }
  });
});

describe("egts controller: the rate limit service's xDS (with rateLimit) only on loopback without mTLS", () => {
  const config = (): string => {
    const file = join(mkdtempSync(join(tmpdir(), "egts-eg-")), "envoy-gateway.yaml");
    writeFileSync(
      file,
      "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\nprovider: { type: Kubernetes }\n" +
        "rateLimit: { backend: { type: Redis, redis: { url: redis:6379 } } }\n",
    );
    return file;
  };

  it("refuses plaintext on its default 0.0.0.0:18001, naming the flag", () => {
    const r = controller(["--xds-listen", "127.0.0.1:0", "--config-path", config()]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to serve the rate limit configuration in plaintext on 0\.0\.0\.0:18001/);
    assert.match(r.stderr, /--ratelimit-xds-listen/);
  });

  it("goes on with --ratelimit-xds-listen on loopback", () => {
    const args = ["--xds-listen", "127.0.0.1:0", "--ratelimit-xds-listen", "127.0.0.1:0", "--config-path", config()];
    assert.doesNotMatch(controller(args).stderr, /refusing to serve/);
  });
});

describe("egts controller: the Wasm module server only on loopback without mTLS", () => {
  it("refuses a plaintext --wasm-listen on 0.0.0.0, naming the flag; by default it follows --xds-listen", () => {
    const r = controller(["--xds-listen", "127.0.0.1:0", "--wasm-listen", "0.0.0.0:18002"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to serve Wasm modules in plaintext on 0\.0\.0\.0:18002/);
    assert.match(r.stderr, /--wasm-listen/);
    assert.doesNotMatch(controller(["--xds-listen", "127.0.0.1:0"]).stderr, /refusing to serve/);
  });
});

describe("egts controller --metrics-port", () => {
  it("refuses a value that is not a port, naming the flag and the value", () => {
    for (const value of ["70000", "0", "x19001", "19001.5"]) {
      const r = controller(["--xds-listen", "127.0.0.1:0", "--metrics-port", value]);
      assert.equal(r.status, 1, value);
      assert.match(r.stderr, new RegExp(`--metrics-port "${value.replace(".", "\\.")}" is not a port number`));
    }
  });
});
