/** The history store: IPython's session numbering, tail/range/search semantics, and a file that survives torn writes. */
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { globToRegExp, HistoryStore, parseHistoryQuery } from "../../src/kernel/history.js";

const file = () => join(mkdtempSync(join(os.tmpdir(), "tsnnx-history-")), "sub", "history.jsonl");

describe("kernel history", () => {
  it("numbers sessions one past the highest on disk and appends lines to the file", async () => {
    const path = file();
    const first = await HistoryStore.open(path);
    assert.equal(first.session, 1);
    first.append(1, "a = 1", null);
    first.append(2, "a + 1", "2");
    await first.close();
    const second = await HistoryStore.open(path);
    assert.equal(second.session, 2);
    assert.deepEqual(second.query({ kind: "tail", n: 10, output: true }), [[1, 1, ["a = 1", null]], [1, 2, ["a + 1", "2"]]]);
    const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((l) => "source" in l).map((l) => l.source), ["a = 1", "a + 1"]);
    assert.equal(lines.filter((l) => "claim" in l).length, 2, "each open claims its session with one line");
  });

  it("gives kernels that start at the same moment distinct sessions, in the order of their claims", async () => {
    const path = file();
    const stores = await Promise.all(Array.from({ length: 8 }, () => HistoryStore.open(path)));
    assert.deepEqual(stores.map((s) => s.session).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    stores.forEach((s) => s.append(1, `cell of session ${s.session}`, null));
    await Promise.all(stores.map((s) => s.close()));
    const later = await HistoryStore.open(path);
    assert.equal(later.session, 9);
    for (const s of stores) {
      assert.deepEqual(later.query({ kind: "range", session: s.session, start: 1, stop: null, output: false }), [[s.session, 1, `cell of session ${s.session}`]]);
    }
  });

  it("skips a torn last line instead of failing", async () => {
    const path = file();
    const store = await HistoryStore.open(path);
    store.append(1, "ok", null);
    await store.close();
    appendFileSync(path, '{"session":1,"li');
    const reopened = await HistoryStore.open(path);
    assert.deepEqual(reopened.query({ kind: "tail", n: 5, output: false }), [[1, 1, "ok"]]);
  });

  it("answers range (relative sessions, stop exclusive), tail and search (glob, unique, last n)", async () => {
    const path = file();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, [
      { session: 1, line: 1, source: "x = 1", output: null },
      { session: 1, line: 2, source: "print(x)", output: null },
      { session: 2, line: 1, source: "x = 2", output: null },
    ].map((e) => JSON.stringify(e)).join("\n") + "\n");
    const store = await HistoryStore.open(path);
    assert.equal(store.session, 3);
    store.append(1, "x = 1", null);
    store.append(2, "y", "'y'");
    assert.deepEqual(store.query({ kind: "range", session: 1, start: 2, stop: null, output: false }), [[1, 2, "print(x)"]]);
    assert.deepEqual(store.query({ kind: "range", session: -1, start: 1, stop: 2, output: false }), [[2, 1, "x = 2"]]);
    assert.deepEqual(store.query({ kind: "range", session: 0, start: 1, stop: 2, output: false }), [[3, 1, "x = 1"]]);
    assert.deepEqual(store.query({ kind: "tail", n: 2, output: false }), [[3, 1, "x = 1"], [3, 2, "y"]]);
    assert.deepEqual(store.query({ kind: "search", pattern: "x = ?", n: null, unique: false, output: false }).map((r) => r.slice(0, 2)), [[1, 1], [2, 1], [3, 1]]);
    assert.deepEqual(store.query({ kind: "search", pattern: "x = ?", n: null, unique: true, output: false }), [[2, 1, "x = 2"], [3, 1, "x = 1"]]);
    assert.deepEqual(store.query({ kind: "search", pattern: "x*", n: 1, unique: false, output: false }), [[3, 1, "x = 1"]]);
  });

  it("matches globs as SQLite GLOB does: case-sensitive, whole string, classes", () => {
    assert.ok(globToRegExp("a*c").test("abbbc"));
    assert.ok(!globToRegExp("a*c").test("abcd"));
    assert.ok(!globToRegExp("A*").test("abc"));
    assert.ok(globToRegExp("[a-c]?").test("bz"));
    assert.ok(globToRegExp("[^a]x").test("bx") && !globToRegExp("[^a]x").test("ax"));
    assert.ok(globToRegExp("1.0+(x)").test("1.0+(x)") && !globToRegExp("1.0").test("100"));
    assert.ok(globToRegExp("*").test("multi\nline"));
  });

  it("checks history_request content", () => {
    assert.deepEqual(parseHistoryQuery({ hist_access_type: "tail", n: 3, output: true }), { kind: "tail", n: 3, output: true });
    assert.deepEqual(parseHistoryQuery({ hist_access_type: "search", pattern: "a*", unique: true }), { kind: "search", pattern: "a*", n: null, unique: true, output: false });
    assert.throws(() => parseHistoryQuery({ hist_access_type: "range", start: "1" }), /start must be an integer/);
    assert.throws(() => parseHistoryQuery({ hist_access_type: "all" }), /hist_access_type must be "tail", "range" or "search"/);
  });
});
