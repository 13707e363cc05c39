/**
 * Translator fuzzing in `npm test`: a fixed seed and a fixed number of runs per arbitrary, so a commit that
 * passes on one machine passes on every machine (a time budget made a faster CI machine reach inputs a local run
 * never tried); the time limit only guards a much slower machine. `npm run fuzz` does long runs with any seed.
 * Objects generated from the CRD schemas, and mutated golden inputs.
 */
import * as fc from "fast-check";
import { mutatedGoldens, schemaObjects } from "./arbitraries";
import { checkTranslation } from "./property";

/** Seed of the runs in `npm test`. */
const SEED = 20261203;
/** Runs of each property. */
const RUNS = 10_000;
/** Guard against a much slower machine, in ms: the runs stop there (a subset of what passed elsewhere). */
const BUDGET_MS = 40_000;

describe("translator fuzzing (fast-check, fixed seed, fixed runs)", function () {
  this.timeout(BUDGET_MS * 3);

  it("schema-generated Gateway API and Envoy Gateway objects: translate never throws, IR validates, xDS builds", () => {
    const stats = { runs: 0 };
    fc.assert(
      fc.property(schemaObjects(), (objects) => {
        stats.runs++;
        checkTranslation(objects);
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
    if (stats.runs < 50) throw new Error(`only ${stats.runs} runs within the budget`);
  });

  it("mutated golden inputs (a field of another type, an extreme number, removed): same property", () => {
    const stats = { runs: 0 };
    fc.assert(
      fc.property(mutatedGoldens(), ({ objects }) => {
        stats.runs++;
        checkTranslation(objects);
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
    if (stats.runs < 50) throw new Error(`only ${stats.runs} runs within the budget`);
  });
});
