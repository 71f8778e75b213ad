"""Rich display, live updates, completion, inspection, the pager and history.

e2e/test_kernel_tests.py runs jupyter_kernel_test's checks of these; the
tests here look closer at what those checks only touch.
"""

import os
import tempfile

import pytest

from conftest import start_kernel, stop_kernel

# Every kernel of this module keeps its history in a directory of its own.
_DATA_HOME = tempfile.mkdtemp(prefix="gokernel-history-")


@pytest.fixture(autouse=True, scope="module")
def _history_home():
    old = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = _DATA_HOME
    yield
    if old is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = old


def test_result_mime_types(kernel):
    cases = [
        ('display.HTML("<i>x</i>")', "text/html", "<i>x</i>"),
        ('display.Latex("$x$")', "text/latex", "$x$"),
        ('display.SVG("<svg></svg>")', "image/svg+xml", "<svg></svg>"),
        ('display.JSON(map[string]int{"a": 1})', "application/json", {"a": 1}),
    ]
    for code, mime, want in cases:
        ex = kernel.run(code)
        assert ex.results[0]["data"][mime] == want, ex


def test_cell_type_with_html_method(kernel):
    kernel.run('type Card struct{ Name string }\nfunc (c Card) HTML() string { return "<b>" + c.Name + "</b>" }')
    ex = kernel.run('Card{"ace"}')
    assert ex.results[0]["data"]["text/html"] == "<b>ace</b>", ex


def test_png_is_base64(kernel):
    import base64
    ex = kernel.run('import "image"\nimage.NewRGBA(image.Rect(0, 0, 3, 2))')
    png = base64.b64decode(ex.results[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG"), ex


def test_live_update(kernel):
    ex = kernel.run(
        'import "fmt"\nh := display.NewHandle(display.Text("0"))\n'
        'for i := 1; i <= 3; i++ {\n\th.Update(display.Text(fmt.Sprint(i)))\n}'
    )
    shown = [m for m in ex.iopub if m["msg_type"] == "display_data"]
    updates = [m for m in ex.iopub if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1 and len(updates) == 3, ex
    ids = {m["content"]["transient"]["display_id"] for m in shown + updates}
    assert len(ids) == 1, ids
    assert [m["content"]["data"]["text/plain"] for m in updates] == ["1", "2", "3"]


def test_pager_forms(kernel):
    for code in ("?strings.Split", "strings.Split?", "%doc strings.Split"):
        ex = kernel.run(code)
        payload = ex.reply["content"]["payload"]
        assert payload and payload[0]["source"] == "page", ex
        assert "func Split(s, sep string) []string" in payload[0]["data"]["text/plain"]


def test_history_survives_restart():
    k = start_kernel("history_survives_restart_1")
    try:
        k.run("41 + 1")
        first = k.reply(k.kc.history(hist_access_type="tail", n=1))["content"]["history"]
    finally:
        stop_kernel(k)
    k = start_kernel("history_survives_restart_2")
    try:
        reply = k.reply(k.kc.history(hist_access_type="tail", n=1, output=True))
        (session, line, (source, output)), = reply["content"]["history"]
        assert [session, line, source] == first[0] and output == "42"
        k.run("1 + 1")
        now = k.reply(k.kc.history(hist_access_type="range", session=0, start=1))["content"]["history"]
        assert [h[0] for h in now] == [session + 1] and now[0][2] == "1 + 1"
    finally:
        stop_kernel(k)
