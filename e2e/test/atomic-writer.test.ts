/** The simulated kubelet's volume layout (no cluster needed): what Envoy's SDS `watched_directory` relies on. */
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAtomicVolume } from "../harness/atomic-writer";

describe("kubelet atomic writer layout (simulated kubelet volumes)", () => {
  let dir: string;
  beforeEach(() => (dir = join(mkdtempSync(join(tmpdir(), "atomic-writer-")), "vol")));
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  it("writes a timestamped data folder, ..data pointing at it, and each key as a symlink through ..data", () => {
    writeAtomicVolume(dir, { "tls.crt": "one", "ca.crt": Buffer.from("ca") });
    const data = readlinkSync(join(dir, "..data"));
    assert.match(data, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$/);
    assert.equal(readlinkSync(join(dir, "tls.crt")), "..data/tls.crt");
    assert.ok(lstatSync(join(dir, "ca.crt")).isSymbolicLink());
    assert.equal(readFileSync(join(dir, "tls.crt"), "utf8"), "one");
    assert.deepEqual(readdirSync(dir).sort(), ["..data", data, "ca.crt", "tls.crt"].sort());
  });

  it("swaps ..data to a new folder on update, drops the old folder and the symlinks of removed keys", () => {
    writeAtomicVolume(dir, { "tls.crt": "one", "old.key": "x" });
    const first = readlinkSync(join(dir, "..data"));
    writeAtomicVolume(dir, { "tls.crt": "two", "new.key": "y" });
    const second = readlinkSync(join(dir, "..data"));
    assert.notEqual(second, first);
    assert.equal(readFileSync(join(dir, "tls.crt"), "utf8"), "two");
    assert.equal(readFileSync(join(dir, "new.key"), "utf8"), "y");
    assert.deepEqual(readdirSync(dir).sort(), ["..data", second, "new.key", "tls.crt"].sort());
  });
});
