/**
 * The `egts` command line follows egctl's conventions: every command answers -h/--help on stdout with exit 0,
 * mistakes go to stderr as `Error: …` with exit 1 (egctl exits 1 for every error, a usage mistake included),
 * and `egts --help`, `egts version` and `egts --version` start in well under half a second because only the
 * command that runs is loaded.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ROOT } from "../../operator/src/cmd/commands";
import type { Command } from "../../operator/src/cmd/cli/command";
import { egts } from "../support/egts-cli";
import { repoRoot } from "../support/golden";

/** Every command path under the root, e.g. ["config", "envoy-proxy", "all"]. */
function paths(cmd: Command, prefix: string[] = []): string[][] {
  return (cmd.subcommands ?? []).flatMap((c) => [[...prefix, c.name], ...paths(c, [...prefix, c.name])]);
}

/** The fastest of `runs` runs of `egts ...args`, in ms. */
function fastest(args: readonly string[], runs = 3): number {
  return Math.min(...Array.from({ length: runs }, () => egts(args).ms));
}

describe("egts CLI: help, errors and exit codes as egctl's", function () {
  this.timeout(60_000);

  it("`egts --help`, `egts help` and `egts` alone print the command list on stdout, exit 0", () => {
    for (const args of [["--help"], ["-h"], ["help"], []]) {
      const r = egts(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, /^Usage:\n {2}egts \[command\]$/m);
      for (const c of ROOT.subcommands ?? []) assert.match(r.stdout, new RegExp(`^ {2}${c.name} +\\S`, "m"));
    }
  });

  it("every command, nested ones included, answers -h and --help with its usage and flags on stdout", () => {
    const all = paths(ROOT);
    assert.ok(all.length >= 18, `commands: ${all.map((p) => p.join(" ")).join(", ")}`);
    for (const path of all) {
      const r = egts([...path, path.length % 2 === 0 ? "-h" : "--help"]);
      assert.equal(r.code, 0, `${path.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr, "", path.join(" "));
      assert.match(r.stdout, /^Usage:$/m, path.join(" "));
      assert.match(r.stdout, /^ {2}-h, --help +help for /m, path.join(" "));
    }
  });

  it("aliases reach the same command: x = experimental, c proxy l = config envoy-proxy listener, versions = version", () => {
    assert.equal(egts(["x", "translate", "-h"]).stdout, egts(["experimental", "translate", "--help"]).stdout);
    assert.equal(egts(["c", "proxy", "l", "-h"]).stdout, egts(["config", "envoy-proxy", "listener", "-h"]).stdout);
    assert.equal(egts(["versions", "-o", "json"]).stdout, egts(["version", "--output=json"]).stdout);
  });

  it("an unknown command or flag, or a missing argument: `Error: …` on stderr, nothing on stdout, exit 1", () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /^Error: unknown command "frobnicate" for "egts"\nRun 'egts --help' for usage\.\n$/],
      [["x", "frob"], /^Error: unknown command "frob" for "egts experimental"/],
      [["x", "translate", "--frob"], /^Error: unknown flag: --frob\n/],
      [["x", "status", "-Z"], /^Error: unknown shorthand flag: 'Z' in -Z\n/],
      [["x", "translate", "-f"], /^Error: flag needs an argument: 'f' in -f\n/],
      [["x", "translate"], /^Error: --file must be specified\n/],
      [["x", "status"], /^Error: invalid args: must specify a resource type\n/],
      [["x", "status", "gateway", "extra"], /^Error: unknown args: extra\n/],
      [["version", "--remote=maybe"], /^Error: invalid argument "maybe" for "remote" flag/],
    ];
    for (const [args, stderr] of cases) {
      const r = egts(args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, "", args.join(" "));
      assert.match(r.stderr, stderr, args.join(" "));
    }
  });

  it("a failing command (not a usage mistake) also exits 1 with `Error: …` on stderr", () => {
    const r = egts(["x", "translate", "-f", "/nonexistent/input.yaml"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^Error: .*nonexistent/);
  });

  it("`egts version` prints YAML (or JSON with -o json); --remote=false only the client version; --version too", () => {
    const yaml = egts(["version"]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^client: 0\.1\.0\nenvoy: \d+\.\d+\.\d+\ncontrollerName: gateway\.envoyproxy\.io\//);
    const json = JSON.parse(egts(["version", "-o", "json"]).stdout) as Record<string, string>;
    assert.equal(json.client, "0.1.0");
    assert.equal(egts(["version", "--remote=false"]).stdout, "0.1.0\n");
    assert.equal(egts(["--version"]).stdout, "egts version 0.1.0\n");
    const bad = egts(["version", "-o", "xml"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid output format "xml"/);
  });

  it("`egts version --remote` asks the cluster: with no reachable cluster it fails with exit 1 naming the failure", () => {
    const r = egts(["version", "--remote", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: .*kubeconfig/);
  });
});

describe("egts CLI: lazy loading", function () {
  this.timeout(60_000);

  it("`egts --help` and `egts version` load none of the controller, translator, Kubernetes client or cdk8s", () => {
    const script = `
      const { main } = require("./dist/operator/src/cmd/egts.js");
      const out = process.stdout.write.bind(process.stdout);
      process.stdout.write = () => true;
      (async () => {
        await main(["--help"]);
        await main(["version"]);
        process.stdout.write = out;
        process.stdout.write(JSON.stringify(Object.keys(require.cache)));
      })();`;
    const r = spawnSync("node", ["-e", script], { cwd: repoRoot(), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const loaded = JSON.parse(r.stdout) as string[];
    for (const heavy of [
      "/pipeline/",
      "/translate/translate.js",
      "/provider/kubernetes/",
      "node_modules/cdk8s",
      "@grpc",
    ]) {
      assert.ok(
        !loaded.some((f) => f.includes(heavy)),
        `${heavy} loaded: ${loaded.filter((f) => f.includes(heavy)).join(", ")}`,
      );
    }
    const ours = loaded.filter((f) => f.includes("/dist/operator/"));
    assert.ok(ours.length <= 15, `${ours.length} egts modules loaded: ${ours.join(", ")}`);
  });

  it("`egts --help`, `egts version` and `egts --version` each finish in well under 500 ms (fastest of 3)", () => {
    for (const args of [["--help"], ["version"], ["--version"]]) {
      const ms = fastest(args);
      assert.ok(ms < 500, `egts ${args.join(" ")}: ${ms.toFixed(0)} ms`);
    }
  });
});
