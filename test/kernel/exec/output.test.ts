import assert from "node:assert/strict";
import { Notebook, RecordingIO } from "./helpers.js";

describe("kernel exec: console output routing", function () {
  this.timeout(120_000);
  let nb: Notebook;
  before(async () => {
    nb = await Notebook.open();
  });
  after(() => nb.executor.dispose());

  it("sends console.log/info/debug to stdout and console.error/warn to stderr, formatted without colors", async () => {
    const { io } = await nb.run(
      "console.log('a', 1, { b: [2] });\nconsole.error('oops');\nconsole.warn('careful');\nconsole.info('%s=%d', 'x', 5);\nconsole.dir({ deep: { er: { est: 1 } } }, { depth: 0 });",
    );
    assert.equal(io.text("stdout"), "a 1 { b: [ 2 ] }\nx=5\n{ deep: [Object] }\n");
    assert.equal(io.text("stderr"), "oops\ncareful\n");
  });

  it("sends process.stdout/stderr.write to the cell", async () => {
    const { io } = await nb.run("process.stdout.write('raw out');\nprocess.stderr.write(new TextEncoder().encode('raw err'));");
    assert.equal(io.text("stdout"), "raw out");
    assert.equal(io.text("stderr"), "raw err");
  });

  it("routes output of timers and promises to the cell that started them, also after it finished", async () => {
    const first = new RecordingIO();
    await nb.run(
      "setTimeout(() => console.log('late from first'), 150);\nsetTimeout(() => console.log('during first'), 10);\nawait new Promise((r) => setTimeout(r, 50));",
      first,
    );
    assert.equal(first.text(), "during first\n");
    const second = new RecordingIO();
    await nb.run("console.log('second'); await new Promise((r) => setTimeout(r, 250));", second);
    assert.equal(second.text(), "second\n");
    assert.equal(first.text(), "during first\nlate from first\n");
  });

  it("leaves output of code outside cells alone", async () => {
    const io = new RecordingIO();
    await nb.run("1", io);
    const original = process.stdout.write;
    let seen = "";
    process.stdout.write = ((chunk: string) => ((seen += chunk), true)) as typeof process.stdout.write;
    try {
      console.log("outside any cell");
    } finally {
      process.stdout.write = original;
    }
    assert.equal(io.text(), "");
    assert.equal(seen, "outside any cell\n");
  });
});
