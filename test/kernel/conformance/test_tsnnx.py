"""The official Jupyter kernel conformance suite (jupyter_kernel_test) for tsnnx.

Run by test/kernel/conformance.test.ts, which installs the kernelspec into a
scratch JUPYTER_DATA_DIR / JUPYTER_PATH and names it in TSNNX_KERNEL_NAME.
"""
import os
import unittest

import jupyter_kernel_test

# A 1x1 transparent PNG, base64.
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


class TsnnxKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("TSNNX_KERNEL_NAME", "tsnnx")
    language_name = "typescript"
    file_extension = ".ts"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # The first cell loads the TypeScript compiler and jax-js; give it time,
        # and define a name for the completion sample ("a name defined in an earlier cell").
        cls.kc.execute_interactive('const tsnnxGreeting: string = "hi";', timeout=180)

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'

    completion_samples = [
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "tsnnxGree", "matches": {"tsnnxGreeting"}},
        {"text": "tsnnxGreeting.toUpperC", "matches": {"toUpperCase"}},
    ]

    complete_code_samples = ["1 + 1", "const a = 1;", "function f(x: number) { return x; }", "console.log('done')"]
    incomplete_code_samples = ["function f(x: number) {", "const s = `open", "if (true) {\n  1;"]
    invalid_code_samples = ["1 +* 2", "const = 5;", "x = = 3;", "}"]

    code_generate_error = 'throw new Error("expected failure")'

    code_execute_result = [
        {"code": "1+1", "result": "2"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": '"tsnnx".length', "result": "5"},
    ]

    code_display_data = [
        {"code": 'await display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'await display.markdown("# title")', "mime": "text/markdown"},
        {"code": f'await display.png("{PNG_1X1}")', "mime": "image/png"},
    ]

    code_history_pattern = "1?1"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_page_something = "Math.max?"

    code_clear_output = "display.clear()"


if __name__ == "__main__":
    unittest.main()
