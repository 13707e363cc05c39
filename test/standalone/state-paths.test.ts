/**
 * Names used in file paths: the host runner writes each proxy's bootstrap and admin-address file into its
 * state folder, named after the Gateway. A name with `../`, `/..`, NUL or thousands of characters (which
 * the file provider already refuses, but the runner does not rely on that) stays inside the state folder,
 * and real Envoy starts from it.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { HostRunner, stateFile } from "../../operator/src/infra/host/host-runner";
import type { ProxyInfraIr } from "../../operator/src/ir/infra-ir";
import { requireEnvoy } from "../support/envoy";

const HOSTILE = ["../../etc/passwd", "/..", "..", "a/../../b", "x\u0000y", "n".repeat(5000), "\u001b[31m\nz"];

describe("host runner: state file names", function () {
  this.timeout(30_000);

  for (const name of HOSTILE) {
    it(`a Gateway named ${JSON.stringify(name.slice(0, 40))} gets a state file inside the state folder`, () => {
      const path = stateFile("/var/lib/egts-state", `default-${name}`, 3, "bootstrap.json");
      assert.equal(dirname(path), "/var/lib/egts-state", path);
      assert.ok(!path.includes("\u0000") && !path.includes("\n"), path);
      assert.ok(path.length < 200, `${path.length} characters`);
      assert.match(path, /-3\.bootstrap\.json$/);
    });
  }

  it("distinct hostile names get distinct files; a plain name keeps its readable form", () => {
    const a = stateFile("/s", "default-a/b", 0, "bootstrap.json");
    const b = stateFile("/s", "default-a_b", 0, "bootstrap.json");
    const c = stateFile("/s", "default-a?b", 0, "bootstrap.json");
    assert.equal(new Set([a, b, c]).size, 3, [a, b, c].join(" "));
    assert.equal(b, "/s/default-a_b-0.bootstrap.json");
  });

  it("real Envoy runs for Gateway ../../x, Gateway ../.. and GatewayClass ../escaped with their files inside the state folder", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "egts-state-paths-"));
    const parent = dirname(stateDir);
    const before = new Set(await readdir(parent));
    const runner = new HostRunner({
      envoyBin: requireEnvoy(),
      xdsHost: "127.0.0.1",
      xdsPort: 1, // nothing listens: Envoy starts and keeps retrying, which is all this test needs
      stateDir,
      envoyOutput: "ignore",
    });
    const ir = (ns: string, gatewayName: string): ProxyInfraIr => ({
      name: `${ns}/${gatewayName}`,
      namespace: ns,
      gatewayName,
      ports: [],
    });
    try {
      const merged: ProxyInfraIr = { ...ir("", ""), name: "../escaped", gatewayClass: "../escaped" };
      const irs = [ir("default", "../../x"), ir("..", "/.."), merged];
      await runner.reconcile(irs);
      for (const { name } of irs) {
        const admin = await runner.adminUrl(name);
        const ready = await fetch(`${admin}/ready`);
        assert.equal(ready.status, 503, `Envoy for ${name} answers its admin API (not ready: no xDS)`);
      }
      const files = await readdir(stateDir);
      assert.equal(files.filter((f) => f.endsWith(".bootstrap.json")).length, 3, files.join(", "));
      assert.equal(files.filter((f) => f.endsWith(".admin-address")).length, 3, files.join(", "));
      for (const f of files) assert.equal(dirname(resolve(stateDir, f)), resolve(stateDir));
      // Other tests write into the same temporary folder: look only for what these names could produce.
      const added = (await readdir(parent)).filter((f) => !before.has(f) && /escaped|bootstrap|admin-address/.test(f));
      assert.deepEqual(added, [], "nothing written next to the state folder");
    } finally {
      await runner.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
