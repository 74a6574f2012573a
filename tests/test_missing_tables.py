"""A town with only a register and an event ledger gets the whole report, told what is missing.

Only ``villages`` and ``events`` are required; every other table of a Dataset is optional
(geometry, cadres, responses + codebook, sites, legal_literates, adviser_visits). For each one
missing alone, the notebooks that read it run and say what they could not assess, in the words
of ``pufa_metrics.assessed.OPTIONAL_TABLES``; then the whole report runs on a folder holding only
村居基本信息.xlsx and 普法活动台账_司法所.xlsx (issue #15). The first part checks, fast, every
library function the notebooks call with a missing table.

The sample town (data/raw) is read once per module; each variant is that Dataset with one table
replaced by what ``load_dataset`` gives when its file is absent (None, or an empty frame), written
with ``Dataset.to_parquet`` as ``pufa build`` would.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_pdf import pdfRepr
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from shapely.geometry import box

import pufa_metrics as pm
from pufa_metrics import plots, schema
from pufa_metrics.assessed import OPTIONAL_TABLES, NotAssessed, not_assessed, table_reason
from pufa_metrics.config import Settings
from pufa_metrics.report import run_report
from pufa_metrics.services import service_coverage
from pufa_metrics.spatial import spatial_clusters
from pufa_metrics.training import training_compliance

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
S = Settings()
ZH = {t: zh for t, (zh, en) in OPTIONAL_TABLES.items()}
EN = {t: en for t, (zh, en) in OPTIONAL_TABLES.items()}


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.fixture
def coverage() -> pd.DataFrame:
    return pd.DataFrame({"village_name": ["甲村", "乙村"], "events_per_1000": [1.0, 3.0]},
                        index=pd.Index(["A", "B"], name="village_id"))


@pytest.fixture
def villages() -> pd.DataFrame:
    return pd.DataFrame({"village_id": ["A", "B"], "village_name": ["甲村", "乙村"],
                         "kind": ["village", "village"]})


# ---- not_assessed: the phrases and how they render ------------------------------------------


def test_not_assessed_names_each_missing_table_once():
    ds = pm.Dataset(villages=pd.DataFrame({"village_id": ["A"], "village_name": ["甲村"],
                                           "population": [100]}))
    # a bare Dataset has every optional table missing; the codebook is implied by the answers
    note = pm.not_assessed(ds, "geometry", "responses", "codebook", "cadres")
    assert isinstance(note, NotAssessed) and bool(note)
    assert note.tables == ("geometry", "responses", "codebook", "cadres")
    assert note.sentences == (ZH["geometry"] + "。", ZH["responses"] + "。", ZH["cadres"] + "。")
    assert str(note) == repr(note) == "未评估的内容：\n" + "\n".join(note.sentences)
    md = note._repr_markdown_()
    assert md.startswith("**未评估的内容**") and f"- {ZH['geometry']}。" in md
    assert f"<li>{ZH['cadres']}。</li>" in note._repr_html_()
    en = pm.not_assessed(ds, "geometry", lang="en")
    assert en.text == "Not assessed: \n" + EN["geometry"] + "."
    # every optional table when none is named: 6 sentences (codebook implied by responses)
    assert len(pm.not_assessed(ds).reasons) == len(OPTIONAL_TABLES) - 1
    # a codebook missing without the answers missing is its own reason
    answers = dataclasses.replace(ds, responses=pd.DataFrame({"response_id": ["r1"]}))
    assert pm.not_assessed(answers, "responses", "codebook").sentences == (ZH["codebook"] + "。",)


def test_not_assessed_renders_as_nothing_when_all_present(capsys):
    geo = gpd.GeoDataFrame({"village_id": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    ds = pm.Dataset(geometry=geo, cadres=pd.DataFrame({"person_id": ["p1"]}))
    note = pm.not_assessed(ds, "geometry", "cadres")
    assert not note and note.reasons == () and str(note) == "" and repr(note) == ""
    assert note._repr_markdown_() is None and note._repr_html_() is None
    note._ipython_display_()  # shows nothing at all
    assert capsys.readouterr().out == ""


def test_not_assessed_adds_the_reasons_of_results():
    reason = ("学法用法台账无2025年记录", "no record for 2025")
    result = pd.DataFrame({"n_staff": pd.Series(dtype="int64")})
    result.attrs["not_assessed"] = (reason,)
    ds = pm.Dataset()
    assert pm.not_assessed(result).reasons == (reason,)
    # the cadres sentence and the result's reason, each once although given twice
    twice = pm.not_assessed(ds, "cadres", result, result)
    assert twice.reasons == (OPTIONAL_TABLES["cadres"], reason)
    assert not pm.not_assessed(pd.DataFrame({"a": [1]}))  # a result with nothing missing


def test_not_assessed_checks_its_arguments():
    ds = pm.Dataset()
    with pytest.raises(ValueError, match=r"table should be one of the optional tables .*'events'"):
        not_assessed(ds, "events")
    with pytest.raises(TypeError, match="ds should be a pufa_metrics Dataset"):
        not_assessed(object(), "geometry")
    with pytest.raises(ValueError, match="name tables only with a Dataset"):
        not_assessed(pd.DataFrame(), "geometry")
    with pytest.raises(TypeError, match="tables should be names of optional tables or results"):
        not_assessed(ds, 3)
    with pytest.raises(ValueError, match="lang should be 'zh' or 'en'"):
        not_assessed(ds, lang="de")
    with pytest.raises(ValueError, match="optional tables"):
        table_reason("villages")


# ---- library functions given a missing table -------------------------------------------------


def test_coverage_map_without_boundaries_is_a_figure_saying_why(coverage, tmp_path):
    fig = plots.coverage_map(coverage, None, caption="数据来源：台账")
    assert isinstance(fig, Figure)
    assert plots.not_assessed_text(fig) == ZH["geometry"]
    assert ZH["geometry"] in _texts(fig).replace("\n", "")  # drawn where the map would be
    png, pdf, svg = plots.save(fig, tmp_path / "map")  # saved like any other chart
    assert Image.open(png).info["Description"] == ZH["geometry"]
    assert f"<dc:description>{ZH['geometry']}</dc:description>" in svg.read_text("utf-8")
    # the PDF Info dictionary's Subject, written as matplotlib writes any PDF text string
    assert b"/Subject " + pdfRepr(ZH["geometry"]) in pdf.read_bytes()
    en = plots.coverage_map(coverage, None, lang="en")
    assert plots.not_assessed_text(en) == EN["geometry"]
    # a chart that was drawn carries no reason, and its files no description
    drawn = plots.coverage_bar(coverage, column="events_per_1000", settings=S)
    assert plots.not_assessed_text(drawn) == ""
    assert "Description" not in Image.open(plots.save(drawn, tmp_path / "bar")[0]).info


def test_coverage_map_still_refuses_a_plain_frame(coverage):
    frame = pd.DataFrame({"village_id": ["A"], "geometry": [box(0, 0, 1, 1)]})
    with pytest.raises(TypeError, match="geometry should be a geopandas GeoDataFrame or None, "
                                        "got DataFrame"):
        plots.coverage_map(coverage, frame)


def test_spatial_clusters_without_boundaries_tests_nothing():
    values = pd.Series([1.0, 5.0, 2.0], index=pd.Index(["A", "B", "C"], name="village_id"))
    out = spatial_clusters(values, None)
    with_geo = spatial_clusters(values, gpd.GeoSeries(
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], index=["A", "B", "C"]))
    # same columns and dtypes as a tested result; every village "no geometry", nothing tested
    pd.testing.assert_series_equal(out.dtypes, with_geo.dtypes)
    assert out["cluster"].tolist() == ["no geometry"] * 3
    assert out["n_neighbors"].isna().all() and out["significant"].isna().all()
    assert not out["cold_area"].any() and out["value"].tolist() == [1.0, 5.0, 2.0]
    assert out.attrs["not_assessed"] == (OPTIONAL_TABLES["geometry"],)
    assert "not_assessed" not in with_geo.attrs
    with pytest.raises(TypeError, match="'geometry' should be a GeoDataFrame"):
        spatial_clusters(values, [box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="needs 'lon' and 'lat'"):
        spatial_clusters(values, pd.DataFrame({"village_id": ["A"]}))


def test_training_without_a_ledger_is_typed_and_says_why():
    cadres = pd.DataFrame({"person_id": ["p1", "p2"], "department": ["司法所", "综治办"],
                           "year": [2024, 2024], "online_hours": [45.0, 10.0]})
    full = training_compliance(cadres)
    for missing in (None, schema.empty_frame("cadres")):
        out = training_compliance(missing)
        assert len(out) == 0 and list(out.columns) == list(full.columns)
        assert out.attrs["not_assessed"] == (OPTIONAL_TABLES["cadres"],)
    total = training_compliance(None, by=None)
    assert total.index.tolist() == ["全部"]
    assert total[["n_staff", "n_person_years"]].iloc[0].tolist() == [0, 0]
    assert total[["hours_met_rate", "exam_taken_rate", "pass_rate", "cert_rate"]].isna().all(
        axis=None)
    assert total[["n_examined", "cert_holders"]].isna().all(axis=None)
    # the ledger holds 2024 only: 2025 is not assessed, and the reason names both years
    none_2025 = training_compliance(cadres, year=2025)
    assert len(none_2025) == 0
    assert none_2025.attrs["not_assessed"][0][0] == (
        "学法用法台账无2025年记录（现有2024年），未评估该年度干部学法用法")
    with pytest.raises(TypeError, match="'cadres' should be a pandas DataFrame, got list"):
        training_compliance([1, 2])


def test_training_chart_without_records_says_why(tmp_path):
    fig = plots.training_chart(None, settings=S)
    assert plots.not_assessed_text(fig) == ZH["cadres"]
    cadres = pd.DataFrame({"person_id": ["p1"], "department": ["司法所"], "year": [2024]})
    no_year = training_compliance(cadres, year=2025)
    fig = plots.training_chart(no_year, settings=S, lang="en")
    assert plots.not_assessed_text(fig) == (
        "The cadre law-study records have no record for 2025 (they cover 2024): cadre law study "
        "not assessed for that year")
    # an empty frame with no reason is plain "no data", not a missing table
    bare = no_year.copy()
    bare.attrs = {}
    fig = plots.training_chart(bare, settings=S)
    assert plots.not_assessed_text(fig) == "" and "无数据" in _texts(fig)


def test_awareness_dotplot_without_a_survey_says_why():
    fig = plots.awareness_dotplot(None, settings=S)
    assert plots.not_assessed_text(fig) == ZH["responses"]
    assert ZH["responses"] in _texts(fig).replace("\n", "")
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in (
        "village_id", "item", "n", "rate", "ci_low", "ci_high")})
    assert plots.not_assessed_text(plots.awareness_dotplot(empty, settings=S)) == ""
    assert "无问卷数据" in _texts(plots.awareness_dotplot(empty, settings=S))


def test_services_name_the_tables_not_given(villages):
    visits = pd.DataFrame({"date": pd.to_datetime(["2025-03-02"]), "village_id": ["A"]})
    out = service_coverage(villages, adviser_visits=visits, start="2025-01-01",
                           end="2025-12-31", settings=S)
    assert out.attrs["not_assessed"] == (OPTIONAL_TABLES["legal_literates"],
                                         OPTIONAL_TABLES["sites"])
    assert out["n_legal_literates"].isna().all() and out["adviser_days"].tolist() == [1, 0]
    # the chart names them in its caption; with no service table at all, in place of the chart
    fig = plots.service_chart(out, settings=S)
    assert plots.not_assessed_text(fig) == f"{ZH['legal_literates']}；{ZH['sites']}"
    assert ZH["sites"] in fig.get_supxlabel().replace("\n", "")
    none = plots.service_chart(None, settings=S, lang="en")
    assert plots.not_assessed_text(none) == "; ".join(
        EN[t] for t in ("legal_literates", "adviser_visits", "sites"))
    sites = pd.DataFrame({"site_name": ["甲村宣传栏"], "level": "village", "village_id": ["A"]})
    undated = service_coverage(villages, legal_literates=pd.DataFrame(
        {"person_id": ["p1"], "village_id": ["A"]}), adviser_visits=visits, sites=sites,
        start="2025-01-01", end="2025-12-31", settings=S)
    assert [zh for zh, en in undated.attrs["not_assessed"]] == [
        "普法阵地台账未记录更新日期，未评估阵地内容更新"]


# ---- the notebooks ----------------------------------------------------------------------------

#: What each case removes, and the notebooks that read it (each must run and say so).
#: 6-leader-brief reads every table, but costs 12–25 s a run (an 8-chart PDF), so it runs here
#: only for the two tables whose absence crashed the report (issue #15: the map, the training
#: chart), and with every optional table missing in the whole-report test; that keeps this
#: module under 4 minutes. (Each table missing alone was checked by hand for all 7 notebooks.)
CASES = {
    "geometry": (("geometry",), ["1-coverage", "4-blind-spots", "6-leader-brief"]),
    "cadres": (("cadres",), ["5-cadre-training", "6-leader-brief"]),
    "survey": (("responses", "codebook"), ["4-blind-spots"]),
    "sites": (("sites",), ["1-coverage", "4-blind-spots"]),
    "legal_literates": (("legal_literates",), ["4-blind-spots"]),
    "adviser_visits": (("adviser_visits",), ["4-blind-spots"]),
}
#: Figures that must carry the reason (in their PNG metadata), per case.
FIGURES = {
    "geometry": ["1-coverage-map", "4-blind-spot-map"],
    "cadres": ["5-training"],
    "sites": ["4-service-coverage"],
    "legal_literates": ["4-service-coverage"],
    "adviser_visits": ["4-service-coverage"],
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample town's Dataset, read once (every optional table present)."""
    ds = pm.load_dataset(RAW, settings=S)
    assert not pm.not_assessed(ds)  # the sample has every optional table
    return ds


def _without(ds, tables, folder: Path) -> Path:
    """Write ``ds`` without ``tables``, as load_dataset leaves them when the file is absent."""
    empty = {t: None if t in ("geometry", "legal_literates", "adviser_visits")
             else schema.empty_frame(t) for t in tables}
    return dataclasses.replace(ds, **empty).to_parquet(folder)


def _html(report: Path, notebook: str) -> str:
    text = (report / "notebooks" / f"{notebook}.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", "", text)  # the note may wrap


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("case", list(CASES))
def test_notebooks_run_without_an_optional_table(case, sample, tmp_path):
    tables, notebooks = CASES[case]
    data = _without(sample, tables, tmp_path / "processed")
    report = run_report(data_dir=data, out_dir=tmp_path / "reports", notebooks=notebooks,
                        progress=False)
    said = ZH[tables[0]]
    for nb in notebooks:
        html = _html(report, nb)
        assert said in html, (nb, said)
        others = [ZH[t] for t in OPTIONAL_TABLES if t not in tables]
        assert not [s for s in others if s in html], nb  # only what is missing is said
    for stem in FIGURES.get(case, []):
        assert said in Image.open(report / "figures" / f"{stem}.png").info["Description"], stem


@pytest.mark.slow
@pytest.mark.notebook
def test_survey_notebook_runs_without_a_survey(sample, tmp_path):
    data = _without(sample, ("responses", "codebook"), tmp_path / "processed")
    report = run_report(data_dir=data, out_dir=tmp_path / "reports",
                        notebooks=["3-awareness-survey"], progress=False)
    assert ZH["responses"] in _html(report, "3-awareness-survey")
    assert Image.open(report / "figures" / "3-awareness-dotplot.png").info["Description"] == (
        ZH["responses"])


@pytest.mark.slow
@pytest.mark.notebook
def test_whole_report_from_a_register_and_one_ledger(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("村居基本信息.xlsx", "普法活动台账_司法所.xlsx"):
        shutil.copy(RAW / name, raw / name)
    notebooks = [p.stem for p in pm.report.list_notebooks()]
    report = run_report(data_dir=raw, out_dir=tmp_path / "reports", notebooks=notebooks,
                        progress=False)
    assert sorted(p.stem for p in (report / "notebooks").glob("*.html")) == notebooks
    expected = {  # the sentences each notebook must show (the codebook's is implied)
        "0-data-quality": ["geometry", "responses", "cadres", "sites", "legal_literates",
                           "adviser_visits"],
        "1-coverage": ["geometry", "sites"],
        "2-event-frequency": [],
        "3-awareness-survey": ["responses"],
        "4-blind-spots": ["geometry", "responses", "sites", "legal_literates", "adviser_visits"],
        "5-cadre-training": ["cadres"],
        "6-leader-brief": ["geometry", "responses", "cadres", "sites", "legal_literates",
                           "adviser_visits"],
    }
    for nb, tables in expected.items():
        html = _html(report, nb)
        assert [t for t in tables if ZH[t] not in html] == [], nb
        assert ZH["codebook"] not in html, nb
    described = {stem: Image.open(report / "figures" / f"{stem}.png").info.get("Description", "")
                 for stem in ("1-coverage-map", "4-blind-spot-map", "4-service-coverage",
                              "5-training", "1-coverage-bar")}
    assert described["1-coverage-map"] == described["4-blind-spot-map"] == ZH["geometry"]
    assert described["5-training"] == ZH["cadres"]
    assert described["4-service-coverage"] == "；".join(
        ZH[t] for t in ("legal_literates", "adviser_visits", "sites"))
    assert described["1-coverage-bar"] == ""  # drawn in full
    for rel in ("follow_up.xlsx", "brief.pdf", "brief.html", "data_quality.xlsx"):
        assert (report / rel).stat().st_size > 1_000, rel
    assert np.all([(report / "figures" / f"{s}.svg").is_file() for s in described])
