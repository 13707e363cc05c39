/**
 * The window reuse of ADR 0030: `listWindow` finds where two versions of a list differ by reference, `WindowedValues`
 * computes values only for that window yet always gives what mapping the whole list gives, and the scoped layout's
 * per-RouteConfiguration state (`ScopedHosts`) answers, over a sequence of host lists with domains added, repeated,
 * made wildcard and taken back, exactly what a fresh state answers, making scopes only for the hosts that changed.
 */
import * as assert from "node:assert/strict";
import { listEdits, listWindow, noteWindow, WindowedValues, WindowTracker } from "../../operator/src/ir/list-window";
import { ScopedHosts, type HostScopes } from "../../operator/src/xds/translate/scoped-window";
import type { Any } from "../../proto/gen/google/protobuf/any";

/** Objects named by letters, one object per letter (so lists of them share references). */
const objs = new Map<string, { readonly name: string }>();
const o = (name: string) => {
  let x = objs.get(name);
  if (!x) objs.set(name, (x = { name }));
  return x;
};
const list = (names: string) => [...names].map(o);
/** Map entries by name. */
const byName = (a: readonly [string, unknown], b: readonly [string, unknown]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

describe("list windows (ADR 0030)", () => {
  it("lists what two versions of a list do not share, by reference, with changes far apart costing only themselves", () => {
    const cases: [string, string, string, string][] = [
      ["abcde", "abcde", "", ""],
      ["abcde", "XbcdeY", "a", "XY"],
      ["abcde", "abXdeF", "c", "XF"],
      ["abcde", "abde", "c", ""],
      // An insertion and a deletion that keep the length read as replacements between them.
      ["abcde", "Xacde", "ab", "Xa"],
      ["abc", "", "abc", ""],
      ["", "abc", "", "abc"],
    ];
    for (const [before, after, removed, added] of cases) {
      const e = listEdits(list(before), list(after));
      assert.deepEqual(
        { removed: e.removed.map((x) => x.name).join(""), added: e.added.map((x) => x.name).join("") },
        { removed, added },
        `${before} → ${after}`,
      );
    }
    // Whatever the lists, the old one without `removed` and with `added` holds the new one's elements.
    const letters = "abcdefgh";
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const word = (): string => Array.from({ length: rnd(9) }, () => letters[rnd(letters.length)]).join("");
    const sorted = (xs: readonly { name: string }[]): string =>
      xs
        .map((x) => x.name)
        .sort()
        .join("");
    for (let k = 0; k < 500; k++) {
      const [before, after] = [word(), word()];
      const e = listEdits(list(before), list(after));
      const kept = [...before];
      for (const r of e.removed) kept.splice(kept.indexOf(r.name), 1);
      assert.equal(sorted([...kept.map(o), ...e.added]), sorted(list(after)), `${before} → ${after}`);
    }
  });

  it("takes a window a stage noted (noteWindow, built by WindowTracker) without reading the lists, and it covers every change", () => {
    let seed = 11;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 500; k++) {
      const before = Array.from({ length: rnd(12) }, (_, i) => ({ i }));
      let after = before;
      const tracker = new WindowTracker(before.length);
      for (let edits = rnd(4); edits > 0; edits--) {
        const at = rnd(after.length + 1);
        const deleted = rnd(after.length - at + 1);
        const put = Array.from({ length: rnd(3) }, () => ({ i: -1 }));
        tracker.edit(after.length, at, deleted);
        after = after.slice(0, at).concat(put, after.slice(at + deleted));
      }
      const w = tracker.window(after.length);
      const scanned = listWindow(before, after); // not noted yet: compares the elements
      // The noted window holds the scanned one (it may be wider: an element put back where it was).
      assert.ok(w.from <= scanned.from && w.beforeTo >= scanned.beforeTo && w.afterTo >= scanned.afterTo, `case ${k}`);
      assert.equal(before.length - w.beforeTo, after.length - w.afterTo, `case ${k}: the same tail`);
      assert.ok(w.from <= w.beforeTo && w.from <= w.afterTo, `case ${k}`);
      if (after === before) continue;
      noteWindow(before, after, w);
      assert.equal(listWindow(before, after), w, `case ${k}: the noted window, not a scan`);
      // Only for that pair: another list with the same elements is compared element by element.
      assert.deepEqual(listWindow([...before], after), scanned, `case ${k}`);
    }
  });

  it("finds the changed window of two versions of a list, by reference from both ends", () => {
    const cases: [string, string, [number, number, number]][] = [
      ["abcde", "abcde", [5, 5, 5]],
      ["abcde", "abXde", [2, 3, 3]],
      ["abcde", "abcdeF", [5, 5, 6]],
      ["abcde", "Fabcde", [0, 0, 1]],
      ["abcde", "abde", [2, 3, 2]],
      ["abcde", "", [0, 5, 0]],
      ["", "abc", [0, 0, 3]],
      ["abcde", "edcba", [0, 5, 5]],
      ["aaaa", "aaa", [3, 4, 3]],
      ["abab", "ab", [2, 4, 2]],
    ];
    for (const [before, after, [from, beforeTo, afterTo]] of cases) {
      assert.deepEqual(listWindow(list(before), list(after)), { from, beforeTo, afterTo }, `${before} → ${after}`);
      // Applying the window to the old list gives the new one.
      const b = list(before);
      const a = list(after);
      const w = listWindow(b, a);
      assert.deepEqual([...b.slice(0, w.from), ...a.slice(w.from, w.afterTo), ...b.slice(w.beforeTo)], a);
    }
    const same = list("abc");
    assert.deepEqual(listWindow(same, same), { from: 3, beforeTo: 3, afterTo: 3 });
  });

  it("WindowedValues gives the values of the whole list, computing only the changed elements", () => {
    const computed: string[] = [];
    const values = new WindowedValues((x: { name: string }) => (computed.push(x.name), x.name.toUpperCase()));
    const steps = ["abcdef", "abcdef", "abXdef", "abXdefG", "HabXdefG", "HbXdfG", "", "aa", "a"];
    const expectComputed = ["abcdef", "", "X", "G", "H", "bXd", "", "aa", ""];
    steps.forEach((names, i) => {
      computed.length = 0;
      assert.deepEqual(values.update(list(names)), [...names.toUpperCase()], `step ${i} (${names})`);
      assert.deepEqual(computed.join(""), expectComputed[i], `step ${i} (${names}): elements computed`);
    });
  });

  it("ScopedHosts answers as a fresh state over host lists whose domains repeat, go wildcard and come back", () => {
    const hosts = new Map<string, Uint8Array>();
    const domainsOf = new Map<Uint8Array, readonly string[]>();
    /** A host (bytes object) per name, serving `domains`. */
    const host = (name: string, domains: readonly string[]): Uint8Array => {
      let h = hosts.get(name);
      if (!h) {
        hosts.set(name, (h = Buffer.from(name)));
        domainsOf.set(h, domains);
      }
      return h;
    };
    const a = host("a", ["a.example"]);
    const b = host("b", ["b.example", "b2.example"]);
    const c = host("c", ["c.example"]);
    const dupOfA = host("dup", ["a.example"]);
    const wild = host("wild", ["*.w.example"]);
    const empty = host("empty", [""]);
    const steps: [string, Uint8Array[]][] = [
      ["three hosts", [a, b, c]],
      ["a domain twice", [a, b, c, dupOfA]],
      ["the same host object twice", [a, b, b, c]],
      ["back to distinct", [a, b, c]],
      ["a wildcard domain", [wild, a, b, c]],
      ["an empty domain and a duplicate", [a, empty, b, c, dupOfA]],
      ["the duplicate gone, the empty one stays", [a, empty, b, c]],
      ["all exact again", [a, c]],
      ["none", []],
      ["one again", [b]],
    ];
    const warm = new ScopedHosts();
    const made: string[] = [];
    let lastScoped: readonly Uint8Array[] = [];
    const scopesOf =
      (state: ScopedHosts, list: readonly Uint8Array[], log?: string[]) =>
      (i: number): HostScopes => {
        log?.push(Buffer.from(list[i]).toString());
        return state.domainsAt(i).map((d) => [d, { typeUrl: "t", value: Buffer.from(d) } as Any] as const);
      };
    for (const [name, list] of steps) {
      const fresh = new ScopedHosts();
      const want = fresh.exact(list, (h) => domainsOf.get(h)!);
      const distinct = list.flatMap((h) => domainsOf.get(h)!);
      assert.equal(
        want,
        new Set(distinct).size === distinct.length && distinct.every((d) => d !== "" && !d.includes("*")),
        `${name}: the fresh answer is right`,
      );
      assert.equal(
        warm.exact(list, (h) => domainsOf.get(h)!),
        want,
        `${name}: exact`,
      );
      if (!want) continue;
      made.length = 0;
      const got = warm.scopes(1, scopesOf(warm, list, made));
      const expected = fresh.scopes(1, scopesOf(fresh, list));
      // The same scopes; a warm map has the names a pass added last (ADR 0040), a fresh one in host order.
      assert.deepEqual([...got].sort(byName), [...expected].sort(byName), `${name}: the same scopes`);
      const w = listWindow(lastScoped, list);
      assert.equal(made.length, w.afterTo - w.from, `${name}: only the changed hosts' scopes made (${made.join(",")})`);
      lastScoped = list;
    }
    // Settings changed (another interned id): every host's scopes are made again.
    made.length = 0;
    warm.exact([a, b, c], (h) => domainsOf.get(h)!);
    warm.scopes(1, scopesOf(warm, [a, b, c]));
    warm.scopes(2, scopesOf(warm, [a, b, c], made));
    assert.deepEqual(made, ["a", "b", "c"]);
    // Nothing changed: the same map as last time (the cache skips it).
    const last = warm.scopes(2, scopesOf(warm, [a, b, c]));
    warm.exact([a, b, c], (h) => domainsOf.get(h)!);
    assert.equal(warm.scopes(2, scopesOf(warm, [a, b, c])), last);
    warm.exact([a, c], (h) => domainsOf.get(h)!);
    assert.notEqual(warm.scopes(2, scopesOf(warm, [a, c])), last);
  });
});
