"""Tests for pufa_metrics.rules: the rules table, the inputs a reason needs, the 说明 text, and
the rules as find_blind_spots applies them (a list about now, the period that travels).

Every expected figure is worked out by hand in a comment.
"""

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pufa_metrics import blindspots
from pufa_metrics.blindspots import find_blind_spots
from pufa_metrics.config import Settings
from pufa_metrics.coverage import longest_gaps
from pufa_metrics.excel import export_follow_up
from pufa_metrics.rules import (
    INPUTS,
    RULES,
    TIERS,
    URGENT_SCORE,
    Context,
    Rule,
    assessed_reasons,
    describe,
    rule,
    tier_of,
)

S = Settings.from_dict({"period": {"start": "2020-01-01", "end": "2025-12-31"}})


# ---- the table ----------------------------------------------------------------------------------


def test_the_table_is_what_blindspots_exports():
    codes = [r.code for r in RULES]
    assert len(set(codes)) == len(codes) == 13
    assert blindspots.REASON_CODES == tuple(codes)
    assert blindspots.SEVERITY["stale"] == 3.0 and blindspots.SEVERITY["low_awareness"] == 4.0
    assert blindspots.REASONS["no_site"]["zh"] == "无村级阵地"
    for r in RULES:  # every rule names inputs the vocabulary knows, and its texts in both languages
        assert set(r.needs) <= set(INPUTS), r.code
        assert r.zh and r.en and r.rule_zh and r.rule_en and r.action_zh and r.action_en
    assert URGENT_SCORE == TIERS[0][0] == 8.0


def test_rule_points_by_hand():
    v = pd.DataFrame({"n_events": [3.0, 3.0, 3.0], "days_since_last": [548.0, 400.0, 100.0]},
                     index=["A", "B", "C"])
    stale = rule("stale")
    flag = stale.flag(v, Context())
    assert flag.tolist() == [True, True, False]  # 548, 400 > 365; 100 is not
    # A: 183 days over = 6.01 months → 3 + 0.125 × 6.01 = 3.751; B: 35 days = 1.15 months →
    # 3 + 0.144 = 3.144; C: not stale, 0
    assert stale.score(v, Context(), flag).round(3).tolist() == [3.751, 3.144, 0.0]
    v2 = v.assign(days_since_last=[2000.0, 900.0, 0.0])  # 54 and 17.6 months over: capped +1.5
    assert stale.score(v2, Context(), stale.flag(v2, Context())).tolist() == [4.5, 4.5, 0.0]


def test_a_new_reason_is_one_rule():
    # e.g. "no event reported by the village's own organiser": one Rule, applied as the others
    new = Rule("few_events", "活动偏少", "Few events", "活动少于 2 次", "fewer than 2 events",
               needs=("events",), flag=lambda v, ctx: v["n_events"] < 2,
               message=lambda v, ctx: ("仅" + v["n_events"].astype(int).astype(str) + "次活动",
                                       "only " + v["n_events"].astype(int).astype(str)),
               action_zh="增加活动", action_en="More events", points=1.0)
    v = pd.DataFrame({"n_events": [1.0, 5.0]}, index=["A", "B"])
    flag = new.flag(v, Context())
    assert flag.tolist() == [True, False]
    assert new.score(v, Context(), flag).tolist() == [1.0, 0.0]
    assert new.message(v, Context())[0].tolist() == ["仅1次活动", "仅5次活动"]
    assert new.points_text() == "1"


def test_assessed_reasons_from_inputs():
    # the county report's usual national dataset: events with all three fields, a survey, no
    # service tables, no boundaries
    got = assessed_reasons(["events", "events.attendees", "events.topic", "events.audience",
                            "rates"], settings=S)
    assert got == ["no_events", "stale", "long_gap", "low_attendance", "missing_topics",
                   "missing_audiences", "low_awareness", "unknown_awareness"]
    # stale_site needs update dates; no required topics → missing_topics cannot be judged
    no_topics = Settings.from_dict({"topics": {"required": []}})
    assert assessed_reasons(["events", "events.topic", "sites"], settings=no_topics) == [
        "no_events", "stale", "long_gap", "no_site"]
    with pytest.raises(ValueError, match="unknown names \\['roster'\\]"):
        assessed_reasons(["events", "roster"], settings=S)
    with pytest.raises(TypeError, match="list of input names"):
        assessed_reasons("events", settings=S)


def test_describe_fills_thresholds_and_is_the_notes_sheet(tmp_path):
    d = describe(S).set_index("code")
    assert list(d.index) == list(blindspots.REASON_CODES)
    assert d.loc["stale", "规则"] == "距最近一次活动超过 365 天"
    assert d.loc["low_awareness", "规则"].endswith("低于目标 90%，或 LQAS 判定未达标")
    assert d.loc["missing_topics", "规则"] == (
        "必讲主题（宪法、民法典、反电信网络诈骗、禁毒）期内从未讲过")
    assert d.loc["long_gap", "规则"].startswith("近24个月内")
    assert d.loc["low_awareness", "分值"] == "4 + 每多一题1（最多+2）"
    # the workbook's 说明 sheet is the table, with the thresholds the list used (attrs win)
    cov = pd.DataFrame({"village_name": ["甲村"], "town": "水寨镇", "population": [800],
                        "n_events": [0], "days_since_last": [np.nan],
                        "longest_gap_days": [2191.0], "attendance_per_100": [0.0]},
                       index=pd.Index(["A"], name="village_id"))
    s2 = Settings.from_dict({"targets": {"max_days_without_event": 200}})
    fu = find_blind_spots(cov, settings=s2)
    path = export_follow_up(fu, tmp_path / "f.xlsx", settings=S)
    notes = list(openpyxl.load_workbook(path)["说明"].iter_rows(min_row=5, max_row=17,
                                                               values_only=True))
    table = describe(S, thresholds=fu.attrs["thresholds"])
    assert [row[:6] for row in notes] == [tuple(r) for r in table.iloc[:, :6].to_numpy()]
    assert "距最近一次活动超过 200 天" in notes[1]


def test_tiers_come_from_the_table():
    assert tier_of(pd.Series([URGENT_SCORE, URGENT_SCORE - 0.01, 4.0, 0.1])).tolist() == [
        "紧急", "较高", "较高", "一般"]


# ---- applied: the period travels, a list about now ---------------------------------------------


def _coverage() -> pd.DataFrame:
    # whole-period figures of 2020–2025: A's long gap (1,500 days) was in 2020–2023
    return pd.DataFrame(
        {"village_name": ["甲村", "乙村", "丙村"], "town": "水寨镇", "population": [800, 800, 800],
         "n_events": [5, 2, 0], "days_since_last": [91.0, 213.0, np.nan],
         "longest_gap_days": [1500.0, 1500.0, 2191.0], "attendance_per_100": [20.0, 20.0, 0.0],
         "missing_topics": [(), (), ()]},
        index=pd.Index(["A", "B", "C"], name="village_id"))


def _events() -> pd.DataFrame:
    return pd.DataFrame({
        "village_id": ["A", "A", "A", "A", "A", "B", "B"],
        "date": pd.to_datetime(["2020-01-05", "2024-02-01", "2024-08-01", "2025-03-01",
                                "2025-10-01", "2024-01-10", "2025-06-01"]),
        "audience": ["老年人、青少年、妇女、外出务工人员"] * 7,
    })


def test_long_gap_judges_the_last_24_months():
    out = find_blind_spots(_coverage(), events=_events(), settings=S, include_all=True)
    assert out.attrs["gap_window"] == ("2023-12-31", "2025-12-31")
    # A in the window: 2023-12-31 → 2024-02-01 = 32, then 182, 212, 214, → 2025-12-31 = 91:
    # 214 < 365, no long gap now (its 1,500 days were in 2020–2023)
    assert out.loc["A", "longest_gap_days"] == 214
    assert out.loc["A", "reasons"] == ()
    # B: 2024-01-10 → 2025-06-01 = 366 + 142 = 508 > 365; 213 days since its last event: not stale
    assert out.loc["B", "longest_gap_days"] == 508
    assert out.loc["B", "reasons"] == ("long_gap",)
    assert out.loc["B", "reasons_zh"] == "近24个月内活动最长间隔508天（上限365天）"
    assert out.loc["B", "reasons_en"] == (
        "Longest gap between events in the last 24 months 508 days (limit 365)")
    # C: no_events stays on the whole period (and replaces long_gap); no event, no audience
    assert out.loc["C", "reasons"] == ("no_events", "missing_audiences")


def test_long_gap_over_the_whole_period_when_asked_or_without_events():
    whole = Settings.from_dict({"period": {"start": "2020-01-01", "end": "2025-12-31"},
                                "targets": {"gap_window_months": 0}})
    out = find_blind_spots(_coverage(), events=_events(), settings=whole, include_all=True)
    assert out.attrs["gap_window"] is None
    assert out.loc["A", "reasons"] == ("long_gap",)  # coverage's 1,500 days
    assert out.loc["A", "reasons_zh"] == "活动最长间隔1500天（上限365天）"
    # without events there is nothing to find the recent gap in: coverage's figure, said so
    out = find_blind_spots(_coverage(), settings=S, include_all=True)
    assert out.attrs["gap_window"] is None
    assert out.loc["A", "longest_gap_days"] == 1500


def test_a_short_period_is_its_own_window():
    period = type("P", (), {"start": pd.Timestamp("2025-01-01"), "end": pd.Timestamp("2025-12-31"),
                            "as_of": pd.Timestamp("2025-12-31")})()
    out = find_blind_spots(_coverage(), events=_events(), settings=S, period=period,
                           include_all=True)
    assert out.attrs["gap_window"] == ("2025-01-01", "2025-12-31")
    # B in 2025: 2025-01-01 → 06-01 = 151, → 12-31 = 213: no long gap
    assert out.loc["B", "longest_gap_days"] == 213


def test_the_period_names_the_no_event_message():
    period = type("P", (), {"start": pd.Timestamp("2024-01-01"), "end": pd.Timestamp("2025-12-31"),
                            "as_of": pd.Timestamp("2025-12-31")})()
    out = find_blind_spots(_coverage(), settings=S, period=period)
    assert out.loc["C", "reasons_zh"] == "2024年1月以来无普法活动"  # not pufa.toml's 2020
    assert out.loc["C", "reasons_en"] == "No legal-education event since 2024-01"
    out = find_blind_spots(_coverage(), settings=S)
    assert out.loc["C", "reasons_zh"] == "2020年1月以来无普法活动"
    with pytest.raises(TypeError, match="'period' should be a Period"):
        find_blind_spots(_coverage(), settings=S, period="2024")


def test_longest_gaps_by_hand():
    ev = pd.DataFrame({"village_id": ["A", "A", "B", None, "Z"],
                       "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2025-12-31",
                                               "2024-06-01", "2024-06-01"])})
    got = longest_gaps(ev, ["A", "B", "C"], start="2024-01-01", end="2025-12-31")
    # A: 60 days to 03-01, then 670 to the end; B: 730 to its event on the last day, 0 after;
    # C: no event, the whole window 730; town-wide and unlisted (Z) events count nowhere
    assert got.tolist() == [670.0, 730.0, 730.0]
    with pytest.raises(ValueError, match="is after `end`"):
        longest_gaps(ev, ["A"], start="2025-01-01", end="2024-01-01")
