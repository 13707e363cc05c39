/**
 * Scenario b (gateway-api-bench "route propagation"): with the existing routes served, each repetition
 * creates one new HTTPRoute through the API server while a client (in its own thread, client-worker.ts) polls
 * Envoy (the Gateway's real proxy pod, through the LoadBalancer address) for its hostname about every millisecond,
 * timing from just before the create until the first 200. Every answer before it should be the 404 of an
 * unknown host; anything else (5xx, a socket error) is counted. The controller passes that ended in between
 * are counted too, with their translate + publish time.
 */
import { routeHost } from "../lib/fixtures";
import { epochNow } from "./client-worker";
import type { Stack } from "./stack";

/** What the propagation scenario measured. */
export interface PropagationResult {
  /** Create → first 200, per repetition (ms). */
  readonly samples: readonly number[];
  /** Create request → its answer, per repetition (ms). */
  readonly createSamples: readonly number[];
  /** Translate + publish time of the passes that ended between the create and the first 200 (ms). */
  readonly passSamples: readonly number[];
  /** Answers other than 404 before the first 200, over all repetitions. */
  readonly unexpected: number;
  /** Answers before the first 200, over all repetitions (how often Envoy was asked). */
  readonly polls: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface One {
  readonly ms: number;
  readonly createMs: number;
  readonly passMs: number;
  readonly polls: number;
  readonly unexpected: number;
}

async function one(stack: Stack, i: number): Promise<One> {
  const t0 = epochNow();
  const served = stack.clients.first200(routeHost(i));
  const createMs = await stack.createRoutes(i, i + 1).then(() => epochNow() - t0);
  const r = await served;
  const passMs = stack.passLog.filter((p) => p.at > t0 && p.at <= r.at).reduce((a, p) => a + p.ms, 0);
  return { ms: r.at - t0, createMs, passMs, polls: r.polls, unexpected: r.unexpected };
}

/** Runs `reps` repetitions (after one warm-up) with new routes from index `from`, `gapMs` apart. */
export async function propagation(stack: Stack, from: number, reps: number, gapMs = 300): Promise<PropagationResult> {
  const samples: number[] = [];
  const createSamples: number[] = [];
  const passSamples: number[] = [];
  let unexpected = 0;
  let polls = 0;
  await stack.waitQuiet(2000);
  for (let rep = -1; rep < reps; rep++) {
    const r = await one(stack, from + rep + 1);
    if (rep >= 0) {
      samples.push(r.ms);
      createSamples.push(r.createMs);
      passSamples.push(r.passMs);
    }
    unexpected += r.unexpected;
    polls += r.polls;
    await sleep(gapMs); // the status writes of the pass settle before the next create
  }
  return { samples, createSamples, passSamples, unexpected, polls };
}
