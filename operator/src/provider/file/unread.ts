/**
 * Objects in a folder of YAML that egts does not read (an unknown kind, or an apiVersion of a known kind
 * that no Gateway API CRD serves): each gets a warning at its file and line instead of vanishing.
 */
import { unreadReason } from "../../resources/read-kinds";
import type { LocatedObject } from "./duplicates";
import type { InputError } from "./parse";
import type { GroupKind } from "../../translate/extension-objects";

/**
 * One warning per object that is not read, located where it is defined, in reading order; objects of the kinds
 * an extension server owns (`owned`) are not warned about (they go to its hooks).
 */
export function unreadWarnings(items: readonly LocatedObject[], owned: readonly GroupKind[] = []): InputError[] {
  const out: InputError[] = [];
  for (const { object, location } of items) {
    const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
    if (owned.some((k) => k.group === group && k.kind === object.kind)) continue;
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
