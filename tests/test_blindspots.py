"""Tests for pufa_metrics.blindspots on hand-made frames.

Every expected figure is worked out in a comment from the table above it (or taken from
statsmodels for confidence intervals), never copied from the function's own output.
"""

import math

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from statsmodels.stats.proportion import proportion_confint

from pufa_metrics.blindspots import (
    REASON_CODES,
    find_blind_spots,
    group_gaps,
)
from pufa_metrics.config import Settings
from pufa_metrics.excel import export_follow_up

S = Settings.from_dict({"targets": {"max_gap_days": 270}})  # limits 365 / 270 / 10 / 0.90 / 10 / 5


def coverage(**overrides) -> pd.DataFrame:
    """Five villages, one per kind of problem, with E exactly on every threshold (no reason)."""
    cov = pd.DataFrame(
        {
            "village_name": ["甲村", "乙村", "丙村", "丁社区", "戊村"],
            "town": "水寨镇",
            "population": pd.array([3000, 800, 2000, 12000, 1500], dtype="Int64"),
            "n_events": [4, 0, 9, 20, 6],
            "days_since_last": [548.0, np.nan, 20.0, 5.0, 365.0],
            "longest_gap_days": [548.0, 2191.0, 300.0, 40.0, 270.0],
            "attendance_per_100": [12.0, 0.0, 30.0, 5.0, 10.0],
            "missing_topics": [("宪法", "禁毒"), ("宪法", "民法典", "反电信网络诈骗", "禁毒"), (),
                               (), ()],
            "last_event": pd.to_datetime(["2024-07-01", None, "2025-12-11", "2025-12-26",
                                          "2024-12-31"]).astype("datetime64[us]"),
            "has_site": [False, True, True, True, True],
        },
        index=pd.Index(["A", "B", "C", "D", "E"], name="village_id"),
    )
    for key, value in overrides.items():
        cov[key] = value
    return cov


def wilson_rates(rows: list[tuple[str, str, int, int]], **extra) -> pd.DataFrame:
    """Survey rates with Wilson intervals from statsmodels (an independent implementation)."""
    frame = pd.DataFrame(rows, columns=["village_id", "item", "n", "n_positive"])
    frame["domain"] = "awareness"
    frame["rate"] = frame["n_positive"] / frame["n"]
    frame["n_eff"] = frame["n"].astype(float)
    low, high = proportion_confint(frame["n_positive"], frame["n"], method="wilson")
    frame["ci_low"], frame["ci_high"] = np.asarray(low), np.asarray(high)
    for key, value in extra.items():
        frame[key] = value
    return frame


BOOK = pd.DataFrame({
    "item": ["q4", "q5"],
    "text": ["4、您是否知道《中华人民共和国民法典》？", "5、您是否知道《反电信网络诈骗法》？"],
    "domain": ["awareness", "awareness"],
})


# ---- reasons, score, priority ------------------------------------------------------------------


def test_reasons_follow_the_thresholds_and_boundaries():
    out = find_blind_spots(coverage(), settings=S, include_all=True)
    assert out.loc["A", "reasons"] == ("stale", "missing_topics", "no_site")  # 548 > 365
    # no_events replaces long_gap and low_attendance, which would only restate it
    assert out.loc["B", "reasons"] == ("no_events", "missing_topics")
    assert out.loc["C", "reasons"] == ("long_gap",)  # 300 > 270
    assert out.loc["D", "reasons"] == ("low_attendance",)  # 5 < 10
    # E sits exactly on each limit: 365 days is not > 365, 270 not > 270, 10 not < 10
    assert out.loc["E", "reasons"] == ()


def test_scores_and_priorities_by_hand():
    out = find_blind_spots(coverage(), settings=S, include_all=True)
    # A: stale 3 + 0.125·(548−365)/30.44 = 3.751478; topics 2·1; no_site 2 → 7.751478 points
    #    × (1 + log10(3000/1000)) = × 1.477121 → 11.4500
    # B: no_events 5 + topics 4 = 9 × max(1, 1 + log10(0.8)) = 9 × 1 → 9.00
    # C: long_gap 1.5 × (1 + log10 2 = 1.301030) = 1.951545 → 1.95
    # D: low_attendance 1.5 × (1 + log10 12 = 2.079181) = 3.118772 → 3.12
    a = (3 + 0.125 * 183 / 30.44 + 2 + 2) * (1 + math.log10(3))
    assert out.loc["A", "score"] == pytest.approx(round(a, 2))
    assert out["score"].to_dict() == pytest.approx(
        {"A": 11.45, "B": 9.0, "D": 3.12, "C": 1.95, "E": 0.0}
    )
    assert out.index.tolist() == ["A", "B", "D", "C", "E"]
    assert out["priority"].tolist() == [1, 2, 3, 4, 5]


def test_only_villages_with_a_reason_are_listed_by_default():
    out = find_blind_spots(coverage(), settings=S)
    assert out.index.tolist() == ["A", "B", "D", "C"]
    assert (out["reasons"].str.len() > 0).all()


def test_ties_are_broken_by_village_id_whatever_the_input_order():
    cov = coverage().loc[["C", "A"]]
    twin = cov.loc[["C"]].rename(index={"C": "B"})  # same figures as C
    out = find_blind_spots(pd.concat([cov, twin]), settings=S)
    assert out.loc["B", "score"] == out.loc["C", "score"]
    assert out.index.tolist() == ["A", "B", "C"]


def test_thresholds_come_from_settings():
    lenient = Settings.from_dict({"targets": {"max_days_without_event": 600,
                                              "attendance_per_100": 4}})
    out = find_blind_spots(coverage(), settings=lenient, include_all=True)
    # 548 days is no longer stale, so the 548-day gap counts as a long gap instead
    assert out.loc["A", "reasons"] == ("long_gap", "missing_topics", "no_site")
    assert out.loc["D", "reasons"] == ()  # 5 ≥ 4


def test_messages_with_figures_in_chinese_and_english():
    out = find_blind_spots(coverage(), settings=S)
    # 548 / 30.44 = 18.0 months; last event 2024-07-01
    assert out.loc["A", "reasons_zh"] == (
        "近18个月无普法活动（最近一次2024年7月）；宪法、禁毒未覆盖；无村级普法阵地"
    )
    assert out.loc["A", "actions_zh"] == (
        "安排律师下村讲座；结合12·4国家宪法日开展宪法宣传；结合6·26国际禁毒日开展禁毒宣传；"
        "建设村级普法阵地（宣传栏/法治长廊）"
    )
    assert out.loc["A", "reasons_en"].startswith("No event for 18 months (last 2024-07); "
                                                 "Not covered: Constitution, Drug control")
    # [period] start of the settings = 2020-01-01 in pufa.toml; Settings() has none
    assert out.loc["B", "reasons_zh"].startswith("统计期内无普法活动；")
    with_start = Settings.from_dict({"period": {"start": "2020-01-01"}})
    b = find_blind_spots(coverage(), settings=with_start).loc["B"]
    assert b["reasons_zh"].startswith("2020年1月以来无普法活动")
    assert "结合赶集日摆摊宣传反电信网络诈骗" in b["actions_zh"]
    assert out.loc["C", "reasons_zh"] == "活动最长间隔300天（上限270天）"
    assert out.loc["D", "reasons_zh"] == "每百人参与5.0人次（目标10）"


def test_as_of_recomputes_days_since_last():
    # 2024-07-01 → 2025-07-01 is 365 days, → 2025-12-31 another 183: 548 days
    cov = coverage(days_since_last=np.nan)
    out = find_blind_spots(cov, settings=S, as_of="2025-12-31", include_all=True)
    assert out.loc["A", "days_since_last"] == 548
    assert out.loc["E", "days_since_last"] == 365
    assert "stale" in out.loc["A", "reasons"]


def test_coverage_is_not_mutated_and_village_id_column_is_accepted():
    cov = coverage()
    before = cov.copy()
    find_blind_spots(cov, settings=S, rates=wilson_rates([("A", "q4", 20, 10)]))
    pd.testing.assert_frame_equal(cov, before)
    flat = find_blind_spots(cov.reset_index(), settings=S)
    pd.testing.assert_frame_equal(flat, find_blind_spots(cov, settings=S))


def test_output_columns_and_dtypes():
    out = find_blind_spots(coverage(), settings=S, rates=wilson_rates([("A", "q4", 20, 10)]))
    assert list(out.columns[:10]) == [
        "village_name", "town", "population", "score", "priority", "reasons", "reasons_zh",
        "actions_zh", "reasons_en", "actions_en",
    ]
    for col in ("n_events", "days_since_last", "longest_gap_days", "attendance_per_100",
                "missing_topics", "has_site", "awareness_n", "awareness_rate",
                "awareness_ci_high", "awareness_rate_shrunk", "lqas", "cold_spot",
                "cold_spot_method"):
        assert col in out.columns
    assert "missing_audiences" not in out.columns  # only when events are given
    assert out["reasons_zh"].dtype == "str"
    assert out["awareness_n"].dtype == "Int64"
    assert out["cold_spot"].dtype == "boolean"
    assert out["cold_spot"].isna().all()  # no geometry: not assessed
    assert set(c for r in out["reasons"] for c in r) <= set(REASON_CODES)


# ---- awareness ---------------------------------------------------------------------------------


@pytest.fixture
def rates():
    return wilson_rates(
        [
            ("A", "q4", 41, 24),  # 58.5 %, Wilson upper (statsmodels) ≈ 0.72 < 0.90 → low
            ("A", "q5", 41, 39),  # 95 %, upper ≈ 0.99
            ("C", "q4", 6, 0),  # 0/6: upper ≈ 0.39, but 6 < 10 answers → unknown, not low
            ("C", "q5", 6, 6),
            ("D", "q4", 30, 27),  # 90 %: upper ≈ 0.97, but LQAS says below → low
            ("D", "q5", 3, 3),
            ("E", "q4", 12, 12),  # fine
            ("E", "q5", 3, 1),  # too few on this item, but q4 has enough
        ],
        lqas=["below", "reaches", "too_few", "too_few", "below", "too_few", "too_few",
              "too_few"],
        rate_shrunk=[0.62, 0.93, 0.80, 0.95, 0.89, 0.95, 0.96, 0.80],
    )


def test_low_awareness_needs_evidence_and_few_answers_are_unknown(rates):
    out = find_blind_spots(coverage(), rates=rates, settings=S, codebook=BOOK, include_all=True)
    flags = out["reasons"]
    assert "low_awareness" in flags["A"] and "unknown_awareness" not in flags["A"]
    assert "unknown_awareness" in flags["B"]  # on the register, no answers at all
    assert "unknown_awareness" in flags["C"] and "low_awareness" not in flags["C"]
    assert "low_awareness" in flags["D"]  # LQAS below
    assert not {"low_awareness", "unknown_awareness"} & set(flags["E"])


def test_awareness_figures_are_those_of_the_decisive_item(rates):
    out = find_blind_spots(coverage(), rates=rates, settings=S, codebook=BOOK, include_all=True)
    low, high = proportion_confint(24, 41, method="wilson")
    a = out.loc["A"]
    assert a["awareness_item"] == "q4" and a["awareness_n"] == 41
    assert a["awareness_rate"] == pytest.approx(24 / 41)
    assert a["awareness_ci_high"] == pytest.approx(high)
    assert a["awareness_rate_shrunk"] == pytest.approx(0.62)
    assert a["lqas"] == "below"
    assert a["awareness_low_items"] == ("q4",)
    # C has no item with 10 answers: the best-answered one (n = 6) is shown
    assert out.loc["C", "awareness_n"] == 6
    assert out.loc["B", "awareness_n"] == 0
    assert pd.isna(out.loc["B", "awareness_rate"])


def test_awareness_messages_name_the_law_with_figures(rates):
    out = find_blind_spots(coverage(), rates=rates, settings=S, codebook=BOOK)
    # 24/41 = 58.5 % → 59 %; Wilson upper 0.7245 → 72 %
    high = proportion_confint(24, 41, method="wilson")[1]
    law = "《中华人民共和国民法典》"
    expected = f"{law}知晓率59%（n=41，95%CI上限{round(high * 100)}%）低于目标90%"
    assert expected in out.loc["A", "reasons_zh"]
    assert f"围绕{law}开展以案释法宣传，并复测知晓率" in out.loc["A", "actions_zh"]
    assert f"{law}知晓率90%（n=30），LQAS判定未达目标90%" in out.loc["D", "reasons_zh"]
    assert "问卷样本不足（n=6<10），知晓率未知" in out.loc["C", "reasons_zh"]
    assert "补充问卷调查（至少10份）" in out.loc["C", "actions_zh"]
    assert "无问卷数据，知晓率未知" in out.loc["B", "reasons_zh"]
    # without a codebook the item code is used
    bare = find_blind_spots(coverage(), rates=rates, settings=S)
    assert "题目q4知晓率59%" in bare.loc["A", "reasons_zh"]


def test_small_counts_are_suppressed_in_messages():
    r = wilson_rates([("A", "q4", 3, 1)])
    out = find_blind_spots(coverage(), rates=r, settings=S)
    assert "问卷样本不足（n<5），知晓率未知" in out.loc["A", "reasons_zh"]
    assert "n=3" not in out.loc["A", "reasons_zh"]


def test_score_of_low_and_unknown_awareness(rates):
    base = find_blind_spots(coverage(), settings=S, include_all=True)["score"]
    out = find_blind_spots(coverage(), rates=rates, settings=S, include_all=True)
    # A gains 4 (one low item) × 1.477121; B gains 1 (unknown) × 1; E gains nothing
    assert out.loc["A", "score"] == pytest.approx(round(7.751478 * 1.477121 + 4 * 1.477121, 2),
                                                  abs=0.011)
    assert out.loc["B", "score"] == pytest.approx(base["B"] + 1)
    assert out.loc["E", "score"] == 0


def test_rates_of_another_domain_or_repeated_rows_are_refused(rates):
    with pytest.raises(ValueError, match="no rows of domain 'support'"):
        find_blind_spots(coverage(), rates=rates, settings=S, domain="support")
    twice = pd.concat([rates, rates])
    with pytest.raises(ValueError, match="one row per \\(village_id, item\\)"):
        find_blind_spots(coverage(), rates=twice, settings=S)
    with pytest.raises(ValueError, match="'rates' is missing column\\(s\\) \\['ci_high'\\]"):
        find_blind_spots(coverage(), rates=rates.drop(columns="ci_high"), settings=S)


# ---- audiences and topics from the ledger -------------------------------------------------------


def test_missing_audiences_from_events():
    events = pd.DataFrame({
        "village_id": ["A", "A", "C", "C", None, "D"],
        "date": pd.to_datetime(["2024-07-01", "2023-01-01", "2025-12-11", "2019-05-01",
                                "2025-01-01", "2025-12-26"]),
        "audience": ["老年人、妇女", "学生", "老人/外来务工者/妇女儿童", "青少年", "全体村民",
                     np.nan],
    })
    # gap_window_months = 0: long gaps from coverage() (these few events are not its ledger)
    s = Settings.from_dict({"period": {"start": "2020-01-01", "end": "2025-12-31"},
                            "targets": {"gap_window_months": 0}})
    out = find_blind_spots(coverage(), events=events, settings=s, include_all=True)
    # A: 老年人, 妇女, 学生 → 青少年; missing 外出务工人员
    assert out.loc["A", "missing_audiences"] == ("外出务工人员",)
    # C: 老人 → 老年人, 外来务工者 → 外出务工人员, 妇女儿童 → 妇女; the 2019 青少年 event is
    # before the period
    assert out.loc["C", "missing_audiences"] == ("青少年",)
    # B and E have no event; D's only event has no audience; the town-wide event counts nowhere
    full = ("老年人", "青少年", "妇女", "外出务工人员")
    assert out.loc["B", "missing_audiences"] == full
    assert out.loc["D", "missing_audiences"] == full
    assert "missing_audiences" in out.loc["A", "reasons"]
    assert "外出务工人员未作为宣传对象" in out.loc["A", "reasons_zh"]
    assert "春节返乡期间面向外出务工人员集中宣传" in out.loc["A", "actions_zh"]
    # 4 groups × 0.5 points on D: 1.5 (low attendance) + 2 = 3.5 × 2.079181 = 7.277
    assert out.loc["D", "score"] == pytest.approx(7.28)


def test_missing_topics_from_events_when_coverage_has_none():
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3"],
        "village_id": ["A", "A", "C"],
        "date": pd.to_datetime(["2024-07-01", "2023-01-01", "2025-12-11"]),
        "topic": ["宪法", "反诈", "禁毒"],
        "audience": "全体村民",
    })
    topics = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e3"],
                           "topic": ["宪法", "民法典", "反诈", "禁毒"]})
    cov = coverage().drop(columns="missing_topics")
    out = find_blind_spots(cov, events=events, event_topics=topics, settings=S,
                           include_all=True)
    assert out.loc["A", "missing_topics"] == ("禁毒",)  # 反诈 → 反电信网络诈骗
    assert out.loc["C", "missing_topics"] == ("宪法", "民法典", "反电信网络诈骗")
    assert out.loc["B", "missing_topics"] == ("宪法", "民法典", "反电信网络诈骗", "禁毒")


# ---- cold spots ---------------------------------------------------------------------------------


def voronoi_town(seed: int, *, planted: bool = True):
    """28 Voronoi cells in a 10 km square, 4 small central communities, and (planted) 5
    contiguous villages in the south-east corner with about 1 event instead of about 15.

    The layout mimics the sample town (28 units, a corner cluster of 4–5 villages with few
    events); event counts are Poisson around gamma-distributed rates (mean 15, CV 0.4).
    """
    rng = np.random.default_rng(seed)
    comm = np.array([[5000, 5000], [5600, 5200], [5200, 5700], [4600, 5400]])
    pts = np.vstack([comm + rng.normal(0, 100, (4, 2)), rng.uniform(300, 9700, (24, 2))])
    box = shapely.box(0, 0, 10000, 10000)
    cells = [shapely.intersection(c, box)
             for c in shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=box).geoms]
    ordered = [next(c for c in cells if c.contains(shapely.Point(p))) for p in pts]
    ids = [f"SZ{i + 1:02d}" for i in range(28)]
    geo = gpd.GeoDataFrame({"village_id": ids}, geometry=ordered, crs="EPSG:32650")
    touch = shapely.intersects(np.array(ordered)[:, None], np.array(ordered)[None, :])
    np.fill_diagonal(touch, False)
    dist = np.hypot(pts[:, 0] - 10000, pts[:, 1])
    dist[:4] = np.inf  # communities are central, never in the cluster
    cluster = [int(np.argmin(dist))]
    while len(cluster) < 5:  # grow compactly: the cell touching most members, then nearest
        cand = [j for j in range(4, 28) if j not in cluster and touch[cluster, j].any()]
        cluster.append(min(cand, key=lambda j: (-touch[cluster, j].sum(), dist[j])))
    lam = rng.gamma(6.25, 2.4, 28)
    if planted:
        lam[cluster] = 1.0
    cov = pd.DataFrame({
        "village_name": [f"村{i}" for i in range(28)], "town": "示例镇",
        "population": rng.integers(2000, 8000, 28), "n_events": rng.poisson(lam),
        "days_since_last": 30.0, "longest_gap_days": 100.0, "attendance_per_100": 50.0,
        "missing_topics": [()] * 28, "has_site": True,
    }, index=pd.Index(ids, name="village_id"))
    return cov, geo, [ids[i] for i in cluster], touch


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_planted_cold_spot_cluster_is_found_with_the_defaults(seed):
    # Local tests on 28 villages cannot promise every member in every layout (a member whose
    # neighbours are mostly outside the cluster has a weak neighbourhood); at least 4 of the 5
    # must be found in each layout, the corner-most one always.
    cov, geo, cluster, touch = voronoi_town(seed)
    out = find_blind_spots(cov, geometry=geo, settings=S, include_all=True)
    flagged = set(out.index[out["cold_spot"].fillna(False)])
    assert len(set(cluster) & flagged) >= 4, f"missed {set(cluster) - flagged}"
    assert cluster[0] in flagged
    # every flagged village is below average and touches another flagged village
    ids = cov.index.tolist()
    pos = [ids.index(v) for v in flagged]
    for v in flagged:
        assert cov.loc[v, "n_events"] < cov["n_events"].mean()
        assert touch[ids.index(v), pos].any()
    found = sorted(set(cluster) & flagged)
    assert out.loc[found, "cold_spot_method"].eq("gi_star:n_events").all()
    assert out.loc[found, "reasons_zh"].str.contains("位于普法活动冷点区域（Gi\\*，p").all()
    assert "cold_spot" in out.loc[cluster[0], "reasons"]
    assert out.loc[cluster[0], "cold_spot_p"] < 0.01


@pytest.mark.slow
def test_no_planted_cluster_rarely_gives_a_cold_spot():
    # Under no clustering the follow-up list screens at FDR 10 %, so about 1 layout in 10 may
    # show a (false) cold spot; Binomial(8, 0.1) gives P(≥ 3 of 8) ≈ 0.04, so 2 is the bound.
    hits = 0
    for seed in range(8):
        cov, geo, _, _ = voronoi_town(seed, planted=False)
        out = find_blind_spots(cov, geometry=geo, settings=S, include_all=True)
        hits += bool(out["cold_spot"].fillna(False).any())
    assert hits <= 2


def test_islands_and_villages_without_geometry_are_not_assessed():
    cov = coverage()
    cells = {v: shapely.box(i, 0, i + 1, 1) for i, v in enumerate(["A", "B", "C"])}
    cells["D"] = shapely.box(50, 50, 51, 51)  # no neighbour
    geo = gpd.GeoSeries(cells)  # E has no geometry
    out = find_blind_spots(cov, geometry=geo, settings=S, include_all=True)
    assert out.loc["D", "cold_spot_method"] == "island"
    assert out.loc["E", "cold_spot_method"] == "no geometry"
    assert out.loc[["D", "E"], "cold_spot"].isna().all()
    assert out.loc[["A", "B", "C"], "cold_spot"].notna().all()


def test_awareness_cold_spot_is_tested_on_shrunk_rates():
    cov, geo, cluster, _ = voronoi_town(0, planted=False)
    ids = cov.index
    shrunk = pd.Series(0.95, index=ids)
    shrunk[cluster] = 0.55
    r = wilson_rates([(v, "q4", 40, 36) for v in ids], rate_shrunk=shrunk.to_numpy())
    cov["n_events"] = 15  # no coverage pattern at all
    out = find_blind_spots(cov, rates=r, geometry=geo, settings=S, include_all=True)
    assert out.loc[cluster, "cold_spot"].all()
    assert out.loc[cluster, "cold_spot_method"].eq("gi_star:awareness").all()
    assert out.loc[cluster, "reasons_zh"].str.contains("位于知晓率冷点区域").all()


# ---- input checks -------------------------------------------------------------------------------


def test_input_checks_name_the_argument():
    with pytest.raises(TypeError, match="'coverage' should be the DataFrame"):
        find_blind_spots([1, 2], settings=S)
    with pytest.raises(ValueError, match="'coverage' is missing column\\(s\\) \\['n_events'\\]"):
        find_blind_spots(coverage().drop(columns="n_events"), settings=S)
    dup = pd.concat([coverage(), coverage().iloc[:1]])
    with pytest.raises(ValueError, match="one row per village; repeated ids: \\['A'\\]"):
        find_blind_spots(dup, settings=S)
    with pytest.raises(TypeError, match="'settings' should be a pufa_metrics.Settings"):
        find_blind_spots(coverage(), settings={"targets": {}})
    with pytest.raises(ValueError, match="'domain' should name a target"):
        find_blind_spots(coverage(), settings=S, domain="happiness")
    with pytest.raises(ValueError, match="'as_of' should be a date"):
        find_blind_spots(coverage(), settings=S, as_of="yesterday")
    with pytest.raises(ValueError, match="'cold_spot_metric' 'reach'"):
        find_blind_spots(coverage(), settings=S, geometry=gpd.GeoSeries(),
                         cold_spot_metric="reach")
    with pytest.raises(ValueError, match="'events' is missing column\\(s\\) \\['audience'\\]"):
        find_blind_spots(coverage(), settings=S,
                         events=pd.DataFrame({"village_id": ["A"], "date": ["2024-01-01"]}))


# ---- group gaps ---------------------------------------------------------------------------------


def test_group_gaps_from_rates_by_hand():
    # (gender, age group, answers, 知道) → one response per answer, through the public route
    rows = [("女", "60岁及以上", 48, 25), ("男", "60岁及以上", 40, 38),
            ("女", "18-29岁", 4, 0), ("男", "18-29岁", 30, 20)]
    groups = pd.DataFrame(rows, columns=["gender", "age_group", "n", "n_positive"])
    resp = groups.loc[groups.index.repeat(groups["n"]), ["gender", "age_group"]]
    rank = resp.groupby(["gender", "age_group"]).cumcount().to_numpy()
    known = rank < groups["n_positive"].repeat(groups["n"]).to_numpy()
    resp = resp.assign(response_id=[f"r{i}" for i in range(len(resp))], village_id="A",
                       q4=np.where(known, "知道", "不知道")).reset_index(drop=True)
    book = BOOK.iloc[:1].assign(positive=[("知道",)], missing=[("不清楚",)])
    gaps = group_gaps(resp, book, settings=S)  # targets 0.90, min_respondents 10, suppress 5
    # 女60+: 25/48 = 52 %, upper 0.65 < 0.9 → listed; 男60+: 38/40 upper 0.98 → not;
    # 女18-29: 0/4 has upper 0.49 but only 4 answers → not listed; 男18-29: 20/30, upper 0.81
    assert gaps[["gender", "age_group"]].values.tolist() == [["女", "60岁及以上"],
                                                             ["男", "18-29岁"]]
    h = round(proportion_confint(25, 48, method="wilson")[1] * 100)
    assert gaps.loc[0, "reason_zh"] == (
        f"女·60岁及以上：《中华人民共和国民法典》知晓率52%（n=48，95%CI上限{h}%）低于目标90%"
    )
    assert gaps["target"].eq(0.9).all()


def test_group_gaps_end_to_end_with_survey_rates():
    # 20 women 60+: 8 know the law (12 don't) → 40 %, Wilson upper (statsmodels) 0.613;
    # 20 men 60+: all know; 4 women 18-29 answer 不清楚 (no answer) → n = 0, never listed.
    resp = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(44)],
        "village_id": "A",
        "gender": ["女"] * 20 + ["男"] * 20 + ["女"] * 4,
        "age_group": ["60岁及以上"] * 40 + ["18-29岁"] * 4,
        "q4": ["不知道"] * 12 + ["知道"] * 8 + ["听说过"] * 20 + ["不清楚"] * 4,
    })
    book = BOOK.iloc[:1].assign(positive=[("知道", "听说过")], missing=[("不清楚",)])
    gaps = group_gaps(resp, book, settings=S)
    assert len(gaps) == 1
    row = gaps.iloc[0]
    assert (row["gender"], row["age_group"], row["n"]) == ("女", "60岁及以上", 20)
    assert row["rate"] == pytest.approx(0.4)
    assert row["ci_high"] == pytest.approx(proportion_confint(8, 20, method="wilson")[1])


# ---- Excel export -------------------------------------------------------------------------------


@pytest.fixture
def follow_up(rates):
    cov = coverage()
    cov.loc["E", "town"] = "横陂镇"
    cov.loc["E", "has_site"] = False  # give E a reason so that it is listed
    cov.loc["B", "village_name"] = "=HYPERLINK(\"http://x\",\"乙村\")"
    cov.loc["C", "village_name"] = "-丙村"
    cov.loc["D", "village_name"] = "@丁社区"
    r = rates.copy()
    r.loc[r["village_id"] == "C", "n"] = 3  # a survey count below the suppression threshold
    return find_blind_spots(cov, rates=r, settings=S, codebook=BOOK)


def headers(ws):
    return [c.value for c in ws[1]]


def test_export_workbook_is_usable_as_is(tmp_path, follow_up):
    path = export_follow_up(follow_up, tmp_path / "out" / "跟进清单.xlsx", settings=S)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["水寨镇", "横陂镇", "说明"]
    ws = wb["水寨镇"]
    assert ws.freeze_panes == "D2"
    head = headers(ws)
    assert head[:9] == ["优先级", "等级", "村（社区）", "村编码", "镇（街道）", "常住人口", "得分",
                        "问题", "建议措施"]
    rows = {r[3]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2,
                                                                        values_only=True)}
    assert set(rows) == {"A", "B", "C", "D"}
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == [1, 2, 3, 4]
    assert rows["A"]["问题"] == follow_up.loc["A", "reasons_zh"]
    assert rows["A"]["未覆盖主题"] == "宪法、禁毒"
    assert rows["A"]["有村级阵地"] == "否"
    # the awareness columns are the decisive (lowest) item's, and say so
    assert rows["A"]["问卷样本数（最低题）"] == 41
    # counts below 5 are shown as "<5", their rates as "—"
    assert rows["C"]["问卷样本数（最低题）"] == "<5"
    assert rows["C"]["知晓率（最低题）"] == "—"
    # column widths fitted: the reason column is wide and wrapped
    col = openpyxl.utils.get_column_letter(head.index("问题") + 1)
    assert ws.column_dimensions[col].width >= 40
    assert ws[f"{col}2"].alignment.wrap_text


def test_export_never_writes_formulas(tmp_path, follow_up):
    path = export_follow_up(follow_up, tmp_path / "f.xlsx", settings=S)
    ws = openpyxl.load_workbook(path)["水寨镇"]
    names = {c.value: c for c in ws["C"][1:]}
    for text in ("=HYPERLINK(\"http://x\",\"乙村\")", "-丙村", "@丁社区"):
        assert names[text].data_type == "s"
    # and Excel's own reader sees text, not a formula, in the cached-values view too
    values = openpyxl.load_workbook(path, data_only=True)["水寨镇"]
    assert "=HYPERLINK(\"http://x\",\"乙村\")" in [c.value for c in values["C"]]


def test_export_colours_by_tier(tmp_path, follow_up):
    path = export_follow_up(follow_up, tmp_path / "c.xlsx", settings=S)
    ws = openpyxl.load_workbook(path)["水寨镇"]
    head = headers(ws)
    for row in ws.iter_rows(min_row=2):
        score = row[head.index("得分")].value
        tier = row[head.index("等级")].value
        colour = row[0].fill.fgColor.rgb[-6:]
        # 紧急 ≥ 8 (red), 较高 ≥ 4 (orange), 一般 otherwise (yellow)
        expected = ("紧急", "F4A6A6") if score >= 8 else (
            ("较高", "FCD5A5") if score >= 4 else ("一般", "FFF2B3"))
        assert (tier, colour) == expected


def test_export_explains_reasons_and_thresholds(tmp_path, follow_up):
    path = export_follow_up(follow_up, tmp_path / "n.xlsx", settings=S)
    notes = openpyxl.load_workbook(path)["说明"]
    cells = [str(c.value) for row in notes.iter_rows() for c in row if c.value is not None]
    text = "\n".join(cells)
    for code in REASON_CODES:
        assert code in cells
    assert "距最近一次活动超过 365 天" in text
    assert "超过 270 天" in text
    assert "低于目标 90%" in text
    assert "“<5”" in text
    assert "log10" in text


def test_export_is_atomic(tmp_path, follow_up, monkeypatch):
    target = tmp_path / "a.xlsx"
    export_follow_up(follow_up, target, settings=S)
    before = target.read_bytes()

    def boom(self, filename):
        raise OSError("disk full")

    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", boom)
    with pytest.raises(OSError, match="disk full"):
        export_follow_up(follow_up, target, settings=S)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]  # no temp file left behind


def test_export_with_group_gaps_sheet_and_checks(tmp_path, follow_up):
    groups = pd.DataFrame({"gender": ["女"], "age_group": ["60岁及以上"], "item": ["q4"],
                           "n": [48], "rate": [0.52], "reason_zh": ["女·60岁及以上：…"]})
    path = export_follow_up(follow_up, tmp_path / "g.xlsx", settings=S, groups=groups)
    wb = openpyxl.load_workbook(path)
    assert "人群短板" in wb.sheetnames
    assert headers(wb["人群短板"])[:4] == ["性别", "年龄段", "题目", "样本数"]
    with pytest.raises(ValueError, match="'path' should end in .xlsx"):
        export_follow_up(follow_up, tmp_path / "x.csv", settings=S)
    with pytest.raises(TypeError, match="'follow_up' should be the DataFrame"):
        export_follow_up([1], tmp_path / "y.xlsx", settings=S)


# ---- standing services: 法律明白人, legal adviser, sites -----------------------------------------


def clean_coverage() -> pd.DataFrame:
    """Five villages with no event-based reason (so only service reasons score)."""
    return pd.DataFrame(
        {
            "village_name": ["子村", "丑村", "寅村", "卯社区", "辰村"],
            "town": "水寨镇",
            "population": pd.array([1000, 800, 10000, 5000, 1000], dtype="Int64"),
            "n_events": [6, 6, 6, 6, 6],
            "days_since_last": [10.0] * 5,
            "longest_gap_days": [100.0] * 5,
            "attendance_per_100": [20.0] * 5,
            "missing_topics": [()] * 5,
            "has_site": [True] * 5,
        },
        index=pd.Index(["V1", "V2", "V3", "V4", "V5"], name="village_id"),
    )


def services_frame() -> pd.DataFrame:
    """A service_coverage-shaped frame, as of 2025-12-31."""
    return pd.DataFrame(
        {
            "n_legal_literates": pd.array([2, 0, 5, 1, pd.NA], dtype="Int64"),
            "literates_target": pd.array([3, 3, 3, pd.NA, pd.NA], dtype="Int64"),
            "literates_met": pd.array([False, False, True, pd.NA, pd.NA], dtype="boolean"),
            "adviser_visits": pd.array([12, 3, 0, 9, pd.NA], dtype="Int64"),
            "last_adviser_visit": pd.to_datetime(
                ["2025-12-01", "2025-06-27", None, "2025-10-02", None]
            ).astype("datetime64[us]"),
            "days_since_adviser": [30.0, 187.0, np.nan, 90.0, np.nan],
            "stale_sites": pd.array([0, 0, 2, 0, pd.NA], dtype="Int64"),
            "stale_site_names": pd.Series([None, None, "寅村宣传栏、寅村长廊", None, None],
                                          dtype="str").to_numpy(),
        },
        index=pd.Index(["V1", "V2", "V3", "V4", "V5"], name="village_id"),
    )


def test_service_reasons_follow_the_rules():
    out = find_blind_spots(clean_coverage(), services=services_frame(), settings=S,
                           include_all=True)
    # V1: 2 < 3 trained; adviser 30 days ago (≤ 90)
    assert out.loc["V1", "reasons"] == ("few_legal_literates",)
    # V2: none trained; adviser 187 > 90 days
    assert out.loc["V2", "reasons"] == ("few_legal_literates", "adviser_absent")
    # V3: target met; no adviser visit at all in the period; 2 stale sites
    assert out.loc["V3", "reasons"] == ("adviser_absent", "stale_site")
    # V4: a community (no target); exactly 90 days is not more than 90 → nothing
    # V5: nothing assessed (NA) → nothing
    assert out.loc["V4", "reasons"] == () and out.loc["V5", "reasons"] == ()


def test_service_scores_by_hand():
    out = find_blind_spots(clean_coverage(), services=services_frame(), settings=S,
                           include_all=True)
    # V1: one short → 1; population 1,000 → factor 1 → 1.00
    # V2: three short → 1 + 0.5 × 2 = 2, adviser absent 2 → 4; 800 people → factor 1 → 4.00
    # V3: adviser absent 2 + stale site 1 = 3; 10,000 people → factor 1 + log10(10) = 2 → 6.00
    assert out["score"].to_dict() == {"V3": 6.0, "V2": 4.0, "V1": 1.0, "V4": 0.0, "V5": 0.0}
    assert out["priority"].tolist() == [1, 2, 3, 4, 5]


def test_service_messages_in_chinese_and_english():
    out = find_blind_spots(clean_coverage(), services=services_frame(), settings=S)
    assert out.loc["V1", "reasons_zh"] == "法律明白人仅2名（目标3名）"
    assert out.loc["V1", "actions_zh"] == "组织法律明白人培训（至少再培养1名）"
    assert out.loc["V2", "reasons_zh"] == (
        "尚无法律明白人（目标3名）；法律顾问已187天未到村（最近一次2025年6月27日）"
    )
    assert out.loc["V2", "actions_zh"] == (
        "组织法律明白人培训（至少再培养3名）；督促村法律顾问按月驻村服务"
    )
    assert out.loc["V3", "reasons_zh"] == (
        "无法律顾问到村服务记录；2处普法阵地内容超过12个月未更新（寅村宣传栏、寅村长廊）"
    )
    assert out.loc["V3", "actions_zh"].endswith("更新宣传栏内容，并登记更新时间")
    assert out.loc["V2", "reasons_en"] == (
        "No trained legally literate person (target 3); Legal adviser has not come for 187 "
        "days (last 2025-06-27)"
    )
    assert "2 publicity sites not updated for over 12 months" in out.loc["V3", "reasons_en"]
    # figures behind the reasons
    assert out.loc["V2", "n_legal_literates"] == 0 and out.loc["V2", "days_since_adviser"] == 187
    assert out.loc["V3", "stale_site_names"] == "寅村宣传栏、寅村长廊"


def test_service_thresholds_and_as_of():
    strict = Settings.from_dict({"services": {"max_days_without_adviser": 29}})
    out = find_blind_spots(clean_coverage(), services=services_frame(), settings=strict)
    assert "adviser_absent" in out.loc["V1", "reasons"]  # 30 > 29
    # as_of recomputes the days from last_adviser_visit: 2025-12-01 → 2026-03-31 is 120 days
    out = find_blind_spots(clean_coverage(), services=services_frame(), settings=S,
                           as_of="2026-03-31")
    assert out.loc["V1", "days_since_adviser"] == 120.0
    assert "法律顾问已120天未到村" in out.loc["V1", "reasons_zh"]


def test_services_input_checks():
    with pytest.raises(TypeError, match="'services' should be the DataFrame"):
        find_blind_spots(clean_coverage(), services=[1], settings=S)
    with pytest.raises(ValueError, match="'services' is missing column"):
        find_blind_spots(clean_coverage(), services=services_frame().drop(
            columns="stale_sites"), settings=S)
    flat = find_blind_spots(clean_coverage(), services=services_frame().reset_index(),
                            settings=S)
    pd.testing.assert_frame_equal(
        flat, find_blind_spots(clean_coverage(), services=services_frame(), settings=S))
    # a village missing from services is simply not assessed
    part = find_blind_spots(clean_coverage(), services=services_frame().drop(index="V2"),
                            settings=S, include_all=True)
    assert part.loc["V2", "reasons"] == ()


def test_export_shows_service_figures_and_rules(tmp_path):
    out = find_blind_spots(clean_coverage(), services=services_frame(), settings=S)
    path = export_follow_up(out, tmp_path / "s.xlsx", settings=S)
    wb = openpyxl.load_workbook(path)
    head = headers(wb["水寨镇"])
    for name in ("法律明白人（名）", "距法律顾问上次到村天数", "未更新阵地数", "未更新阵地"):
        assert name in head, name
    rows = {r[head.index("村（社区）")]: r for r in wb["水寨镇"].iter_rows(min_row=2,
                                                                         values_only=True)}
    assert rows["寅村"][head.index("未更新阵地")] == "寅村宣传栏、寅村长廊"
    notes = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row
                      if c.value is not None)
    assert "已培训的法律明白人少于 3 名" in notes
    assert "超过 90 天未到村" in notes
    assert "超过 12 个月未更新" in notes


def test_audience_gaps_when_no_event_names_an_audience():
    # a ledger with an empty 参加对象 column (all NaN, read as float) must not break the audience
    # check: C, D, E have no event, so every required group is missing; A and B have events
    # whose audience was not recorded, so their audiences are not assessed (None, no reason)
    ev = pd.DataFrame({"village_id": ["A", "B"],
                       "date": pd.to_datetime(["2021-01-01", "2021-02-01"]),
                       "audience": [float("nan"), float("nan")]})
    s = Settings.from_dict({"period": {"start": "2020-01-01", "end": "2025-12-31"}})
    out = find_blind_spots(coverage(), events=ev, settings=s, include_all=True)
    full = ("老年人", "青少年", "妇女", "外出务工人员")  # Settings().required_audiences
    assert out["missing_audiences"].to_dict() == {"A": None, "B": None, "C": full, "D": full,
                                                  "E": full}
    assert ["missing_audiences" in r for r in out.loc[["A", "C"], "reasons"]] == [False, True]


def test_attendance_is_not_judged_when_no_event_has_an_attendee_figure():
    # A: 3 events, none with 参加人数 → attendance_per_100 0 means "unknown", no reason;
    # B: 3 events, one figure of 5 people for 1,000 residents → 0.5 per 100 < 10: low
    cov = pd.DataFrame({
        "village_name": ["甲村", "乙村"], "population": [1000, 1000], "n_events": [3, 3],
        "days_since_last": [10.0, 10.0], "longest_gap_days": [100.0, 100.0],
        "attendance_per_100": [0.0, 0.5], "attendance_unknown": [3, 2],
        "missing_topics": [(), ()],
    }, index=pd.Index(["A", "B"], name="village_id"))
    out = find_blind_spots(cov, settings=Settings(), include_all=True)
    assert out.loc["A", "reasons"] == ()
    assert out.loc["B", "reasons"] == ("low_attendance",)
