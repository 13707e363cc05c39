/**
 * A Wasm module Envoy fetches but cannot start (the test module without `config`: the SDK's onConfigure traps), fail
 * closed: Envoy loads it asynchronously and answers 503, then refuses every later update of that listener with
 * `Unable to create Wasm plugin <name>` (a NACK no route change explains). egts pins the NACK on the policy's entry
 * by its plugin name: the entry is left out (its route answers 500, Envoy Gateway's fail-closed rule), the policy
 * says why (Accepted=False naming the plugin and Envoy's reason), and the update Envoy refused (a second policy's
 * module on a new route) is served.
 */
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { filter, firstValueFrom } from "rxjs";
import { eepYaml, startPolicyGateway, type PolicyGateway } from "../support/backend-traffic";
import { eventually, freePort, httpGet, type HttpResult } from "../support/http";
import { backendYaml, routeYaml } from "../support/manifests";
import { testWasmModule, TEST_WASM_ROOT_ID } from "../support/wasm-module";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe("EnvoyExtensionPolicy wasm that Envoy cannot start (real Envoy): the NACK is pinned on the policy", function () {
  this.timeout(60_000);
  let g: PolicyGateway | undefined;
  let files: Server | undefined;
  let url = "";
  const gw = (): PolicyGateway => g as PolicyGateway;
  const send = (name: string): Promise<HttpResult> => httpGet(gw().port, gw().host(name), "/");
  const accepted = (name: string): Condition | undefined => {
    const s = gw().t.gw.statuses.get("EnvoyExtensionPolicy", "default", name)?.status as
      { ancestors?: { conditions: Condition[] }[] } | undefined;
    return s?.ancestors?.[0]?.conditions.find((c) => c.type === "Accepted");
  };
  const wasmSpec = (config: string): string =>
    `  wasm:\n    - rootID: ${TEST_WASM_ROOT_ID}\n      code: { type: HTTP, http: { url: "${url}" } }${config}`;

  before(async function () {
    this.timeout(120_000); // the first run of a machine compiles the module
    const module = await testWasmModule();
    files = createServer((_req, res) => res.writeHead(200).end(module.bytes));
    await new Promise<void>((r) => files?.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/plugin.wasm`;
    // No config: the AssemblyScript SDK's onConfigure traps on an empty plugin configuration.
    g = await startPolicyGateway({ broken: wasmSpec("") }, {}, eepYaml, { wasm: { port: await freePort() } });
  });
  after(async () => {
    await g?.close();
    await new Promise((r) => (files ? files.close(r) : r(undefined)));
  });

  it("leaves the entry out (500, Accepted=False naming the plugin) and serves the update Envoy refused", async () => {
    await eventually(async () => (await send("broken")).status === 503, 20_000, "Envoy's fail-closed 503");
    const bisected = firstValueFrom(gw().t.gw.events$.pipe(filter((e) => e.kind === "quarantined")));
    const nack = firstValueFrom(gw().t.gw.server.events$.pipe(filter((e) => e.kind === "nack")));
    // A second module on a new route: the listener changes, which Envoy now refuses.
    await gw().t.write(
      "late.yaml",
      `${routeYaml("late", gw().host("late"), "echo")}---\n${eepYaml("late", wasmSpec('\n      config: "late"'))}`,
    );
    assert.match(
      String((await nack).error),
      /Unable to create Wasm plugin envoyextensionpolicy\/default\/broken\/wasm\/0/,
    );
    const b = await bisected;
    assert.ok(b.kind === "quarantined");
    assert.deepEqual(b.culprits, ["EnvoyExtensionPolicy/default/broken/wasm/0"]);
    await eventually(
      async () => (await send("late")).headers["x-wasm"] === "late",
      10_000,
      "the refused update served",
    );
    assert.equal((await send("broken")).status, 500);
    assert.equal((await send("probe")).status, 200);
    const a = accepted("broken");
    assert.equal(a?.status, "False");
    assert.equal(a?.reason, "Invalid");
    assert.match(
      a?.message ?? "",
      /^Wasm: Envoy could not start the module \(Unable to create Wasm plugin envoyextensionpolicy\/default\/broken\/wasm\/0\); the entry is left out until the policy changes/,
    );
    assert.equal(accepted("late")?.status, "True");
  });

  it("fixed (a config the module accepts), the entry is tried again and runs", async () => {
    const docs = [
      backendYaml("echo", gw().backend.port),
      routeYaml("probe", gw().host("probe"), "echo"),
      routeYaml("broken", gw().host("broken"), "echo"),
      eepYaml("broken", wasmSpec('\n      config: "fixed"')),
    ];
    await gw().t.write("cases.yaml", docs.join("---\n"));
    await eventually(async () => (await send("broken")).headers["x-wasm"] === "fixed", 15_000, "the fixed module");
    assert.equal(accepted("broken")?.status, "True");
  });
});
