/**
 * Spans of one pass of the pipeline: a root span per job (a provider snapshot, a NACK to bisect, listener failures
 * to record) and a child span per stage it runs, named after what the stage does ({@link STAGES}). The parent is
 * passed explicitly (no global context manager), so several pipelines in one process keep their traces apart.
 */
import { context, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";

/** The root span of a job. */
export const PASS_SPAN = "pipeline.pass";

/** The stages a pass runs, in order, as their spans are named. */
export const STAGES = {
  /** OpenID Providers' discovery and Wasm module fetches the snapshot needs before translation. */
  prepare: "provider.prepare",
  /** Gateway API resources → IR and statuses (translate/translate.ts). */
  translate: "gateway-api.translate",
  /** One Gateway's IR validated and built into Envoy resources (attribute `gateway`). */
  build: "xds.build",
  /** One Gateway's resources set in the xDS cache, which sends the changes to its proxies (attribute `gateway`). */
  publish: "xds.publish",
  /** The proxies' infrastructure made to match the infra IR (host runner or Kubernetes applier). */
  infrastructure: "infrastructure.reconcile",
  /** The statuses of the pass recorded (Kubernetes status writes, standalone's status log). */
  status: "status.write",
} as const;

/** One pass's root span; stages run inside it as children. */
export class PassTrace {
  private constructor(
    private readonly tracer: Tracer,
    private readonly root: Span,
  ) {}

  /** Starts the root span of a job of `kind` (`provider-resources`, `nack`, `listeners`, `pass`). */
  static start(tracer: Tracer, kind: string): PassTrace {
    return new PassTrace(tracer, tracer.startSpan(PASS_SPAN, { attributes: { "egts.job": kind } }));
  }

  /** Runs `fn` in a child span `name`; a throw or a rejection marks the span as failed and is passed on. */
  stage<T>(name: string, fn: () => T, attributes: Attributes = {}): T {
    const span = this.tracer.startSpan(name, { attributes }, trace.setSpan(context.active(), this.root));
    try {
      const out = fn();
      if (out instanceof Promise) {
        return out.then(
          (v: unknown) => (span.end(), v),
          (err: unknown) => (failed(span, err), span.end(), Promise.reject(err)),
        ) as T;
      }
      span.end();
      return out;
    } catch (err) {
      failed(span, err);
      span.end();
      throw err;
    }
  }

  /** Ends the root span (`error`: the job failed). */
  end(error?: unknown): void {
    if (error !== undefined) failed(this.root, error);
    this.root.end();
  }
}

/** `fn` in a stage span of `t`, or `fn` alone without tracing. */
export function inStage<T>(t: PassTrace | undefined, name: string, fn: () => T, attributes?: Attributes): T {
  return t ? t.stage(name, fn, attributes) : fn();
}

/** Marks `span` failed with `err`. */
function failed(span: Span, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  if (err instanceof Error) span.recordException(err);
}
