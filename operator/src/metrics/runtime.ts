/**
 * Process and Node.js runtime metrics: prom-client's default metrics (`process_*`, as every Prometheus client
 * library writes them, and `nodejs_*`: CPU, memory, file descriptors, start time, heap, event loop delay, garbage
 * collection pauses, active handles and resources, the Node.js version).
 *
 * They describe the process, not one pipeline, so they are collected once per process (prom-client samples GC
 * pauses and the event loop delay continuously from then on) and every control-plane registry includes the
 * same metric objects.
 */
import { collectDefaultMetrics, Registry } from "prom-client";

let shared: Registry | undefined;

/** The process's runtime metrics, created on first use. */
export function runtimeRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
