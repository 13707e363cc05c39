/** The `headers` of an EnvoyProxy OTLP sink (Gateway API HTTPHeader list) → gRPC initial metadata. */
import type { HeaderIr } from "../../ir/telemetry-ir";

/** One header as the EnvoyProxy writes it. */
export interface ProxyHeader {
  readonly name: string;
  readonly value: string;
}

/** The headers as IR, or undefined when there are none. */
export function headersOf(headers: readonly ProxyHeader[] | undefined): readonly HeaderIr[] | undefined {
  if (!headers || headers.length === 0) return undefined;
  return headers.map((h) => ({ name: h.name, value: h.value }));
}
