/**
 * Loaded with `node --require` into the bench's controller process (`bin/egts.js controller`, see
 * controller-process.ts), before the command runs. It changes nothing the controller does; over the IPC channel
 * of `fork` it
 * - reports each pass (its end and translate + publish time) as `{ type: "pass", ms }`, by subscribing to
 *   `Controller.passes$` once the command's controller started;
 * - answers `{ type: "gc" }` with a full GC (the process runs with --expose-gc) and `{ type: "gc-done" }` plus
 *   `process.memoryUsage()`, so the bench samples the heap after a GC, as the in-process bench did.
 */
import { Controller } from "../../operator/src/pipeline/controller";

/** A message from the bench. */
type Request = { type: "gc" };

const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

const start = Controller.prototype.start;
Controller.prototype.start = async function (this: Controller, ...args: Parameters<typeof start>) {
  await start.apply(this, args);
  this.passes$.subscribe((p) => send({ type: "pass", ms: p.pass.ms }));
  send({ type: "started", xdsPort: this.xdsPort });
};

process.on("message", (m: Request) => {
  if (m.type !== "gc") return;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  send({ type: "gc-done", gc: Boolean(gc), memory: process.memoryUsage() });
});
// The IPC channel must not keep the process alive after the command returned (SIGTERM).
process.channel?.unref();
