"""`make lab` as its user meets it: the notebooks opened and run in JupyterLab.

The module starts JupyterLab once, as ``make lab`` does (same flags, checked against
``make -n lab``), on a free 127.0.0.1 port with a known token and a root folder laid out like the
repository: ``notebooks/`` (copies of the repository's notebooks and their jupytext.toml),
``data/processed/`` (the sample town, built once here by ``pufa sample`` + ``pufa build``) and
``reports/`` (where the notebooks write). Through the server's REST API every notebook must open
as a notebook (the jupytext contents manager), saving one must give back the very same .py file,
and every notebook runs top to bottom, cell by cell, in a kernel the server starts for it (the
sessions API and the kernel websocket, as the JupyterLab page does): no error, a closing
summary, and every chart cell shows its figure (about as long as ``pufa report``). Last, a real
browser (Debian's ``chromium``, headless) loads the JupyterLab page and sees the notebooks
listed, in the Chinese interface, and a notebook opened by its URL shown as a notebook. The
server is stopped when the module ends.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pufa_metrics.cli import main
from pufa_metrics.report import list_notebooks

websocket = pytest.importorskip("websocket", reason="websocket-client comes with jupyter_server")
pytest.importorskip("jupyterlab", reason="JupyterLab is in the `notebooks` extra")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = list_notebooks()
SETTINGS = ROOT / "jupyterlab-settings"
#: The notebooks executed in the kernel: all of them.
EXECUTED = tuple(p.stem for p in NOTEBOOKS)
#: Those that draw charts (a cell ``fig = pm.plots.…``).
DRAWING = tuple(p.stem for p in NOTEBOOKS
                if re.search(r"^fig = pm\.plots\.", p.read_text(encoding="utf-8"), re.M))
#: The flags `make lab` passes to `jupyter lab` (test_make_lab_runs_these_flags checks them).
LAB_FLAGS = ("--no-browser", "--ip=127.0.0.1", f"--LabApp.app_settings_dir={SETTINGS}")
CELL_TIMEOUT = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A running JupyterLab server: its URL, token, root folder and REST calls."""

    def __init__(self, url: str, token: str, root: Path) -> None:
        self.url, self.token, self.root = url, token, root

    def api(self, method: str, path: str, body: dict | None = None) -> dict | None:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read()
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory) -> Path:
    """notebooks/ (copies), data/processed/ (the sample town) and no reports/ yet."""
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    for path in [*NOTEBOOKS, ROOT / "notebooks" / "jupytext.toml"]:
        shutil.copy(path, root / "notebooks" / path.name)
    raw, processed = root / "data" / "raw", root / "data" / "processed"
    assert main(["sample", "--out", str(raw)]) == 0
    assert main(["build", str(raw), "--out", str(processed)]) == 0
    return root


@pytest.fixture(scope="module")
def lab(lab_root, tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on lab_root/notebooks, stopped (with its kernels) at the end of the module."""
    home = tmp_path_factory.mktemp("jupyter-home")
    port, token = _free_port(), secrets.token_hex(16)
    # the user's own Jupyter config and settings stay out; a kernel shows figures inline, so
    # MPLBACKEND (Agg under .ci/run) is unset as `make lab` does
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env |= {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "rt"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "IPYTHONDIR": str(home / "ip")}
    command = [sys.executable, "-m", "jupyterlab", *LAB_FLAGS, f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(command, cwd=lab_root / "notebooks", env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (home / "server.log").read_text(errors="replace")[-3000:])
                time.sleep(0.5)
        yield Lab(url, token, lab_root)
    finally:
        server.terminate()  # SIGTERM: the server shuts its kernels down and exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _message(msg_type: str, content: dict, session: str) -> str:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
              "username": "test", "version": "5.3", "date": ""}
    return json.dumps({"header": header, "parent_header": {}, "metadata": {},
                       "content": content, "channel": "shell", "buffers": []})


def _request(ws, msg_type: str, content: dict, session: str) -> tuple[dict, list[dict]]:
    """Send one shell request; return its reply and the iopub messages it caused."""
    text = _message(msg_type, content, session)
    msg_id = json.loads(text)["header"]["msg_id"]
    ws.send(text)
    reply, iopub, idle = None, [], False
    while reply is None or not idle:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["channel"] == "shell":
            reply = msg
        elif msg["channel"] == "iopub":
            kind = msg["header"]["msg_type"]
            idle = idle or (kind == "status" and msg["content"]["execution_state"] == "idle")
            iopub.append(msg)
    return reply, iopub


def _outputs(iopub: list[dict]) -> list[dict]:
    """The cell outputs (nbformat 4) carried by the iopub messages."""
    out = []
    for msg in iopub:
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream":
            out.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        elif kind in ("display_data", "execute_result"):
            item = {"output_type": kind, "data": content["data"], "metadata": content["metadata"]}
            if kind == "execute_result":
                item["execution_count"] = content["execution_count"]
            out.append(item)
        elif kind == "error":
            out.append({"output_type": "error", **{k: content[k]
                                                    for k in ("ename", "evalue", "traceback")}})
    return out


def run_in_lab(lab: Lab, name: str) -> dict:
    """Open ``name`` as the JupyterLab page does and run all its cells; the notebook, run.

    A session (``/api/sessions``) starts the kernel in the notebook's folder; each code cell is
    sent over the kernel's websocket as an ``execute_request``, stopping at the first error as
    "Run All Cells" does. The kernel's ``language_info`` goes into the notebook's metadata as
    JupyterLab puts it there.
    """
    model = lab.api("GET", f"/api/contents/{name}")
    nb = model["content"]
    session = lab.api("POST", "/api/sessions", {"path": name, "name": name, "type": "notebook",
                                               "kernel": {"name": "python3"}})
    kernel = session["kernel"]["id"]
    client = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"{lab.url.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels?session_id={client}",
        header=[f"Authorization: token {lab.token}"], timeout=CELL_TIMEOUT)
    try:
        info, _ = _request(ws, "kernel_info_request", {}, client)
        nb["metadata"]["language_info"] = info["content"]["language_info"]
        for cell in (c for c in nb["cells"] if c["cell_type"] == "code"):
            reply, iopub = _request(ws, "execute_request", {
                "code": cell["source"], "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}, client)
            cell["outputs"] = _outputs(iopub)
            cell["execution_count"] = reply["content"].get("execution_count")
            if reply["content"]["status"] != "ok":
                break
    finally:
        ws.close()
        lab.api("DELETE", f"/api/sessions/{session['id']}")
    return nb


# ---- the command -----------------------------------------------------------------------------

def test_make_lab_runs_these_flags(tmp_path):
    """`make -n lab` (a dry run: nothing built or started) shows the command the fixture runs."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "lab", "LAB_PORT=8899"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    line = next(x for x in out.splitlines() if "jupyter lab" in x)
    assert line.startswith("cd notebooks && env -u MPLBACKEND ../.venv/bin/jupyter lab"), line
    for flag in (*LAB_FLAGS, "--port=8899"):
        assert flag in line.split(), (flag, line)
    # data/processed is built only when missing
    assert "test -f data/processed/dataset.json || .venv/bin/pufa build data/raw" in out


# ---- the REST API: every notebook opens as a notebook, and saving keeps the .py -------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_opens_as_a_notebook(lab, path):
    model = lab.api("GET", f"/api/contents/{path.name}")
    assert model["type"] == "notebook", model["type"]
    nb = model["content"]
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    # the cells are those of the .py file: the first is papermill's parameters cell, with the
    # relative paths that work from the notebooks folder
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert 'data_dir = "../data/processed"' in code[0]["source"]
    assert 'out_dir = "../reports"' in code[0]["source"]
    # one code cell per "# %%" line that does not open a markdown cell
    cells = re.findall(r"^# %%(?! \[markdown\])", path.read_text(encoding="utf-8"), re.M)
    assert len(code) == len(cells)


def test_the_folder_lists_the_notebooks_as_notebooks(lab):
    listing = lab.api("GET", "/api/contents/")["content"]
    kinds = {item["name"]: item["type"] for item in listing}
    assert {p.name: "notebook" for p in NOTEBOOKS}.items() <= kinds.items(), kinds


# ---- running in a kernel started by the server -----------------------------------------------

@pytest.fixture(scope="module")
def executed(lab) -> dict[str, dict]:
    return {stem: run_in_lab(lab, f"{stem}.py") for stem in EXECUTED}


@pytest.mark.parametrize("stem", EXECUTED)
def test_notebook_runs_top_to_bottom_without_error(executed, stem):
    nb = executed[stem]
    errors = [(o["ename"], o["evalue"]) for c in nb["cells"] if c["cell_type"] == "code"
              for o in c["outputs"] if o["output_type"] == "error"]
    assert errors == []
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code), "a cell did not run"
    assert code[-1]["source"].startswith("pm.summary(ctx, ")
    assert any("text/markdown" in o.get("data", {}) or "text/plain" in o.get("data", {})
               for o in code[-1]["outputs"]), "the closing summary shows nothing"


def test_the_drawing_notebooks_are_found():
    assert {"1-coverage", "2-event-frequency", "4-blind-spots", "7-effectiveness"} <= set(DRAWING)


@pytest.mark.parametrize("stem", DRAWING)
def test_every_chart_cell_shows_its_figure(executed, stem):
    """Each cell that draws (``fig = pm.plots.…``, read from the .py) shows one PNG figure."""
    code = [c for c in executed[stem]["cells"] if c["cell_type"] == "code"]
    drawing = [c for c in code if re.match(r"fig = pm\.plots\.", c["source"])]
    assert len(drawing) >= 1
    shown = [sum("image/png" in o.get("data", {}) for o in c["outputs"]) for c in drawing]
    assert shown == [1] * len(drawing), shown


def test_interactive_runs_write_into_the_reports_folder_beside_notebooks(lab, executed):
    """``../reports`` from the notebooks folder: figures land in reports/figures, the
    notebooks folder gets nothing new and no .ipynb (jupytext pairs nothing)."""
    stems = set()
    for stem in EXECUTED:
        source = (lab.root / "notebooks" / f"{stem}.py").read_text(encoding="utf-8")
        stems |= set(re.findall(r'ctx\.figure\("([^"]+)"\)', source))
    assert stems, "the executed notebooks save no figure"
    figures = lab.root / "reports" / "figures"
    assert {s for s in stems if (figures / f"{s}.png").is_file()} == stems
    names = {p.name for p in (lab.root / "notebooks").iterdir()}
    assert names - {".ipynb_checkpoints"} == {p.name for p in NOTEBOOKS} | {"jupytext.toml"}


def test_saving_a_run_notebook_gives_back_the_same_py(lab, executed):
    """Saved from JupyterLab with its outputs and kernel metadata, the .py file is byte for byte
    the repository's: outputs are not written, nor the jupytext version header."""
    name = f"{EXECUTED[0]}.py"
    nb = executed[EXECUTED[0]]
    assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    model = lab.api("PUT", f"/api/contents/{name}",
                    {"type": "notebook", "format": "json", "content": nb})
    assert model["type"] == "notebook"
    saved = (lab.root / "notebooks" / name).read_bytes()
    assert saved == (ROOT / "notebooks" / name).read_bytes()
    assert not list((lab.root / "notebooks").glob("*.ipynb"))


# ---- a real browser --------------------------------------------------------------------------

def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; "
                    ".ci/run installs it)")
    return found


def _dump_dom(lab: Lab, path: str, profile: Path) -> str:
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}",
               "--virtual-time-budget=20000", "--dump-dom", f"{lab.url}{path}?token={lab.token}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_browser_shows_jupyterlab_listing_the_notebooks_in_chinese(lab, executed, tmp_path):
    dom = _dump_dom(lab, "/lab", tmp_path / "profile")
    listed = re.findall(r'class="jp-DirListing-itemText"[^>]*><span>([^<]+)</span>', dom)
    assert {p.name for p in NOTEBOOKS} <= set(listed), listed
    # jupyterlab-language-pack-zh-CN, chosen in jupyterlab-settings/overrides.json
    assert 'title="文件浏览器' in dom


def test_browser_opens_a_py_file_as_a_notebook(lab, executed, tmp_path):
    """/lab/tree/<name>.py opens with the default viewer: the notebook, not the text editor."""
    dom = _dump_dom(lab, f"/lab/tree/{NOTEBOOKS[1].name}", tmp_path / "profile")
    assert "jp-NotebookPanel" in dom
    assert len(re.findall(r'class="[^"]*\bjp-MarkdownCell\b', dom)) >= 3
    title = NOTEBOOKS[1].read_text(encoding="utf-8").split("# # ", 1)[1].split("\n", 1)[0]
    assert title in dom, title
