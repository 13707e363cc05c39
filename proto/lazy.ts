/**
 * Generated proto modules that only some configurations need, loaded on their first use instead of at start
 * (ADR 0038): each ts-proto module is source the process keeps and objects it builds when it loads, ~2 MB of
 * source for the modules of the HTTP filters, extension types and RBAC matchers no plain route needs. `require`
 * because translation is synchronous; Node caches the module after the first call.
 */

/**
 * A function that returns the generated module at `modulePath` (under proto/gen, no extension, e.g.
 * `envoy/extensions/filters/http/csrf/v3/csrf`), loading it on the first call. `M` is the module's type, from a
 * type-only import (`import type * as Csrf from ".../csrf"`, then `protoModule<typeof Csrf>(...)`): a type-only
 * import loads nothing.
 */
export function protoModule<M>(modulePath: string): () => M {
  let loaded: M | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous load on first use (see above)
  return () => (loaded ??= require(`./gen/${modulePath}`) as M);
}
