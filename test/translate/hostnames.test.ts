/**
 * Hostname matching per the Gateway API: a `*.` prefix is a suffix match over one or more labels
 * (`*.example.com` matches `foo.example.com` and `foo.bar.example.com`, never `example.com`); a
 * route and a listener intersect on the more specific of two matching names.
 */
import * as assert from "node:assert/strict";
import { compareHostSpecificity, hostnameMatches, intersectHostnames } from "../../operator/src/translate/hostnames";

describe("hostnameMatches", () => {
  const cases: [pattern: string | undefined, host: string, expected: boolean][] = [
    // No listener hostname (or "*") matches anything.
    [undefined, "foo.example.com", true],
    [undefined, "*.example.com", true],
    [undefined, "*", true],
    ["*", "foo.example.com", true],
    // Exact names match only themselves.
    ["foo.example.com", "foo.example.com", true],
    ["foo.example.com", "bar.example.com", false],
    ["foo.example.com", "example.com", false],
    ["foo.example.com", "foo.example.com.evil.org", false],
    ["foo.example.com", "*.example.com", false],
    // A wildcard matches one or more labels in front of its suffix, but not the suffix itself.
    ["*.example.com", "foo.example.com", true],
    ["*.example.com", "foo.bar.example.com", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "fooexample.com", false],
    ["*.example.com", "foo.example.org", false],
    ["*.example.com", "*", false],
    // Wildcard hosts: covered when at least as specific.
    ["*.example.com", "*.example.com", true],
    ["*.example.com", "*.foo.example.com", true],
    ["*.foo.example.com", "*.example.com", false],
    ["*.example.com", "*.com", false],
  ];
  for (const [pattern, host, expected] of cases) {
    it(`${pattern ?? "(none)"} ${expected ? "matches" : "does not match"} ${host}`, () => {
      assert.equal(hostnameMatches(pattern, host), expected);
    });
  }
});

describe("intersectHostnames", () => {
  const cases: [listener: string | undefined, route: string[], expected: string[]][] = [
    // Neither side restricts: any host.
    [undefined, [], ["*"]],
    // Only the listener restricts: the listener's hostname.
    ["foo.example.com", [], ["foo.example.com"]],
    ["*.example.com", [], ["*.example.com"]],
    // Only the route restricts: the route's hostnames.
    [undefined, ["a.example.com", "*.b.example.com"], ["a.example.com", "*.b.example.com"]],
    // Exact vs exact.
    ["foo.example.com", ["foo.example.com"], ["foo.example.com"]],
    ["foo.example.com", ["bar.example.com"], []],
    // Exact listener, wildcard route covering it: the listener's name (the spec's example).
    ["foo.example.com", ["*.example.com"], ["foo.example.com"]],
    ["foo.example.com", ["*.other.com"], []],
    // Wildcard listener: matching route names kept, the apex and other domains dropped.
    ["*.example.com", ["foo.example.com", "example.com", "foo.other.com"], ["foo.example.com"]],
    ["*.example.com", ["*.foo.example.com"], ["*.foo.example.com"]],
    ["*.example.com", ["*.example.com"], ["*.example.com"]],
    // Wildcard route broader than the wildcard listener: the listener's wildcard.
    ["*.foo.example.com", ["*.example.com"], ["*.foo.example.com"]],
    // Several route names collapsing onto the listener's name appear once.
    ["foo.example.com", ["*.example.com", "foo.example.com"], ["foo.example.com"]],
  ];
  for (const [listener, route, expected] of cases) {
    it(`listener ${listener ?? "(none)"} ∩ route [${route.join(", ")}] = [${expected.join(", ")}]`, () => {
      assert.deepEqual(intersectHostnames(listener, route), expected);
    });
  }
});

describe("compareHostSpecificity", () => {
  it("orders exact names first (longest first), then wildcards (longest first), then *", () => {
    const hosts = ["*", "*.example.com", "a.example.com", "*.foo.example.com", "www.foo.example.com", "b.example.com"];
    assert.deepEqual([...hosts].sort(compareHostSpecificity), [
      "www.foo.example.com",
      "a.example.com",
      "b.example.com",
      "*.foo.example.com",
      "*.example.com",
      "*",
    ]);
  });
});
