/** `egts translate` applies the file provider's duplicate rule: the last definition wins, with a warning. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gatewayWithListenersYaml } from "../support/manifests";

describe("egts translate: duplicates", function () {
  this.timeout(20_000);

  it("prints a warning naming both places and translates the later definition", async () => {
    const dir = await mkdtemp(join(tmpdir(), "egts-translate-dups-"));
    try {
      await writeFile(
        join(dir, "a.yaml"),
        gatewayWithListenersYaml("    - { name: first, protocol: HTTP, port: 8081 }"),
      );
      await writeFile(
        join(dir, "b.yaml"),
        gatewayWithListenersYaml("    - { name: second, protocol: HTTP, port: 8082 }").replace(/^[\s\S]*?---\n/, ""),
      );
      const { stdout, stderr } = await promisify(execFile)("node", [
        "bin/egts.js",
        "translate",
        "-f",
        dir,
        "--to",
        "ir",
      ]);
      const a = join(dir, "a.yaml");
      const b = join(dir, "b.yaml");
      assert.equal(stderr, `warning: ${a}:6:1: Gateway default/eg is defined twice: ${a}:6 and ${b}:1; using ${b}:1\n`);
      assert.match(stdout, /port: 8082/);
      assert.doesNotMatch(stdout, /port: 8081/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
