"""The county/town summary report of a county-partitioned dataset (`pufa report --engine dask`).

Three kinds of checks:

* hand tables: :func:`area_summary` on a few villages and survey rows whose sums are written out
  in the comments; awareness CIs from statsmodels;
* direct pandas counts on the raw sample tables (distinct villages with an event in the period,
  events per county, respondents per county), computed here without the library's metrics;
* partitioning never changes a figure: one county per task and both counties in one task give
  identical tables, and each county's follow-up list is the one ``find_blind_spots`` gives on
  that county alone.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import dask
import numpy as np
import openpyxl
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import pufa_metrics as pm
from pufa_metrics import distributed, national
from pufa_metrics.cli import main
from pufa_metrics.privacy import find_personal_data
from pufa_metrics.workflow import village_rates

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


@pytest.fixture(autouse=True)
def _sync_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


# --------------------------------------------------------------------------------------------
# area_summary on hand tables
# --------------------------------------------------------------------------------------------


def _villages() -> pd.DataFrame:
    # 甲县: 3 villages (一镇: V1, V2; 二镇: V3); 乙县: 1 village (三镇: V4)
    return pd.DataFrame({
        "county": ["甲县", "甲县", "甲县", "乙县"],
        "town": ["一镇", "一镇", "二镇", "三镇"],
        "population": [1000, 1500, 500, np.nan],
        "n_events": [4, 2, 0, 7],
        "days_since_last": [30.0, 400.0, np.nan, 10.0],
        "missing_topics": [(), ("禁毒",), ("宪法", "禁毒"), ()],
        "score": [0.0, 4.5, 9.0, 1.0],
        "reasons": [(), ("stale", "missing_topics"), ("no_events", "missing_topics"),
                    ("unknown_awareness",)],
    }, index=pd.Index(["V1", "V2", "V3", "V4"], name="village_id"))


def test_area_summary_counts_by_hand():
    s = national.area_summary(_villages(), by="county", settings=pm.Settings())
    jia, yi = s.loc["甲县"], s.loc["乙县"]
    assert s.index.tolist() == ["乙县", "甲县"]
    # 甲县: 3 villages, V1 and V2 reached (2/3); population 3000, reached 1000 + 1500 = 2500
    assert (jia["n_villages"], jia["villages_reached"], jia["population"]) == (3, 2, 3000)
    assert jia["reach_rate"] == pytest.approx(2 / 3)
    assert jia["population_reach_rate"] == pytest.approx(2500 / 3000)
    # events 4 + 2 + 0 = 6 over 3 villages; only V1 within 365 days; V2 and V3 miss topics
    assert jia["n_events"] == 6 and jia["events_per_village"] == pytest.approx(2.0)
    assert (jia["villages_recent"], jia["villages_missing_topics"]) == (1, 2)
    # scores 0, 4.5, 9: two flagged, one urgent (≥ 8)
    assert (jia["villages_flagged"], jia["villages_urgent"]) == (2, 1)
    assert (jia["n_no_events"], jia["n_stale"], jia["n_missing_topics"]) == (1, 1, 2)
    # 乙县: population unknown → NA, not 0; its one village reached
    assert pd.isna(yi["population"]) and pd.isna(yi["population_reach_rate"])
    assert (yi["villages_reached"], yi["n_unknown_awareness"]) == (1, 1)


def test_area_summary_by_town_and_chosen_reasons():
    s = national.area_summary(_villages(), by=["county", "town"],
                              reasons=["no_events", "missing_topics"], settings=pm.Settings())
    assert s.index.tolist() == [("乙县", "三镇"), ("甲县", "一镇"), ("甲县", "二镇")]
    assert s["n_villages"].tolist() == [1, 2, 1]
    assert s["villages_reached"].tolist() == [1, 2, 0]
    # only the reasons asked for get a column
    assert [c for c in s.columns if c.startswith("n_") and c not in ("n_villages", "n_events")] \
        == ["n_no_events", "n_missing_topics"]
    assert s["n_missing_topics"].tolist() == [0, 1, 1]


def test_area_summary_awareness_pooled_with_wilson_ci_and_suppression():
    # 甲县: q1 18 of 20 aware, q2 12 of 20 → pooled (18 + 12) / (20 + 20) = 0.75, CI at n = 20
    # 乙县: 3 respondents → below the k = 5 limit: suppressed
    rates = pd.DataFrame({
        "county": ["甲县", "甲县", "乙县"], "item": ["q1", "q2", "q1"],
        "domain": "awareness", "n": [20, 20, 3], "n_eff": [20.0, 20.0, 3.0],
        "n_positive": [18, 12, 3], "rate": [0.9, 0.6, 1.0],
        "ci_high": [0.97, 0.78, 1.0],
    })
    s = national.area_summary(_villages(), by="county", rates=rates, settings=pm.Settings())
    jia, yi = s.loc["甲县"], s.loc["乙县"]
    low, high = proportion_confint(15, 20, method="wilson")
    assert jia["awareness_rate"] == pytest.approx(0.75)
    assert (jia["awareness_ci_low"], jia["awareness_ci_high"]) == (pytest.approx(low),
                                                                   pytest.approx(high))
    assert jia["respondents"] == 20
    # q2's upper bound 0.78 < 0.90: one law below target; q2 is the lowest item
    assert jia["awareness_items_below"] == 1
    assert (jia["awareness_lowest_item"], jia["awareness_lowest_rate"]) == ("q2", 0.6)
    assert not jia["awareness_suppressed"]
    assert yi["respondents"] == 3 and yi["awareness_suppressed"]
    assert np.isnan(yi["awareness_rate"]) and pd.isna(yi["awareness_lowest_item"])


def test_area_summary_says_what_is_missing():
    with pytest.raises(ValueError, match="score"):
        national.area_summary(_villages().drop(columns="score"), settings=pm.Settings())
    with pytest.raises(ValueError, match="reasons"):
        national.area_summary(_villages(), reasons=["nope"], settings=pm.Settings())


# --------------------------------------------------------------------------------------------
# The sample town split into two counties
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """The sample town as two counties: its first 14 villages in 甲县 (two towns), the rest 乙县."""
    ds = pm.load_dataset(SAMPLE)
    villages = ds.villages.copy()
    order = villages["village_id"].astype("str").rank(method="first").to_numpy()
    villages["county"] = np.where(order <= 14, "甲县", "乙县")
    villages["town"] = np.where(order <= 7, "东镇", np.where(order <= 14, "西镇", "南镇"))
    events = ds.events.copy()
    events["county"] = pd.Series(np.nan, index=events.index, dtype="str")
    events.loc[events["village_id"].isna(), "county"] = "甲县"  # town-wide events
    # a Dataset (not a dict) so that the sample's "synthetic" mark travels along
    split_ds = dataclasses.replace(ds, villages=villages, events=events)
    root = distributed.write_partitioned(split_ds, tmp_path_factory.mktemp("split") / "data")
    return {"root": root, "villages": villages, "events": events, "ds": ds}


@pytest.fixture(scope="module")
def summaries(split, tmp_path_factory):
    with dask.config.set(scheduler="sync"):
        return national.summarise_partitioned(
            split["root"], tmp_path_factory.mktemp("parts"), settings=pm.Settings.load())


def test_counts_match_direct_counts_on_the_raw_tables(split, summaries):
    st = pm.Settings.load()
    villages, events = split["villages"], split["events"]
    county_of = villages.set_index("village_id")["county"]
    in_period = events[(events["date"] >= st.start) & (events["date"] <= st.end)
                       & events["village_id"].notna()]
    reached = in_period.groupby(in_period["village_id"].map(county_of))["village_id"].nunique()
    n_events = in_period.groupby(in_period["village_id"].map(county_of)).size()
    c = summaries["counties"]
    assert c["n_villages"].to_dict() == villages.groupby("county").size().to_dict()
    assert c["villages_reached"].to_dict() == reached.to_dict()
    assert c["n_events"].to_dict() == n_events.to_dict()
    assert c["population"].astype("int64").to_dict() == \
        villages.groupby("county")["population"].sum().astype("int64").to_dict()
    responses = split["ds"].responses
    answered = responses[responses["village_id"].notna()]
    per_county = answered.groupby(answered["village_id"].map(county_of)).size()
    # respondents = the best-answered item's n: at most everyone, and close to it
    assert (c["respondents"] <= per_county.reindex(c.index)).all()
    assert (c["respondents"] >= 0.9 * per_county.reindex(c.index)).all()
    t = summaries["towns"]
    assert t.index.tolist() == [("乙县", "南镇"), ("甲县", "东镇"), ("甲县", "西镇")]
    assert t["n_villages"].tolist() == [14, 7, 7]
    # the towns add up to their county
    summed = t.groupby(level="county")[["n_villages", "villages_reached", "n_events"]].sum()
    pd.testing.assert_frame_equal(summed, c[["n_villages", "villages_reached", "n_events"]],
                                  check_names=False)


def test_each_countys_follow_up_is_its_own_blind_spot_list(split, summaries):
    st = pm.Settings.load()
    ds, villages = split["ds"], split["villages"]
    follow = summaries["follow_up"]
    for county in ("甲县", "乙县"):  # two counties
        ids = villages.loc[villages["county"] == county, "village_id"]
        v = villages[villages["village_id"].isin(ids)].drop(columns="county")
        ev = ds.events[ds.events["village_id"].isin(ids)]
        cov = pm.village_coverage(ev, v, start=st.start, end=st.end, as_of=st.as_of,
                                  required_topics=st.required_topics)
        resp = ds.responses[ds.responses["village_id"].isin(ids)]
        rates = village_rates(resp, ds.codebook, settings=st)
        want = pm.find_blind_spots(cov, rates=rates, events=ev, settings=st, as_of=st.as_of)
        got = follow[follow["county"] == county]
        assert got.index.tolist() == want.index.tolist()
        assert got["county_priority"].tolist() == list(range(1, len(want) + 1))
        np.testing.assert_allclose(got["score"], want["score"])
        assert got["reasons_zh"].tolist() == want["reasons_zh"].tolist()
        assert got["reasons"].tolist() == want["reasons"].tolist()


def test_partitioning_never_changes_a_figure(split, summaries, tmp_path):
    again = national.summarise_partitioned(split["root"], tmp_path, settings=pm.Settings.load(),
                                           counties_per_partition=2)
    for name in ("counties", "towns", "follow_up"):
        pd.testing.assert_frame_equal(again[name], summaries[name])


def test_low_awareness_villages_of_the_sample_are_listed(summaries):
    # the sample plants low awareness in 善坑村, 平湖村 and 大湖村 (SAMPLE_TRUTH)
    follow = summaries["follow_up"]
    low = follow[follow["reasons"].map(lambda r: "low_awareness" in r)]
    assert {"善坑村", "平湖村", "大湖村"} <= set(low["village_name"])


# --------------------------------------------------------------------------------------------
# The report: files, atomic replacement, the command
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(split, tmp_path_factory):
    out = tmp_path_factory.mktemp("national") / "report"
    with dask.config.set(scheduler="sync"):
        national.national_report(split["root"], out, settings=pm.Settings.load(), top_n=5)
    return out


def test_report_writes_workbook_charts_brief_and_tables(report, summaries):
    wb = openpyxl.load_workbook(report / "summary.xlsx")
    assert wb.sheetnames == ["说明", "总体", "县汇总", "乡镇汇总", "重点跟进村"]
    counties = wb["县汇总"]
    header = [c.value for c in counties[1]]
    assert header[:4] == ["县（市、区）", "村（社区）数", "常住人口", "有活动的村数"]
    assert counties.max_row == 1 + 2 and counties.freeze_panes == "A2"
    reach = header.index("村覆盖率（%）")
    values = {r[0].value: r[reach].value for r in counties.iter_rows(min_row=2)}
    expected = (summaries["counties"]["reach_rate"] * 100).round(1).to_dict()
    assert values == expected
    follow = wb["重点跟进村"]
    ranks = [r[0].value for r in follow.iter_rows(min_row=1, max_row=1)][0]
    assert ranks == "村（社区）编码"
    # top 5 per county: 10 rows when both counties have at least 5 villages to follow up
    assert follow.max_row == 1 + 10
    for name in ("county_reach", "town_reach", "county_awareness", "reasons"):
        for fmt in ("png", "pdf", "svg"):
            assert (report / "figures" / f"{name}.{fmt}").stat().st_size > 1000
    page = (report / "brief.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    assert "示例数据（合成）" in page  # the sample's marker travelled with write_partitioned
    assert "村覆盖率最低的30个县" in page
    tables = {p.stem for p in (report / "data").glob("*.parquet")}
    assert tables == {"counties", "towns", "follow_up"}
    assert not list(report.glob(".*"))  # no temporary parts left behind


def test_no_personal_data_in_the_report(report, split):
    responses = split["ds"].responses
    assert not {"name", "phone", "id_number"} & set(responses.columns)
    text = (report / "brief.html").read_text(encoding="utf-8")
    for sheet in openpyxl.load_workbook(report / "summary.xlsx").worksheets:
        text += json.dumps([[c for c in row] for row in sheet.iter_rows(values_only=True)],
                           ensure_ascii=False, default=str)
    assert find_personal_data(pd.Series([text])) is None


def test_a_failing_run_leaves_the_previous_report(split, report, tmp_path):
    out = tmp_path / "report"
    national.national_report(split["root"], out, settings=pm.Settings.load())
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    broken = tmp_path / "broken"
    distributed.write_partitioned({"villages": split["villages"]}, broken)
    victim = next((broken / "villages").rglob("*.parquet"))
    victim.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        national.national_report(broken, out, settings=pm.Settings.load())
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_report_with_the_dask_engine(split, tmp_path, capsys):
    out = tmp_path / "national"
    code = main(["report", "--engine", "dask", "--data", str(split["root"]), "--out", str(out),
                 "--top-n", "3", "--counties-per-partition", "2"])
    assert code == 0, capsys.readouterr().err
    assert "summary.xlsx" in capsys.readouterr().out
    follow = pd.read_excel(out / "summary.xlsx", sheet_name="重点跟进村", engine="openpyxl")
    assert follow.groupby("县（市、区）").size().to_dict() == {"乙县": 3, "甲县": 3}


def test_cli_report_dask_on_a_folder_that_is_not_partitioned(tmp_path, capsys):
    code = main(["report", "--engine", "dask", "--data", str(tmp_path), "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err
    assert "不是按县分区的数据集" in err and "is not a county-partitioned dataset" in err
    assert not (tmp_path / "out").exists()
