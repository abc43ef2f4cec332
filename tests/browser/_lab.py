"""Shared by the browser tests: start JupyterLab 4 or Notebook 7 on 127.0.0.1 (a free
port, a random token, a temporary root holding one notebook), open a notebook, run all
its cells, and always stop the server and its kernels.

Needs ``/usr/bin/chromium`` (``make test`` installs Debian's ``chromium`` as root) and
the ``playwright`` Python package (the ``test`` extra); tests skip, saying which is
missing, otherwise.
"""

from __future__ import annotations

import contextlib
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

HERE = pathlib.Path(__file__).parent
REPO = HERE.parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
SERVER_START_S = 45
WIDGET_S = 60_000  # ms: kernel start, JAX import, tracing, Graphviz
STEP_MS = 15_000


def require_browser() -> None:
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


@contextlib.contextmanager
def serve(app: str, tmp_path: pathlib.Path, notebook: pathlib.Path, theme: str | None = None):
    """JupyterLab 4 or Notebook 7 on 127.0.0.1; yields ``(app, notebook URL, base, token)``."""
    module, config_class, url_path, extra = APPS[app]
    require_browser()
    try:
        __import__(module)
    except ImportError:
        pytest.skip(f"the `{module}` package is not installed (pip install -e '.[test]').")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No "Would you like to get Jupyter news?" toast over the page.
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    if theme is not None:
        (settings / "themes.jupyterlab-settings").write_text(json.dumps({"theme": theme}))
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
        url = f"{base}/{url_path.format(name=notebook.name)}?token={token}"
        yield app, url, base, token
    finally:
        _stop(proc, base, token)


def accept_dialog(page, wait_ms: int = 0) -> bool:
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
        accept_dialog(page)
        try:
            kernels = json.loads(_get(f"{base}/api/kernels?token={token}"))
        except (OSError, ValueError, urllib.error.URLError):
            kernels = []
        if any(k.get("execution_state") == "idle" for k in kernels):
            return
        page.wait_for_timeout(250)
    pytest.fail(f"the notebook's kernel was not idle within {timeout_s} s")


def open_and_run_all(page, url: str, base: str, token: str) -> None:
    """Open the notebook, wait for its kernel, then Run > Run All Cells from the menu bar."""
    page.goto(url, wait_until="domcontentloaded", timeout=30_000)
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=30_000)
    _wait_for_kernel(page, base, token)
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    accept_dialog(page, wait_ms=2_000)


@contextlib.contextmanager
def browser_page(width: int, height: int, step_ms: int):
    """A Chromium page of ``width`` x ``height`` px whose waits default to ``step_ms``;
    yields ``(page, expect)``. The browser is always closed."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                    timeout=30_000)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(step_ms)
            expect.set_options(timeout=step_ms)
            yield page, expect
        finally:
            browser.close()
