import assert from "node:assert/strict";
import { Notebook } from "./helpers.js";

describe("kernel exec: rich output", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb.executor.dispose());

  it("display.html/markdown/svg/latex/json send their MIME type with a text/plain fallback", async () => {
    const { outcome, io } = await nb.run(
      [
        "display.html('<b>bold</b>');",
        "display.markdown('# Title');",
        "display.svg('<svg xmlns=\"http://www.w3.org/2000/svg\"/>');",
        "display.latex('$x^2$');",
        "display.json({ a: [1, 2] });",
      ].join("\n"),
    );
    assert.deepEqual(outcome, { status: "ok" });
    assert.deepEqual(
      io.displays().map((d) => d.data),
      [
        { "text/html": "<b>bold</b>", "text/plain": "<html>" },
        { "text/markdown": "# Title", "text/plain": "<markdown>" },
        { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"/>', "text/plain": "<svg>" },
        { "text/latex": "$x^2$", "text/plain": "<latex>" },
        { "application/json": { a: [1, 2] }, "text/plain": "<json>" },
      ],
    );
  });

  it("display.png/jpeg take bytes (encoded to base64) or base64 text", async () => {
    const { io } = await nb.run("display.png(new Uint8Array([137, 80, 78, 71]));\ndisplay.jpeg('/9j/AA==');");
    assert.deepEqual(io.displays().map((d) => d.data), [
      { "image/png": "iVBORw==", "text/plain": "<png>" },
      { "image/jpeg": "/9j/AA==", "text/plain": "<jpeg>" },
    ]);
    const error = await nb.error("%typecheck off\ndisplay.png(42 as any)");
    assert.match(error.evalue, /display.png\/jpeg expects bytes \(Uint8Array\) or a base64 string, got number/);
    await nb.value("%typecheck on");
  });

  it("shows any object through its [Symbol.for('Jupyter.display')]() bundle, also as a result", async () => {
    await nb.value(
      "class Chart { [Symbol.for('Jupyter.display')]() { return { 'text/html': '<div>chart</div>', 'text/plain': 'Chart' }; } }",
    );
    const { io } = await nb.run("display(new Chart())");
    assert.deepEqual(io.displays()[0]!.data, { "text/html": "<div>chart</div>", "text/plain": "Chart" });
    const { outcome } = await nb.run("new Chart()");
    assert.deepEqual(outcome, { status: "ok", result: { data: { "text/html": "<div>chart</div>", "text/plain": "Chart" }, metadata: {} } });
    const bad = await nb.error("display({ [Symbol.for('Jupyter.display')]: () => 'not a bundle' })");
    assert.match(bad.evalue, /must return a MIME bundle object/);
  });

  it("shows other values as text/plain through util.inspect, without colors", async () => {
    const { io } = await nb.run("display({ nested: { deep: [1, 2, 3] }, s: 'str' });\ndisplay(new Map([[1, 'a']]));");
    assert.deepEqual(io.displays().map((d) => d.data), [
      { "text/plain": "{ nested: { deep: [ 1, 2, 3 ] }, s: 'str' }" },
      { "text/plain": "Map(1) { 1 => 'a' }" },
    ]);
  });

  it("shows jax-js arrays with their values and dtype, without consuming them", async () => {
    await nb.value("const shown = np.array([[1.5, 2], [3, 4]]);");
    const { io } = await nb.run("await display(shown);\nshown.refCount");
    assert.deepEqual(io.displays()[0]!.data, { "text/plain": "Array([[1.5, 2],\n       [3, 4]], dtype=float32)" });
    assert.equal(await nb.value("shown.refCount"), "1");
    assert.equal(await nb.value("np.arange(3)"), "Array([0, 1, 2], dtype=int32)");
    assert.equal(await nb.value("np.zeros([40, 40])"), "Array(shape=[40, 40], dtype=float32)");
  });

  it("sends display ids and updates, and clears output", async () => {
    const { io } = await nb.run(
      "display.html('<p>1</p>', { displayId: 'progress' });\ndisplay.html('<p>2</p>', { displayId: 'progress', update: true });\ndisplay.clear(true);",
    );
    assert.deepEqual(
      io.outputs.map((o) => (o.type === "display" ? [o.transient, o.update] : o)),
      [[{ display_id: "progress" }, false], [{ display_id: "progress" }, true], { type: "clear", wait: true }],
    );
    const error = await nb.error("await display.html('x', { update: true })");
    assert.match(error.evalue, /needs a displayId/);
  });

  it("finishes pending displays before the cell's outcome", async () => {
    const { outcome, io } = await nb.run("display(np.ones([2]));\n'after'");
    assert.equal(outcome.status, "ok");
    assert.deepEqual(io.displays()[0]!.data, { "text/plain": "Array([1, 1], dtype=float32)" });
  });
});
