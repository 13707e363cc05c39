/**
 * The file provider never stops and never hangs: hostile or broken files in the folder (alias errors and
 * bombs, deep nesting, FIFOs, devices, huge files, invalid UTF-8, directories, vanished files, invalid
 * names) each become an error naming the file (and line:column where there is one) within the budgets,
 * the watch goes on, and removing the bad file brings snapshots back. Duplicates: the last one wins, with a
 * warning naming both places.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import {
  FILE_LIMITS,
  readDirectory,
  watchDirectory,
  type ProviderEvent,
} from "../../operator/src/provider/file/file-provider";
import { formatInputError } from "../../operator/src/provider/file/parse";

const GATEWAY = (name: string, port: number, ns = "default"): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: ${port}
`;

const ROUTE = (name: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs: [{ name: eg }]
`;

/** Resolves with `p`, or rejects after `ms` (the old provider hung on several of these inputs). */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The error events's messages, formatted `file:line:column: message`. */
function errorsOf(e: ProviderEvent): string[] {
  assert.equal(e.kind, "error", `expected an error event, got ${JSON.stringify(e).slice(0, 300)}`);
  return e.kind === "error" ? e.errors.map(formatInputError) : [];
}

describe("file provider: bad files get an error naming the file and never stop it", function () {
  this.timeout(20_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "egts-file-limits-"));
    writeFileSync(join(dir, "00-gateway.yaml"), GATEWAY("eg", 8080));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (what: string, ms = 5000): Promise<ProviderEvent> => within(ms, what, readDirectory(dir));

  it("an undefined alias is an error at the alias's line and column", async () => {
    writeFileSync(join(dir, "bad.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: *nope\n");
    assert.deepEqual(errorsOf(await read("undefined alias")), [
      `${join(dir, "bad.yaml")}:4:9: undefined alias "*nope"`,
    ]);
  });

  it("an alias bomb (billion laughs) is refused within the alias budget", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    writeFileSync(
      join(dir, "bomb.yaml"),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  ${levels.join("\n  ")}\n`,
    );
    const started = Date.now();
    const errors = errorsOf(await read("alias bomb"));
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /bomb\.yaml:6:\d+: aliases expand more than 100 times/);
  });

  it("10 MiB of '[' is refused at the depth budget quickly, with line and column", async () => {
    writeFileSync(join(dir, "deep.yaml"), "[".repeat(FILE_LIMITS.maxFileBytes - 1));
    const started = Date.now();
    const errors = errorsOf(await read("deep flow nesting", 10_000));
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /deep\.yaml:1:10\d: nesting deeper than 100 levels/);
  });

  it("3,000 nested block mappings are refused at the depth budget, at the line where it is crossed", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i)}k:`);
    writeFileSync(join(dir, "deep.yaml"), lines.join("\n") + " 1\n");
    const errors = errorsOf(await read("deep block nesting"));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /deep\.yaml:10[01]:\d+: nesting deeper than 100 levels/);
  });

  it("a FIFO is refused without blocking", async () => {
    execFileSync("mkfifo", [join(dir, "pipe.yaml")]);
    assert.deepEqual(errorsOf(await read("FIFO", 2000)), [
      `${join(dir, "pipe.yaml")}: is a FIFO, not a regular file; only regular files are read`,
    ]);
  });

  for (const device of ["/dev/zero", "/dev/urandom"]) {
    it(`a symlink to ${device} is refused (a character device), and a symlink to a regular file is read`, async () => {
      symlinkSync(device, join(dir, "dev.yaml"));
      writeFileSync(join(dir, "target.txt"), ROUTE("via-link"));
      symlinkSync(join(dir, "target.txt"), join(dir, "link.yaml"));
      assert.deepEqual(errorsOf(await read(device, 2000)), [
        `${join(dir, "dev.yaml")}: is a character device, not a regular file; only regular files are read`,
      ]);
      unlinkSync(join(dir, "dev.yaml"));
      const ok = await read("after removing the device link");
      assert.equal(ok.kind, "snapshot");
      if (ok.kind === "snapshot")
        assert.deepEqual(
          ok.snapshot.httpRoutes.map((r) => r.metadata.name),
          ["via-link"],
        );
    });
  }

  it("a 50 MB file is refused by its size without being read", async () => {
    writeFileSync(join(dir, "huge.yaml"), "");
    truncateSync(join(dir, "huge.yaml"), 50_000_000);
    assert.deepEqual(errorsOf(await read("50 MB file", 2000)), [
      `${join(dir, "huge.yaml")}: is 50000000 bytes, larger than the limit of 10485760 bytes per file`,
    ]);
  });

  it("invalid UTF-8 is an error at its line and column, not silently replaced", async () => {
    const text = Buffer.concat([
      Buffer.from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: ok\n  b: caf"),
      Buffer.from([0xc3, 0x28]),
      Buffer.from("\n"),
    ]);
    writeFileSync(join(dir, "latin.yaml"), text);
    assert.deepEqual(errorsOf(await read("invalid UTF-8")), [
      `${join(dir, "latin.yaml")}:7:9: not valid UTF-8 (byte 0xc3)`,
    ]);
  });

  it("a directory named x.yaml is an error naming it", async () => {
    mkdirSync(join(dir, "x.yaml"));
    assert.deepEqual(errorsOf(await read("directory")), [
      `${join(dir, "x.yaml")}: is a directory, not a regular file; only regular files are read`,
    ]);
  });

  it("an unreadable file is an error naming it (as root, read without the capabilities that bypass permissions)", async () => {
    writeFileSync(join(dir, "secret.yaml"), ROUTE("secret"));
    chmodSync(join(dir, "secret.yaml"), 0o000);
    let e: ProviderEvent;
    if (process.getuid?.() !== 0) e = await read("unreadable file");
    else {
      // Root reads anything through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: read in a child without them (same
      // uid, so the test folder stays reachable wherever the checkout lives, even under a 0700 parent).
      const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
      assert.ok(setpriv, "needs util-linux setpriv (apt-get install util-linux) to drop root's DAC capabilities");
      const provider = require.resolve("../../operator/src/provider/file/file-provider");
      const script =
        "require(process.argv[1]).readDirectory(process.argv[2]).then((e) => console.log(JSON.stringify(e)))";
      const drop = "-dac_override,-dac_read_search";
      const args = [`--bounding-set=${drop}`, `--inh-caps=${drop}`, process.execPath, "-e", script, provider, dir];
      e = JSON.parse(execFileSync(setpriv, args, { encoding: "utf8", timeout: 10_000 })) as ProviderEvent;
    }
    assert.deepEqual(errorsOf(e), [`${join(dir, "secret.yaml")}: cannot read: EACCES`]);
  });

  it("a file gone between listing and reading (a dangling symlink) is skipped with a warning", async () => {
    symlinkSync(join(dir, "missing"), join(dir, "gone.yaml"));
    const e = await read("vanished file");
    assert.equal(e.kind, "snapshot", JSON.stringify(e));
    if (e.kind !== "snapshot") return;
    assert.deepEqual(
      e.snapshot.gateways.map((g) => g.metadata.name),
      ["eg"],
    );
    assert.deepEqual(e.warnings.map(formatInputError), [
      `${join(dir, "gone.yaml")}: removed while the folder was read; skipped`,
    ]);
  });

  it("a name that is not a DNS-1123 name is an error at the name's line, with control characters escaped", async () => {
    writeFileSync(join(dir, "escape.yaml"), GATEWAY('"../../etc"', 8081));
    writeFileSync(join(dir, "ansi.yaml"), GATEWAY('"\\e[31mred\\nINFO fake"', 8082));
    writeFileSync(join(dir, "ns.yaml"), GATEWAY("ok", 8083, "Bad_NS"));
    const errors = errorsOf(await read("invalid names"));
    assert.equal(errors.length, 3, errors.join("\n"));
    assert.match(errors[0], /ansi\.yaml:4:9: Gateway metadata.name "\\u001b\[31mred\\nINFO fake" is not a valid name/);
    assert.match(errors[1], /escape\.yaml:4:9: Gateway metadata.name "\.\.\/\.\.\/etc" is not a valid name: /);
    assert.match(errors[2], /ns\.yaml:5:14: Gateway metadata.namespace "Bad_NS" is not a valid namespace/);
    for (const e of errors) assert.ok(![...e].some((c) => c.charCodeAt(0) < 0x20), JSON.stringify(e));
  });
});

describe("file provider: duplicates", () => {
  let dir: string;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "egts-file-dups-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the same Gateway in two files: the later file wins, and a warning names both places", async () => {
    writeFileSync(join(dir, "a.yaml"), `${ROUTE("r")}---\n${GATEWAY("eg", 8080)}`);
    writeFileSync(join(dir, "b.yaml"), GATEWAY("eg", 9090));
    const e = await readDirectory(dir);
    assert.equal(e.kind, "snapshot");
    if (e.kind !== "snapshot") return;
    assert.deepEqual(
      e.snapshot.gateways.map((g) => g.spec.listeners[0].port),
      [9090],
    );
    assert.deepEqual(
      e.warnings.map((w) => w.message),
      [
        `Gateway default/eg is defined twice: ${join(dir, "a.yaml")}:9 and ${join(dir, "b.yaml")}:1; using ${join(dir, "b.yaml")}:1`,
      ],
    );
  });

  it("within one file the later document wins; a missing namespace counts as default; other kinds stay apart", async () => {
    const noNs = GATEWAY("eg", 7070).replace("  namespace: default\n", "");
    writeFileSync(
      join(dir, "one.yaml"),
      `${GATEWAY("eg", 8080)}---\n${ROUTE("eg")}---\n${noNs}---\n${GATEWAY("eg", 6060, "other")}`,
    );
    const e = await readDirectory(dir);
    assert.equal(e.kind, "snapshot");
    if (e.kind !== "snapshot") return;
    assert.deepEqual(
      e.snapshot.gateways.map((g) => `${g.metadata.namespace ?? "default"}:${g.spec.listeners[0].port}`).sort(),
      ["default:7070", "other:6060"],
    );
    assert.deepEqual(
      e.snapshot.httpRoutes.map((r) => r.metadata.name),
      ["eg"],
    );
    assert.equal(e.warnings.length, 1);
    assert.match(
      e.warnings[0].message,
      /^Gateway default\/eg is defined twice: .*one\.yaml:1 and .*one\.yaml:21; using .*one\.yaml:21$/,
    );
  });
});

describe("file provider: the watch survives bad files", function () {
  this.timeout(20_000);
  let dir: string;
  let sub: Subscription | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "egts-file-watch-"));
    writeFileSync(join(dir, "00-gateway.yaml"), GATEWAY("eg", 8080));
  });
  afterEach(() => {
    sub?.unsubscribe();
    rmSync(dir, { recursive: true, force: true });
  });

  it("after a FIFO, an alias bomb and a deep file come and go, the next good change is a snapshot", async () => {
    const events: ProviderEvent[] = [];
    sub = watchDirectory(dir, { debounceMs: 20, maxWaitMs: 100 }).subscribe({
      next: (e) => events.push(e),
      error: (err: Error) =>
        events.push({
          kind: "error",
          errors: [{ file: "STREAM", line: 0, column: 0, message: `stream failed: ${err.message}` }],
        }),
    });
    const until = async (what: string, pred: (e: ProviderEvent) => boolean): Promise<ProviderEvent> => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = events.find(pred);
        if (found) {
          events.length = 0;
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no ${what} within 5 s: ${JSON.stringify(events).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until("initial snapshot", (e) => e.kind === "snapshot");
    const bad: [string, () => void, RegExp][] = [
      ["pipe.yaml", () => execFileSync("mkfifo", [join(dir, "pipe.yaml")]), /is a FIFO/],
      [
        "bomb.yaml",
        () =>
          writeFileSync(
            join(dir, "bomb.yaml"),
            "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
          ),
        /aliases expand/,
      ],
      ["deep.yaml", () => writeFileSync(join(dir, "deep.yaml"), "{a: ".repeat(100_000)), /nesting deeper/],
      ["alias.yaml", () => writeFileSync(join(dir, "alias.yaml"), "a: *undefined\n"), /undefined alias/],
    ];
    for (const [name, make, pattern] of bad) {
      make();
      const e = await until(`error for ${name}`, (x) => x.kind === "error");
      const errors = errorsOf(e);
      assert.ok(
        errors.some((m) => m.includes(name) && pattern.test(m)),
        errors.join("\n"),
      );
      unlinkSync(join(dir, name));
      writeFileSync(join(dir, "10-route.yaml"), ROUTE(`after-${name.replace(".yaml", "")}`));
      const back = await until(
        `snapshot after removing ${name}`,
        (x) =>
          x.kind === "snapshot" && x.snapshot.httpRoutes[0]?.metadata.name === `after-${name.replace(".yaml", "")}`,
      );
      assert.equal(back.kind, "snapshot");
    }
  });

  it("the folder removed and created again: an error naming the folder, then snapshots again", async () => {
    const events: ProviderEvent[] = [];
    sub = watchDirectory(dir, { debounceMs: 20, maxWaitMs: 100, rewatchMs: 100 }).subscribe({
      next: (e) => events.push(e),
      error: (err: Error) => assert.fail(err),
    });
    const wait = async (what: string, pred: (e: ProviderEvent) => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!events.some(pred)) {
        if (Date.now() > deadline) throw new Error(`no ${what}: ${JSON.stringify(events).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      events.length = 0;
    };
    await wait("initial snapshot", (e) => e.kind === "snapshot");
    rmSync(dir, { recursive: true, force: true });
    await wait(
      "an error naming the folder",
      (e) => e.kind === "error" && e.errors[0].file === dir && /ENOENT/.test(e.errors[0].message),
    );
    mkdirSync(dir);
    writeFileSync(join(dir, "r.yaml"), ROUTE("back"));
    await wait(
      "snapshot in the new folder",
      (e) => e.kind === "snapshot" && e.snapshot.httpRoutes[0]?.metadata.name === "back",
    );
  });
});
