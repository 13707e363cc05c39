/** `egts controller` watch-scope flags → provider options. */
import assert from "node:assert/strict";
import { watchScope } from "../../operator/src/cmd/controller-cmd";

describe("egts controller --watch-namespaces / --watch-namespace-selector", () => {
  it("turns a namespace list and key=value labels into the provider's watch scope", () => {
    assert.deepEqual(watchScope("a,b", "team=x, env = prod"), {
      namespaces: ["a", "b"],
      namespaceSelector: { matchLabels: { team: "x", env: "prod" } },
    });
    assert.deepEqual(watchScope(undefined, undefined), {}, "cluster-wide by default");
  });
  it("rejects a selector that is not key=value pairs, naming the bad pair", () => {
    assert.throws(() => watchScope(undefined, "team"), /key=value pairs .*"team"/);
    assert.throws(() => watchScope(undefined, "a=b=c"), /"a=b=c"/);
  });
});
