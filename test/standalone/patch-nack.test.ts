/**
 * An EnvoyPatchPolicy whose result `envoy --mode validate` accepts but the running Envoy refuses (a listener socket
 * option the kernel does not know: validation binds no socket, so only a real listen socket fails, `Setting socket
 * options failed`) is NACKed; the NACK bisection pins it on that policy among the changed ones: its patches are
 * left out (Programmed=False Invalid with Envoy's reason) and the other policy's patch on the same listener serves
 * (Programmed=True, its local reply on the wire). A patch `envoy --mode validate` refuses is singled out the same
 * way before it reaches Envoy (no NACK). Fixed, the policy is tried again and programmed.
 */
import * as assert from "node:assert/strict";
import { filter, firstValueFrom } from "rxjs";
import { Listener } from "../../proto/gen/envoy/config/listener/v3/listener";
import { ListenerType } from "../../operator/src/xds/types";
import { eventually } from "../support/http";
import {
  eppYaml,
  localReply,
  routeConfigOf,
  socketOption,
  startPatchGateway,
  type PatchGateway,
} from "../support/patch-gateway";

describe("EnvoyPatchPolicy that Envoy NACKs after validation passed (real Envoy): bisected per policy", function () {
  this.timeout(60_000);
  let g: PatchGateway;
  let listener = "";

  before(async () => {
    g = await startPatchGateway();
    [listener] = [...g.resources(ListenerType.typeUrl).keys()];
  });
  after(async () => g?.close());

  it("the refused policy is Programmed=False with Envoy's reason, its patches left out; the other one serves", async () => {
    const bisected = firstValueFrom(g.t.gw.events$.pipe(filter((e) => e.kind === "quarantined")));
    const body = "patched by the good policy";
    await g.t.write(
      "epp.yaml",
      `${eppYaml("good", localReply(listener, body))}---\n${eppYaml("bad", socketOption(listener, 99999, 77), 1)}`,
    );
    const b = await bisected;
    assert.ok(b.kind === "quarantined");
    assert.deepEqual(b.culprits, ["EnvoyPatchPolicy/default/bad"]);
    assert.deepEqual([...b.suspects].sort(), ["EnvoyPatchPolicy/default/bad", "EnvoyPatchPolicy/default/good"]);
    assert.ok(
      g.nacks.some((n) => n.includes("socket option")),
      `Envoy NACKed it: ${g.nacks.join("\n")}`,
    );
    await eventually(async () => (await g.get("/find")).status === 406, 10_000, "the good policy's patch served");
    assert.equal((await g.get("/find")).body, body);
    assert.equal((await g.get("/get")).status, 200);
    const bad = g.programmed("bad");
    assert.deepEqual([bad?.status, bad?.reason], ["False", "Invalid"]);
    assert.match(
      bad?.message ?? "",
      /^Envoy rejected the patched resources: .*socket option.*left out until it changes\.$/s,
    );
    const good = g.programmed("good");
    assert.deepEqual([good?.status, good?.reason], ["True", "Programmed"]);
    const published = g.resources(ListenerType.typeUrl).get(listener);
    assert.ok(published, "the listener is published");
    assert.deepEqual(Listener.decode(published.value.value).socketOptions, [], "without the refused patch");
  });

  it("a patch `envoy --mode validate` refuses is singled out among the node's policies: the others serve, no NACK", async () => {
    const nacks = g.nacks.length;
    const route = routeConfigOf(g, listener);
    const badRegex = `    - type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration
      name: ${route}
      operation: { op: replace, path: /virtual_hosts/0/routes/0/match, value: { safe_regex: { regex: "(" } } }`;
    await g.t.write(
      "epp.yaml",
      `${eppYaml("good", localReply(listener, "validated"))}---\n${eppYaml("bad", badRegex, 1)}`,
    );
    const refused = async (): Promise<boolean> => /missing \)/.test(g.programmed("bad")?.message ?? "");
    await eventually(refused, 15_000, "Envoy's check naming the bad policy");
    assert.deepEqual(
      [g.programmed("bad")?.reason, g.programmed("bad")?.message],
      ["Invalid", "Envoy rejected the patched resources: missing ): (."],
    );
    assert.equal(g.programmed("good")?.status, "True");
    await eventually(async () => (await g.get("/find")).body === "validated", 10_000, "the good policy's patch");
    assert.equal((await g.get("/get")).status, 200, "the route without the refused regex");
    assert.equal(g.nacks.length, nacks, "caught before Envoy: no NACK");
  });

  it("fixed, the policy is tried again: Programmed=True and both patches serve", async () => {
    const nacks = g.nacks.length;
    const SOL_SOCKET = 1;
    const SO_KEEPALIVE = 9;
    await g.t.write(
      "epp.yaml",
      `${eppYaml("good", localReply(listener, "fixed"))}---\n${eppYaml("bad", socketOption(listener, SOL_SOCKET, SO_KEEPALIVE), 1)}`,
    );
    await eventually(async () => g.programmed("bad")?.status === "True", 15_000, "the fixed policy programmed");
    await eventually(async () => (await g.get("/find")).body === "fixed", 10_000, "the new listener serving");
    assert.equal(g.nacks.length, nacks, "no NACK for the fixed policy");
  });
});
