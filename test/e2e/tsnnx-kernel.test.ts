/**
 * The tsnnx kernel through a real Jupyter server, held to the same suite as
 * ipykernel (see ipykernel.test.ts), installed by its own install.js.
 */
import { describeKernelBehaviour } from "./kernel-behaviour.js";
import { installTsnnxKernel, tsnnxKernelName } from "./tsnnx-kernelspec.js";

describeKernelBehaviour({
  kernelName: tsnnxKernelName,
  language: "typescript",
  printHello: 'console.log("hello e2e");',
  printStderr: 'console.error("warn e2e");',
  defineAnswerBase: "const answerBase = 40;",
  useAnswerBase: "answerBase + 2",
  displayHtml: 'display.html("<b>e2e html</b>");',
  throwError: 'throw new RangeError("boom e2e");',
  errorName: "RangeError",
  sleepAMinute: "await new Promise((resolve) => setTimeout(resolve, 60_000));",
  busyLoop: "while (true) {}",
  defineCompletionTarget: "const completionTargetValue = 1;",
  completionPrefix: "completionTarg",
  completionTarget: "completionTargetValue",
  prepare: installTsnnxKernel,
});
