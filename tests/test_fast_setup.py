"""A cheap notebook (issue #16 point 9): lazy `import pufa_metrics`, one analysis per report.

Each notebook of `pufa report` runs in its own kernel. ``import pufa_metrics`` imports a public
name's module on first use only (module ``__getattr__``), and the notebooks of one report share
the analysis: the first that needs ``ctx.analysis`` pickles it where ``run_report`` says
(``PUFA_ANALYSIS_CACHE``), the next ones load it. Outputs are the same either way.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics import workflow
from pufa_metrics.config import PROJECT_ROOT, Settings

MINI = PROJECT_ROOT / "tests" / "data" / "mini_town"
HEAVY = ("matplotlib", "scipy", "statsmodels", "dask", "geopandas", "openpyxl")


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=PROJECT_ROOT, timeout=120)
    return done.stdout.strip()


def test_import_pufa_metrics_loads_no_heavy_library():
    code = f"import sys, pufa_metrics; print([m for m in {HEAVY!r} if m in sys.modules])"
    assert _run(code) == "[]"


def test_every_public_name_is_its_modules_object():
    for name in set(pm.__all__) - {"__version__"}:
        value = getattr(pm, name)  # imports its module
        modules = {n: m for n, m in sys.modules.items() if n.startswith("pufa_metrics.")}
        homes = [n for n, m in modules.items() if vars(m).get(name) is value]
        assert homes or value is modules.get(f"pufa_metrics.{name}"), name
    # hand check: pm.Settings is the class of pufa_metrics.config, pm.plots the module
    assert pm.Settings is Settings and pm.plots is sys.modules["pufa_metrics.plots"]
    assert set(pm.__all__) <= set(dir(pm))


def test_submodules_and_unknown_names():
    assert pm.report.list_notebooks()[0].stem == "0-data-quality"  # any submodule, on use
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        pm.no_such_name  # noqa: B018


def test_brief_stays_the_function_when_its_module_is_imported_first():
    # importing pufa_metrics.brief binds the module on the package; pm.brief is the function
    code = ("import sys, pufa_metrics.brief, pufa_metrics as pm; from pufa_metrics import brief; "
            "print(type(pm.brief).__name__, brief is pm.brief, "
            "pm.brief is sys.modules['pufa_metrics.brief'].brief)")
    assert _run(code) == "function True True"


def _ctx():
    return pm.notebook_context(MINI, settings=Settings(), end="2021-12-31")


@pytest.mark.slow
def test_notebooks_of_one_report_share_the_analysis(tmp_path, monkeypatch):
    monkeypatch.setenv(workflow.ANALYSIS_CACHE_ENV, str(tmp_path))
    first = _ctx().analysis
    saved = list(tmp_path.glob("analysis-*.pickle"))
    assert len(saved) == 1  # the first notebook leaves it
    second = _ctx()  # another kernel: reads the same data again
    calls = []
    monkeypatch.setattr(workflow, "analyse", lambda *a, **k: calls.append(1))
    shared = second.analysis
    assert calls == [] and shared is not first  # loaded, not computed; a copy of its own
    for f in dataclasses.fields(first):
        a, b = getattr(first, f.name), getattr(shared, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
            assert a.attrs == b.attrs
        else:
            assert a == b, f.name


@pytest.mark.slow
def test_a_changed_dataset_or_period_gets_its_own_analysis(tmp_path, monkeypatch):
    monkeypatch.setenv(workflow.ANALYSIS_CACHE_ENV, str(tmp_path))
    base = _ctx()
    _ = base.analysis
    changed = _ctx()
    changed.ds.events = changed.ds.events.iloc[:0]  # a notebook that dropped every event
    other_period = pm.notebook_context(MINI, settings=Settings(), end="2021-06-30")
    # its own analysis counts no event; the shared one counts the mini town's events
    assert changed.analysis.coverage["n_events"].sum() == 0
    assert base.analysis.coverage["n_events"].sum() > 0
    _ = other_period.analysis
    assert len(list(tmp_path.glob("analysis-*.pickle"))) == 3  # one per data and period


@pytest.mark.slow
def test_without_the_variable_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(workflow.ANALYSIS_CACHE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert len(_ctx().analysis.coverage) == 10  # the mini town's ten villages
    assert list(tmp_path.rglob("*.pickle")) == []
