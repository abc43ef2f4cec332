"""The Inspector in a real JupyterLab 4 and Notebook 7, driven in Chromium by Playwright.

Starts the app (JupyterLab, then Notebook 7: both load anywidget's prebuilt front
end, no node build) on 127.0.0.1 (a free port, a random token, a temporary root that
holds ``inspector.ipynb``), runs all cells from the Run menu, and checks that the
widget really renders and reacts: the States table lists ``count``, the lane slider
swaps the axis diagram, the graph has clickable nodes, the per-element / batched
toggle swaps the graph, and the cache-entry selector switches calls. A screenshot
goes to ``tests/artifacts/``. The server and its kernels are always stopped.

Needs ``/usr/bin/chromium`` (``make test`` installs Debian's ``chromium`` as root) and
the ``playwright`` Python package (the ``test`` extra); skips, saying which is
missing, otherwise.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.browser

HERE = pathlib.Path(__file__).parent
REPO = HERE.parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
NOTEBOOK = HERE / "inspector.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
SERVER_START_S = 45
WIDGET_S = 60_000  # ms: kernel start, JAX import, tracing, Graphviz
STEP_MS = 15_000


def _require_browser() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's "
                    "`chromium` with apt-get when run as root (apt-get install chromium).")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the `playwright` Python package is not installed "
                    "(pip install -e '.[test]').")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, method: str = "GET", timeout: float = 5.0) -> bytes:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def _descendants(pid: int) -> list[int]:
    """PIDs of every process below ``pid`` (read from /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Shut kernels down, stop the server; SIGKILL whatever of ours is left."""
    try:
        for k in json.loads(_get(f"{base}/api/kernels?token={token}")):
            try:
                _get(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")
            except (OSError, urllib.error.URLError):
                pass
    except (OSError, ValueError, urllib.error.URLError):
        pass
    left = _descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


#: app name -> (module to run, its config class, notebook URL path, app-only options)
APPS = {
    "jupyterlab": ("jupyterlab", "LabApp", "lab/tree/{name}",
                   ["--LabApp.news_url=",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]),
    "notebook7": ("notebook", "JupyterNotebookApp", "notebooks/{name}", []),
}


@pytest.fixture(params=sorted(APPS))
def server(request, tmp_path):
    """JupyterLab 4 or Notebook 7 on 127.0.0.1; yields ``(app, notebook URL, base, token)``."""
    app = request.param
    module, config_class, url_path, extra = APPS[app]
    _require_browser()
    try:
        __import__(module)
    except ImportError:
        pytest.skip(f"the `{module}` package is not installed (pip install -e '.[test]').")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No "Would you like to get Jupyter news?" toast over the page.
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ,
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "IPYTHONDIR": str(tmp_path / "ipython"),
           "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(
               os.pathsep)}
    cmd = [sys.executable, "-m", module, "--no-browser", "--allow-root",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--{config_class}.user_settings_dir={tmp_path / 'settings'}",
           f"--{config_class}.workspaces_dir={tmp_path / 'workspaces'}", *extra]
    log_path = tmp_path / f"{app}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                _get(f"{base}/api/status?token={token}", timeout=2)
                break
            except (OSError, urllib.error.URLError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    pytest.fail(f"{app} did not start within {SERVER_START_S} s:\n{tail}")
                time.sleep(0.3)
        url = f"{base}/{url_path.format(name=NOTEBOOK.name)}?token={token}"
        yield app, url, base, token
    finally:
        _stop(proc, base, token)


def _accept_dialog(page, wait_ms: int = 0) -> bool:
    """Accept a JupyterLab dialog (e.g. "Select Kernel") if one is open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    try:
        button.first.wait_for(state="visible", timeout=max(wait_ms, 1))
    except PlaywrightTimeout:
        return False
    button.first.click()
    return True


def _wait_for_kernel(page, base: str, token: str, timeout_s: float = 40) -> None:
    """Until the notebook's kernel is idle (asked over REST), accepting the kernel dialog."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _accept_dialog(page)
        try:
            kernels = json.loads(_get(f"{base}/api/kernels?token={token}"))
        except (OSError, ValueError, urllib.error.URLError):
            kernels = []
        if any(k.get("execution_state") == "idle" for k in kernels):
            return
        page.wait_for_timeout(250)
    pytest.fail(f"the notebook's kernel was not idle within {timeout_s} s")


def test_inspector_renders_and_reacts(server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    app, url, base, token = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                    timeout=30_000)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_MS)
            expect.set_options(timeout=STEP_MS)
            page.goto(url, wait_until="domcontentloaded", timeout=30_000)
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=30_000)
            _wait_for_kernel(page, base, token)

            # Run > Run All Cells, from the menu bar.
            page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            _accept_dialog(page, wait_ms=2_000)

            widget = page.locator(".vmapviz-widget.vmapviz-inspector")
            seen = page.locator(".jp-Cell").last.locator(".jp-OutputArea-output")
            try:
                widget.wait_for(state="visible", timeout=WIDGET_S)
            except PlaywrightTimeout:
                page.screenshot(path=str(ARTIFACTS / f"{app}_failure.png"))
                outputs = page.locator(".jp-OutputArea").all_inner_texts()
                pytest.fail(f"no Inspector after {WIDGET_S // 1000} s; cell outputs: {outputs}")
            title = widget.locator(".vmapviz-title")
            expect(title).to_have_text("vmap2 of step over 4 lanes")

            # States tab: a table row for the State `count`.
            states = widget.locator(".vmapviz-states")
            expect(states).to_be_visible()
            expect(states.locator("tbody tr", has_text="count").first).to_be_visible()
            expect(states.locator("tbody tr").first.locator("td").first).to_have_text("count")
            expect(seen).to_contain_text("lane=0 tab=states view=elementwise node='' selected=0")
            widget.screenshot(path=str(ARTIFACTS / f"{app}_inspector_states.png"))

            # Axes tab: the lane slider swaps the precomputed diagram and the lane table.
            widget.locator("button.vmapviz-tab[data-tab='axes']").click()
            axes = widget.locator(".vmapviz-axes")
            expect(axes).to_be_visible()
            expect(states).to_be_hidden()
            expect(axes).to_have_attribute("data-lane", "0")
            svg_lane0 = axes.locator(".vmapviz-axis-svg svg").inner_html()
            assert "dark cell: lane 0" in svg_lane0
            axes.locator("input.vmapviz-lane").fill("2")
            expect(axes).to_have_attribute("data-lane", "2")
            expect(axes.locator(".vmapviz-lane-caption")).to_have_text("lane 2 of 4 (0 to 3)")
            expect(axes.locator(".vmapviz-lane-rows")).to_contain_text("[2] of f32[4]")
            assert "dark cell: lane 2" in axes.locator(".vmapviz-axis-svg svg").inner_html()
            # The slider keeps its arrow keys (the notebook's shortcuts are suppressed).
            slider = axes.locator("input.vmapviz-lane")
            slider.focus()
            page.keyboard.press("ArrowRight")
            expect(axes).to_have_attribute("data-lane", "3")
            page.keyboard.press("ArrowLeft")
            expect(axes).to_have_attribute("data-lane", "2")
            widget.screenshot(path=str(ARTIFACTS / f"{app}_inspector_axes.png"))

            # Graph tab: an SVG graph whose nodes carry ids; clicking one shows its equation.
            widget.locator("button.vmapviz-tab[data-tab='graph']").click()
            graph = widget.locator(".vmapviz-graph")
            expect(graph).to_have_attribute("data-view", "elementwise")
            nodes = graph.locator(".vmapviz-graph-svg svg g.node[data-node]")
            expect(nodes.first).to_be_visible()
            assert nodes.count() >= 5
            assert nodes.first.get_attribute("data-node").startswith("e")
            add = graph.locator("g.node", has_text="add").first
            add.click()
            info = graph.locator(".vmapviz-node-info")
            expect(info).to_contain_text("primitive")
            expect(info).to_contain_text("= add ")
            expect(graph.locator("g.node.vmapviz-node-selected")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / f"{app}_inspector.png"))
            node = add.get_attribute("data-node")

            # The kernel sees what the browser changed (traits sync both ways): re-run
            # the last cell, which prints them.
            page.locator(".jp-Cell").last.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+Enter")
            expect(seen).to_contain_text(
                f"lane=2 tab=graph view=elementwise node='{node}' selected=0")

            # Toggle to the batched jaxpr: other nodes (b<N>), the selection is cleared.
            graph.locator("button.vmapviz-toggle[data-view='batched']").click()
            expect(graph).to_have_attribute("data-view", "batched")
            expect(nodes.first).to_have_attribute("data-node", "b1")
            expect(info).to_contain_text("No node selected.")

            # The cache-entry selector switches to the second signature.
            widget.locator("select.vmapviz-entry").select_option("1")
            expect(title).to_have_text("vmap2 of step over 3 lanes")
            page.screenshot(path=str(ARTIFACTS / f"{app}_inspector_entry1.png"))
        finally:
            browser.close()
