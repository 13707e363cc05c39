/**
 * `npm run fuzz [-- --seed N] [--seconds S] [--only schema|mutations]`: long fuzzing runs of the translator
 * (default: a random seed, 300 s per arbitrary). Prints the seed first; on failure, fast-check's report
 * (seed, path, the shrunk counterexample) and the counterexample's objects as YAML, ready to become a
 * regression row in test/translate/object-isolation.test.ts. Exits 1 on failure.
 */
import { parseArgs } from "node:util";
import * as fc from "fast-check";
import { mutatedGoldens, schemaObjects } from "./arbitraries";
import { asYaml, checkTranslation } from "./property";

function main(): number {
  const { values } = parseArgs({
    options: { seed: { type: "string" }, seconds: { type: "string" }, only: { type: "string" } },
  });
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const ms = Number(values.seconds ?? "300") * 1000;
  console.log(`fuzz seed ${seed} (repeat with: npm run fuzz -- --seed ${seed})`);
  const suites: [string, fc.Arbitrary<unknown[]>][] = [
    ["schema", schemaObjects()],
    ["mutations", mutatedGoldens().map((c) => c.objects)],
  ];
  let failed = false;
  for (const [name, arbitrary] of suites.filter(([n]) => values.only === undefined || values.only === n)) {
    let runs = 0;
    let last: unknown[] = [];
    const details = fc.check(
      fc.property(arbitrary, (objects) => {
        runs++;
        last = objects;
        checkTranslation(objects);
      }),
      { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: ms, markInterruptAsFailure: false },
    );
    if (!details.failed) {
      console.log(`${name}: ${runs} runs, no failure`);
      continue;
    }
    failed = true;
    const counterexample = (details.counterexample?.[0] as unknown[] | undefined) ?? last;
    console.log(`${name}: FAILED after ${runs} runs\n${fc.defaultReportMessage(details)}`);
    console.log(`cause: ${String(details.errorInstance)}`);
    console.log(`counterexample as YAML:\n---\n${asYaml(counterexample)}`);
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
