"""The leader's brief: headline figures checked by hand (and the Wilson interval against
scipy), the PDF (pages, Type 3 fonts), the self-contained HTML, missing inputs, atomic writes."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box

from pufa_metrics.brief import brief, headline_figures
from pufa_metrics.config import Settings

SETTINGS = Settings()  # max_days_without_event 365, awareness target 0.9


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _coverage() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village_name": ["河尾村", "罗湖村", "协和村", "公园社区"],
            "town": "水寨镇",
            "population": pd.array([2000, 4000, 1000, 2000], dtype="Int64"),
            "n_events": [4, 2, 0, 12],
            "attendance_per_100": [15.0, 8.0, 0.0, 25.0],
            "events_per_1000": [2.0, 0.5, 0.0, 6.0],
            "missing_topics": [(), ("宪法", "禁毒"), ("宪法", "民法典", "反电信网络诈骗", "禁毒"),
                               ("反电信网络诈骗",)],
            "days_since_last": [60.0, 400.0, np.nan, 11.0],
            "covered": [True, True, False, True],
        },
        index=pd.Index(["V1", "V2", "V3", "V4"], name="village_id"),
    )


def _follow_up() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village_name": ["罗湖村", "协和村", "河尾村"],
            "population": [4000, 1000, 2000],
            "priority": [2, 1, 3],
            "score": [5.0, 9.0, 0.0],
            "reasons": [("stale",), ("no_events",), ()],
            "reasons_zh": ["超过365天无活动<script>alert(1)</script>",
                           ("统计期间无普法活动", "未覆盖宪法、民法典、反电信网络诈骗、禁毒"), ""],
            "actions_zh": ["安排律师下村讲座 & 咨询", "结合圩日摆摊设点开展普法宣传", ""],
            "reasons_en": ["No event for 400 days", "No events", ""],
            "actions_en": ["Lawyer visit & advice desk", "Market-day stall", ""],
        },
        index=pd.Index(["V2", "V3", "V1"], name="village_id"),
    )


def _rates() -> pd.DataFrame:
    # two villages, one item: k = 0.8 × 10 + 0.9 × 20 = 26 of N = 30
    return pd.DataFrame({
        "village_id": ["V1", "V2"], "item": "q1", "domain": "awareness",
        "n": [10, 20], "n_positive": [8, 18], "rate": [0.8, 0.9], "n_eff": [10.0, 20.0],
        "ci_low": [0.49, 0.70], "ci_high": [0.94, 0.97],
    })


def _geometry() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"village_id": ["V1", "V2", "V3", "V4"]},
        geometry=[box(115.70 + 0.01 * i, 23.9, 115.71 + 0.01 * i, 23.91) for i in range(4)],
        crs="EPSG:4326",
    )


@pytest.fixture
def coverage() -> pd.DataFrame:
    return _coverage()


@pytest.fixture
def follow_up() -> pd.DataFrame:
    return _follow_up()


@pytest.fixture
def rates() -> pd.DataFrame:
    return _rates()


# --------------------------------------------------------------------------------------------
# headline_figures
# --------------------------------------------------------------------------------------------


def test_headline_figures_by_hand(coverage, follow_up, rates):
    h = headline_figures(coverage, follow_up=follow_up, rates=rates, settings=SETTINGS)
    # covered: V1, V2, V4 -> 3 of 4
    assert h.loc["covered", ["numerator", "denominator", "value"]].tolist() == [3, 4, 0.75]
    # last event within 365 days: V1 (60), V4 (11); V2 400 is stale, V3 has none -> 2 of 4
    assert h.loc["recent", ["numerator", "value"]].tolist() == [2, 0.5]
    # median of [2, 0.5, 0, 6] = (0.5 + 2) / 2
    assert h.loc["events_per_1000", "value"] == 1.25
    # pooled awareness 26 / 30. Villages as clusters: z = (8 − 8.67, 18 − 17.33), var = 2 ×
    # 0.889 / 30² = 0.00198, R(1 − R) / var = 58.5 > 30 respondents, so n_eff is capped at 30:
    # the Wilson interval from scipy on the same counts
    ci = stats.binomtest(26, 30).proportion_ci(confidence_level=0.95, method="wilson")
    assert h.loc["awareness", "value"] == pytest.approx(26 / 30)
    assert h.loc["awareness", ["ci_low", "ci_high"]].tolist() == pytest.approx([ci.low,
                                                                                ci.high])
    assert h.loc["awareness", "target"] == 0.9
    # urgent tier (score ≥ 8): 协和村 (9) -> 1, named; 较高 (4–8): 罗湖村 (5); 河尾村 has no reason
    assert h.loc["blind_spots", "value"] == 1
    assert h.loc["blind_spots", "villages"] == "协和村"
    assert h.loc["blind_spots", "label_zh"] == "重点关注村：紧急（得分≥8）"
    assert h.loc[["tier_high", "tier_normal"], "value"].tolist() == [1, 0]
    assert h.loc["tier_high", "villages"] == "罗湖村"
    # met: 3/4 < all; 2/4 < all; interval straddles 0.9 -> undetermined; 1 > 0; tiers: no target
    assert h["met"].tolist() == [False, False, pd.NA, pd.NA, False, pd.NA, pd.NA]
    assert h.loc["recent", "label_zh"] == "近12个月有活动的村（社区）"
    assert h.loc["awareness", "label_en"] == "Awareness (all villages' answers pooled)"


def test_headline_awareness_pools_items_without_double_counting(coverage, rates):
    two = pd.concat([rates, rates.assign(item="q2", rate=[0.5, 0.7])])
    h = headline_figures(coverage, rates=two, settings=SETTINGS)
    # q1: 26 of 30; q2: 0.5 × 10 + 0.7 × 20 = 19 of 30 -> rate 45 / 60 = 0.75 on n = 30 per item
    assert h.loc["awareness", "value"] == pytest.approx(0.75)
    assert h.loc["awareness", "denominator"] == 30
    # Wilson by its formula at k = 22.5, n = 30 (non-integer: weighted counts)
    z, p, n = stats.norm.ppf(0.975), 0.75, 30
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert h.loc["awareness", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [centre - half, centre + half])


def test_headline_interval_is_the_cluster_design_of_pooled_rates(coverage):
    """Villages answer alike: the town interval is pooled_rates' (villages as clusters), not a
    Wilson interval on all answers as if independent."""
    from pufa_metrics.survey import awareness_rates, pooled_rates

    # four villages of 20 respondents, one item: 20, 18, 10 and 6 of 20 aware -> 54 / 80
    aware = [20, 18, 10, 6]
    responses = pd.DataFrame({
        "village_id": np.repeat(["V1", "V2", "V3", "V4"], 20),
        "q1": np.concatenate([["知道"] * k + ["不知道"] * (20 - k) for k in aware]),
    })
    codebook = pd.DataFrame({"item": ["q1"], "text": ["宪法日"], "domain": ["awareness"],
                             "positive": [("知道",)], "missing": [()]})
    rates = awareness_rates(responses, codebook)
    design = pooled_rates(responses, codebook, by=None)
    h = headline_figures(coverage, rates=rates, settings=SETTINGS)
    row = h.loc["awareness"]
    assert row["value"] == pytest.approx(54 / 80)
    assert [row["ci_low"], row["ci_high"]] == pytest.approx(
        design[["ci_low", "ci_high"]].iloc[0].tolist())
    naive = stats.binomtest(54, 80).proportion_ci(confidence_level=0.95, method="wilson")
    assert row["ci_high"] - row["ci_low"] > 1.5 * (naive.high - naive.low)  # much wider
    assert row["deff"] == pytest.approx(design["deff"].iloc[0])
    # the same from pooled_rates given directly
    given = headline_figures(coverage, rates=rates, pooled=design, settings=SETTINGS)
    assert given.loc["awareness", "ci_low"] == pytest.approx(row["ci_low"])


def test_headline_met_when_the_interval_clears_the_target(coverage):
    high = pd.DataFrame({"village_id": ["V1"], "item": "q1", "rate": [0.99], "n": [200],
                         "n_eff": [200.0]})
    low = high.assign(rate=0.5)
    assert headline_figures(coverage, rates=high, settings=SETTINGS).loc["awareness", "met"]
    assert not headline_figures(coverage, rates=low, settings=SETTINGS).loc["awareness", "met"]


def test_headline_without_survey_or_follow_up(coverage):
    h = headline_figures(coverage, settings=SETTINGS)
    assert np.isnan(h.loc["awareness", "value"]) and pd.isna(h.loc["awareness", "met"])
    assert np.isnan(h.loc["blind_spots", "value"])


# --------------------------------------------------------------------------------------------
# brief
# --------------------------------------------------------------------------------------------


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """One full brief (every input) written once for several tests."""
    request_data = {"coverage": _coverage(), "follow_up": _follow_up(), "rates": _rates(),
                    "geometry": _geometry()}
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    counts = pd.DataFrame(np.arange(24).reshape(4, 6) % 3, index=request_data["coverage"].index,
                          columns=months)
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3"],
                           "date": pd.to_datetime(["2024-01-05", "2024-03-02", "2024-05-20"]),
                           "topic": ["禁毒", "宪法", "民法典"]})
    calendar = pd.DataFrame({"name_zh": ["国际禁毒日"], "name_en": ["Anti-drug day"],
                             "start": pd.to_datetime(["2024-06-26"]),
                             "end": pd.to_datetime(["2024-06-26"]), "topic": ["禁毒"]})
    training = pd.DataFrame({"n_staff": [12, 8], "hours_met_rate": [0.75, 1.0],
                             "exam_taken_rate": [1.0, 1.0], "pass_rate": [0.5, 0.875]},
                            index=pd.Index(["司法所", "派出所"], name="department"))
    inputs = {**request_data, "counts": counts, "events": events, "calendar": calendar,
              "training": training}
    copies = {k: v.copy(deep=True) for k, v in inputs.items()}
    folder = tmp_path_factory.mktemp("brief")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = brief(folder / "reports", **inputs, settings=SETTINGS,
                    period=("2024-01-01", "2024-06-30"), survey_kind="government",
                    synthetic=True)
    return out, inputs, copies


@pytest.mark.slow
def test_brief_writes_both_files_and_nothing_else(full):
    out, _, _ = full
    assert sorted(out) == ["html", "pdf"]
    assert sorted(p.name for p in out["pdf"].parent.iterdir()) == ["brief.html", "brief.pdf"]


def test_brief_pdf_pages_and_fonts(full):
    out, _, _ = full
    data = out["pdf"].read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/Type3" in data and b"/FontFile2" not in data  # Chinese shows in every viewer
    # headline, map, follow-up table, then 6 charts (bar, calendar, awareness, topics, trend,
    # training)
    assert _pdf_pages(data) == 9


def test_brief_html_is_self_contained(full):
    out, _, _ = full
    text = out["html"].read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in text
    assert text.count('src="data:image/png;base64,') == 7  # map + 6 charts
    srcs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<script" not in text  # the reason text is escaped, not run
    assert "超过365天无活动&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "安排律师下村讲座 &amp; 咨询" in text
    # a tuple of reasons is joined; the village without reasons is not listed
    assert "统计期间无普法活动；未覆盖宪法、民法典、反电信网络诈骗、禁毒" in text
    assert "<td>河尾村</td>" not in text
    # headline: 3 of 4 villages covered; survey kind stated; synthetic said
    assert "3/4（75%）" in text
    assert "调查类型：政府组织的问卷调查" in text
    assert "示例数据（合成）" in text


def test_brief_follow_up_in_priority_order(full):
    out, _, _ = full
    text = out["html"].read_text(encoding="utf-8")
    assert text.index("<td>协和村</td>") < text.index("<td>罗湖村</td>")  # priority 1 before 2


def test_brief_does_not_mutate_inputs(full):
    _, inputs, copies = full
    for key, frame in inputs.items():
        pd.testing.assert_frame_equal(frame, copies[key], obj=key)


def test_brief_says_what_is_missing(coverage, follow_up, tmp_path):
    out = brief(tmp_path, coverage=coverage, follow_up=follow_up, settings=SETTINGS)
    text = out["html"].read_text(encoding="utf-8")
    # absent tables in the words of assessed.OPTIONAL_TABLES ("not assessed"), said once
    assert text.count("未提供村界，未做空间冷点分析、未绘制地图") == 2  # note + map section
    assert "未提供问卷数据，未评估知晓率、支持度和满意率" in text
    assert "未提供学法用法台账" in text and "未提供法律明白人名册" in text
    assert "未提供：每月活动统计（未绘制月历图）、活动台账（未绘制趋势图）" in text
    assert "统计期间：未注明" in text  # Settings() has no period and none was given
    assert text.count("data:image/png;base64,") == 2  # attendance bars and topic matrix
    # headline, map notice, table, two charts
    assert _pdf_pages(out["pdf"].read_bytes()) == 5


def test_brief_in_english_with_a_short_table(coverage, follow_up, tmp_path):
    out = brief(tmp_path, coverage=coverage, follow_up=follow_up, settings=SETTINGS, lang="en",
                top_n=1, town="Shuizhai")
    text = out["html"].read_text(encoding="utf-8")
    assert '<html lang="en">' in text
    assert "Headline figures" in text and "Shuizhai legal-education brief" in text
    assert "Follow-up list (top 1)" in text
    assert "Market-day stall" in text and "Lawyer visit" not in text  # only priority 1


def test_brief_ends_with_the_exposure_effect_and_its_caveat(coverage, follow_up, tmp_path):
    """With exposure_effect's result the brief gets one more page, headed as observational
    (effect_chart puts the caveat in its caption: tested in test_effect)."""
    effect = pd.DataFrame({
        "design": ["topic_matched", "between"], "term": ["events", "events"],
        "topic": [None, None], "odds_ratio": [1.1, 1.5], "ci_low": [1.0, 1.0],
        "ci_high": [1.2, 2.2], "n_answers": [600, 600]})
    effect.attrs["caveat"] = ("观察性数据：相关不等于因果。", "Observational data.")
    without = brief(tmp_path / "a", coverage=coverage, follow_up=follow_up, settings=SETTINGS)
    out = brief(tmp_path / "b", coverage=coverage, follow_up=follow_up, settings=SETTINGS,
                effect=effect)
    assert (_pdf_pages(out["pdf"].read_bytes())
            == _pdf_pages(without["pdf"].read_bytes()) + 1)
    html = out["html"].read_text(encoding="utf-8")
    assert "普法实效（观察性分析）" in html
    assert "普法实效" not in without["html"].read_text(encoding="utf-8")


def test_brief_replaces_old_files_atomically(coverage, follow_up, tmp_path):
    (tmp_path / "brief.pdf").write_bytes(b"old")
    brief(tmp_path, coverage=coverage, follow_up=follow_up, settings=SETTINGS)
    assert (tmp_path / "brief.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.html", "brief.pdf"]


def test_brief_checks_its_arguments(coverage, follow_up, tmp_path):
    with pytest.raises(ValueError, match="top_n should be a positive integer, got 0"):
        brief(tmp_path, coverage=coverage, follow_up=follow_up, top_n=0)
    with pytest.raises(ValueError, match="lang should be 'zh' or 'en'"):
        brief(tmp_path, coverage=coverage, follow_up=follow_up, lang="de")
    with pytest.raises(TypeError, match="'coverage' should be a pandas DataFrame"):
        brief(tmp_path, coverage=None, follow_up=follow_up)
    with pytest.raises(ValueError, match=r"'follow_up' has no column 'actions_zh'"):
        brief(tmp_path, coverage=coverage, follow_up=follow_up.drop(columns="actions_zh"))
    with pytest.raises(TypeError, match="geometry should be a geopandas GeoDataFrame"):
        brief(tmp_path, coverage=coverage, follow_up=follow_up, geometry=[1, 2])
    with pytest.raises(TypeError, match="period should be a"):
        brief(tmp_path, coverage=coverage, follow_up=follow_up, period="2024")
    assert not list(Path(tmp_path).iterdir())  # nothing half-written
