/**
 * The reference run: ipykernel, the kernel every Jupyter client is built
 * against, passes the same suite tsnnx must pass. If this file fails, the
 * harness or an expectation is wrong, not tsnnx.
 */
import { describeKernelBehaviour } from "./kernel-behaviour.js";

describeKernelBehaviour({
  kernelName: "python3",
  language: "python",
  printHello: 'print("hello e2e")',
  printStderr: 'import sys; print("warn e2e", file=sys.stderr)',
  defineAnswerBase: "answerBase = 40",
  useAnswerBase: "answerBase + 2",
  displayHtml: 'from IPython.display import HTML, display\ndisplay(HTML("<b>e2e html</b>"))',
  displayThenUpdate:
    'from IPython.display import HTML, display\nprogress = display(HTML("<i>step 1</i>"), display_id="e2e-progress")\nprogress.update(HTML("<i>step 2</i>"))',
  throwError: 'raise ValueError("boom e2e")',
  errorName: "ValueError",
  sleepAMinute: "import time\ntime.sleep(60)",
  busyLoop: "while True:\n    pass",
  defineCompletionTarget: "completion_target_value = 1",
  completionPrefix: "completion_targ",
  completionTarget: "completion_target_value",
  askName: 'name = input("name? ")\nprint(f"hi {name}")',
  completeCode: "x = 1 + 1",
  incompleteCode: "for i in range(3):",
  invalidCode: "1 +* 2",
  inspectShows: /int/,
});
