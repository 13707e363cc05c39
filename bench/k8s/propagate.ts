/**
 * Scenario b (gateway-api-bench "route propagation"): with the existing routes served, each repetition
 * creates one new HTTPRoute through the API server and polls Envoy (the Gateway's real proxy pod, through the
 * LoadBalancer address) for its hostname as fast as answers come back, timing from just before the create
 * until the first 200. Every answer before it should be the 404 of an unknown host; anything else (5xx,
 * a socket error) is counted.
 */
import type { Stack } from "./stack";

/** What the propagation scenario measured. */
export interface PropagationResult {
  /** Create → first 200, per repetition (ms). */
  readonly samples: readonly number[];
  /** Create request → its answer, per repetition (ms). */
  readonly createSamples: readonly number[];
  /** Answers other than 404 before the first 200, over all repetitions. */
  readonly unexpected: number;
  /** Answers before the first 200, over all repetitions (how often Envoy was asked). */
  readonly polls: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function one(stack: Stack, i: number): Promise<{ ms: number; createMs: number; polls: number; unexpected: number }> {
  let polls = 0;
  let unexpected = 0;
  const t0 = performance.now();
  const created = stack.createRoutes(i, i + 1).then(() => performance.now() - t0);
  for (;;) {
    const status = await stack.envoyGet(i);
    if (status === 200) break;
    polls++;
    if (status !== 404) unexpected++;
    if (performance.now() - t0 > 60_000) throw new Error(`route ${i} not served within 60 s`);
  }
  const ms = performance.now() - t0;
  return { ms, createMs: await created, polls, unexpected };
}

/** Runs `reps` repetitions (after one warm-up) with new routes from index `from`, `gapMs` apart. */
export async function propagation(stack: Stack, from: number, reps: number, gapMs = 300): Promise<PropagationResult> {
  const samples: number[] = [];
  const createSamples: number[] = [];
  let unexpected = 0;
  let polls = 0;
  await stack.waitQuiet(2000);
  for (let rep = -1; rep < reps; rep++) {
    const r = await one(stack, from + rep + 1);
    if (rep >= 0) {
      samples.push(r.ms);
      createSamples.push(r.createMs);
    }
    unexpected += r.unexpected;
    polls += r.polls;
    await sleep(gapMs); // the status writes of the pass settle before the next create
  }
  return { samples, createSamples, unexpected, polls };
}
