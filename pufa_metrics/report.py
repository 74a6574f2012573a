"""Run the analysis notebooks with papermill and assemble ``reports/``.

The notebooks in ``notebooks/`` are jupytext percent-format ``.py`` files. Each one is converted to
``.ipynb``, executed with papermill (kernel ``python3``) with the parameters ``data_dir``,
``start``, ``end``, ``as_of``, ``out_dir`` and ``lang``, and saved as HTML for readers without
Jupyter.

Everything is written into a temporary folder next to the output folder and swapped into place only
when every notebook has run, so a failing notebook leaves the previous report intact. A run of some
notebooks only (``notebooks=[…]``, ``pufa report --notebook X``) adds to the existing report: the
other notebooks' outputs are kept. The executed notebooks name the output folder, never the
temporary one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import config
from ._common import recover_dir as _recover
from ._common import swap_dir as _swap_into_place
from .workflow import ANALYSIS_CACHE_ENV


class ReportError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the error."""


def list_notebooks(directory: Path | None = None) -> list[Path]:
    """The numbered notebooks (``0-…py`` to ``9-…py``) in run order.

    Examples
    --------
    >>> [p.stem for p in list_notebooks()][:2]
    ['0-data-quality', '1-coverage']
    """
    directory = config.NOTEBOOKS_DIR if directory is None else Path(directory)
    return sorted(p for p in directory.glob("[0-9]*.py") if p.is_file())


def _to_ipynb(path: Path, dest: Path) -> Path:
    import jupytext

    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    jupytext.write(nb, dest)
    return dest


def _to_html(ipynb: Path, dest: Path, *, staged: Path | None = None,
             final: Path | None = None) -> None:
    """Export as HTML; every mention of the folder ``staged`` reads ``final`` (where it ends up)."""
    import html

    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(ipynb, as_version=4)
    body, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    if staged is not None and final is not None:
        for old, new in ((str(staged), str(final)), (html.escape(str(staged)),
                                                     html.escape(str(final)))):
            body = body.replace(old, new)
    dest.write_text(body, encoding="utf-8")


def _cell_number(executed: Path, index: int) -> int:
    """1-based number of cell ``index`` as the analyst counts it in the .py (no injected cell)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return index + 1
    injected = sum(
        "injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells[:index]
    )
    return index + 1 - injected


def run_report(
    *,
    data_dir: Path | str = config.PROCESSED_DIR,
    out_dir: Path | str = config.REPORTS_DIR,
    start: str | None = None,
    end: str | None = None,
    as_of: str | None = None,
    lang: str = "zh",
    config_path: str | Path | None = None,
    notebooks: Sequence[str | Path] | None = None,
    notebooks_dir: Path | None = None,
    progress: bool = True,
    timeout: int = 600,
) -> Path:
    """Execute the notebooks and write figures, the follow-up workbook, the brief and HTML copies.

    Parameters
    ----------
    data_dir : path
        ``data/processed`` (Parquet written by ``pufa build``) or a folder of raw ledgers.
    out_dir : path
        Where the report goes (``reports/``); replaced only when every notebook succeeded. With
        ``notebooks``, the run adds to the report there (other notebooks' outputs are kept).
    start, end, as_of : str, optional
        Period bounds and reference date (YYYY-MM-DD); default: ``pufa.toml``.
    lang : {"zh", "en"}
        Language of charts and the brief.
    config_path : path, optional
        ``pufa.toml`` to use (default: the project's).
    notebooks : list, optional
        Run only these notebooks (stems or paths), adding their outputs to the existing report.
    notebooks_dir : path, optional
        Folder holding the notebooks (default: the project's ``notebooks/``).

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    ReportError
        When a notebook fails: names the notebook, the cell number and the error.
    """
    import papermill as pm
    from tqdm.auto import tqdm

    if lang not in ("zh", "en"):
        raise ValueError(f"lang should be 'zh' or 'en', got {lang!r}")
    data_dir = Path(data_dir).resolve()
    out_dir = Path(out_dir).resolve()
    if not data_dir.exists():
        raise FileNotFoundError(
            f"找不到数据文件夹 {data_dir}；请先运行 `pufa build`。/ No data folder {data_dir}; "
            "run `pufa build` first."
        )
    paths = list_notebooks(notebooks_dir)
    if notebooks:
        wanted = {Path(n).stem for n in notebooks}
        paths = [p for p in paths if p.stem in wanted]
        missing = wanted - {p.stem for p in paths}
        if missing:
            raise ValueError(f"notebooks not found: {sorted(missing)}")
    if not paths:
        raise ValueError("no notebooks to run / 没有可运行的笔记本")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        if notebooks and out_dir.is_dir():  # some notebooks: add to the report already there
            shutil.copytree(out_dir, tmp, dirs_exist_ok=True, symlinks=True)
        (tmp / "figures").mkdir(exist_ok=True)
        (tmp / "notebooks").mkdir(exist_ok=True)
        work = tmp / ".work"
        work.mkdir()
        parameters = {
            "data_dir": str(data_dir),
            "start": start,
            "end": end,
            "as_of": as_of,
            "out_dir": str(tmp),
            "lang": lang,
            "config_path": str(config_path) if config_path else None,
        }
        # The kernels' own start-up log ("running over TCP without encryption") is noise for an
        # analyst: a throw-away IPython profile sets their log level to errors only. tqdm.auto
        # (imported by esda) warns "IProgress not found" in a kernel without ipywidgets; no
        # progress bar is drawn in a report, so the kernel starts with that one warning off.
        profile = work / "ipython" / "profile_default"
        profile.mkdir(parents=True)
        (profile / "ipython_kernel_config.py").write_text(
            'c.IPKernelApp.log_level = "ERROR"\n'
            "c.InteractiveShellApp.exec_lines = [\n"
            '    "import warnings as _w; '
            "_w.filterwarnings('ignore', message='IProgress not found'); del _w\",\n"
            "]\n",
            encoding="utf-8",
        )
        # The notebooks of one run share one analysis: the first that needs it leaves it
        # (pickled) in .work, keyed by data, settings and period (workflow.ANALYSIS_CACHE_ENV).
        kernel_env = {"IPYTHONDIR": str(work / "ipython"), ANALYSIS_CACHE_ENV: str(work)}
        saved = {name: os.environ.get(name) for name in kernel_env}
        os.environ.update(kernel_env)
        bar = tqdm(paths, desc="notebooks", unit="nb", disable=not progress)
        try:
            _run_all(bar, pm, work, tmp, parameters, out_dir, timeout)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        shutil.rmtree(work)
        _swap_into_place(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _run_all(
    bar, pm, work: Path, tmp: Path, parameters: dict, out_dir: Path, timeout: int
) -> None:
    """Execute each notebook into ``tmp/notebooks`` and export it as HTML."""
    for path in bar:
        bar.set_postfix_str(path.stem)
        source = _to_ipynb(path, work / f"{path.stem}.ipynb")
        executed = tmp / "notebooks" / f"{path.stem}.ipynb"
        try:
            pm.execute_notebook(
                str(source),
                str(executed),
                parameters=parameters,
                kernel_name="python3",
                language="python",
                cwd=str(tmp),
                progress_bar=False,
                execution_timeout=timeout,
            )
        except pm.PapermillExecutionError as exc:
            cell = _cell_number(executed, exc.cell_index)
            code = (exc.source or "").strip().splitlines()
            raise ReportError(
                f"笔记本 {path.name} 第 {cell} 个单元出错 / notebook {path.name}, "
                f"cell {cell} ({code[0][:80] if code else ''}): {exc.ename}: {exc.evalue}\n"
                f"上一次的报告保持不变 / the previous report in {out_dir} is unchanged."
            ) from None
        _to_html(executed, tmp / "notebooks" / f"{path.stem}.html", staged=tmp, final=out_dir)
        executed.unlink()
