"""The county/town summary report of a county-partitioned dataset (`pufa report --engine dask`).

Three kinds of checks:

* hand tables: :func:`area_summary` on a few villages and survey rows whose sums are written out
  in the comments; awareness CIs from statsmodels;
* direct pandas counts on the raw sample tables (distinct villages with an event in the period,
  events per county, respondents per county), computed here without the library's metrics;
* partitioning never changes a figure: one county per task and both counties in one task give
  identical tables (the county report runs the town pipeline, ``workflow.analyse``, on each
  partition's rows, so no test compares the two any more);
* scores and ranks by hand on a three-village country;
* sites, the 法律明白人 roster and the adviser log: counted by hand on a four-village country,
  counted with plain pandas on the sample's raw tables, and the sample town run through
  ``pufa partition`` gives the report of the sample written directly.
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
from pufa_metrics import distributed, ingest, national
from pufa_metrics.cli import main
from pufa_metrics.privacy import find_personal_data

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


def test_area_summary_awareness_items_pooled_figures_and_suppression():
    # item rates: 甲县 q1 18/20 (CI high 0.97), q2 12/20 (CI high 0.78 < 0.90), q3 answered by
    # only 4 (rate 0.25, too few to judge); 乙县: 3 respondents → below k = 5, suppressed
    rates = pd.DataFrame({
        "county": ["甲县", "甲县", "甲县", "乙县"], "item": ["q1", "q2", "q3", "q1"],
        "domain": "awareness", "n": [20, 20, 4, 3], "rate": [0.9, 0.6, 0.25, 1.0],
        "ci_high": [0.97, 0.78, 0.7, 1.0],
    })
    pooled = pd.DataFrame({"county": ["甲县", "乙县"], "n_respondents": [20, 3],
                           "rate": [0.7, 1.0], "ci_low": [0.6, 0.4], "ci_high": [0.8, 1.0],
                           "n_eff": [12.5, 3.0]})
    s = national.area_summary(_villages(), by="county", rates=rates, pooled=pooled,
                              settings=pm.Settings())
    jia, yi = s.loc["甲县"], s.loc["乙县"]
    assert (jia["respondents"], jia["awareness_rate"], jia["awareness_ci_low"],
            jia["awareness_ci_high"], jia["awareness_n_eff"]) == (20, 0.7, 0.6, 0.8, 12.5)
    # q2 is the lowest item judged (q3's 4 answers are too few) and the one below target
    assert (jia["awareness_lowest_item"], jia["awareness_lowest_rate"]) == ("q2", 0.6)
    assert jia["awareness_items_below"] == 1
    assert not jia["awareness_suppressed"]
    assert pd.isna(yi["respondents"]) and yi["awareness_suppressed"]  # shown as "<5"
    assert pd.isna(yi["awareness_rate"]) and pd.isna(yi["awareness_lowest_item"])


def test_towns_one_suppressed_in_a_county_hides_the_next_smallest_too():
    villages = _villages()
    pooled = pd.DataFrame({"county": ["甲县", "甲县", "乙县"], "town": ["一镇", "二镇", "三镇"],
                           "n_respondents": [30, 3, 40], "rate": [0.9, 0.5, 0.8],
                           "ci_low": 0.0, "ci_high": 1.0, "n_eff": 10.0})
    s = national.area_summary(villages, by=["county", "town"], pooled=pooled,
                              secondary_by="county", settings=pm.Settings())
    # 甲县 二镇 (3) is suppressed; 一镇 would give it away with the county figure: hidden too
    assert s["awareness_suppressed"].tolist() == [False, True, True]  # 乙县三镇, 甲县一镇/二镇


def test_area_summary_says_what_is_missing():
    with pytest.raises(ValueError, match="score"):
        national.area_summary(_villages().drop(columns="score"), settings=pm.Settings())
    with pytest.raises(ValueError, match="reasons"):
        national.area_summary(_villages(), reasons=["nope"], settings=pm.Settings())


# --------------------------------------------------------------------------------------------
# The sample town split into two counties
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    """The sample town as `pufa validate` reads it (sites, roster, adviser log, survey)."""
    return pm.load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def split(sample, tmp_path_factory):
    """The sample town as two counties: its first 14 villages in 甲县 (two towns), the rest 乙县.

    It carries the sites, the 法律明白人 roster and the adviser log: each row goes with its
    village's county; the two town-level sites (no village) go to 甲县, as the town-wide events.
    """
    ds = sample
    villages = ds.villages.copy()
    order = villages["village_id"].astype("str").rank(method="first").to_numpy()
    villages["county"] = np.where(order <= 14, "甲县", "乙县")
    villages["town"] = np.where(order <= 7, "东镇", np.where(order <= 14, "西镇", "南镇"))
    events = ds.events.copy()
    events["county"] = pd.Series(np.nan, index=events.index, dtype="str")
    events.loc[events["village_id"].isna(), "county"] = "甲县"  # town-wide events
    sites = ds.sites.copy()
    sites["county"] = pd.Series(np.nan, index=sites.index, dtype="str")
    sites.loc[sites["village_id"].isna(), "county"] = "甲县"  # town-level sites
    assert sites["county"].notna().sum() == 2 and len(ds.legal_literates) and len(
        ds.adviser_visits)
    # a Dataset (not a dict) so that the sample's "synthetic" mark travels along
    split_ds = dataclasses.replace(ds, villages=villages, events=events, sites=sites)
    root = ingest.write_partitioned(split_ds, tmp_path_factory.mktemp("split") / "data")
    return {"root": root, "villages": villages, "events": events, "sites": sites, "ds": ds}


@pytest.fixture(scope="module")
def summaries(split, tmp_path_factory):
    with dask.config.set(scheduler="sync"):
        return national.summarise_partitioned(
            split["root"], tmp_path_factory.mktemp("parts"), settings=pm.Settings.load())


@pytest.mark.slow
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


def _tiny_country(tmp_path, *, sites: bool = False):
    """甲县: V1 (1,000 people, one event 2025-06-01), V2 (10,000, no event); 乙县: V3 (1,000,
    no event). Period 2025, no required topic, no attendee or audience column."""
    villages = pd.DataFrame({
        "village_id": ["V1", "V2", "V3"], "village_name": ["甲一村", "甲二村", "乙村"],
        "town": ["一镇", "一镇", "二镇"], "population": [1000, 10000, 1000],
        "county": ["甲县", "甲县", "乙县"]})
    events = pd.DataFrame({"event_id": ["e1"], "date": pd.to_datetime(["2025-06-01"]),
                           "village_id": ["V1"], "topic": ["宪法"]})
    tables = {"villages": villages, "events": events}
    if sites:  # a dataset with sites, where only V1 has one: V2 and V3 have none
        tables["sites"] = pd.DataFrame({"site_id": ["S1"], "site_name": ["甲一村宣传栏"],
                                        "village_id": ["V1"], "level": ["village"]})
    root = ingest.write_partitioned(tables, tmp_path / "d")
    st = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"},
                                "topics": {"required": []}})
    return root, st


def test_county_scores_and_ranks_by_hand(tmp_path):
    root, st = _tiny_country(tmp_path)
    s = national.summarise_partitioned(root, tmp_path / "p", settings=st)
    f = s["follow_up"]
    # V1: last event 213 days before 2025-12-31, gaps 151 and 213 days (< 365): no reason.
    # V2: no event, 5 points × (1 + log10(10,000 / 1,000)) = 10; V3: 5 × 1 = 5
    assert f.index.tolist() == ["V3", "V2"]  # sorted by county (乙县 < 甲县), then rank
    assert f["score"].tolist() == [5.0, 10.0]
    assert f["county_priority"].tolist() == [1, 1]
    assert f["reasons"].tolist() == [("no_events",), ("no_events",)]
    c = s["counties"]
    assert c["villages_flagged"].tolist() == [1, 1]
    assert c["villages_urgent"].tolist() == [0, 1]  # 10 ≥ rules.URGENT_SCORE (8); 5 is not
    assert c["villages_reached"].tolist() == [0, 1] and c["n_no_events"].tolist() == [1, 1]
    # no attendee, audience or required topic: those reasons are not counted at all
    assert not {"n_low_attendance", "n_missing_audiences", "n_missing_topics"} & set(c.columns)


def test_a_county_without_site_rows_in_a_dataset_with_sites_has_none(tmp_path):
    # 乙县 has no site file at all: in a dataset with sites its village has no site (no_site:
    # 2 points, so V3 scores 5 + 2 = 7); in a dataset without sites, nobody is judged on it
    root, st = _tiny_country(tmp_path, sites=True)
    s = national.summarise_partitioned(root, tmp_path / "p", settings=st,
                                       counties_per_partition=1)
    f = s["follow_up"]
    assert f.loc["V3", "reasons"] == ("no_events", "no_site") and f.loc["V3", "score"] == 7.0
    assert f.loc["V2", "reasons"] == ("no_events", "no_site")
    assert "V1" not in f.index
    assert s["counties"]["n_no_site"].tolist() == [1, 1]


def test_the_urgent_cut_and_its_text_come_from_the_rules():
    assert national.URGENT_SCORE is pm.rules.URGENT_SCORE
    cut = f"{pm.rules.URGENT_SCORE:g}"
    assert national.AREA_HEADERS["villages_urgent"] == f"重点跟进村数（得分≥{cut}）"


def test_analyse_judges_county_rows_on_the_tables_the_dataset_holds():
    # one county's rows: no site row and no answer. Named in `tables`, they mean "none"; by
    # default (a town's empty register / survey) they mean "not kept"
    villages = pd.DataFrame({"village_id": ["V1"], "village_name": ["甲村"],
                             "population": [500]})
    events = pd.DataFrame({"event_id": ["e1"], "date": pd.to_datetime(["2025-05-01"]),
                           "village_id": ["V1"], "topic": ["宪法"]})
    codebook = pd.DataFrame({"item": ["q1"], "text": ["是否知道宪法日"], "domain": ["awareness"],
                             "positive": [("知道",)]})
    ds = pm.Dataset(villages=villages, events=pm.schema.coerce(events, "events"),
                    codebook=codebook)
    st = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"},
                                "topics": {"required": []}})
    county = pm.analyse(ds, settings=st, parts=(), tables=("sites", "responses"),
                        include_all=True, shrink=False)
    assert county.follow_up.loc["V1", "reasons"] == ("no_site", "unknown_awareness")
    assert county.topics is None and county.counts is None and county.groups is None
    town = pm.analyse(ds, settings=st, include_all=True)
    assert town.follow_up.loc["V1", "reasons"] == ()
    assert town.rates is None and town.topics is not None
    with pytest.raises(ValueError, match="`parts` should be among"):
        pm.analyse(ds, settings=st, parts=("charts",))


def test_a_dataset_without_service_tables_assesses_no_service_reason(split, tmp_path):
    # the split written without sites, roster and log: no service reason is counted or given
    ds = split["ds"]
    root = ingest.write_partitioned(
        {"villages": split["villages"], "events": split["events"],
         "event_topics": ds.event_topics, "responses": ds.responses, "codebook": ds.codebook},
        tmp_path / "d")
    assert not any((root / t).exists() for t in ingest.SERVICE_TABLES)
    st = pm.Settings.load()
    s = national.summarise_partitioned(root, tmp_path / "p", settings=st)
    services = {"no_site", "few_legal_literates", "adviser_absent", "stale_site"}
    assert not services & {r for rs in s["follow_up"]["reasons"] for r in rs}
    for name in ("counties", "towns"):
        assert not set(_SERVICE_COUNTS) & set(s[name].columns)
    assert not {"has_site", "n_legal_literates", "stale_sites"} & set(s["follow_up"].columns)
    assert s["counties"].attrs["service_tables"] == ()
    assert s["counties"].attrs["not_assessed"] == (
        "no_site", "few_legal_literates", "adviser_absent", "stale_site", "cold_spot")


_SERVICE_COUNTS = ("n_no_site", "n_few_legal_literates", "n_adviser_absent", "n_stale_site")


def test_service_counts_of_the_split_sample_match_direct_counts(split, summaries):
    # each county's villages per service reason, counted here with plain pandas on the raw
    # tables and the rules of pufa.toml: 3 法律明白人 per 行政村 (communities exempt), the
    # adviser within 90 days and at least once in the last 12 months of the period, sites
    # updated within 12 months of as_of
    st = pm.Settings.load()
    ds, villages, sites = split["ds"], split["villages"], split["sites"]
    as_of = pd.Timestamp(st.as_of or st.end)
    window = (pd.Timestamp(st.end) - pd.DateOffset(months=12) + pd.Timedelta(days=1),
              pd.Timestamp(st.end))
    v = villages.set_index("village_id")
    village_sites = sites[(sites["level"] == "village") & sites["village_id"].notna()]
    no_site = ~v.index.isin(village_sites["village_id"])
    stale = village_sites["last_updated"].isna() | (
        village_sites["last_updated"] < as_of - pd.DateOffset(months=12))
    stale_site = v.index.isin(village_sites.loc[stale, "village_id"])
    roster = ds.legal_literates
    later = (roster["year"] > pd.Timestamp(st.end).year).fillna(False).astype(bool)
    trained = roster[~(roster["trained_hours"] <= 0) & ~later]  # a blank counts as trained
    people = trained.groupby("village_id")["person_id"].nunique().reindex(v.index, fill_value=0)
    few = (v["kind"] == "village") & (people < 3)
    log = ds.adviser_visits
    in_window = log[(log["date"] >= window[0]) & (log["date"] <= window[1])]
    visits = in_window.groupby("village_id").size().reindex(v.index, fill_value=0)
    last = log[log["date"] <= as_of].groupby("village_id")["date"].max().reindex(v.index)
    absent = (visits == 0) | ((as_of - last).dt.days > 90)
    direct = pd.DataFrame({"n_no_site": no_site, "n_stale_site": stale_site,
                           "n_few_legal_literates": few.to_numpy(),
                           "n_adviser_absent": absent.to_numpy()}, index=v.index)
    want = direct.groupby(v["county"]).sum()
    got = summaries["counties"][list(want.columns)]
    pd.testing.assert_frame_equal(got, want.astype("int64"), check_names=False)
    # the sample plants every one of them somewhere, but gives every village a site
    assert (want[["n_stale_site", "n_few_legal_literates", "n_adviser_absent"]].sum() > 0).all()
    # towns add up to their county
    towns = summaries["towns"][list(want.columns)].groupby(level="county").sum()
    pd.testing.assert_frame_equal(towns, got, check_names=False)


@pytest.mark.slow
def test_the_sample_town_through_from_towns_as_through_write_partitioned(sample, tmp_path):
    # `pufa partition data/raw` writes every row of the service tables, and the county report
    # of that dataset is the one of the sample written directly as a single county
    merged = ingest.from_towns([SAMPLE], tmp_path / "d")
    for table in ingest.SERVICE_TABLES:  # written, every row
        assert len(distributed.read_partitioned(tmp_path / "d", table)) == len(
            getattr(sample, table)) > 0
    assert merged.sites["county"].notna().all()  # town-level sites too
    county = merged.villages["county"].iloc[0]
    direct = ingest.write_partitioned(
        dataclasses.replace(sample, villages=sample.villages.assign(county=county)),
        tmp_path / "w")
    st = pm.Settings.load()
    got = national.summarise_partitioned(tmp_path / "d", tmp_path / "p", settings=st)
    want = national.summarise_partitioned(direct, tmp_path / "q", settings=st)
    cols = ["score", "reasons", "reasons_zh", "has_site", "n_legal_literates", "stale_sites"]
    pd.testing.assert_frame_equal(got["follow_up"][cols], want["follow_up"][cols])
    c = got["counties"]
    reasons = pd.Series([r for rs in got["follow_up"]["reasons"] for r in rs]).value_counts()
    for code in ("no_site", "few_legal_literates", "adviser_absent", "stale_site"):
        assert c[f"n_{code}"].tolist() == [int(reasons.get(code, 0))], code
    assert c.attrs["not_assessed"] == ("cold_spot",)


def test_the_sample_as_one_county_flags_the_town_reports_missing_topics(sample, tmp_path):
    # every topic of an event counts (event_topics travels with the events): the town report
    # flags missing topics in 4 villages of the sample (SAMPLE_TRUTH), so must this one
    ds = sample
    root = ingest.write_partitioned(
        dataclasses.replace(ds, villages=ds.villages.assign(county="水寨县")), tmp_path / "d")
    s = national.summarise_partitioned(root, tmp_path / "parts", settings=pm.Settings.load())
    assert s["counties"]["n_missing_topics"].tolist() == [4]


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


@pytest.mark.slow
def test_report_writes_workbook_charts_brief_and_tables(report, split):
    wb = openpyxl.load_workbook(report / "summary.xlsx")
    assert wb.sheetnames == ["说明", "总体", "县汇总", "乡镇汇总", "重点跟进村"]
    counties = wb["县汇总"]
    header = [c.value for c in counties[1]]
    assert header[:4] == ["县（市、区）", "村（社区）数", "常住人口", "有活动的村数"]
    assert counties.max_row == 1 + 2 and counties.freeze_panes == "A2"
    reach = header.index("村覆盖率（%）")
    values = {r[0].value: r[reach].value for r in counties.iter_rows(min_row=2)}
    # from the raw tables: villages with a village event in 2020–2025 over all villages
    villages, events = split["villages"], split["events"]
    st = pm.Settings.load()
    seen = events.loc[(events["date"] >= st.start) & (events["date"] <= st.end), "village_id"]
    reached = villages["village_id"].isin(seen).groupby(villages["county"])
    assert values == (reached.mean() * 100).round(1).to_dict()
    # the split sample has sites, roster and adviser log: only cold spots go unassessed
    notes = {r[0].value: r[1].value for r in wb["说明"].iter_rows(min_row=2)}
    unassessed = notes["未评估的原因 / not assessed"]
    assert "村界" in unassessed and "空间冷点" in unassessed
    assert not any(w in unassessed for w in ("阵地", "法律明白人", "法律顾问"))
    assert "2025-01-01" in notes["阵地与法律服务 / sites and legal services"]
    assert "法律明白人不足（村数）" in header and "无村级阵地（村数）" in header
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


@pytest.mark.slow
def test_a_failing_run_leaves_the_previous_report(split, report, tmp_path):
    out = tmp_path / "report"
    national.national_report(split["root"], out, settings=pm.Settings.load())
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    broken = tmp_path / "broken"
    ingest.write_partitioned({"villages": split["villages"]}, broken)
    victim = next((broken / "villages").rglob("*.parquet"))
    victim.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        national.national_report(broken, out, settings=pm.Settings.load())
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
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


# --------------------------------------------------------------------------------------------
# A hand-made country: a county without answers, a tiny village sample, personal columns
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_country(tmp_path_factory):
    """甲县 (V1, V2), 乙县 (V3) and 丙县 (V4); only 甲县 surveyed; no attendee figures."""
    villages = pd.DataFrame({
        "village_id": ["V1", "V2", "V3", "V4"],
        "village_name": ["甲一村", "甲二村", "乙村", "丙村"],
        "town": ["一镇", "一镇", "二镇", "三镇"], "population": [1200, 800, 900, 700],
        "county": ["甲县", "甲县", "乙县", "丙县"]})
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3"], "date": pd.to_datetime(["2025-03-01", "2025-06-26",
                                                               "2025-12-04"]),
        "village_id": ["V1", "V1", "V3"], "topic": ["宪法", "禁毒", "宪法"]})
    # V1: 12 respondents, 9 aware; V2: 3 respondents, 2 aware (a group below k = 5)
    answers = ["知道"] * 9 + ["不知道"] * 3 + ["知道", "知道", "不知道"]
    responses = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(15)],
        "village_id": ["V1"] * 12 + ["V2"] * 3, "q1": answers,
        "name": ["张三丰"] * 15, "phone": ["13800138000"] * 15})
    codebook = pd.DataFrame({"item": ["q1"], "text": ["是否知道宪法日"], "domain": ["awareness"],
                             "positive": [("知道",)]})
    root = ingest.write_partitioned(
        {"villages": villages, "events": events, "responses": responses, "codebook": codebook},
        tmp_path_factory.mktemp("country") / "d")
    settings = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    return root, settings


def test_a_county_without_answers_is_unknown_whatever_the_partitioning(small_country, tmp_path):
    root, st = small_country
    one = national.summarise_partitioned(root, tmp_path / "a", settings=st)
    three = national.summarise_partitioned(root, tmp_path / "b", settings=st,
                                           counties_per_partition=3)
    for name in ("counties", "towns", "follow_up"):
        pd.testing.assert_frame_equal(one[name], three[name])
    c = one["counties"]
    # 乙县 and 丙县 were not surveyed: 0 respondents, no rate, not "suppressed", and every
    # village's awareness unknown
    assert c.loc[["乙县", "丙县"], "respondents"].tolist() == [0, 0]
    assert c.loc[["乙县", "丙县"], "awareness_rate"].isna().all()
    assert not c.loc[["乙县", "丙县"], "awareness_suppressed"].any()
    # 丙县, 乙县 (sorted): their one village each; 甲县: V2 only (3 answers < 10; V1 has 12)
    assert c["n_unknown_awareness"].tolist() == [1, 1, 1]
    # 甲县: 15 respondents, 9 + 2 = 11 aware
    assert c.loc["甲县", "respondents"] == 15
    assert c.loc["甲县", "awareness_rate"] == pytest.approx(11 / 15)
    # no attendee figures in the ledger: attendance is not assessed, so never a reason
    assert "n_low_attendance" not in c.columns
    assert not one["follow_up"]["reasons"].map(lambda r: "low_attendance" in r).any()


@pytest.mark.slow
def test_small_village_samples_are_suppressed_in_every_output(small_country, tmp_path):
    root, st = small_country
    out = tmp_path / "report"
    national.national_report(root, out, settings=st)
    follow = pd.read_parquet(out / "data" / "follow_up.parquet").set_index("village_id")
    # V2 has 3 respondents (< 5): no count, rate or bound of its answers is published
    assert pd.isna(follow.loc["V2", "awareness_n"]) and follow.loc["V2", "awareness_suppressed"]
    assert pd.isna(follow.loc["V2", "awareness_rate"])
    assert follow.loc["V1", "awareness_n"] == 12
    sheet = pd.read_excel(out / "summary.xlsx", sheet_name="重点跟进村", engine="openpyxl")
    assert sheet.set_index("村（社区）编码").loc["V2", "问卷样本量"] == "<5"
    # no sites, roster or adviser log in this country: the notes say so, and no column counts
    # villages for those reasons
    notes = pd.read_excel(out / "summary.xlsx", sheet_name="说明", engine="openpyxl")
    unassessed = notes.set_index("项目 / item").loc["未评估的原因 / not assessed"].iloc[0]
    for table in ("普法阵地台账", "法律明白人名册", "法律顾问服务台账", "村界"):
        assert table in unassessed
    assert "阵地与法律服务 / sites and legal services" not in notes["项目 / item"].tolist()
    counties = pd.read_parquet(out / "data" / "counties.parquet")
    assert not set(_SERVICE_COUNTS) & set(counties.columns)
    text = (out / "brief.html").read_text(encoding="utf-8")
    for sheet in openpyxl.load_workbook(out / "summary.xlsx").worksheets:
        text += json.dumps(list(sheet.iter_rows(values_only=True)), ensure_ascii=False,
                           default=str)
    for table in (out / "data").glob("*.parquet"):
        text += pd.read_parquet(table).to_json(force_ascii=False)
    assert "张三丰" not in text and "13800138000" not in text
    assert find_personal_data(pd.Series([text])) is None


def test_no_town_column_means_no_town_sheet_and_a_support_only_survey_is_no_survey(tmp_path):
    villages = pd.DataFrame({"village_id": ["A", "B"], "village_name": ["甲村", "乙村"],
                             "population": [500, 600], "county": ["甲县", "乙县"]})
    events = pd.DataFrame({"date": pd.to_datetime(["2025-05-01"]), "village_id": ["A"],
                           "topic": ["禁毒"], "attendees": pd.array([40], dtype="Int64")})
    responses = pd.DataFrame({"response_id": ["r1", "r2"], "village_id": ["A", "B"],
                              "s1": ["支持", "不支持"]})
    codebook = pd.DataFrame({"item": ["s1"], "text": ["是否支持"], "domain": ["support"],
                             "positive": [("支持",)]})
    root = ingest.write_partitioned(
        {"villages": villages, "events": events, "responses": responses, "codebook": codebook},
        tmp_path / "d")
    st = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    out = national.national_report(root, tmp_path / "r", settings=st)
    assert openpyxl.load_workbook(out / "summary.xlsx").sheetnames == [
        "说明", "总体", "县汇总", "重点跟进村"]
    assert sorted(p.stem for p in (out / "figures").glob("*.png")) == ["county_reach", "reasons"]
    counties = pd.read_parquet(out / "data" / "counties.parquet")
    assert "awareness_rate" not in counties.columns  # no awareness item: not surveyed
    assert counties["villages_reached"].tolist() == [0, 1]  # 乙县, 甲县


def test_county_awareness_is_the_village_clustered_pooled_rate(split, summaries):
    ds, villages = split["ds"], split["villages"]
    county_of = villages.set_index("village_id")["county"]
    answered = ds.responses[ds.responses["village_id"].notna()]
    want = pm.survey.pooled_rates(answered.assign(county=answered["village_id"].map(county_of)),
                                  ds.codebook, by="county").set_index("county")
    c = summaries["counties"]
    for column, theirs in (("awareness_rate", "rate"), ("awareness_ci_low", "ci_low"),
                           ("awareness_ci_high", "ci_high"), ("respondents", "n_respondents")):
        np.testing.assert_allclose(c[column].astype("float64"), want[theirs].astype("float64"))
    # answers within a village are alike: the clustered interval is wider than Wilson's on the
    # respondents as if they were a simple random sample (statsmodels)
    n = c["respondents"].astype("float64")
    low, high = proportion_confint(c["awareness_rate"] * n, n, method="wilson")
    assert ((c["awareness_ci_high"] - c["awareness_ci_low"]) > (high - low)).all()


def test_awareness_bars_carry_their_confidence_intervals():
    s = pd.DataFrame({"awareness_rate": [0.7, 0.95], "awareness_ci_low": [0.6, 0.9],
                      "awareness_ci_high": [0.8, 0.99], "n_villages": [4, 3]},
                     index=pd.Index(["甲县", "乙县"], name="county"))
    fig = national.area_bar(s, column="awareness_rate", target=0.9)
    ax = fig.axes[0]
    whiskers = [seg for c in ax.collections for seg in c.get_segments()]
    spans = sorted((round(float(seg[0][0]), 2), round(float(seg[1][0]), 2)) for seg in whiskers)
    assert spans == [(0.6, 0.8), (0.9, 0.99)]
    # below the 90% target: vermillion; 乙县 (95%) blue
    colours = [p.get_facecolor() for p in ax.patches]
    assert colours[0] != colours[1]


@pytest.mark.slow
def test_the_report_in_english(small_country, tmp_path):
    root, st = small_country
    out = national.national_report(root, tmp_path / "en", settings=st, lang="en")
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    assert wb.sheetnames == ["Notes", "Overview", "Counties", "Towns", "Follow-up"]
    header = [c.value for c in wb["Counties"][1]]
    assert header[:5] == ["County", "Villages", "Population", "Villages reached",
                          "Village reach (%)"]
    page = (out / "brief.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "The 30 counties with the lowest village reach" in page


# --------------------------------------------------------------------------------------------
# Sites and legal services in a hand-made country
# --------------------------------------------------------------------------------------------


def _services_country(tmp_path, *, tables=("sites", "legal_literates", "adviser_visits")):
    """甲县 (V1, V2), 乙县 (V3), 丙县 (V4); period 2025, as_of 2025-12-31.

    Sites: V1 updated 2025-10-01 (fresh), V2 2024-06-30 (stale: before 2024-12-31, 12 months
    before as_of), V3 no update date (stale: the register records dates elsewhere), V4 none
    (no site); a town-level site of 甲县 with no village. Roster: V1 3 trained, V2 2, V3 2
    trained + 1 with 0 hours, V4 nobody (target 3: V2, V3, V4 short). Adviser log: V1
    2025-12-01 (30 days), V2 2025-03-15 (291 days > 90: absent), V3 never (absent), V4
    2025-11-20 (41 days).
    """
    villages = pd.DataFrame({
        "village_id": ["V1", "V2", "V3", "V4"],
        "village_name": ["甲一村", "甲二村", "乙村", "丙村"],
        "town": ["一镇", "一镇", "二镇", "三镇"], "kind": "village",
        "population": [1200, 800, 900, 700], "county": ["甲县", "甲县", "乙县", "丙县"]})
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4"], "village_id": ["V1", "V2", "V3", "V4"],
        "date": pd.to_datetime(["2025-11-01"] * 4), "topic": "宪法"})
    sites = pd.DataFrame({
        "site_id": ["S0", "S1", "S2", "S3"], "site_name": ["一镇长廊", "甲一村宣传栏",
                                                          "甲二村宣传栏", "乙村宣传栏"],
        "village_id": [None, "V1", "V2", "V3"], "level": ["town", "village", "village",
                                                          "village"],
        "last_updated": pd.to_datetime(["2025-06-01", "2025-10-01", "2024-06-30", None]),
        "county": ["甲县", None, None, None]})
    roster = pd.DataFrame({
        "person_id": [f"p{i}" for i in range(1, 9)],
        "village_id": ["V1", "V1", "V1", "V2", "V2", "V3", "V3", "V3"],
        "trained_hours": [8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 0.0]})
    log = pd.DataFrame({"date": pd.to_datetime(["2025-12-01", "2025-03-15", "2025-11-20"]),
                        "village_id": ["V1", "V2", "V4"]})
    given = {"sites": sites, "legal_literates": roster, "adviser_visits": log}
    root = ingest.write_partitioned(
        {"villages": villages, "events": events, **{t: given[t] for t in tables}},
        tmp_path / "d")
    settings = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    return root, settings


def test_service_reasons_by_hand_whatever_the_partitioning(tmp_path):
    root, st = _services_country(tmp_path)
    one = national.summarise_partitioned(root, tmp_path / "a", settings=st,
                                         counties_per_partition=1)
    three = national.summarise_partitioned(root, tmp_path / "b", settings=st,
                                           counties_per_partition=3)
    for name in ("counties", "towns", "follow_up"):
        pd.testing.assert_frame_equal(one[name], three[name])
    c = one["counties"]  # 丙县, 乙县, 甲县 (sorted)
    assert c.index.tolist() == ["丙县", "乙县", "甲县"]
    # 丙县 has no site row at all in a dataset with sites: its village has no site
    assert c["n_no_site"].tolist() == [1, 0, 0]
    # 乙县's only site has no update date: stale even when 乙县 is a partition of its own
    assert c["n_stale_site"].tolist() == [0, 1, 1]  # 丙县 no site; 乙县 V3; 甲县 V2
    assert c["n_few_legal_literates"].tolist() == [1, 1, 1]  # V4, V3, V2
    assert c["n_adviser_absent"].tolist() == [0, 1, 1]  # V3 never, V2 291 days
    f = one["follow_up"]
    services = {"no_site", "stale_site", "few_legal_literates", "adviser_absent"}
    assert services & set(f.loc["V3", "reasons"]) == services - {"no_site"}
    assert services & set(f.loc["V4", "reasons"]) == {"no_site", "few_legal_literates"}
    assert f.loc["V2", "stale_site_names"] == "甲二村宣传栏"
    assert f.loc["V3", "n_legal_literates"] == 2 and f.loc["V2", "days_since_adviser"] == 291
    # V1: fresh site, 3 literates, adviser 30 days ago (listed for its missing topics only)
    assert not services & set(f.loc["V1", "reasons"])
    assert c.attrs["not_assessed"] == ("cold_spot",)


@pytest.mark.slow
def test_only_the_tables_present_are_assessed(tmp_path):
    # a roster alone: few_legal_literates counted, site and adviser reasons not (no column, not
    # a 0 that would read as "every village has a site")
    root, st = _services_country(tmp_path, tables=("legal_literates",))
    s = national.summarise_partitioned(root, tmp_path / "p", settings=st)
    c = s["counties"]
    assert [col for col in _SERVICE_COUNTS if col in c.columns] == ["n_few_legal_literates"]
    assert c["n_few_legal_literates"].tolist() == [1, 1, 1]
    assert c.attrs["service_tables"] == ("legal_literates",)
    assert c.attrs["not_assessed"] == ("no_site", "adviser_absent", "stale_site", "cold_spot")
    # the report's 说明 sheet says which reasons were not assessed and why
    out = national.national_report(root, tmp_path / "r", settings=st)
    notes = pd.read_excel(out / "summary.xlsx", sheet_name="说明", engine="openpyxl")
    text = notes.set_index("项目 / item").loc["未评估的原因 / not assessed"].iloc[0]
    assert "村界" in text and "普法阵地台账" in text and "法律顾问服务台账" in text
    assert "法律明白人名册" not in text and "no legal adviser log" in text


def test_an_empty_roster_is_a_roster(tmp_path):
    # a roster given with no rows (every row rejected, say) still says: nobody on record; as
    # workflow.analyse reads it, every village is short of 法律明白人
    villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["甲村", "乙村"],
                             "population": [500, 600], "county": ["甲县", "乙县"]})
    events = pd.DataFrame({"event_id": ["e1"], "date": pd.to_datetime(["2025-05-01"]),
                           "village_id": ["V1"], "topic": ["禁毒"]})
    empty = pm.schema.empty_frame("legal_literates")
    root = ingest.write_partitioned(
        {"villages": villages, "events": events, "legal_literates": empty}, tmp_path / "d")
    assert (root / "legal_literates").is_dir()
    st = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    s = national.summarise_partitioned(root, tmp_path / "p", settings=st)
    assert s["counties"]["n_few_legal_literates"].tolist() == [1, 1]
    want = pm.analyse(pm.Dataset(villages=villages.drop(columns="county"),
                                 events=pm.schema.coerce(events, "events"),
                                 legal_literates=empty), settings=st).follow_up
    assert sorted(want.index[want["reasons"].map(lambda r: "few_legal_literates" in r)]) == [
        "V1", "V2"]
    follow = s["follow_up"]
    assert sorted(follow.index[follow["reasons"].map(lambda r: "few_legal_literates" in r)]) == [
        "V1", "V2"]


def test_personal_data_in_site_names_never_reaches_the_report(tmp_path):
    # a dataset written straight from frames (not through the ledger reader, which scrubs): a
    # stale site named with its keeper's phone number must not reach the follow-up list
    villages = pd.DataFrame({"village_id": ["A"], "village_name": ["甲村"], "town": ["一镇"],
                             "population": [800], "county": ["甲县"]})
    events = pd.DataFrame({"event_id": ["e1"], "date": pd.to_datetime(["2025-05-01"]),
                           "village_id": ["A"], "topic": ["禁毒"]})
    sites = pd.DataFrame({"site_id": ["s1"], "level": ["village"], "village_id": ["A"],
                          "site_name": ["甲村宣传栏（联系人13800138000）"],
                          "last_updated": pd.to_datetime(["2023-01-01"])})
    root = ingest.write_partitioned(
        {"villages": villages, "events": events, "sites": sites}, tmp_path / "d")
    st = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    out = national.national_report(root, tmp_path / "r", settings=st)
    follow = pd.read_parquet(out / "data" / "follow_up.parquet")
    assert "stale_site" in follow.loc[0, "reasons"]  # the site is named, its phone is not
    text = follow.to_json(force_ascii=False) + (out / "brief.html").read_text(encoding="utf-8")
    for sheet in openpyxl.load_workbook(out / "summary.xlsx").worksheets:
        text += json.dumps(list(sheet.iter_rows(values_only=True)), ensure_ascii=False,
                           default=str)
    assert "13800138000" not in text and "甲村宣传栏" in text
