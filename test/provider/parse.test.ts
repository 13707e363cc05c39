/** parseManifests: multi-document YAML into objects, or errors located by file, line and column. */
import * as assert from "node:assert/strict";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";

const FILE = "config/routes.yaml";

describe("parseManifests", () => {
  it("returns every object of a good multi-document file, in order, skipping empty documents", () => {
    const text = [
      "# leading comment",
      "apiVersion: gateway.networking.k8s.io/v1",
      "kind: GatewayClass",
      "metadata:",
      "  name: eg",
      "spec:",
      "  controllerName: gateway.envoyproxy.io/gatewayclass-controller",
      "---",
      "---",
      "apiVersion: gateway.networking.k8s.io/v1",
      "kind: Gateway",
      "metadata: { name: eg, namespace: default }",
      "spec:",
      "  gatewayClassName: eg",
      "  listeners: [{ name: http, protocol: HTTP, port: 80 }]",
      "---",
      "# only a comment",
      "",
    ].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ["GatewayClass/eg", "Gateway/eg"],
    );
    assert.deepEqual(r.objects[1].spec, {
      gatewayClassName: "eg",
      listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
    });
  });

  it("reports malformed YAML with the file, line and column of the problem", () => {
    const text = [
      "apiVersion: v1", // 1
      "kind: Service", // 2
      "metadata:", // 3
      "  name: app", // 4
      "spec:", // 5
      "  ports: [80, 81", // 6: unterminated flow sequence
      "  type: ClusterIP", // 7
    ].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.objects, [], "a file with errors contributes no objects");
    assert.ok(r.errors.length >= 1);
    const e = r.errors[0];
    assert.equal(e.file, FILE);
    assert.ok(
      e.line >= 6 && e.line <= 8,
      `error line ${e.line} should be at or just after the unterminated [ on line 6`,
    );
    assert.ok(e.column >= 1);
    assert.match(formatInputError(e), /^config\/routes\.yaml:\d+:\d+: .+/);
  });

  it("reports tab indentation at its exact line and column", () => {
    const text = [
      "apiVersion: v1", // 1
      "kind: Service", // 2
      "metadata:", // 3
      "  name: app", // 4
      "spec:", // 5
      "\ttype: ClusterIP", // 6: a tab used as indentation
    ].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.objects, []);
    assert.ok(r.errors.length >= 1);
    assert.equal(formatInputError(r.errors[0]), `${FILE}:6:1: Tabs are not allowed as indentation`);
  });

  it("locates errors in a later document of the file by their line in the whole file", () => {
    const text = [
      "apiVersion: v1", // 1
      "kind: Namespace", // 2
      "metadata: { name: ok }", // 3
      "---", // 4
      "apiVersion: v1", // 5
      "kind: Namespace", // 6
      "metadata: { name: bad", // 7: unterminated flow mapping
      "---", // 8
      "apiVersion: v1", // 9
      "kind: Namespace", // 10
      "metadata: { name: fine }", // 11
    ].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.objects, []);
    assert.ok(r.errors.length >= 1);
    for (const e of r.errors) {
      assert.equal(e.file, FILE);
      assert.ok(e.line >= 7 && e.line <= 8, `${formatInputError(e)}: expected line 7 or 8`);
    }
  });

  it("reports a duplicate key at the duplicate's line", () => {
    const text = ["apiVersion: v1", "kind: Service", "metadata:", "  name: a", "  name: b"].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.objects, []);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].line, 5);
    assert.equal(r.errors[0].column, 3);
  });

  it("reports a document missing kind at that document's first line", () => {
    const text = [
      "apiVersion: v1", // 1
      "kind: Namespace", // 2
      "metadata: { name: ok }", // 3
      "---", // 4
      "# a comment before the object", // 5
      "apiVersion: v1", // 6: the bad document starts here
      "metadata:", // 7
      "  name: no-kind", // 8
    ].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.objects, [], "one bad document rejects the whole file");
    assert.deepEqual(r.errors, [{ file: FILE, line: 6, column: 1, message: "missing kind" }]);
  });

  it("reports a document missing metadata.name at that document's first line, naming the kind", () => {
    const text = [
      "apiVersion: v1", // 1
      "kind: Namespace", // 2
      "metadata: { name: ok }", // 3
      "---", // 4
      "apiVersion: v1", // 5
      "kind: Service", // 6
      "metadata:", // 7
      "  namespace: default", // 8
      "---", // 9
      "apiVersion: v1", // 10
      "kind: Service", // 11
      "metadata: { name: '' }", // 12
    ].join("\n");
    const r = parseManifests(FILE, text);
    assert.deepEqual(r.objects, []);
    assert.deepEqual(r.errors.map(formatInputError), [
      `${FILE}:5:1: Service: missing metadata.name`,
      `${FILE}:10:1: Service: missing metadata.name`,
    ]);
  });

  it("rejects a document that is not a mapping", () => {
    const r = parseManifests(FILE, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n- just\n- a list\n");
    assert.deepEqual(r.objects, []);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].line, 5);
    assert.match(r.errors[0].message, /mapping/);
  });
});
