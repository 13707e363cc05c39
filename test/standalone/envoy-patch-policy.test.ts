/**
 * EnvoyPatchPolicy on real Envoy, the patches addressing the resources by the names this build gives them (looked
 * up from the node, and the HCM found by jsonPath, so the test holds whatever the naming scheme and chain layout): the task doc's local reply mapper makes
 * `GET /find` answer 406 with the doc's body; its virtual-host patch by jsonPath adds `x-envoy-attempt-count`; a
 * patch on a path that does not exist is Programmed=False Invalid naming the operation and changes nothing; a patch
 * that makes a resource Envoy refuses is caught by `envoy --mode validate` (Invalid with Envoy's message) and the
 * unpatched resources are served, with no NACK; policies apply in priority order, whatever their file order.
 * The doc's policies as written (EG's names) are in envoy-patch-policy-eg-docs.test.ts.
 */
import * as assert from "node:assert/strict";
import { ListenerType, RouteType, ScopedRouteType } from "../../operator/src/xds/types";
import { eventually } from "../support/http";
import {
  HCM_PATH,
  eppYaml,
  localReply,
  routeConfigOf,
  startPatchGateway,
  type PatchGateway,
} from "../support/patch-gateway";

const DOC_BODY = "could not find what you are looking for";

describe("EnvoyPatchPolicy (real Envoy, names looked up)", function () {
  this.timeout(60_000);
  let g: PatchGateway;
  let listener = "";
  let route = "";

  /** The only resource name of a type on the node. */
  const only = (typeUrl: string): string => {
    const names = [...g.resources(typeUrl).keys()];
    assert.equal(names.length, 1, `one ${typeUrl}: ${names.join(", ")}`);
    return names[0] ?? "";
  };

  /** The versions of what Envoy gets of the routes: RouteConfigurations and routing scopes. */
  const routeVersions = (): string =>
    JSON.stringify(
      [RouteType.typeUrl, ScopedRouteType.typeUrl].map((t) => [...g.resources(t)].map(([n, r]) => [n, r.version])),
    );

  before(async () => {
    g = await startPatchGateway();
    listener = only(ListenerType.typeUrl);
    route = routeConfigOf(g, listener);
  });
  afterEach(async () => {
    for (const f of ["a.yaml", "b.yaml"]) await g.t.remove(f);
    await eventually(async () => (await g.get("/find")).status === 404, 20_000, "the unpatched config back");
  });
  after(async () => g?.close());

  it("the task doc's local reply patch: GET /find answers 406 with the doc's body", async () => {
    await g.t.write("a.yaml", eppYaml("local-reply", localReply(listener, DOC_BODY)));
    await eventually(async () => (await g.get("/find")).status === 406, 20_000, "406 for /find");
    assert.equal((await g.get("/find")).body, DOC_BODY);
    assert.equal((await g.get("/get")).status, 200);
    const c = g.programmed("local-reply");
    assert.deepEqual(
      [c?.status, c?.reason, c?.message],
      ["True", "Programmed", "Patches have been successfully applied."],
    );
    assert.deepEqual(g.nacks, []);
  });

  it("the task doc's virtual host patch by jsonPath: x-envoy-attempt-count on the response", async () => {
    const patch = `    - type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration
      name: ${route}
      operation:
        op: add
        jsonPath: "..virtual_hosts[?match(@.name, '.*www.example.com')]"
        path: include_attempt_count_in_response
        value: true`;
    await g.t.write("a.yaml", eppYaml("include-attempts", patch));
    await eventually(
      async () => (await g.get("/get")).headers["x-envoy-attempt-count"] === "1",
      20_000,
      "x-envoy-attempt-count: 1",
    );
    assert.equal(g.programmed("include-attempts")?.status, "True");
    await g.t.remove("a.yaml");
    await eventually(
      async () => (await g.get("/get")).headers["x-envoy-attempt-count"] === undefined,
      20_000,
      "the header gone with the policy",
    );
  });

  it("a patch on a missing path: Programmed=False Invalid naming the operation, nothing changed", async () => {
    const before = g.resources(ListenerType.typeUrl).get(listener)?.version;
    const patch = `    - type: type.googleapis.com/envoy.config.listener.v3.Listener
      name: ${listener}
      operation: { op: replace, path: /nonexistent/x, value: 1 }`;
    await g.t.write("a.yaml", eppYaml("missing-path", patch));
    await g.settled("missing-path");
    const c = g.programmed("missing-path");
    assert.equal(c?.status, "False");
    assert.equal(c?.reason, "Invalid");
    assert.match(c?.message ?? "", /^Unable to apply patch: op=replace path=\/nonexistent\/x err: /);
    assert.equal(g.resources(ListenerType.typeUrl).get(listener)?.version, before, "the listener is unchanged");
    assert.equal((await g.get("/get")).status, 200);
    assert.deepEqual(g.nacks, []);
  });

  it("a patch making a resource Envoy refuses: Invalid with Envoy's message, the unpatched config served, no NACK", async () => {
    const before = routeVersions();
    const patch = `    - type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration
      name: ${route}
      operation: { op: replace, path: /virtual_hosts/0/routes/0/match, value: { safe_regex: { regex: "(" } } }`;
    await g.t.write("a.yaml", eppYaml("bad-regex", patch));
    await g.settled("bad-regex");
    const c = g.programmed("bad-regex");
    assert.equal(c?.reason, "Invalid");
    assert.match(c?.message ?? "", /^Envoy rejected the patched resources: missing \): \(\.$/);
    assert.equal(routeVersions(), before, "the unpatched route configuration");
    assert.equal((await g.get("/get")).status, 200);
    assert.deepEqual(g.nacks, []);
  });

  it("policies apply in priority order, whatever their file order", async () => {
    const second = `    - type: type.googleapis.com/envoy.config.listener.v3.Listener
      name: ${listener}
      operation:
        op: replace
        jsonPath: "${HCM_PATH}"
        path: local_reply_config/mappers/0/body/inline_string
        value: second`;
    // The later policy (priority 10) sits in the file read first: it needs the earlier one's mapper.
    await g.t.write("a.yaml", eppYaml("second", second, 10));
    await g.t.write("b.yaml", eppYaml("first", localReply(listener, "first"), -5));
    await eventually(async () => (await g.get("/find")).body === "second", 20_000, "the second body");
    assert.equal((await g.get("/find")).status, 406);
    assert.equal(g.programmed("first")?.status, "True");
    assert.equal(g.programmed("second")?.status, "True");
    assert.deepEqual(g.nacks, []);
  });
});
