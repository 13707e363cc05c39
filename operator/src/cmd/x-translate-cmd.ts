/** `egts x translate`: egctl's flags, checked before the translator is loaded (x-translate.ts does the work). */
import type { Invocation } from "./cli/command";
import { list, str, UsageError, type FlagValues } from "./cli/flags";
import { configType, type ConfigType } from "./config-types";
import { outputFormat } from "./output";

const OUTPUT_TYPES = ["xds", "gateway-api", "ir"];

/** Runs `egts x translate`. */
export async function xTranslate(inv: Invocation): Promise<number> {
  const v = inv.values;
  const from = str(v, "from");
  if (from !== "gateway-api") {
    throw new UsageError(`${from} is not a valid input type. Valid types are [gateway-api].`);
  }
  const to = list(v, "to");
  const bad = to.find((t) => !OUTPUT_TYPES.includes(t));
  if (bad !== undefined)
    throw new UsageError(`${bad} is not a valid output type. Valid types are [xds gateway-api ir].`);
  const type = configType(str(v, "type"));
  const format = outputFormat(str(v, "output"));
  const files = list(v, "file");
  if (files.length === 0) throw new UsageError("--file must be specified");
  const namespace = str(v, "namespace");
  const { translateInput } = await import("./x-translate");
  return translateInput({ files, to, type, format, namespace, v });
}

/** What `egts x translate` was asked, its flags checked. */
export interface TranslateRequest {
  readonly files: readonly string[];
  readonly to: readonly string[];
  readonly type: ConfigType;
  readonly format: string;
  /** Namespace of the control plane. */
  readonly namespace: string;
  /** The other flags. */
  readonly v: FlagValues;
}
