/**
 * How the `egts` process ends: after everything written to stdout and stderr has reached the reader (a
 * pipe to `less` drains slowly; `process.exit()` with writes still queued cuts the output), and quietly
 * when the reader went away (`egts translate … | head` closes the pipe early: EPIPE is not an error).
 */

/** Resolves once everything written to `stream` so far has been handed to the OS (writes are in order). */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) {
      resolve();
      return;
    }
    // The callback of an empty write runs after every earlier write, or with the error that ended the stream.
    stream.write("", () => resolve());
  });
}

/**
 * Makes EPIPE on stdout or stderr (the reader closed the pipe) drop the rest of that stream's output instead
 * of crashing with a stack trace: `translate` then ends with its own exit code, as `head` expects of the
 * commands it reads from, and `standalone` keeps serving (stopping its Envoys in order on a signal) when the
 * program reading its log went away.
 */
export function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
    });
  }
}

/** Exits with `code` once stdout and stderr are flushed. */
export async function exitAfterFlush(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
