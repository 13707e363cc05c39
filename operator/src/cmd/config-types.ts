/** The `-t/--type` values of `x translate` and the `config envoy-proxy` commands (light: checked before loading). */
import { UsageError } from "./cli/flags";

/** The `-t/--type` values: one config of the dump, or `all`. */
export const CONFIG_TYPES = ["bootstrap", "endpoint", "cluster", "listener", "route", "secret", "all"] as const;
/** One `-t/--type` value. */
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** Checks a `-t` value. @throws UsageError listing the valid ones */
export function configType(value: string | undefined): ConfigType {
  const v = value ?? "";
  if (!(CONFIG_TYPES as readonly string[]).includes(v)) {
    throw new UsageError(`${v} is not a valid output type. Valid types are [${CONFIG_TYPES.join(" ")}].`);
  }
  return v as ConfigType;
}
