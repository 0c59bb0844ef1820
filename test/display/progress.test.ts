import assert from "node:assert/strict";
import { byteProgress, progress, progressHtml, progressText, stderrSink, type ProgressSink, type ProgressState } from "../../src/display/index.js";

/** A sink that keeps every draw, with the fake time it came at. */
function recordingSink(clock: { now: number }): ProgressSink & { draws: { state: ProgressState; final: boolean; at: number }[] } {
  const draws: { state: ProgressState; final: boolean; at: number }[] = [];
  return { draws, draw: (state, final) => draws.push({ state: { ...state }, final, at: clock.now }) };
}

const state = (s: Partial<ProgressState>): ProgressState => ({ n: 0, elapsedSeconds: 0, unit: "it", status: "running", ...s });

describe("display: progress bars", () => {
  describe("tqdm's text line (worked out by hand from tqdm's format_meter rules)", () => {
    it("45 of 100 in 1.12 s: 3-wide percentage, 4.5 of 10 blocks, average rate with 2 decimals, time left from it", () => {
      // rate 45/1.12 = 40.178 it/s; left 55/40.178 = 1.37 s; 4.5 blocks = 4 full + the half block (4/8).
      assert.equal(progressText(state({ desc: "desc", n: 45, total: 100, elapsedSeconds: 1.12 })), "desc:  45%|████▌     | 45/100 [00:01<00:01, 40.18it/s]");
      assert.equal(progressText(state({ n: 45, total: 100, elapsedSeconds: 1.12 })), " 45%|████▌     | 45/100 [00:01<00:01, 40.18it/s]");
    });
    it("slower than one item a second shows seconds per item", () => {
      // 3 in 7 s: 2.333 s/it; 97 left take 226 s = 03:46; 0.3 blocks = 2/8 of the first.
      assert.equal(progressText(state({ desc: "slow", n: 3, total: 100, elapsedSeconds: 7 })), "slow:   3%|▎         | 3/100 [00:07<03:46,  2.33s/it]");
    });
    it("at the start the rate and time left are unknown; at the end the bar is full", () => {
      assert.equal(progressText(state({ desc: "desc", n: 0, total: 100 })), "desc:   0%|          | 0/100 [00:00<?, ?it/s]");
      assert.equal(progressText(state({ desc: "desc", n: 100, total: 100, elapsedSeconds: 2.5 })), "desc: 100%|██████████| 100/100 [00:02<00:00, 40.00it/s]");
    });
    it("without a total: count, elapsed time and rate only", () => {
      assert.equal(progressText(state({ desc: "desc", n: 7, elapsedSeconds: 2 })), "desc: 7it [00:02,  3.50it/s]");
    });
    it("elapsed times past the minute and the hour", () => {
      // 3725 at 1.5 it/s: 2483 s = 41:23; 275 left = 183 s = 03:03; 9.3125 blocks = 9 full + 2/8.
      assert.equal(progressText(state({ n: 3725, total: 4000, elapsedSeconds: 3725 / 1.5 })), " 93%|█████████▎| 3725/4000 [41:23<03:03,  1.50it/s]");
      assert.match(progressText(state({ n: 1, total: 2, elapsedSeconds: 3 * 3600 + 62 })), /\[3:01:02</);
    });
    it("bytes: sizes in 1024s with SI letters, the rate in 1000s, as tqdm's unit_scale writes them", () => {
      // 1258291 B = 1.19999 Mi -> 1.20M of 2.00M; 60% = 5.99999 blocks = 5 full + 7/8; 1258291/0.004 s = 314.6e6 B/s -> 315MB/s.
      assert.equal(
        progressText(state({ desc: "Saving step 3", n: 1258291, total: 2097152, elapsedSeconds: 0.004, unit: "B" })),
        "Saving step 3:  60%|█████▉    | 1.20M/2.00M [00:00<00:00, 315MB/s]",
      );
      assert.equal(progressText(state({ n: 512, total: 2048, elapsedSeconds: 1, unit: "B" })), " 25%|██▌       | 512/2.00k [00:01<00:03, 512B/s]");
    });
  });

  it("draws an HTML bar without scripts, its width the fraction done, every name escaped", () => {
    const html = progressHtml(state({ desc: '<script>"x"</script>', n: 45, total: 100, elapsedSeconds: 1.12 }));
    assert.ok(!html.includes("<script"));
    assert.ok(html.includes("&lt;script&gt;&quot;x&quot;&lt;/script&gt;"));
    assert.match(html, /width:45\.0%/);
    assert.ok(html.includes("45/100 [00:01&lt;00:01, 40.18it/s]"));
    assert.match(progressHtml(state({ n: 3, total: 3, status: "done" })), /width:100\.0%;height:100%;background:#4caf50/);
  });

  it("yields a sync iterable's items, draws at most once per 100 ms of the clock, and once more at 100%", () => {
    const clock = { now: 5000 };
    const sink = recordingSink(clock);
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const seen: number[] = [];
    for (const item of progress(items, { desc: "train", sink, clock: () => clock.now })) {
      seen.push(item);
      clock.now += 1; // each item takes 1 ms: 1 s in all
    }
    assert.deepEqual(seen, items);
    const running = sink.draws.filter((d) => !d.final);
    assert.equal(running[0]!.state.n, 0);
    for (let i = 1; i < running.length; i++) assert.ok(running[i]!.at - running[i - 1]!.at >= 100, `draws ${running[i - 1]!.at} and ${running[i]!.at} closer than 100 ms`);
    assert.ok(running.length >= 9 && running.length <= 11, `${running.length} draws in 1 s`);
    const last = sink.draws.at(-1)!;
    assert.equal(sink.draws.filter((d) => d.final).length, 1);
    assert.ok(last.final);
    assert.deepEqual([last.state.n, last.state.total, last.state.status], [1000, 1000, "done"]);
    assert.equal(progressText(last.state), "train: 100%|██████████| 1000/1000 [00:01<00:00, 1000.00it/s]");
  });

  it("draws the final state even when the last draw was a moment ago", () => {
    const clock = { now: 0 };
    const sink = recordingSink(clock);
    for (const _ of progress([1, 2, 3], { sink, clock: () => clock.now })) clock.now += 1;
    assert.deepEqual(sink.draws.map((d) => [d.state.n, d.final]), [[0, false], [3, true]]);
  });

  it("follows an async iterable; the total of a Set comes from its size", async () => {
    const clock = { now: 0 };
    const sink = recordingSink(clock);
    async function* numbers() {
      for (let i = 0; i < 5; i++) {
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const n of progress(numbers(), { total: 5, sink, clock: () => clock.now })) {
      seen.push(n);
      clock.now += 250;
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.deepEqual(sink.draws.map((d) => [d.state.n, d.final]), [[0, false], [1, false], [2, false], [3, false], [4, false], [5, false], [5, true]]);

    const setSink = recordingSink(clock);
    for (const _ of progress(new Set(["a", "b"]), { sink: setSink, clock: () => clock.now }));
    assert.equal(setSink.draws[0]!.state.total, 2);
  });

  it("closes the bar where it stood when the loop is left early (break, an exception)", async () => {
    const clock = { now: 0 };
    const sink = recordingSink(clock);
    for (const i of progress([1, 2, 3, 4, 5, 6], { sink, clock: () => clock.now })) {
      if (i === 3) break;
      clock.now += 10;
    }
    const last = sink.draws.at(-1)!;
    assert.deepEqual([last.final, last.state.n, last.state.status], [true, 2, "stopped"]);
    assert.match(progressText(last.state), /^ 33%\|███▎      \| 2\/6 /);

    const asyncSink = recordingSink(clock);
    async function* forever() {
      for (let i = 0; ; i++) yield i;
    }
    await assert.rejects(async () => {
      for await (const i of progress(forever(), { sink: asyncSink, clock: () => clock.now })) if (i === 4) throw new Error("stop");
    }, /stop/);
    assert.deepEqual([asyncSink.draws.at(-1)!.final, asyncSink.draws.at(-1)!.state.n, asyncSink.draws.at(-1)!.state.status], [true, 4, "stopped"]);
  });

  it("starts the bar with the loop, not when progress() is called", () => {
    const sink = recordingSink({ now: 0 });
    const bar = progress([1], { sink, clock: () => 0 });
    assert.equal(sink.draws.length, 0);
    [...bar];
    assert.equal(sink.draws.length, 2);
  });

  it("rejects what is not iterable and a bad total, naming the problem", () => {
    assert.throws(() => progress(42 as unknown as number[]), /progress expects an iterable or an async iterable, got number/);
    assert.throws(() => progress([1], { total: -1 }), /total must be a finite number >= 0, got -1/);
  });

  it("byteProgress follows ocp's byte events and ends at 100%", () => {
    const clock = { now: 0 };
    const sink = recordingSink(clock);
    const bar = byteProgress({ desc: "Saving step 3", sink, clock: () => clock.now });
    for (const done of [0, 1 << 20, 2 << 20, 3 << 20, 4 << 20]) {
      clock.now += 150;
      bar.update(done, 4 << 20);
    }
    bar.close();
    const last = sink.draws.at(-1)!;
    assert.ok(last.final);
    assert.equal(progressText(last.state), "Saving step 3: 100%|██████████| 4.00M/4.00M [00:00<00:00, 5.59MB/s]");
    assert.deepEqual(sink.draws.filter((d) => !d.final).map((d) => d.state.n), [0, 0, 1 << 20, 2 << 20, 3 << 20, 4 << 20]);
  });

  it("the stderr sink writes the first line, then one per interval, and the final line", () => {
    const clock = { now: 0 };
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => lines.push(text) > 0) as typeof process.stderr.write;
    try {
      const sink = stderrSink(5000, () => clock.now);
      for (const _ of progress(Array.from({ length: 120 }), { desc: "epoch", sink, clock: () => clock.now })) clock.now += 100; // 12 s
    } finally {
      process.stderr.write = write;
    }
    assert.equal(lines.length, 4, lines.join(""));
    assert.match(lines[0]!, /^epoch:   0%/);
    assert.match(lines.at(-1)!, /^epoch: 100%\|██████████\| 120\/120 \[00:12<00:00, 10\.00it\/s\]\n$/);
  });
});
