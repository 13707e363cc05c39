/** Bad input gets a clear error and loses nothing: the previous config keeps serving. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { firstValueFrom, filter } from "rxjs";
import { eventually, httpGet } from "../support/http";
import { backendYaml, routeYaml } from "../support/manifests";
import { EXAMPLES_CONFIG, startBasicGateway, type BasicGateway, type TestGateway } from "../support/standalone";

describe("bad input (real Envoy)", function () {
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;

  before(async function () {
    g = await startBasicGateway({ backend: "good", route: "good", host: "good.example.com" });
    ({ t, port } = g);
  });

  after(async function () {
    await g?.close();
  });

  it("malformed YAML is reported with file and line, and the previous config keeps serving", async function () {
    const errorSeen = firstValueFrom(t.gw.events$.pipe(filter((e) => e.kind === "input-error")));
    await t.write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  name: y\n");
    const e = await errorSeen;
    assert.equal(e.kind, "input-error");
    if (e.kind !== "input-error") return;
    assert.equal(e.errors[0].file, join(t.dir, "broken.yaml"));
    assert.equal(e.errors[0].line, 5, `expected the error on line 5, got ${JSON.stringify(e.errors[0])}`);
    assert.ok(
      t.logs.some((l) => l.includes(`broken.yaml:5:`)),
      "the log names file and line",
    );
    // Meanwhile a change in another file is not applied either (the input as a whole is invalid) …
    await t.write(
      "routes.yaml",
      `${backendYaml("good", g.backend.port)}---\n${routeYaml("good", "renamed.example.com", "good")}`,
    );
    await new Promise((r) => setTimeout(r, 500));
    // … and the last good configuration keeps serving.
    assert.equal((await httpGet(port, "good.example.com")).status, 200);
    assert.equal((await httpGet(port, "renamed.example.com")).status, 404);
    // Fixing the file applies everything.
    await t.remove("broken.yaml");
    await eventually(
      async () => (await httpGet(port, "renamed.example.com")).status === 200,
      5000,
      "the renamed route after the fix",
    );
    await t.write(
      "routes.yaml",
      `${backendYaml("good", g.backend.port)}---\n${routeYaml("good", "good.example.com", "good")}`,
    );
    await eventually(async () => (await httpGet(port, "good.example.com")).status === 200, 5000, "the route restored");
  });

  it("a backendRef to a missing Backend gets ResolvedRefs=False BackendNotFound and its rule answers 500", async function () {
    await t.write("missing.yaml", routeYaml("missing", "missing.example.com", "does-not-exist"));
    await eventually(
      async () => (await httpGet(port, "missing.example.com")).status === 500,
      5000,
      "500 from the invalid rule",
    );
    const status = t.gw.statuses.get("HTTPRoute", "default", "missing")?.status as {
      parents: { conditions: { type: string; status: string; reason: string; message: string }[] }[];
    };
    const resolved = status.parents[0].conditions.find((c) => c.type === "ResolvedRefs");
    assert.equal(resolved?.status, "False");
    assert.equal(resolved?.reason, "BackendNotFound");
    assert.match(resolved?.message ?? "", /Backend default\/does-not-exist not found/);
    // The other route is untouched.
    assert.equal((await httpGet(port, "good.example.com")).status, 200);
  });

  it("`egts translate --to status` shows the same condition offline", async function () {
    const { stdout } = await promisify(execFile)("node", [
      "bin/egts.js",
      "translate",
      "-f",
      t.dir,
      "--to",
      "status",
      "--config-path",
      EXAMPLES_CONFIG, // Backend on and loopback allowed, as the test gateway (TEST_BACKENDS)
    ]);
    assert.match(stdout, /name: missing[\s\S]*type: ResolvedRefs\n\s+status: "False"\n\s+reason: BackendNotFound/);
  });
});
