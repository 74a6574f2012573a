"""Progress between two periods: pufa_metrics.compare (issue #18 part 2).

Where each expected value comes from:
- Newcombe (1998), Table II, method 10: the six published rows of
  tests/data/reference/newcombe1998_difference_ci.csv (a verbatim copy of the team's
  shared/reference, checked below when shared/ is beside the repository), to 4 decimals;
- the design-based difference: tables of two or three villages worked by hand in the comments
  (the z_j of each village, Σ z_j², m / (m − 1), ± 1.959964 · se);
- the event-count ratio: the Wilson interval of b / (a + b) worked by hand;
- the sample town: the changes planted in pufa_metrics.sample.SAMPLE_TRUTH["survey_2024"], and
  the 2025 figures the one-wave sample had (754 answers, pooled awareness 89%).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pufa_metrics import Settings
from pufa_metrics.brief import brief, headline_figures
from pufa_metrics.compare import (
    COLUMNS,
    cluster_difference,
    compare_periods,
    count_ratio,
    default_periods,
    headline_changes,
    latest_wave,
    mark_worse,
    newcombe_difference,
    survey_waves,
)
from pufa_metrics.io import Dataset
from pufa_metrics.workflow import analyse

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
NEWCOMBE = "newcombe1998_difference_ci.csv"
Z = 1.959964  # the 97.5% normal quantile


def wilson(k: float, n: float) -> tuple[float, float, float]:
    """p, and the Wilson score limits by the textbook formula (Newcombe 1998, eq. 1)."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return p, centre - half, centre + half


# ------------------------------------------------------------------------------------------
# Newcombe's hybrid score interval: the published table
# ------------------------------------------------------------------------------------------


def test_newcombe_reference_copy_is_verbatim():
    assert (REFERENCE / NEWCOMBE).is_file()
    if not SHARED.is_dir():
        pytest.skip("shared/reference is not beside this checkout; the committed copy is used")
    assert (REFERENCE / NEWCOMBE).read_bytes() == (SHARED / NEWCOMBE).read_bytes()


def test_newcombe_reproduces_the_six_published_rows():
    ref = pd.read_csv(REFERENCE / NEWCOMBE, comment="#")
    assert len(ref) == 6
    got = newcombe_difference(ref["a"], ref["m"], ref["b"], ref["n"])
    np.testing.assert_allclose(got["diff"], ref["a"] / ref["m"] - ref["b"] / ref["n"])
    assert got["ci_low"].round(4).tolist() == ref["lower"].tolist()
    assert got["ci_high"].round(4).tolist() == ref["upper"].tolist()


def test_newcombe_equals_the_wilson_limit_formula_for_fractional_counts():
    # method 10 by hand: l_i, u_i Wilson limits; lower = d − sqrt((p1−l1)² + (u2−p2)²),
    # upper = d + sqrt((u1−p1)² + (p2−l2)²); counts 12.4 of 20.3 and 5.5 of 17.2
    p1, l1, u1 = wilson(12.4, 20.3)
    p2, l2, u2 = wilson(5.5, 17.2)
    d = p1 - p2
    got = newcombe_difference(12.4, 20.3, 5.5, 17.2).iloc[0]
    assert got["ci_low"] == pytest.approx(d - np.hypot(p1 - l1, u2 - p2), abs=1e-6)
    assert got["ci_high"] == pytest.approx(d + np.hypot(u1 - p1, p2 - l2), abs=1e-6)


def test_newcombe_zero_n_is_nan_and_bad_level_is_refused():
    got = newcombe_difference([3, 3], [0, 10], [1, 1], [5, 5])
    assert got.loc[0].isna().all() and got.loc[1].notna().all()
    with pytest.raises(ValueError, match="'level' should be between 0 and 1"):
        newcombe_difference(1, 2, 1, 2, level=95)


# ------------------------------------------------------------------------------------------
# Design-based difference with villages shared by both waves
# ------------------------------------------------------------------------------------------


def test_cluster_difference_three_villages_by_hand():
    # wave A: V1 2/4, V2 3/6 (R_A = 5/10 = 0.5, W_A = 10); wave B: V1 4/5, V2 5/5, V3 5/10
    # (R_B = 14/20 = 0.7, W_B = 20). z_V1 = (4 − 3.5)/20 − (2 − 2)/10 = 0.025,
    # z_V2 = (5 − 3.5)/20 − (3 − 3)/10 = 0.075, z_V3 = (5 − 7)/20 = −0.1 (B only);
    # Σz² = 0.01625, var = 3/2 · 0.01625 = 0.024375, se = 0.156125
    answers = pd.DataFrame({
        "wave": ["a", "a", "b", "b", "b"], "village_id": ["V1", "V2", "V1", "V2", "V3"],
        "w_answers": [4.0, 6.0, 5.0, 5.0, 10.0], "w_positive": [2.0, 3.0, 4.0, 5.0, 5.0],
    })
    out = cluster_difference(answers).iloc[0]
    assert out["rate_a"] == pytest.approx(0.5) and out["rate_b"] == pytest.approx(0.7)
    assert out["diff"] == pytest.approx(0.2)
    assert out["se"] == pytest.approx(np.sqrt(0.024375))
    assert out["ci_low"] == pytest.approx(0.2 - Z * np.sqrt(0.024375), abs=1e-6)
    assert out["ci_high"] == pytest.approx(0.2 + Z * np.sqrt(0.024375), abs=1e-6)
    assert (out["n_clusters"], out["shared_clusters"]) == (3, 2)


def test_cluster_difference_answer_rows_sum_to_the_same_and_split_by_item():
    # the same table split into single answers (one row per answer) gives the same figures;
    # item "x" repeats it, item "y" has the same answers in both waves (difference 0, se 0)
    rows = []
    for wave, village, k, n in (("a", "V1", 2, 4), ("a", "V2", 3, 6), ("b", "V1", 4, 5),
                                ("b", "V2", 5, 5), ("b", "V3", 5, 10)):
        rows += [{"wave": wave, "village_id": village, "item": "x", "w_answers": 1.0,
                  "w_positive": float(i < k)} for i in range(n)]
    same = [{"wave": w, "village_id": v, "item": "y", "w_answers": 1.0, "w_positive": p}
            for w in ("a", "b") for v, p in (("V1", 1.0), ("V1", 0.0), ("V2", 1.0))]
    out = cluster_difference(pd.DataFrame(rows + same), by=["item"]).set_index("item")
    assert out.loc["x", "se"] == pytest.approx(np.sqrt(0.024375))
    assert out.loc["y", "diff"] == 0 and out.loc["y", "se"] == pytest.approx(0.0)


def test_cluster_difference_refuses_other_wave_labels():
    bad = pd.DataFrame({"wave": ["a", "c"], "village_id": ["V1", "V1"],
                        "w_answers": [1.0, 1.0], "w_positive": [1.0, 0.0]})
    with pytest.raises(ValueError, match="'wave' should be 'a' or 'b'"):
        cluster_difference(bad)


# ------------------------------------------------------------------------------------------
# Event counts
# ------------------------------------------------------------------------------------------


def test_count_ratio_by_hand():
    # 10 then 20 events: p̂ = 20/30 with its Wilson limits (l, u); the ratio's limits are
    # l/(1 − l) and u/(1 − u) (about 0.952 and 4.200). Periods of 365 and 730 days: the ratio
    # per day halves
    out = count_ratio([10, 10], [20, 20], length_a=[365, 365], length_b=[365, 730])
    _, low, high = wilson(20, 30)
    assert out.loc[0, "ratio"] == 2.0
    assert out.loc[0, "ci_low"] == pytest.approx(low / (1 - low), rel=1e-6)
    assert out.loc[0, "ci_high"] == pytest.approx(high / (1 - high), rel=1e-6)
    assert (round(low / (1 - low), 3), round(high / (1 - high), 3)) == (0.952, 4.2)
    assert out.loc[1, "ratio"] == 1.0
    assert out.loc[1, "ci_high"] == pytest.approx(out.loc[0, "ci_high"] / 2)


# ------------------------------------------------------------------------------------------
# Survey waves
# ------------------------------------------------------------------------------------------


def test_survey_waves_from_date_then_file_name_and_latest_wave():
    r = pd.DataFrame({
        "response_id": ["1", "2", "3", "4", "5"],
        "date": pd.to_datetime(["2024-11-02", None, "2025-11-03", "2025-11-04", None]),
        "source_file": ["问卷.xlsx", "问卷_2024.xlsx", "问卷.xlsx", "问卷.xlsx", "问卷.xlsx"],
    })
    assert survey_waves(r).tolist() == [2024, 2024, 2025, 2025, pd.NA]
    latest = latest_wave(r)
    assert latest["response_id"].tolist() == ["3", "4"]  # the unknown wave is left out
    assert latest.attrs["waves"] == [2024, 2025] and latest.attrs["wave"] == 2025
    one = r.iloc[2:]
    assert latest_wave(one) is one  # one wave (and unknowns): nothing left out


# ------------------------------------------------------------------------------------------
# compare_periods on a town of three villages
# ------------------------------------------------------------------------------------------

VILLAGES = pd.DataFrame({"village_id": ["V1", "V2", "V3"], "village_name": ["甲村", "乙村", "丙村"],
                         "population": [1000, 2000, 500]})
CODEBOOK = pd.DataFrame({"item": ["q1"], "text": ["您是否知道宪法日？"], "domain": ["awareness"],
                         "positive": [("知道",)], "missing": [("不清楚",)]})


def _events() -> pd.DataFrame:
    # V1: 12 events in 2024, 1 in 2025; V2: 2 then 3 (the last on 2025-12-01, so that a
    # period ending 2025-12-31 is not cut to the ledgers); V3: none
    dates = (["2024-03-01"] * 12 + ["2025-03-01"] + ["2024-05-01"] * 2
             + ["2025-06-01", "2025-06-01", "2025-12-01"])
    villages = ["V1"] * 13 + ["V2"] * 5
    topics = ["宪法"] * 6 + ["禁毒"] * 6 + ["宪法"] + ["民法典"] * 5
    return pd.DataFrame({"event_id": [f"e{i}" for i in range(len(dates))],
                         "date": pd.to_datetime(dates), "village_id": villages, "topic": topics})


def _answers(village: str, k: int, n: int, date: str, start: int) -> pd.DataFrame:
    return pd.DataFrame({"response_id": [str(start + i) for i in range(n)],
                         "village_id": village, "date": pd.Timestamp(date),
                         "q1": ["知道"] * k + ["不知道"] * (n - k)})


def _responses() -> pd.DataFrame:
    # 2024: V1 10/20, V2 19/20, V3 none; 2025: V1 19/20, V2 19/20, V3 5/10
    return pd.concat([
        _answers("V1", 10, 20, "2024-11-05", 0), _answers("V2", 19, 20, "2024-11-06", 100),
        _answers("V1", 19, 20, "2025-11-05", 200), _answers("V2", 19, 20, "2025-11-06", 300),
        _answers("V3", 5, 10, "2025-11-07", 400),
    ], ignore_index=True)


@pytest.fixture(scope="module")
def small():
    events, responses = _events(), _responses()
    before = (events.copy(), responses.copy())
    out = compare_periods(events, VILLAGES, responses=responses, codebook=CODEBOOK,
                          end="2025-12-31", settings=Settings())
    pd.testing.assert_frame_equal(events, before[0])  # nothing mutated
    pd.testing.assert_frame_equal(responses, before[1])
    return out


def _row(out, village, measure, item=None):
    sel = (out["measure"] == measure) & (out["item"].isna() if item is None
                                         else out["item"] == item)
    sel &= out["level"].eq("town") if village is None else out["village_id"].eq(village)
    rows = out[sel]
    assert len(rows) == 1
    return rows.iloc[0]


def test_periods_default_to_the_last_12_months_and_the_12_before(small):
    assert small.attrs["period_a"] == ("2024-01-01", "2024-12-31")
    assert small.attrs["period_b"] == ("2025-01-01", "2025-12-31")
    a, b = default_periods("2025-06-30", months=6)
    assert (str(a[0].date()), str(b[0].date())) == ("2024-07-01", "2025-01-01")
    assert list(small.columns) == list(COLUMNS)
    assert small["level"].iloc[0] == "town"  # town rows first, then villages in register order
    assert small.loc[small["level"] == "village", "village_id"].unique().tolist() == \
        ["V1", "V2", "V3"]


def test_event_counts_and_their_verdicts(small):
    v1 = _row(small, "V1", "n_events")
    assert (v1["value_a"], v1["value_b"], v1["change"]) == (12, 1, -11)
    # 1 of 13 events in B: Wilson upper u of 1/13 (0.333) → ratio upper u/(1 − u) per day,
    # times 366/365 (2024 is a leap year, events per day compared) = 0.501 < 1: worse
    _, _, u = wilson(1, 13)
    assert v1["ci_high"] == pytest.approx(u / (1 - u) * 366 / 365, rel=1e-6)
    assert v1["ci_high"] < 1
    assert v1["verdict"] == "worse" and v1["verdict_zh"] == "变差"
    assert _row(small, "V2", "n_events")["verdict"] == "no clear change"
    v3 = _row(small, "V3", "n_events")
    assert (v3["value_a"], v3["value_b"], v3["verdict"]) == (0, 0, "no clear change")
    per_1000 = _row(small, "V2", "events_per_1000")
    assert (per_1000["value_a"], per_1000["value_b"]) == (1.0, 1.5)  # 2 and 3 per 2,000
    town = _row(small, None, "n_events")
    assert (town["value_a"], town["value_b"]) == (14, 4)
    topics = _row(small, "V1", "n_topics")
    assert (topics["value_a"], topics["value_b"], topics["verdict"]) == (2, 1, "not tested")
    assert _row(small, "V1", "days_since_last")["value_b"] == 305  # 2025-03-01 → 12-31


def test_village_rates_use_newcombe_and_one_wave_villages_are_kept(small):
    # the per-item row: Newcombe on 19/20 − 10/20 (unweighted, n_eff = n)
    item = _row(small, "V1", "awareness", "q1")
    ref = newcombe_difference(19, 20, 10, 20).iloc[0]
    assert (item["value_a"], item["value_b"], item["n_a"], item["n_b"]) == (0.5, 0.95, 20, 20)
    assert (item["ci_low"], item["ci_high"]) == (ref["ci_low"], ref["ci_high"])
    assert item["verdict"] == "improved" and item["method"] == "newcombe"
    # the pooled row: pooled_rates' design n_eff with respondents as units, R(1 − R)/var =
    # n − 1 = 19 (var has the factor m/(m − 1) = 20/19); Newcombe on 0.95·19 of 19 etc.
    v1 = _row(small, "V1", "awareness")
    assert (v1["value_a"], v1["value_b"]) == (0.5, 0.95)
    assert (v1["n_a"], v1["n_b"]) == pytest.approx((19, 19))
    ref = newcombe_difference(0.95 * 19, 19, 0.5 * 19, 19).iloc[0]
    assert (v1["ci_low"], v1["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    assert v1["verdict"] == "improved"
    assert _row(small, "V2", "awareness")["verdict"] == "no clear change"
    v3 = _row(small, "V3", "awareness")
    assert v3["present"] == "b only" and v3["verdict"] == "not comparable"
    assert np.isnan(v3["value_a"]) and v3["value_b"] == 0.5


def test_town_rate_difference_uses_the_shared_villages(small):
    # R_A = 29/40 = 0.725 (W_A 40), R_B = 43/50 = 0.86 (W_B 50).
    # z_V1 = (19 − 17.2)/50 − (10 − 14.5)/40 = 0.1485; z_V2 = (19 − 17.2)/50 − (19 − 14.5)/40
    # = −0.0765; z_V3 = (5 − 8.6)/50 = −0.072; Σz² = 0.0330885; var = 3/2 · Σz² = 0.04963275
    town = _row(small, None, "awareness")
    assert (town["value_a"], town["value_b"]) == pytest.approx((0.725, 0.86))
    assert town["method"] == "cluster"
    se = np.sqrt(0.04963275)
    assert town["ci_low"] == pytest.approx(0.135 - Z * se, abs=1e-6)
    assert town["ci_high"] == pytest.approx(0.135 + Z * se, abs=1e-6)
    assert town["verdict"] == "no clear change"  # +13.5 points, interval from −30 to +57


def test_town_rate_of_independent_surveys_uses_newcombe():
    # different villages answer each wave: no shared cluster → Newcombe on the design n
    responses = pd.concat([_answers("V1", 10, 20, "2024-11-05", 0),
                           _answers("V2", 19, 20, "2025-11-06", 100)], ignore_index=True)
    out = compare_periods(_events(), VILLAGES, responses=responses, codebook=CODEBOOK,
                          end="2025-12-31", settings=Settings())
    town = _row(out, None, "awareness")
    assert town["method"] == "newcombe"
    ref = newcombe_difference(19, 20, 10, 20).iloc[0]  # one village a wave: n_eff = 20
    assert (town["ci_low"], town["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))


def test_waves_can_be_named_instead_of_dates():
    responses = _responses()
    by_wave = compare_periods(_events(), VILLAGES, responses=responses, codebook=CODEBOOK,
                              end="2025-12-31", waves=(2024, 2025), settings=Settings())
    by_date = compare_periods(_events(), VILLAGES, responses=responses, codebook=CODEBOOK,
                              end="2025-12-31", settings=Settings())
    pd.testing.assert_frame_equal(by_wave, by_date)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"period_a": ("2025-01-01", "2025-12-31"), "period_b": ("2024-01-01", "2024-12-31")},
     "should end before period B"),
    ({"period_a": ("2024-01-01", "2024-12-31")}, "give both 'period_a' and 'period_b'"),
    ({"months": 0}, "'months' should be a whole number"),
    ({"period_a": "2024", "period_b": ("2025-01-01", "2025-12-31")}, "should be \\(start, end\\)"),
])
def test_bad_arguments_are_refused_with_their_name(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        compare_periods(_events(), VILLAGES, end="2025-12-31", settings=Settings(), **kwargs)


def test_answers_of_an_unknown_wave_are_left_out_and_counted():
    # answer "0" (V1, 知道) has no date and no file: its wave is unknown. With waves named it
    # is in neither (this raised "boolean value of NA is ambiguous"); V1 2024 is then 9/19
    responses = _responses()
    responses.loc[0, "date"] = pd.NaT
    for kw in ({"waves": (2024, 2025)}, {}):
        out = compare_periods(_events(), VILLAGES, responses=responses, codebook=CODEBOOK,
                              end="2025-12-31", settings=Settings(), **kw)
        assert _row(out, "V1", "awareness", "q1")["value_a"] == pytest.approx(9 / 19)
        assert out.attrs["answers_left_out"] == 1
    assert compare_periods(_events(), VILLAGES, end="2025-12-31",
                           settings=Settings()).attrs["answers_left_out"] == 0


def test_town_topics_count_an_event_late_on_the_last_day():
    # an event on 禁毒 in V2 at 15:00 on 2025-12-31 (the last day of B): village_coverage
    # counts it by day, so the town's topics in B are 宪法 (V1), 民法典 and 禁毒 (V2) = 3
    late = pd.DataFrame({"event_id": ["x"], "date": [pd.Timestamp("2025-12-31 15:00")],
                         "village_id": ["V2"], "topic": ["禁毒"]})
    events = pd.concat([_events(), late], ignore_index=True)
    out = compare_periods(events, VILLAGES, end="2025-12-31", settings=Settings())
    assert _row(out, "V2", "n_topics")["value_b"] == 2
    assert _row(out, None, "n_topics")["value_b"] == 3


def test_waves_must_be_two_years():
    with pytest.raises(TypeError, match="'waves' should be two years"):
        compare_periods(_events(), VILLAGES, responses=_responses(), codebook=CODEBOOK,
                        end="2025-12-31", waves=("2024",), settings=Settings())


def test_a_rate_without_an_interval_is_not_tested():
    # an answer in no class of the codebook: the rate is not assessed (需核定答案分类), so
    # there is no interval and no verdict — never "no clear change"
    responses = _responses()
    responses.loc[0, "q1"] = "记不清"
    out = compare_periods(_events(), VILLAGES, responses=responses, codebook=CODEBOOK,
                          end="2025-12-31", settings=Settings())
    for village in (None, "V1"):  # both answered both waves: present, not assessed in 2024
        row = _row(out, village, "awareness")
        assert np.isnan(row["value_a"]) and row["present"] == "both"
        assert row["verdict"] == "not tested" and np.isnan(row["ci_low"])
    assert _row(out, "V3", "awareness")["verdict"] == "not comparable"  # 2025 only
    assert "awareness" not in headline_changes(out).index  # no sentence about it


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="'villages' has no column 'population'"):
        compare_periods(_events(), VILLAGES.drop(columns="population"), settings=Settings())


# ------------------------------------------------------------------------------------------
# The follow-up mark, the brief's 比上年 column and sentences, the town pipeline
# ------------------------------------------------------------------------------------------


def test_mark_worse_names_what_got_worse_and_keeps_scores(small):
    fu = pd.DataFrame({"village_name": ["乙村", "甲村"], "score": [3.0, 2.0]},
                      index=pd.Index(["V2", "V1"], name="village_id"))
    out = mark_worse(fu, small)
    assert out["got_worse"].tolist() == [False, True]
    assert out.loc["V1", "worse_zh"] == "活动由12场减至1场"
    assert out.loc["V1", "worse_en"] == "events fell from 12 to 1"
    pd.testing.assert_frame_equal(out[["village_name", "score"]], fu)
    assert mark_worse(fu.drop(index="V1"), small).attrs["worse_not_listed"] == ["V1"]


def test_headline_changes_and_sentences(small):
    h = headline_changes(small)
    # villages with an event: 2 in 2024 (V1, V2), 2 in 2025
    assert (h.loc["recent", "value_a"], h.loc["recent", "value_b"]) == (2, 2)
    assert h.loc["awareness", "sentence_zh"].startswith("知晓率由2024年的72%升至2025年的86%")
    assert h.loc["awareness", "sentence_zh"].endswith("变化尚不明确。")
    assert "差值95%CI −30.2至+57.2个百分点" in h.loc["awareness", "sentence_zh"]
    assert h.loc["events_per_1000", "sentence_en"].startswith(
        "Events per 1,000 fell from 4.00 in 2024 to 1.14 in 2025")  # 14 and 4 per 3,500
    assert h.loc["events_per_1000", "verdict"] == "worse"


def test_headline_sentences_without_an_interval_say_so():
    # no event in either period: the ratio has no interval; the sentence never prints "nan"
    out = compare_periods(_events().iloc[:0], VILLAGES, end="2025-12-31", settings=Settings())
    h = headline_changes(out)
    assert h.loc["events_per_1000", "sentence_zh"] == (
        "每千人普法活动由2024年的0.00场持平于2025年的0.00场（无法计算区间），变化尚不明确。")
    assert "nan" not in " ".join(h["sentence_en"]).lower()


@pytest.mark.slow
def test_brief_gets_the_change_column_and_sentences(small, tmp_path):
    cov = pd.DataFrame({"village_name": ["甲村", "乙村", "丙村"], "n_events": [13, 5, 0],
                        "covered": [True, True, False], "events_per_1000": [13.0, 2.5, 0.0],
                        "days_since_last": [305.0, 200.0, np.nan]},
                       index=pd.Index(["V1", "V2", "V3"], name="village_id"))
    plain = headline_figures(cov, settings=Settings())
    h = headline_figures(cov, settings=Settings(), comparison=small)
    assert list(h.columns[: len(plain.columns)]) == list(plain.columns)  # columns only added
    assert h.loc["awareness", "value_prev"] == pytest.approx(0.725)
    assert h.loc["covered", "change_zh"] == ""  # whole-period share: no 比上年
    assert plain["change_zh"].eq("").all()
    fu = pd.DataFrame({"village_name": ["甲村"], "priority": [1], "reasons": [("stale",)],
                       "reasons_zh": ["超过一年无活动"], "actions_zh": ["安排活动"]},
                      index=pd.Index(["V1"], name="village_id"))  # brief() marks it
    out = brief(tmp_path, coverage=cov, follow_up=fu, settings=Settings(), comparison=small)
    html = out["html"].read_text(encoding="utf-8")
    assert "<th>比上年</th>" in html and "72%→86%，尚不明确" in html
    assert "知晓率由2024年的72%升至2025年的86%" in html
    assert "比上年变差：活动由12场减至1场" in html
    without = brief(tmp_path / "one", coverage=cov, follow_up=fu, settings=Settings())
    assert "比上年</th>" not in without["html"].read_text(encoding="utf-8")


def test_analyse_reports_the_latest_wave_and_compares_both():
    ds = Dataset(villages=VILLAGES, events=_events(), responses=_responses(),
                 codebook=CODEBOOK)
    st = Settings.from_dict({"period": {"start": "2024-01-01", "end": "2025-12-31"}})
    a = analyse(ds, settings=st, parts=())
    assert a.rates.set_index("village_id")["n"].to_dict() == {"V1": 20, "V2": 20, "V3": 10}
    assert a.rates.set_index("village_id").loc["V1", "rate"] == 0.95  # 2025, not both waves
    assert a.comparison is not None and a.comparison.attrs["period_a"][0] == "2024-01-01"
    # the list is find_blind_spots' (same scores, same order) with the mark: V1 12 → 1 events
    assert a.follow_up.loc["V1", "got_worse"]
    assert a.follow_up.loc["V1", "worse_zh"] == "活动由12场减至1场"
    assert mark_worse(a.follow_up, None).equals(a.follow_up)  # one period: nothing to mark
    short = Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    assert analyse(ds, settings=short, parts=()).comparison is None  # no earlier 12 months


def test_the_follow_up_workbook_shows_the_mark(small, tmp_path):
    """follow_up.xlsx has a 比上年变差 column: V1's text, V2's cell empty (read by openpyxl)."""
    import openpyxl

    from pufa_metrics.excel import export_follow_up

    fu = pd.DataFrame({"village_name": ["乙村", "甲村"], "score": [3.0, 2.0],
                       "priority": [1, 2], "reasons_zh": ["甲", "乙"]},
                      index=pd.Index(["V2", "V1"], name="village_id"))
    path = export_follow_up(mark_worse(fu, small), tmp_path / "follow_up.xlsx",
                            settings=Settings())
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    col = rows[0].index("比上年变差")
    by_village = {r[rows[0].index("村编码")]: r[col] for r in rows[1:]}
    assert by_village == {"V2": None, "V1": "活动由12场减至1场"}


# ------------------------------------------------------------------------------------------
# The sample town's two waves
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_town():
    from pufa_metrics.sample import SAMPLE_TRUTH, make_sample

    s = make_sample()
    both = pd.concat([s["responses_2024"], s["responses"].assign(
        response_id="2025:" + s["responses"]["response_id"])], ignore_index=True)
    out = compare_periods(s["events"], s["villages"], responses=both, codebook=s["codebook"],
                          event_topics=s["event_topics"], end="2025-12-31", settings=Settings())
    return s, out, SAMPLE_TRUTH["survey_2024"]


@pytest.mark.slow
def test_sample_town_planted_changes_are_found(sample_town):
    s, out, wave = sample_town
    pooled = out[(out["level"] == "village") & (out["measure"] == "awareness")
                 & out["item"].isna()]
    verdict = dict(zip(pooled["village_name"], pooled["verdict"], strict=True))
    assert sorted(v for v, x in verdict.items() if x == "improved") == sorted(wave["improved"])
    assert [v for v, x in verdict.items() if x == "worse"] == wave["worse"]
    assert [v for v, x in verdict.items() if x == "not comparable"] == wave["not_surveyed"]
    assert len(s["responses"]) == 754  # the 2025 wave as before the 2024 wave was added
    town = _row(out, None, "awareness")
    assert round(town["value_b"], 2) == 0.89 and town["method"] == "cluster"


@pytest.mark.slow
def test_sample_town_2024_wave_is_dated_november_2024(sample_town):
    s, _, wave = sample_town
    r = s["responses_2024"]
    assert (r["date"].dt.to_period("M") == pd.Period("2024-11")).all()
    assert set(r["source_file"]) == {wave["file"]}
    assert not set(r["village_name"]) & set(wave["not_surveyed"])


@pytest.mark.slow
def test_cluster_difference_covers_the_true_difference_in_simulated_towns():
    # 200 seeded towns of 28 villages × 25 answers a wave; village effects u ~ N(1.5, 1.2) on
    # the logit scale, the same villages in both waves, wave B shifted by +0.3. The true town
    # difference is E[expit(u + 0.3)] − E[expit(u)] over the village distribution (Monte
    # Carlo, 200,000 draws). A 95% interval should cover it in about 95% of the towns (with
    # 200 towns, 0.90–0.99 holds with near certainty); measured: 0.94 over 400 towns.
    from scipy.special import expit

    rng = np.random.default_rng(18)
    u_big = rng.normal(1.5, 1.2, 200_000)
    truth = expit(u_big + 0.3).mean() - expit(u_big).mean()
    hits = 0
    for _ in range(200):  # simulated towns
        u = rng.normal(1.5, 1.2, 28)
        k_a = rng.binomial(25, expit(u))
        k_b = rng.binomial(25, expit(u + 0.3))
        d = pd.DataFrame({"wave": ["a"] * 28 + ["b"] * 28, "village_id": np.tile(np.arange(28), 2),
                          "w_answers": 25.0, "w_positive": np.r_[k_a, k_b].astype(float)})
        out = cluster_difference(d).iloc[0]
        hits += out["ci_low"] <= truth <= out["ci_high"]
    assert 0.90 <= hits / 200 <= 0.99


def test_notebook_table_of_clear_changes():
    """readable_table(kind="comparison"): village rows with a clear change only, worse first.

    By hand: 乙村 0.95 → 0.60 is −35.0 points (interval −51.0 to −13.0, as given); 甲村 2 → 6
    events is a ratio of 3.00; the town row and 丙村's "no clear change" are left out.
    """
    import pufa_metrics as pm

    comp = pd.DataFrame({
        "level": ["town", "village", "village", "village", "village"],
        "village_id": [None, "V1", "V2", "V3", "V4"],
        "village_name": [None, "甲村", "乙村", "丙村", "丁村"],
        "measure": ["awareness", "n_events", "awareness", "awareness", "awareness"],
        "item": [None] * 5, "value_a": [0.8, 2.0, 0.95, 0.7, 1.0],
        "value_b": [0.9, 6.0, 0.60, 0.75, 0.25], "change": [0.1, 3.0, -0.35, 0.05, -0.75],
        "ci_low": [-0.02, 1.1, -0.51, -0.1, -0.9], "ci_high": [0.2, 9.0, -0.13, 0.2, -0.2],
        "ci_of": ["difference", "ratio", "difference", "difference", "difference"],
        "n_a": [300, None, 30, 30, 8], "n_b": [300, None, 40, 30, 4],
        "verdict": ["no clear change", "improved", "worse", "no clear change", "worse"]})
    table = pm.readable_table(comp, "comparison").data
    assert table.to_dict("records") == [
        {"村（社区）": "乙村", "指标": "知晓率", "上一期": "95.0%", "本期": "60.0%",
         "变化（95%CI）": "-35.0个百分点（-51.0～-13.0）", "判定": "变差"},
        # 4 answers in the later wave (< [privacy] suppress_below = 5): no rate, no change
        {"村（社区）": "丁村", "指标": "知晓率", "上一期": "<5", "本期": "<5",
         "变化（95%CI）": "样本过小，不公布", "判定": "变差"},
        {"村（社区）": "甲村", "指标": "活动场次", "上一期": "2", "本期": "6",
         "变化（95%CI）": "比值3.00（1.10～9.00）", "判定": "改善"}]
    assert pm.readable_table(None, "comparison").data.empty  # no comparison: headers only
    # no village changed clearly (the mini town of the report tests): headers only, no error
    unchanged = pm.readable_table(comp[comp["verdict"] == "no clear change"], "comparison")
    assert unchanged.data.empty and "判定" in unchanged.data.columns

