"""jupyter_kernel_test's standard conformance checks, configured for Go.

The knobs for completion, inspection, history, the pager and display data are
left unset: those features come later, and the base class skips the tests
whose knob is empty.
"""

import jupyter_kernel_test

from conftest import KERNEL_NAME


class TestGoKernel(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'import "fmt"\nfmt.Println("hello, world")'

    # Tests run in alphabetical order (stderr before stdout), so this cell
    # imports everything it uses rather than relying on the hello-world cell.
    code_stderr = 'import "fmt"\nimport "os"\nfmt.Fprintln(os.Stderr, "oops")'

    complete_code_samples = ["x := 1", 'fmt.Println("hi")', "func f() {}"]
    incomplete_code_samples = ["func f() {", "if true {\n\tx := 1", "s := []int{\n\t1,"]
    invalid_code_samples = ["x := )", "func f() { ) }"]

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"a" + "b"', "result": '"ab"'},
    ]

    code_generate_error = 'panic("boom")'
