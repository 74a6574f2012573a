"""A real town's folder of ledgers (tests/data/real_town/), read as a new user would.

河口镇's clerk hands over a register with a title row, a merged header and a 合计 row, a 2024
ledger with one sheet per quarter, a 2025 综治办 ledger with no audience column, a 妇联 CSV in
GBK, a 问卷星 export and a list of 普法阵地 — and no boundaries, cadre records, roster or adviser
log. ``truth.toml`` is computed by ``make_real_town.py`` from its own literal rows (never by this
package) and re-checked against the written cells by ``make_real_town.py --check``; its README
explains every figure. Three blind spots are planted: 黄竹坪村 (no event after 2024-02-15),
龙潭村 (never a required topic, never 老年人/外出务工人员), 横岗村 (民法典 55% 非常/比较了解 of 40).

The settings are the shipped period 2020-01-01..2025-12-31 (written out here so that an edit of
the shared pufa.toml cannot change these tests) for ledgers of 2024-01-06..2025-12-16.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pufa_metrics import load_dataset
from pufa_metrics.config import Settings
from pufa_metrics.workflow import analyse, resolve_period, town_name

DATA = Path(__file__).resolve().parent / "data" / "real_town"
TRUTH = tomllib.loads((DATA / "truth.toml").read_text(encoding="utf-8"))
FILES = TRUTH["files"]
TOWN = TRUTH["town"]
VILLAGES = TRUTH["villages"]
PLANTED = TOWN["planted"]
SHIPPED = Settings.from_dict(
    {"period": {"start": "2020-01-01", "end": "2025-12-31", "as_of": "2025-12-31"}})


@pytest.fixture(scope="module")
def ds():
    return load_dataset(DATA / "河口镇台账", settings=SHIPPED)


@pytest.fixture(scope="module")
def analysis(ds):
    return analyse(ds, settings=SHIPPED)


def _files_row(ds, name: str) -> pd.Series:
    files = ds.files.set_index("source_file")
    assert name in files.index, f"{name} not in Dataset.files: {list(files.index)}"
    return files.loc[name]


def _sheet_of(event_ids: pd.Series) -> pd.Series:
    """The sheet of each generated event id ``stem:sheet:row`` (``stem:row`` for one sheet)."""
    parts = event_ids.str.split(":")
    return parts.map(lambda p: p[-2] if len(p) >= 3 else "")


# --------------------------------------------------------------------------------------------
# Per file: each file is read as its table, and its rows are accounted for
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FILES))
def test_each_file_is_read_as_its_table(ds, name):
    row = _files_row(ds, name)
    assert (row["table"], row["status"]) == (FILES[name]["kind"], "ok")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FILES))
def test_rows_loaded_rejected_and_non_data_per_file(ds, name):
    # truth: rows below the header listed once each in make_real_town.py, e.g. the 2024
    # ledger: 20 + 14 + 12 + 14 loaded, 1 rejected (三季度 row 14, 2024.9.31), 2 non-data
    # (二季度 blank row 7, 四季度 合计 row 17): 63 data rows
    row = _files_row(ds, name)
    truth = FILES[name]
    got = {k: int(row[k]) for k in ("data_rows", "loaded", "rejected", "non_data")}
    assert got == {k: truth[k] for k in ("data_rows", "loaded", "rejected", "non_data")}


@pytest.mark.parametrize("name", [n for n, f in FILES.items() if f["kind"] == "events"])
def test_event_rows_loaded_are_the_truth_rows_per_sheet(ds, name):
    ev = ds.events[ds.events["source_file"] == name]
    sheets = _sheet_of(ev["event_id"])
    got = {s: sorted(ev.loc[sheets == s, "source_row"].astype(int)) for s in sheets.unique()}
    want = {s: spec["load"] for s, spec in FILES[name]["sheets"].items()}
    if len(want) == 1:  # one sheet: the id carries no sheet name
        got = {next(iter(want)): sorted(ev["source_row"].astype(int))}
    assert got == want


def test_rejected_rows_name_file_sheet_row_and_value(ds):
    want = sorted(
        (name, sheet, r["row"], r["value"])
        for name, f in FILES.items() for sheet, spec in f["sheets"].items()
        for r in spec["reject"]
    )
    assert want == [("2024年普法活动台账.xlsx", "三季度", 14, "2024.9.31")]  # one planted
    rej = ds.rejected[ds.rejected["source_row"].notna()]
    got = sorted(zip(rej["source_file"], rej["sheet"], rej["source_row"].astype(int),
                     rej["value"], strict=True))
    assert got == want


# --------------------------------------------------------------------------------------------
# Register
# --------------------------------------------------------------------------------------------


def test_register_gives_the_twelve_villages_with_their_figures(ds):
    v = ds.villages.set_index("village_id")
    # 河口社区居委会 / 大布村委会 / 塘 尾 村 / "横岗村 " as typed: ids are the short names
    assert list(v.index) == TOWN["units"]
    truth = FILES["村居基本信息.xlsx"]
    assert int(v["population"].sum()) == truth["population_total"]  # 16150, not with 合计
    assert int(v["registered_population"].sum()) == truth["registered_total"]  # 22110: 合计 col
    assert int(v["households"].sum()) == truth["households_total"]  # 6189
    assert (v["kind"] == "community").sum() == 2  # 河口社区, 新街社区


def test_town_name_comes_from_the_register_title(ds):
    # no 所属镇 column: the name is in the title 河口镇村（社区）基本情况统计表
    assert town_name(ds, settings=SHIPPED) == TOWN["name"]


# --------------------------------------------------------------------------------------------
# Events per village
# --------------------------------------------------------------------------------------------


def test_events_per_village_and_year(ds):
    ev = ds.events
    year = ev["date"].dt.year
    got = {(v, int(y)): int(n) for (v, y), n in ev.groupby([ev["village_id"], year]).size().items()}
    want = {(u, y): VILLAGES[u][f"events_{y}"] for u in TOWN["units"] for y in (2024, 2025)
            if VILLAGES[u][f"events_{y}"]}
    assert got == want
    # 黄竹坪村: only 2024-01-12 and 2024-02-15
    assert VILLAGES[PLANTED["no_events_after_q1_2024"]]["events_2025"] == 0


def test_town_venues_all_villages_and_blank_places_are_town_wide_events(ds):
    # 镇文化站, 镇政府, 河口中学, 社区广场, 各村（社区）, 全镇各村 and a blank 地点: loaded, with
    # no village (the rule); rows listed in truth.toml town_wide_rows
    ev = ds.events[ds.events["village_id"].isna()]
    got = Counter(zip(ev["source_file"], _sheet_of(ev["event_id"]), ev["source_row"].astype(int)))
    want = Counter()
    for name, f in FILES.items():
        for sheet, spec in f["sheets"].items():
            one = len(f["sheets"]) == 1
            want.update((name, "" if one else sheet, r) for r in spec.get("town_wide_rows", []))
    assert got == want
    years = ev["date"].dt.year.value_counts()
    assert (int(years.get(2024, 0)), int(years.get(2025, 0))) == (
        TOWN["town_wide_2024"], TOWN["town_wide_2025"])  # 10 and 4


def test_last_event_and_attendance_per_village(ds):
    ev = ds.events.dropna(subset=["village_id"])
    g = ev.groupby("village_id")
    last = g["date"].max().dt.strftime("%Y-%m-%d").to_dict()
    assert last == {u: VILLAGES[u]["last_event"] for u in TOWN["units"]}
    # attendees: numbers as written, 约150 / 300余人 read as 150 / 300, blank = unknown
    assert g["attendees"].sum().astype(int).to_dict() == {
        u: VILLAGES[u]["attendees_read"] for u in TOWN["units"]}
    assert g["attendees"].apply(lambda s: int(s.isna().sum())).to_dict() == {
        u: VILLAGES[u]["attendees_unknown"] for u in TOWN["units"]}


# --------------------------------------------------------------------------------------------
# Survey and sites
# --------------------------------------------------------------------------------------------


def _item(ds, question: str) -> str:
    """The item whose codebook text is the question without its number (5、…：)."""
    stem = re.sub(r"^\d+、", "", question)
    hits = ds.codebook.loc[ds.codebook["text"].map(lambda t: str(t) in stem), "item"]
    assert len(hits) == 1, (question, list(ds.codebook["text"]))
    return str(hits.iloc[0])


def test_answers_per_village(ds):
    r = ds.responses
    assert r["village_id"].value_counts().to_dict() == {
        u: VILLAGES[u]["respondents"] for u in TOWN["units"]}  # 50, 48, … 28; 457 in all
    for key, question in TOWN["survey_items"].items():
        item = _item(ds, question)
        got = {(v, a): int(n) for (v, a), n in r.groupby(["village_id", item]).size().items()}
        want = {(u, a): n for u in TOWN["units"]
                for a, n in VILLAGES[u][f"{key}_counts"].items() if n}
        assert got == want, key


@pytest.mark.slow
def test_no_personal_data_from_the_survey_export(ds):
    # the export has 来自IP (fake, RFC 5737 ranges) and no name or phone column
    text = ds.responses.astype("str")
    assert not any("IP" in c for c in ds.responses.columns)
    assert not text.apply(lambda s: s.str.contains(r"\d+\.\d+\.\d+\.\d+", regex=True)).any().any()


def test_sites_per_village_and_town_level(ds):
    s = ds.sites
    truth = FILES["普法阵地.xlsx"]
    assert int((s["level"] == "town").sum()) == truth["town_level"]  # 镇区 × 2
    per = s.loc[s["level"] == "village", "village_id"].value_counts().to_dict()
    assert per == {u: n for u, n in truth["sites_per_village"].items() if n}


def test_awareness_counts_the_top_answers_as_aware(ds, analysis):
    # 非常了解 and 比较了解 are aware, 一般/不太了解/不了解 are not; 了解 is the analyst's choice
    # (top-2 or top-3), so the rate lies between the two shares, e.g. 横岗村 民法典:
    # (8 + 14) / 40 = 0.55 ≤ rate ≤ (8 + 14 + 6) / 40 = 0.70
    rates = analysis.rates
    item = _item(ds, TOWN["survey_items"]["civil"])
    r = rates[rates["item"] == item].set_index("village_id")["rate"]
    for u in TOWN["units"]:
        lo, hi = VILLAGES[u]["civil_top2"], VILLAGES[u]["civil_top3"]
        assert lo - 1e-4 <= r[u] <= hi + 1e-4, (u, r[u], lo, hi)
    assert r.idxmin() == PLANTED["low_awareness"]


# --------------------------------------------------------------------------------------------
# The period and the follow-up list
# --------------------------------------------------------------------------------------------


def test_period_starts_at_the_earliest_record_and_says_so(ds):
    p = resolve_period(SHIPPED, events=ds.events)
    assert p.start == pd.Timestamp(TOWN["first_record"])  # 2024-01-06, not 2020-01-01
    assert p.end == pd.Timestamp("2025-12-31")  # 2025-12-16 is within the 90-day margin
    assert any("2020-01-01" in zh and TOWN["first_record"] in zh for zh, _en in p.notes)


def test_follow_up_list_is_exactly_the_planted_villages(analysis):
    fu = analysis.follow_up.sort_values("priority")
    assert set(fu.index[:3]) == set(PLANTED.values())
    assert len(fu) == 3  # every other village: events all along, all topics, audiences, ≥ 88%
    reasons = fu["reasons"].to_dict()
    assert "low_awareness" in reasons[PLANTED["low_awareness"]]
    assert set(reasons[PLANTED["low_awareness"]]) == {"low_awareness"}
    assert {"stale", "missing_topics"} <= set(reasons[PLANTED["no_events_after_q1_2024"]])
    assert "missing_topics" in reasons[PLANTED["required_topics_and_audiences_never"]]
    for u in PLANTED.values():
        assert tuple(fu.loc[u, "missing_topics"]) == tuple(VILLAGES[u]["missing_topics"])


@pytest.mark.parametrize("village", list(PLANTED.values()), ids=list(PLANTED))
def test_audience_gaps_are_flagged_or_stated_as_not_assessed(analysis, village):
    # 黄竹坪村: every event names its audience, so 青少年 and 妇女 are "never targeted".
    # 龙潭村: the 2024 ledger and the 妇联 CSV never name 老年人 or 外出务工人员, but its four 2025
    # events are in the 综治办 ledger, which has no 参与对象 column: a gap in the record, so the
    # issue's rule says "not assessed" (stated, naming the groups), never "never targeted".
    row = analysis.follow_up.loc[village]
    truth = VILLAGES[village]
    if truth["audience_gap_assessed"]:
        assert tuple(row["missing_audiences"] or ()) == tuple(truth["missing_audiences"])
        assert ("missing_audiences" in row["reasons"]) == bool(truth["missing_audiences"])
    else:
        assert "missing_audiences" not in row["reasons"]
        assert "missing_audiences" in row["not_assessed"]
        assert all(g in row["not_assessed_zh"] for g in truth["missing_audiences"])
