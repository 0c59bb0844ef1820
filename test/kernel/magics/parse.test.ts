/** Magic lines to statements: what each magic's line becomes, and every kind of bad input refused before anything runs. */
import assert from "node:assert/strict";
import ts from "typescript";
import { createMagics, MagicRegistry, prepareCell, UsageError } from "../../../src/kernel/magics/index.js";
import { NotebookScope } from "../../../src/kernel/exec/scope.js";

function registry(): MagicRegistry {
  const magics = new MagicRegistry();
  createMagics(magics, "/tmp", new NotebookScope(), () => false);
  return magics;
}

const magics = registry();
const prepare = (code: string) => prepareCell(ts, code, magics, "cell[1]");
const rewritten = (code: string) => prepare(code).code;
const usageError = (code: string, pattern: RegExp) =>
  assert.throws(() => prepare(code), (e: Error) => e instanceof UsageError && pattern.test(e.message));

describe("magic lines: rewriting", () => {
  it("%save: the expression becomes a function of the cell, literal flags typed values", () => {
    assert.equal(rewritten("%save model"), 'await __tsnnxMagic("save", {}, () => (model));');
    assert.equal(
      rewritten("%save { model, optimizer } --step 3 --dir ./ck --force --metrics {\"loss\": 0.5}"),
      'await __tsnnxMagic("save", {"step": 3, "dir": "./ck", "force": true, "metrics": {"loss":0.5}}, () => ({ model, optimizer }));',
    );
    assert.equal(rewritten("%save m --metrics '{\"acc\": 1}'"), 'await __tsnnxMagic("save", {"metrics": {"acc":1}}, () => (m));');
  });

  it("interpolates {expr} in flag values: whole values as expressions, parts as template strings", () => {
    assert.equal(rewritten("%save model --step {i} --dir ck_{run}/x"), 'await __tsnnxMagic("save", {"step": (i), "dir": `ck_${run}/x`}, () => (model));');
    assert.equal(rewritten("%save model --metrics {metrics}"), 'await __tsnnxMagic("save", {"metrics": (metrics)}, () => (model));');
  });

  it("drops a trailing // comment, which would otherwise swallow the rewritten line's end", () => {
    assert.equal(rewritten("%save model --step 3 // after warm-up"), 'await __tsnnxMagic("save", {"step": 3}, () => (model));');
    assert.equal(rewritten("%time f(x) // once"), 'await __tsnnxMagicValue("time", {}, () => (f(x)));');
    assert.equal(rewritten("%save model --dir ./a//b"), 'await __tsnnxMagic("save", {"dir": "./a//b"}, () => (model));');
  });

  it("keeps line numbers and indentation: a magic inside a loop stays on its line", () => {
    const code = "for (let i = 0; i < 3; i++) {\n  %save model --step {i}\n}";
    const lines = rewritten(code).split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[1], '  await __tsnnxMagic("save", {"step": (i)}, () => (model));');
  });

  it("%restore: a target, or `name = constructor` declaring name", () => {
    assert.equal(rewritten("%restore model --step best --partial"), 'await __tsnnxMagic("restore", {"step": "best", "partial": true}, () => (model));');
    assert.equal(rewritten("%restore m = new MLP(2, 3, rngs)"), 'const m = await __tsnnxMagicValue("restore", {}, () => (new MLP(2, 3, rngs)));');
    assert.equal(rewritten("%restore model --step 4"), 'await __tsnnxMagic("restore", {"step": 4}, () => (model));');
  });

  it("%diff: step numbers stay numbers, anything else is an expression", () => {
    assert.equal(rewritten("%diff 1 2"), 'await __tsnnxMagic("diff", {}, 1, 2);');
    assert.equal(rewritten("%diff model.layers[0] 7"), 'await __tsnnxMagic("diff", {}, () => (model.layers[0]), 7);');
  });

  it("%time and %timeit: expressions give their value, declarations bind, statements run as a body", () => {
    assert.equal(rewritten("%time f(x)"), 'await __tsnnxMagicValue("time", {}, () => (f(x)));');
    assert.equal(rewritten("%time const y = await g(x)"), 'const y = await __tsnnxMagicValue("time", {}, async () => (await g(x)));');
    assert.equal(rewritten("%time for (const v of xs) f(v)"), 'await __tsnnxMagic("time", {}, () => { for (const v of xs) f(v) });');
    assert.equal(rewritten("%timeit -n 10 -r 3 f(x)"), 'await __tsnnxMagicValue("timeit", {"number": 10, "repeat": 3}, () => (f(x)));');
    // A statement's flags come first: a later `-n` belongs to the statement.
    assert.equal(rewritten("%timeit a - n"), 'await __tsnnxMagicValue("timeit", {}, () => (a - n));');
  });

  it("%checkpoint_dir, %device, %who, %lsmagic: words and nothing", () => {
    assert.equal(rewritten("%checkpoint_dir runs/a --best loss --mode min"), 'await __tsnnxMagic("checkpoint_dir", {"best": "loss", "mode": "min"}, "runs/a");');
    assert.equal(rewritten("%checkpoint_dir ck_{i}"), 'await __tsnnxMagic("checkpoint_dir", {}, `ck_${i}`);');
    assert.equal(rewritten("%device wasm"), 'await __tsnnxMagic("device", {}, "wasm");');
    assert.equal(rewritten("%who"), 'await __tsnnxMagic("who", {});');
    assert.equal(rewritten("%eval_shape new MLP(2, 3, rngs)"), 'await __tsnnxMagic("eval_shape", {}, () => (new MLP(2, 3, rngs)));');
  });

  it("prepare-time magics and %name? become actions, their lines blank", () => {
    const prepared = prepare("%typecheck off\n%save?\nconst x = 1;");
    assert.equal(prepared.code, "\n\nconst x = 1;");
    assert.equal(prepared.actions.length, 2);
  });

  it("leaves % inside strings, templates and comments alone", () => {
    // `% 3` (an operator, not a name) is no magic either.
    const safe = "const a = `\n%save model\n`;\n/*\n%save model\n*/\nconst c = \"%save\";\nconst b = 5\n  % 3;\nconst t = `${`\n%who`}`;";
    assert.equal(rewritten(safe), safe);
  });
});

describe("magic lines: bad input runs nothing", () => {
  it("an unknown magic names itself and the known ones", () => usageError("%sav model", /unknown magic %sav; known magics: .*%save/));
  it("an unknown flag names the magic, the flag and the flags there are", () =>
    usageError("%save model --stp 3", /^%save: unknown flag --stp \(flags: --dir, --step, --metrics, --force\)/));
  it("a missing value", () => usageError("%save model --step", /^%save: --step needs a value \(an integer >= 0\)/));
  it("a value followed by another flag is missing too", () => usageError("%save model --dir --force", /--dir needs a value/));
  it("--step not a number", () => usageError("%save model --step three", /^%save: --step takes an integer >= 0, got 'three'/));
  it("--step negative", () => usageError("%save model --step -1", /--step/));
  it("bad JSON for --metrics", () => usageError('%save model --metrics {"loss": }', /^%save: --metrics takes JSON or \{expression\}: /));
  it("a flag given twice", () => usageError("%save model --force --force", /--force is given twice/));
  it("a switch with a value", () => usageError("%save model --force=yes", /--force takes no value/));
  it("--step of %restore: a number, latest or best", () => usageError("%restore model --step newest", /takes a step number, latest or best, got 'newest'/));
  it("a missing expression", () => usageError("%save --step 3", /^%save: an expression is missing/));
  it("%diff needs two operands", () => usageError("%diff 3", /takes 2 operands/));
  it("%device takes wasm or webgpu", () => usageError("%device tpu", /'tpu' is not one of wasm, webgpu/));
  it("%who takes nothing", () => usageError("%who model", /unexpected 'model'/));
  it("%%time only on the first line", () => usageError("const a = 1;\n%%time\na", /%%time must be on the first line/));
  it("an unknown cell magic", () => usageError("%%timeit\nf()", /unknown cell magic %%timeit/));
  it("%name? of an unknown magic", () => usageError("%nothing?", /unknown magic %nothing/));

  it("a syntax error in an operand points at the magic's line and column", () => {
    assert.throws(
      () => prepare("const a = 1;\n  %save model(\nconst b = 2;"),
      (e: Error) => e.name === "SyntaxError" && /^cell\[1\]:2:15 - error TS1005: %save: '\)' expected\./.test(e.message),
    );
    assert.throws(() => prepare("%time const = 3"), (e: Error) => e.name === "SyntaxError" && /^cell\[1\]:1:13 - error TS1134: %time: Variable declaration expected/.test(e.message));
  });

  it("checks every line before any action: a bad line after %typecheck leaves the setting alone", () => {
    usageError("%typecheck off\n%save model --bogus", /unknown flag --bogus/);
  });
});
