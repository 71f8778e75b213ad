"""jupyter_kernel_test's standard conformance checks, configured for Go.

Every knob is set, so none of the base class's tests is skipped for want of
one. The kernel keeps its history in a directory of its own.
"""

import os
import shutil
import tempfile

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

    completion_samples = [
        {"text": "strings.ToUpp", "matches": {"ToUpper", "ToUpperSpecial"}},
        {"text": "fmt.Printl", "matches": {"Println"}},
        {"text": "display.HTM", "matches": {"HTML", "HTMLer"}},
    ]
    code_inspect_sample = "fmt.Println"
    code_page_something = "?fmt.Println"
    code_display_data = [
        {"code": 'display.Show(display.HTML("<b>hi</b>"))', "mime": "text/html"},
        {"code": 'display.Show(display.Markdown("# hi"))', "mime": "text/markdown"},
        {"code": 'import "image"\ndisplay.Show(image.NewGray(image.Rect(0, 0, 4, 4)))', "mime": "image/png"},
    ]
    code_clear_output = "display.Clear(false)"
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "1 + *"

    @classmethod
    def setUpClass(cls):
        cls._old_data_home = os.environ.get("XDG_DATA_HOME")
        cls._data_home = tempfile.mkdtemp(prefix="gokernel-history-")
        os.environ["XDG_DATA_HOME"] = cls._data_home
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if cls._old_data_home is None:
            os.environ.pop("XDG_DATA_HOME", None)
        else:
            os.environ["XDG_DATA_HOME"] = cls._old_data_home
        shutil.rmtree(cls._data_home, ignore_errors=True)
