/**
 * Hostile and careless files in a running standalone gateway (real Envoy): a FIFO, an alias bomb, a link
 * to /dev/zero, 10 MiB of nesting and a Gateway name with terminal escapes each get an error naming the
 * file while the route keeps serving, and once the file is removed the next good change is served. A second
 * `Gateway default/eg` in another file: the later file wins, deterministically, with a warning naming both.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { firstValueFrom, filter, timeout } from "rxjs";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startBasicGateway, startTestGateway, type BasicGateway, type TestGateway } from "../support/standalone";

/** True when a log line holds a C0/C1 control character or DEL. */
function hasControl(s: string): boolean {
  return [...s].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
}

describe("hostile files in a running standalone gateway (real Envoy)", function () {
  this.timeout(60_000);
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;
  /** The host the route serves now (each case moves it). */
  let serving = "good.example.com";

  before(async function () {
    g = await startBasicGateway({ backend: "good", route: "good", host: "good.example.com" });
    ({ t, port } = g);
  });

  after(async function () {
    await g?.close();
  });

  const cases: [string, string, (file: string) => Promise<void>, RegExp][] = [
    ["a FIFO", "pipe.yaml", async (f) => void execFileSync("mkfifo", [f]), /pipe\.yaml: is a FIFO/],
    [
      "an alias bomb",
      "bomb.yaml",
      (f) =>
        t.write(
          f.slice(t.dir.length + 1),
          "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
        ),
      /bomb\.yaml:\d+:\d+: aliases expand more than 100 times/,
    ],
    ["a link to /dev/zero", "zero.yaml", (f) => symlink("/dev/zero", f), /zero\.yaml: is a character device/],
    [
      "10 MiB of nesting",
      "deep.yaml",
      (f) => t.write(f.slice(t.dir.length + 1), "[".repeat(10 * 1024 * 1024 - 1)),
      /deep\.yaml:1:\d+: nesting deeper than 100 levels/,
    ],
  ];

  for (const [what, name, make, pattern] of cases) {
    it(`${what}: an error naming the file, the route keeps serving, and after removal the next change is served`, async function () {
      const errorSeen = firstValueFrom(
        t.gw.events$.pipe(
          filter((e) => e.kind === "input-error"),
          timeout(5000),
        ),
      );
      await make(join(t.dir, name));
      const e = await errorSeen;
      assert.equal(e.kind, "input-error");
      assert.ok(
        t.logs.some((l) => pattern.test(l)),
        `a log line matching ${pattern}:\n${t.logs.slice(-5).join("\n")}`,
      );
      assert.equal((await httpGet(port, serving)).status, 200, "the last good config keeps serving");
      await t.remove(name);
      const host = `after-${name.replace(".yaml", "")}.example.com`;
      await t.write("routes.yaml", `${backendYaml("good", g.backend.port)}---\n${routeYaml("good", host, "good")}`);
      await eventually(async () => (await httpGet(port, host)).status === 200, 5000, `the route for ${host}`);
      serving = host;
    });
  }

  it("a Gateway name with an ANSI escape and a newline: one escaped log line naming file and line", async function () {
    const errorSeen = firstValueFrom(
      t.gw.events$.pipe(
        filter((e) => e.kind === "input-error"),
        timeout(5000),
      ),
    );
    const before = t.logs.length;
    await t.write(
      "evil.yaml",
      gatewayYaml(await freePort()).replace(
        "name: eg, namespace",
        'name: "\\e[31meg\\n2026-01-01T00:00:00Z INFO forged", namespace',
      ),
    );
    await errorSeen;
    const lines = t.logs.slice(before);
    for (const l of lines) assert.ok(!hasControl(l), `a raw control character in ${JSON.stringify(l)}`);
    const line = lines.find((l) => l.includes("evil.yaml"));
    assert.ok(line, lines.join("\n"));
    assert.match(
      line,
      /evil\.yaml:\d+:\d+: Gateway metadata\.name "\\u001b\[31meg\\n2026-01-01T00:00:00Z INFO forged" is not a valid name/,
    );
    assert.equal(lines.filter((l) => l.includes("forged")).length, 1, lines.join("\n"));
    assert.equal((await httpGet(port, serving)).status, 200);
    await t.remove("evil.yaml");
  });
});

describe("a Gateway defined twice in standalone (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: EchoBackend | undefined;

  after(async function () {
    await t?.close();
    await backend?.close();
  });

  it("the later file's Gateway wins deterministically, its listener answers, and a warning names both places", async function () {
    backend = await startEchoBackend({ name: "dup" });
    const [first, second] = [await freePort(), await freePort()];
    // The first definition's listener is named differently, so only one of them can be served.
    const gatewayA = gatewayWithListenersYaml(`    - { name: first, protocol: HTTP, port: ${first} }`);
    const gatewayB = gatewayWithListenersYaml(`    - { name: second, protocol: HTTP, port: ${second} }`).replace(
      /^[\s\S]*?---\n/,
      "",
    );
    t = await startTestGateway({
      "a-gateway.yaml": gatewayA,
      "b-gateway.yaml": gatewayB,
      "routes.yaml": `${backendYaml("dup", backend.port)}---\n${routeYaml("dup", "dup.example.com", "dup")}`,
    });
    await eventually(async () => (await httpGet(second, "dup.example.com")).status === 200, 15_000, "the winner");
    assert.equal((await httpGet(first, "dup.example.com")).status, 0, "the overridden listener is not served");
    const a = join(t.dir, "a-gateway.yaml");
    const b = join(t.dir, "b-gateway.yaml");
    const warning = `Gateway default/eg is defined twice: ${a}:6 and ${b}:1; using ${b}:1`;
    assert.ok(
      t.logs.some((l) => l.includes("WARN") && l.includes(warning)),
      `expected the warning "${warning}" in:\n${t.logs.join("\n")}`,
    );
    // A later pass does not repeat it; an unrelated change keeps the same winner.
    const warned = t.logs.filter((l) => l.includes("defined twice")).length;
    await t.write(
      "routes.yaml",
      `${backendYaml("dup", backend.port)}---\n${routeYaml("dup", "dup2.example.com", "dup")}`,
    );
    await eventually(async () => (await httpGet(second, "dup2.example.com")).status === 200, 5000, "the change");
    assert.equal(t.logs.filter((l) => l.includes("defined twice")).length, warned);
    // Removing the winner makes the first definition the only one: its listener is served.
    await t.remove("b-gateway.yaml");
    await eventually(async () => (await httpGet(first, "dup2.example.com")).status === 200, 10_000, "the first one");
  });
});
