/**
 * Translator fuzzing in `npm test`: a fixed seed and a time budget per arbitrary (see `npm run fuzz` for
 * long runs with any seed). Objects generated from the CRD schemas, and mutated golden inputs.
 */
import * as fc from "fast-check";
import { mutatedGoldens, schemaObjects } from "./arbitraries";
import { checkTranslation } from "./property";

/** Seed of the runs in `npm test`. */
const SEED = 20261203;
/** Time budget of each property, in ms. */
const BUDGET_MS = 12_000;

describe("translator fuzzing (fast-check, fixed seed, time budget)", function () {
  this.timeout(BUDGET_MS * 3);

  it("schema-generated Gateway API and Envoy Gateway objects: translate never throws, IR validates, xDS builds", () => {
    const stats = { runs: 0 };
    fc.assert(
      fc.property(schemaObjects(), (objects) => {
        stats.runs++;
        checkTranslation(objects);
      }),
      { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
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
      { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
    if (stats.runs < 50) throw new Error(`only ${stats.runs} runs within the budget`);
  });
});
