/**
 * `npm test` after the build: every mocha suite, then every notebook under
 * notebooks/ through `tsnnx test`. Both always run. Their output passes
 * through unchanged, and the run closes with one `N passed, N failed` line
 * totalling both (mocha's tests plus the notebooks), so that a CI log reader
 * looking at the last line sees the whole verdict, not only the notebooks'.
 * A runner that ends non-zero without reporting a failure counts as one.
 */
import { spawn } from "node:child_process";

function run(command, args, countPattern) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["inherit", "pipe", "inherit"] });
    let passed = 0;
    let failed = 0;
    let pending = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) {
        const counts = countPattern(line);
        if (counts) ({ passed = passed, failed = failed } = counts);
      }
    });
    child.on("close", (code) => resolve({ passed, failed: code !== 0 && failed === 0 ? 1 : failed }));
  });
}

const mochaCounts = (line) => {
  const passing = /^\s*(\d+) passing\b/.exec(line);
  if (passing) return { passed: Number(passing[1]) };
  const failing = /^\s*(\d+) failing\b/.exec(line);
  return failing ? { failed: Number(failing[1]) } : null;
};
const notebookCounts = (line) => {
  const match = /^(\d+) passed, (\d+) failed$/.exec(line);
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : null;
};

const mocha = await run("npx", ["mocha", "test/**/*.test.ts"], mochaCounts);
const notebooks = await run(process.execPath, ["dist/src/cli.js", "test", "notebooks/"], notebookCounts);
process.stdout.write(`\nmocha: ${mocha.passed} passed, ${mocha.failed} failed; notebooks: ${notebooks.passed} passed, ${notebooks.failed} failed\n`);
process.stdout.write(`${mocha.passed + notebooks.passed} passed, ${mocha.failed + notebooks.failed} failed\n`);
process.exitCode = mocha.failed + notebooks.failed > 0 ? 1 : 0;
