"""`pufa report`: every notebook runs end to end and writes what it promises.

The notebooks are executed with papermill on the small town in tests/data/mini_town (10 villages,
plain CSV, built to Parquet), and once through the CLI on the committed sample town (the
`sample_report` fixture).
"""

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pufa_metrics import _common, report
from pufa_metrics.report import ReportError, list_notebooks, run_report

MINI = Path(__file__).resolve().parent / "data" / "mini_town"

NOTEBOOKS = [p.stem for p in list_notebooks()]

# what each notebook writes, relative to out_dir
WRITES = {
    "0-data-quality": ["data_quality.xlsx"],
    "1-coverage": ["figures/1-coverage-bar.png", "figures/1-coverage-map.png",
                   "figures/1-topic-matrix.png"],
    "2-event-frequency": ["figures/2-calendar-heatmap.png", "figures/2-trend.png"],
    "3-awareness-survey": ["figures/3-awareness-dotplot.png"],
    "4-blind-spots": ["follow_up.xlsx", "figures/4-blind-spot-map.png",
                      "figures/4-service-coverage.png"],
    "5-cadre-training": ["figures/5-training.png"],
    "6-leader-brief": ["brief.pdf", "brief.html"],
    "7-effectiveness": ["figures/7-effect.png"],
}


def test_notebooks_are_the_seven_phases():
    assert NOTEBOOKS == list(WRITES)


def test_notebooks_are_thin():
    """One library call a cell: no def or class, a parameters cell, the question in zh and en."""
    for path in list_notebooks():
        text = path.read_text(encoding="utf-8")
        assert "\ndef " not in text and "\nclass " not in text, path.name
        assert '# %% tags=["parameters"]' in text, path.name
        for name in ("data_dir", "start", "end", "as_of", "out_dir", "lang"):
            assert f"\n{name} = " in text, (path.name, name)
        assert "问题" in text and "Question" in text, path.name


@pytest.fixture(scope="module")
def mini_report(build_once):
    """The seven notebooks on the mini town, built to Parquet first as `pufa build` does (so the
    notebooks do not each read the CSV ledgers again; a raw folder is run in test_missing_tables).
    Built once per run, whichever xdist worker needs it first (conftest.py).
    """
    from pufa_metrics.io import load_dataset

    def make(base: Path) -> None:
        processed = load_dataset(MINI).to_parquet(base / "processed")
        run_report(data_dir=processed, out_dir=base / "reports", progress=False, lang="en")

    return build_once("mini_report", make) / "reports"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_notebook_writes_its_outputs(mini_report, notebook):
    assert (mini_report / "notebooks" / f"{notebook}.html").stat().st_size > 10_000
    for rel in WRITES[notebook]:
        path = mini_report / rel
        assert path.is_file() and path.stat().st_size > 1_000, rel


@pytest.mark.slow
def test_mini_follow_up_workbook_lists_villages_of_the_mini_town(mini_report):
    with zipfile.ZipFile(mini_report / "follow_up.xlsx") as zf:
        assert "xl/workbook.xml" in zf.namelist()
    sheets = pd.read_excel(mini_report / "follow_up.xlsx", sheet_name=None, engine="openpyxl")
    first = next(iter(sheets.values()))
    villages = set(pd.read_csv(MINI / "villages.csv")["village_name"])
    named = set(first["村（社区）"].dropna())
    assert named and named <= villages


@pytest.mark.slow
def test_sample_report_has_every_output(sample_report):
    for rel in ("follow_up.xlsx", "brief.pdf", "brief.html", "data_quality.xlsx"):
        assert (sample_report / rel).is_file(), rel
    pngs = sorted(p.name for p in (sample_report / "figures").glob("*.png"))
    promised = sorted(Path(r).name for rs in WRITES.values() for r in rs if r.endswith(".png"))
    assert pngs == promised
    for png in pngs:  # every chart in all three formats
        for ext in (".pdf", ".svg"):
            assert (sample_report / "figures" / png).with_suffix(ext).is_file(), (png, ext)
    htmls = sorted(p.stem for p in (sample_report / "notebooks").glob("*.html"))
    assert htmls == NOTEBOOKS
    # no temporary folders left beside the report
    assert not [p for p in sample_report.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_failing_notebook_names_the_cell_and_keeps_the_previous_report(tmp_path):
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    params = '# %% tags=["parameters"]\ndata_dir = ""\nout_dir = ""\n'
    (nb_dir / "0-ok.py").write_text(
        params + '\n# %%\nopen(f"{out_dir}/figures/ok.txt", "w").write("ok")\n', encoding="utf-8"
    )
    (nb_dir / "1-bad.py").write_text(params + "\n# %%\nx = 1\n\n# %%\n1 / 0\n", encoding="utf-8")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "brief.html").write_text("previous report", encoding="utf-8")
    with pytest.raises(ReportError, match=r"1-bad\.py.*cell 3 \(1 / 0\).*ZeroDivisionError"):
        run_report(data_dir=MINI, out_dir=out, notebooks_dir=nb_dir, progress=False)
    assert (out / "brief.html").read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "reports"]  # no temp left
    # and once every notebook runs, the report is swapped in
    (nb_dir / "1-bad.py").unlink()
    run_report(data_dir=MINI, out_dir=out, notebooks_dir=nb_dir, progress=False)
    assert (out / "figures" / "ok.txt").read_text() == "ok"
    assert not (out / "brief.html").exists()


def test_report_cli_error_is_bilingual_without_traceback(tmp_path, capsys):
    from pufa_metrics.cli import main

    code = main(["report", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert "找不到数据文件夹" in err and "No data folder" in err and "Traceback" not in err


def test_parameters_reach_the_notebook(tmp_path):
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    (nb_dir / "0-p.py").write_text(
        '# %% tags=["parameters"]\ndata_dir = ""\nout_dir = ""\nstart = None\nlang = "zh"\n'
        "\n# %%\nimport json\n\n# %%\n"
        'json.dump({"start": start, "lang": lang}, open(f"{out_dir}/p.json", "w"))\n',
        encoding="utf-8",
    )
    out = run_report(data_dir=MINI, out_dir=tmp_path / "r", notebooks_dir=nb_dir,
                     start="2021-01-01", lang="en", progress=False)
    assert json.loads((out / "p.json").read_text()) == {"start": "2021-01-01", "lang": "en"}
    assert report.list_notebooks(nb_dir)[0].name == "0-p.py"


def test_a_report_left_aside_by_a_killed_run_is_put_back(tmp_path):
    # a run killed between "reports -> .reports.old-N" and "tmp -> reports" leaves no reports/
    old = tmp_path / ".reports.old-123"
    old.mkdir()
    (old / "brief.html").write_text("previous report", encoding="utf-8")
    _common.recover_dir(tmp_path / "reports")
    assert (tmp_path / "reports" / "brief.html").read_text(encoding="utf-8") == "previous report"
    assert not old.exists()


@pytest.mark.slow
def test_one_notebook_adds_to_the_report_which_names_its_real_folder(tmp_path):
    """`--notebook X` keeps the other notebooks' outputs; the HTML names reports/, not the
    temporary folder, and shows no tqdm "IProgress not found" warning (esda imports tqdm.auto)."""
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    params = '# %% tags=["parameters"]\ndata_dir = ""\nout_dir = ""\n'
    for stem, text in (("0-a", "a1"), ("1-b", "b1")):
        (nb_dir / f"{stem}.py").write_text(
            params + "\n# %%\nfrom tqdm.auto import tqdm\n\n# %%\nprint(out_dir)\n\n# %%\n"
            f'open(f"{{out_dir}}/{stem}.txt", "w").write("{text}")\n', encoding="utf-8")
    out = tmp_path / "reports"
    run_report(data_dir=MINI, out_dir=out, notebooks_dir=nb_dir, progress=False)
    (nb_dir / "1-b.py").write_text(
        (nb_dir / "1-b.py").read_text(encoding="utf-8").replace("b1", "b2"), encoding="utf-8")
    run_report(data_dir=MINI, out_dir=out, notebooks_dir=nb_dir, notebooks=["1-b"],
               progress=False)
    assert (out / "0-a.txt").read_text() == "a1"  # kept from the first run
    assert (out / "1-b.txt").read_text() == "b2"  # the notebook run again
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["0-a.html", "1-b.html"]
    for page in (out / "notebooks").iterdir():
        html = page.read_text(encoding="utf-8")
        assert str(out) in html and ".tmp-" not in html, page.name
        assert "IProgress" not in html and "Warning" not in html, page.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "reports"]  # no temp left
