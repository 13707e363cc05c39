/**
 * What this machine charges for memory a process has not touched for a while. On an ordinary host, reading a page
 * that sat idle costs a cache miss (~0.1 µs); on some virtual machines the hypervisor takes idle guest pages back
 * and the next touch of each page traps to the host (measured on the project's CI machines: ~5 µs a page after
 * 100 ms idle, ~30 µs after 1 s). A pipeline pass that starts after a pause then pays per page it touches, whatever
 * its CPU work: latency benches print this next to their numbers so runs on different hosts can be read together.
 */

const PAGE = 4096;
const PAGES = 16_384; // 64 MiB
const SAMPLE = 1000;

/** Microseconds per page to read one byte of each of {@link SAMPLE} pages that sat untouched for `idleMs` (median of `reps`). */
export async function coldPageMicros(idleMs: number, reps = 3): Promise<number> {
  const buf = new Uint8Array(PAGES * PAGE);
  for (let i = 0; i < buf.length; i += PAGE) buf[i] = 1; // every page resident
  const runs: number[] = [];
  let sink = 0;
  for (let r = 0; r < reps; r++) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    // A different stride each repetition: no page is read twice.
    const start = performance.now();
    for (let p = 0; p < SAMPLE; p++) sink += buf[(((r * SAMPLE + p) * 7) % PAGES) * PAGE]!;
    runs.push(((performance.now() - start) * 1000) / SAMPLE);
  }
  if (sink < 0) throw new Error("unreachable"); // keeps the reads
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}
