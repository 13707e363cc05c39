/**
 * Objects in a folder of YAML that egts does not read (an unknown kind, or an apiVersion of a known kind
 * that no Gateway API CRD serves): each gets a warning at its file and line instead of vanishing.
 */
import { unreadReason } from "../../resources/read-kinds";
import type { LocatedObject } from "./duplicates";
import type { InputError } from "./parse";

/** One warning per object that is not read, located where it is defined, in reading order. */
export function unreadWarnings(items: readonly LocatedObject[]): InputError[] {
  const out: InputError[] = [];
  for (const { object, location } of items) {
    const reason = unreadReason(object);
    if (reason !== undefined) {
      out.push({ file: location.file, line: location.line, column: 1, message: `${reason}: ${objectName(object)}` });
    }
  }
  return out;
}

function objectName(o: LocatedObject["object"]): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}
