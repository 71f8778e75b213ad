"""Third-party packages in cells (docs/packages.md).

Interpreted: a module served by a file-based GOPROXY that the test writes is
fetched with `%go get`, imported and called, and still works from the cache
with the proxy gone; a zip republished with other content is rejected.
Compiled in: `gokernel build --with` of a local module, and of gonum/plot for
notebooks/plots.ipynb.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO, install_kernelspec, start_kernel, stop_kernel
from kernelutil import Kernel

# A module with a dependency, as files relative to each module root.
WORDS = ("example.com/words", "v1.0.0", {
    "go.mod": "module example.com/words\n\ngo 1.22\n",
    "words.go": 'package words\n\nfunc Hello() string { return "hello" }\n',
})
GREET = ("example.com/greet", "v1.0.0", {
    "go.mod": "module example.com/greet\n\ngo 1.22\n\nrequire example.com/words v1.0.0\n",
    "greet.go": 'package greet\n\nimport "example.com/words"\n\n'
                'func Greet(name string) string { return words.Hello() + ", " + name }\n',
})

PLOT_ARGS = ["--with", "gonum.org/v1/plot", "--with", "gonum.org/v1/plot/plotter",
             "--with", "gonum.org/v1/plot/vg", "--with", "gonum.org/v1/plot/vg/draw",
             "--with", "gonum.org/v1/plot/plotutil"]

def module_zip(path: str, version: str, files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in sorted(files.items()):
            z.writestr(f"{path}@{version}/{name}", data)
    return buf.getvalue()

def write_proxy(root: Path, *mods) -> str:
    for path, version, files in mods:
        d = root / path / "@v"
        d.mkdir(parents=True, exist_ok=True)
        (d / "list").write_text(version + "\n")
        (d / f"{version}.info").write_text(json.dumps({"Version": version}))
        (d / f"{version}.mod").write_text(files["go.mod"])
        (d / f"{version}.zip").write_bytes(module_zip(path, version, files))
    return root.as_uri()

def output(ex) -> str:
    return ex.stdout + ex.stderr + "".join(e["evalue"] for e in ex.errors)

@pytest.fixture
def module_env(tmp_path, monkeypatch):
    """A cache directory and a file GOPROXY with greet and words, for the kernels started after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("GOPROXY", write_proxy(tmp_path / "proxy", WORDS, GREET))
    # The test's modules are made up: the checksum database does not know
    # them (as with the go command, GONOSUMDB exempts them).
    monkeypatch.setenv("GONOSUMDB", "example.com")
    monkeypatch.delenv("GOFLAGS", raising=False)
    return tmp_path

def require_go_magic(k: Kernel):
    ex = k.execute("%go list")
    assert ex.status == "ok", f"%go list failed:\n{ex}"

def test_go_get_import_and_offline(module_env, monkeypatch, request):
    k = start_kernel(request.node.name, "gotest")
    try:
        require_go_magic(k)
        ex = k.run("%go get example.com/greet@v1.0.0")
        assert "example.com/greet v1.0.0" in ex.stdout, ex
        k.run('import "example.com/greet"')
        assert k.run('greet.Greet("gopher")').result == '"hello, gopher"'
    finally:
        stop_kernel(k)

    # The proxy is gone; a new session gets the module from the cache.
    shutil.rmtree(module_env / "proxy")
    monkeypatch.setenv("GOPROXY", "off")
    k = start_kernel(request.node.name + "_offline", "gotest")
    try:
        ex = k.run("%go get example.com/greet")
        assert "from the cache" in ex.stdout, ex
        k.run('import "example.com/greet"')
        assert k.run('greet.Greet("again")').result == '"hello, again"'
    finally:
        stop_kernel(k)

def test_changed_zip_is_rejected(module_env, request):
    k = start_kernel(request.node.name, "gotest")
    try:
        require_go_magic(k)
        k.run("%go get example.com/words@v1.0.0")
        # The proxy republishes v1.0.0 with other content; the cached copy
        # and the layout are removed, so it is downloaded again.
        path, version, files = WORDS
        changed = dict(files, **{"words.go": 'package words\n\nfunc Hello() string { return "pwned" }\n'})
        write_proxy(module_env / "proxy", (path, version, changed))
        cache = module_env / "cache" / "gokernel" / "modules"
        (cache / "download" / "example.com" / "words" / "@v" / "v1.0.0.zip").unlink()
        shutil.rmtree(cache / "gopath" / "src" / "example.com" / "words")
        ex = k.execute("%go get example.com/words@v1.0.0")
        assert ex.status == "error", ex
        assert "checksum mismatch" in output(ex), ex
    finally:
        stop_kernel(k)

def gokernel_build(binary: Path, args: list[str], timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "build", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)

def test_build_with_local_module(gokernel_env, tmp_path, request):
    mod = tmp_path / "greet"
    mod.mkdir()
    (mod / "go.mod").write_text("module example.com/greet\n\ngo 1.22\n")
    (mod / "greet.go").write_text("""package greet

// Big does not fit any integer type: cells see its exact value.
const Big = 1 << 80

func Hello(name string) string { return "hello, " + name }

// Namer is implemented by cells, through the generated wrapper.
type Namer interface{ Name(_ int, W ...string) string }

func Greet(n Namer) string { return Hello(n.Name(1, "a", "b")) }

// Keys is generic: left out of the table, with a note.
func Keys[K comparable, V any](m map[K]V) []K { return nil }
""")
    out = tmp_path / "gokernel-greet"
    proc = gokernel_build(gokernel_env.binary, ["--with", f"example.com/greet={mod}", "-o", str(out)], 600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "example.com/greet: 1 exported names left out" in proc.stderr, proc.stderr
    install_kernelspec(out, gokernel_env.prefix, "gogreet")
    k = start_kernel(request.node.name, "gogreet")
    try:
        k.run('import "example.com/greet"')
        assert k.run('greet.Hello("compiled")').result == '"hello, compiled"'
        assert k.run("greet.Big >> 70").result == "1024"
        k.run('import "fmt"\ntype cellNamer struct{}\n'
              'func (cellNamer) Name(n int, parts ...string) string { return fmt.Sprint(n, parts) }')
        assert k.run("greet.Greet(cellNamer{})").result == '"hello, 1 [a b]"'
    finally:
        stop_kernel(k)

def proxy_reachable() -> bool:
    try:
        urllib.request.urlopen("https://proxy.golang.org/gonum.org/v1/plot/@v/list", timeout=10).close()
        return True
    except OSError:
        return False

PLOTS = REPO / "notebooks" / "plots.ipynb"

def pngs(nb) -> list[bytes]:
    return [base64.b64decode(out["data"]["image/png"])
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]

def test_plots_notebook(gokernel_env, tmp_path):
    if not proxy_reachable():
        pytest.skip("https://proxy.golang.org is unreachable: cannot download gonum.org/v1/plot")
    out = tmp_path / "gokernel-plot"
    started = time.monotonic()
    proc = gokernel_build(gokernel_env.binary, [*PLOT_ARGS, "-o", str(out)], 1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"gokernel build --with gonum.org/v1/plot took {time.monotonic() - started:.0f}s")
    install_kernelspec(out, gokernel_env.prefix, "goplot")

    nb = nbformat.read(PLOTS, as_version=4)
    NotebookClient(nb, kernel_name="goplot", timeout=120, startup_timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    charts = pngs(nb)
    assert len(charts) == 2, f"want a line chart and a bar chart, got {len(charts)} PNGs"
    for png in charts:
        assert png.startswith(b"\x89PNG") and len(png) > 2000, png[:16]
    errors = [out for cell in nb.cells for out in cell.get("outputs", []) if out["output_type"] == "error"]
    assert not errors, errors
    assert len(pngs(nbformat.read(PLOTS, as_version=4))) == 2, "plots.ipynb is saved without its two charts"
