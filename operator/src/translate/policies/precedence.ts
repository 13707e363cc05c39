/**
 * Precedence among policies of one kind, as Envoy Gateway documents it: the more specific target wins (route
 * rule > route > listener > ListenerSet > Gateway); among policies on the same target, the oldest
 * (creationTimestamp) wins, then the first by `namespace/name`.
 */
import { keyOf, type KubeObject } from "../../resources/meta";
import { SPECIFICITY, type Attachment } from "./types";

/** Oldest first, then by `namespace/name`: the order in which policies claim targets. */
export function byAge(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = keyOf(a.metadata);
  const kb = keyOf(b.metadata);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Most specific first, then oldest, then by `namespace/name`. */
export function byPrecedence(a: Attachment, b: Attachment): number {
  const s = SPECIFICITY[b.target.scope] - SPECIFICITY[a.target.scope];
  return s !== 0 ? s : byAge(a.policy, b.policy);
}
