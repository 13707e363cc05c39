/** The route change of the bench: one JSON patch of an HTTPRoute's header filter value (a new generation). */
import { HttpMethod } from "@kubernetes/client-node";
import type { KubeClient } from "../../operator/src/provider/kubernetes/client";
import { objectPath, WATCHED_KINDS } from "../../operator/src/provider/kubernetes/kinds";
import { routeName } from "../lib/fixtures";

const HTTP_ROUTE = WATCHED_KINDS.find((k) => k.kind === "HTTPRoute")!;

/** Sets HTTPRoute `default/<routeName(i)>`'s first header filter value to `value`. */
export async function patchRoute(client: KubeClient, i: number, value: string): Promise<void> {
  const patch = [{ op: "replace", path: "/spec/rules/0/filters/0/requestHeaderModifier/set/0/value", value }];
  await client.request(HttpMethod.PATCH, objectPath(HTTP_ROUTE, routeName(i), "default"), {
    body: JSON.stringify(patch),
    contentType: "application/json-patch+json",
  });
}
