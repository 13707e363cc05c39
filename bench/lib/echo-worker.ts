/**
 * The propagation bench's backend in a worker thread: in a deployment the backend is never in the control plane's
 * process, and one sharing the pipeline's event loop answers Envoy's first forwarded request only once the pass's
 * work after `setNode` (statuses, the NACK guard, GC) yields, charging the pipeline's CPU to "ACK → first 200".
 * The worker runs the demo echo backend on its own loop, as the poller (poller.ts) runs on its.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { startEchoBackend } from "../../operator/src/demo/echo-backend";

/** The echo backend running in its own thread. */
export interface EchoWorker {
  readonly port: number;
  /** Stops the backend and the thread. */
  close(): Promise<void>;
}

/** Starts the echo backend (`name` in its answers) in a new worker thread; resolves once it listens. */
export function startEchoWorker(name: string): Promise<EchoWorker> {
  const worker = new Worker(__filename, { workerData: { name } });
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (m: { port: number }) =>
      resolve({
        port: m.port,
        close: async () => {
          await worker.terminate();
        },
      }),
    );
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void startEchoBackend({ name: (workerData as { name: string }).name }).then((echo) =>
    port.postMessage({ port: echo.port }),
  );
}
