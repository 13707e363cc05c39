/** Finds Envoy for tests; a missing binary fails the test with the install step, it never skips. */
import { findEnvoy } from "../../operator/src/infra/host/envoy-binary";

/** The Envoy binary, or an error that says `node scripts/install-envoy.mjs`. */
export function requireEnvoy(): string {
  try {
    return findEnvoy();
  } catch (err) {
    throw new Error(`these tests run real Envoy: ${(err as Error).message}`, { cause: err });
  }
}
