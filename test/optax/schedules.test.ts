/** Optax's schedules against the real Optax (test/optax/schedules_reference.py in the shared venv). */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as optax from "../../src/optax/index.js";

let reference: Record<string, number[]> | undefined;

function optaxReference(): Record<string, number[]> {
  if (!reference) {
    const venv = fileURLToPath(new URL("../python/ensure-venv.sh", import.meta.url));
    const python = execFileSync("bash", [venv], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
    const script = fileURLToPath(new URL("./schedules_reference.py", import.meta.url));
    const out = execFileSync(python, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 10 * 60_000 });
    reference = JSON.parse(out.trim().split("\n").pop()!) as Record<string, number[]>;
  }
  return reference;
}

const schedules: Record<string, optax.Schedule> = {
  constant: optax.constantSchedule(0.3),
  linear: optax.linearSchedule(1, 0.1, 10, 3),
  polynomial: optax.polynomialSchedule(1, 0, 2, 12),
  exponential: optax.exponentialDecay(0.5, 4, 0.5),
  exponential_staircase: optax.exponentialDecay(0.5, 4, 0.5, { transitionBegin: 2, staircase: true, endValue: 0.05 }),
  cosine: optax.cosineDecaySchedule(2, 16, { alpha: 0.1 }),
  warmup_cosine: optax.warmupCosineDecaySchedule(0, 1, 5, 20, { endValue: 0.01 }),
};

describe("optax schedules against the real Optax", function () {
  this.timeout(40 * 60_000);
  before(() => void optaxReference());

  for (const [name, schedule] of Object.entries(schedules)) {
    it(`${name} gives Optax's values for steps 0..24`, () => {
      const expected = optaxReference()[name]!;
      expected.forEach((e, step) => {
        const got = schedule(step);
        // Optax computes in float32; these are doubles.
        assert.ok(Math.abs(got - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${name}(${step}): tsnnx ${got}, Optax ${e}`);
      });
    });
  }

  it("rejects bad arguments by name", () => {
    assert.throws(() => optax.cosineDecaySchedule(1, 0), /cosineDecaySchedule: decaySteps must be a positive integer, got 0/);
    assert.throws(() => optax.warmupCosineDecaySchedule(0, 1, 10, 5), /decaySteps \(5\) must exceed warmupSteps \(10\)/);
    assert.throws(() => optax.joinSchedules([optax.constantSchedule(1)], [3]), /joinSchedules: 1 schedules need 0 boundaries, got 1/);
  });
});
