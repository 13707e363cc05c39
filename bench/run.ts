/**
 * Runs every bench, each in its own `node --expose-gc` process (so one bench's heap does not skew the
 * next one's memory numbers), in order, without a shell. Extra arguments are names to run, e.g.
 * `node dist/bench/run.js translate`. Exits non-zero when any bench fails.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const BENCHES = ["translate", "build", "propagation", "policies", "side-by-side"] as const;

function main(): number {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(BENCHES as readonly string[]).includes(w));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench ${unknown.join(", ")}; known: ${BENCHES.join(", ")}\n`);
    return 2;
  }
  let failed = 0;
  for (const name of BENCHES) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    process.stdout.write(`\n=== bench: ${name} ===\n`);
    const r = spawnSync(process.execPath, ["--expose-gc", join(__dirname, `${name}.js`)], { stdio: "inherit" });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`bench ${name} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exit(main());
