"""Charts: values drawn match hand-checked tables, Chinese renders with the bundled font, the
house style stays inside its context, edge cases draw without warnings, and export works.

Expected values come from the small tables below, worked out by hand in the comments.
Regenerate the pixel baseline (after checking the chart by eye) with
``PUFA_UPDATE_BASELINE=1 .venv/bin/pytest tests/test_plots.py -k baseline``.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text
from PIL import Image
from shapely.geometry import box

from pufa_metrics import _common, plots
from pufa_metrics.config import Settings
from pufa_metrics.schema import DOMAIN_LABELS, METRIC_LABELS
from pufa_metrics.survey import VERDICTS

BASELINE = Path(__file__).parent / "baseline"
SETTINGS = Settings()  # targets: attendance_per_100 10, awareness 0.9, min_respondents 10,
#                        privacy.suppress_below 5, required topics 宪法/民法典/反电信网络诈骗/禁毒


# --------------------------------------------------------------------------------------------
# Hand-made data
# --------------------------------------------------------------------------------------------


def _ids(*ids: str) -> pd.Index:
    return pd.Index(list(ids), name="village_id", dtype="str")


@pytest.fixture
def coverage() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village_name": ["河尾村", "罗湖村", "协和村", "公园社区"],
            "town": "水寨镇",
            "population": pd.array([2000, 4000, 1000, 2000], dtype="Int64"),
            "n_events": [4, 2, 0, 12],
            "attendance": [300, 320, 0, 500],
            # attendance / population × 100: 300/2000 = 15, 320/4000 = 8, 0, 500/2000 = 25
            "attendance_per_100": [15.0, 8.0, 0.0, 25.0],
            # n_events / population × 1000: 4/2000 = 2, 2/4000 = 0.5, 0, 12/2000 = 6
            "events_per_1000": [2.0, 0.5, 0.0, 6.0],
            "n_topics": [4, 2, 0, 3],
            "missing_topics": [(), ("宪法", "禁毒"), ("宪法", "民法典", "反电信网络诈骗", "禁毒"),
                               ("反电信网络诈骗",)],
            "last_event": pd.to_datetime(["2025-11-01", "2024-06-01", None, "2025-12-20"]),
            "days_since_last": [60.0, 578.0, np.nan, 11.0],
            "longest_gap_days": [200, 500, 2191, 90],
            "covered": [True, True, False, True],
            "has_site": True,
        },
        index=_ids("V1", "V2", "V3", "V4"),
    )


@pytest.fixture
def geometry() -> gpd.GeoDataFrame:
    # V1..V3 side by side; V4 has no polygon; V5 has a polygon but no coverage row (no data).
    return gpd.GeoDataFrame(
        {"village_id": ["V1", "V2", "V3", "V5"]},
        geometry=[box(115.70, 23.90, 115.71, 23.91), box(115.71, 23.90, 115.72, 23.91),
                  box(115.72, 23.90, 115.73, 23.91), box(115.73, 23.90, 115.74, 23.91)],
        crs="EPSG:4326",
    )


@pytest.fixture
def counts_long() -> pd.DataFrame:
    # 2024-02 is absent for every village: it must be shown as a zero month.
    return pd.DataFrame({
        "village_id": ["V1", "V1", "V2", "V3"],
        "period": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-04-01", "2024-04-01"]),
        "n_events": [2, 1, 4, 0],
    })


@pytest.fixture
def calendar() -> pd.DataFrame:
    # One window spanning Feb→Mar 2024 and one day in June 2024 (outside the counts).
    return pd.DataFrame({
        "name_zh": ["测试宣传周", "国际禁毒日"],
        "name_en": ["Test week", "Anti-drug day"],
        "start": pd.to_datetime(["2024-02-28", "2024-06-26"]),
        "end": pd.to_datetime(["2024-03-02", "2024-06-26"]),
        "topic": ["宪法", "禁毒"],
    })


@pytest.fixture
def rates() -> pd.DataFrame:
    # target 0.9, min_respondents 10, suppress_below 5:
    # A: lower limit 0.92 >= 0.9                -> reached
    # B: upper limit 0.75 < 0.9                 -> low
    # C: interval 0.75-0.97 straddles 0.9       -> uncertain
    # D: n = 8 < 10                             -> insufficient (grey, still shown)
    # E: n = 3 < 5                              -> suppressed (no point at all)
    # F: interval straddles but LQAS "below"    -> low
    return pd.DataFrame({
        "village_id": ["A", "B", "C", "D", "E", "F"],
        "item": "q1",
        "domain": "awareness",
        "n": [50, 30, 25, 8, 3, 30],
        "n_positive": [49, 18, 22, 4, 3, 28],
        "rate": [0.98, 0.60, 0.88, 0.50, 1.00, 0.93],
        "n_eff": [50.0, 30.0, 25.0, 8.0, 3.0, 30.0],
        "ci_low": [0.92, 0.42, 0.75, 0.22, 0.44, 0.83],
        "ci_high": [0.99, 0.75, 0.97, 0.78, 1.00, 0.99],
        "lqas": [pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, "below"],
    })


@pytest.fixture
def training() -> pd.DataFrame:
    return pd.DataFrame(
        {"n_staff": [12, 3, 8], "hours_met_rate": [0.75, 1.0, 1.0],
         "exam_taken_rate": [1.0, 1.0, 1.0], "pass_rate": [0.5, 1.0, 0.875],
         "cert_holders": [6, 1, 8], "cert_rate": [0.5, 1 / 3, 1.0]},
        index=pd.Index(["司法所", "林业站", "派出所"], name="department"),
    )


@pytest.fixture
def events() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4"],
        "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02", "2024-03-28"]),
        "village_id": ["V1", "V2", "V1", "V4"],
        "topic": ["禁毒", "宪法", "禁毒", "民法典"],
    })


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _png(fig: Figure, dpi: int = 40) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), dtype=float)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def _check_drawn(fig: Figure) -> None:
    """Not blank; Chinese drawn with the CJK font, not as tofu boxes.

    With every text forced to DejaVu Sans (no CJK glyphs) the same figure must raise matplotlib's
    missing-glyph warnings and render differently; the house-style render raises none (pytest
    turns them into errors).
    """
    image = _png(fig)
    assert image.std() > 0, "the chart is blank"
    texts = fig.findobj(Text)
    fonts = [t.get_fontfamily() for t in texts]
    try:
        for t in texts:
            t.set_fontfamily(["DejaVu Sans"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dejavu = _png(fig)
    finally:
        for t, family in zip(texts, fonts):
            t.set_fontfamily(family)
    missing = [w for w in caught if "missing from font" in str(w.message)]
    assert missing, "no Chinese text in the chart"
    assert image.shape != dejavu.shape or np.abs(image - dejavu).max() > 0


def _offsets(ax: Axes) -> dict[str, list[float]]:
    """x of the points of each labelled scatter."""
    return {c.get_label(): [float(x) for x in c.get_offsets()[:, 0]]
            for c in ax.collections
            if isinstance(c, PathCollection) and not c.get_label().startswith("_")}


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------------------------------
# Font and house style
# --------------------------------------------------------------------------------------------


def test_import_changes_no_matplotlib_setting():
    code = (
        "import matplotlib as mpl\n"
        "from matplotlib import font_manager as fm\n"
        "before = {k: repr(v) for k, v in mpl.rcParams.items()}\n"
        "import pufa_metrics, pufa_metrics.plots, pufa_metrics.brief\n"
        "after = {k: repr(v) for k, v in mpl.rcParams.items()}\n"
        "changed = sorted(k for k in before if before[k] != after.get(k))\n"
        "assert not changed, changed\n"
        "assert not any('NotoSansCJK' in f.fname for f in fm.fontManager.ttflist)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_house_style_is_a_context_only():
    before = dict(mpl.rcParams)
    with plots.house_style():
        assert mpl.rcParams["font.family"] == ["Noto Sans CJK SC", "DejaVu Sans"]
        assert mpl.rcParams["pdf.fonttype"] == 3
        assert mpl.rcParams["svg.fonttype"] == "path"
        colours = [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
        assert colours[:3] == ["#0072b2", "#e69f00", "#009e73"]  # Okabe & Ito (2008)
    assert dict(mpl.rcParams) == before


def test_font_comes_from_the_pip_package():
    import noto_cjk_sans_otc
    from matplotlib import font_manager

    with plots.house_style():
        found = font_manager.findfont(font_manager.FontProperties(family="Noto Sans CJK SC"),
                                      fallback_to_default=False)
    assert Path(found) == Path(noto_cjk_sans_otc.FONT_PATH)
    with plots.house_style():  # registering twice adds nothing
        n = len(font_manager.fontManager.ttflist)
    with plots.house_style():
        assert len(font_manager.fontManager.ttflist) == n


def _glyph(char: str, family: list[str]) -> np.ndarray:
    fig = Figure(figsize=(0.6, 0.6))
    fig.text(0.5, 0.5, char, family=family, fontsize=24, ha="center", va="center")
    return _png(fig, dpi=60)


def test_tofu_check_can_tell_glyphs_from_boxes():
    # Calibration of the CJK check: with the bundled font three different characters give three
    # different images; with DejaVu only they are the same missing-glyph box.
    chars = ["水", "寨", "镇"]
    with plots.house_style():
        cjk = [_glyph(c, plots.FONT_FAMILY) for c in chars]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tofu = [_glyph(c, ["DejaVu Sans"]) for c in chars]
    assert all(np.abs(cjk[i] - cjk[j]).max() > 0 for i, j in [(0, 1), (0, 2), (1, 2)])
    assert all(np.array_equal(tofu[0], t) for t in tofu[1:])
    assert all(tofu[0].std() > 0 for _ in tofu)  # the box is drawn, it is not empty


def test_chart_saved_later_outside_the_style_keeps_the_cjk_font(coverage):
    fig = plots.coverage_bar(coverage, settings=SETTINGS)
    # outside house_style now: a glyph warning would be an error here
    assert _png(fig).std() > 0


# --------------------------------------------------------------------------------------------
# coverage_bar
# --------------------------------------------------------------------------------------------


def test_coverage_bar_ranks_villages_and_draws_the_target(coverage):
    fig = plots.coverage_bar(coverage, settings=SETTINGS, caption="数据来源：测试")
    ax = fig.axes[0]
    # ascending from the bottom: 协和村 0, 罗湖村 8, 河尾村 15, 公园社区 25
    assert [p.get_width() for p in ax.patches] == [0.0, 8.0, 15.0, 25.0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["协和村", "罗湖村", "河尾村", "公园社区"]
    # target 10 人次/百人 (pufa.toml): 0 and 8 are below it
    colours = [to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [plots.VERMILLION.lower()] * 2 + [plots.BLUE.lower()] * 2
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [list(line.get_xdata()) for line in lines] == [[10.0, 10.0]]
    assert "目标 10" in _texts(fig)
    assert "数据来源：测试" in fig.get_supxlabel()
    assert "不等于覆盖人数" in fig.get_supxlabel()  # 人次 are intensity, not reach
    _check_drawn(fig)


def test_coverage_bar_other_metric_has_no_default_target(coverage):
    fig = plots.coverage_bar(coverage, column="events_per_1000", settings=SETTINGS)
    ax = fig.axes[0]
    assert [p.get_width() for p in ax.patches] == [0.0, 0.5, 2.0, 6.0]
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_coverage_bar_english_and_synthetic(coverage):
    fig = plots.coverage_bar(coverage, settings=SETTINGS, lang="en", synthetic=True)
    texts = _texts(fig)
    assert "Sample data (synthetic)" in texts
    assert "Attendance per 100 residents (person-times) by village" in texts
    assert "示例数据（合成）" not in texts
    assert "示例数据（合成）" in _texts(plots.coverage_bar(coverage, settings=SETTINGS,
                                                       synthetic=True))
    assert "示例数据（合成）" not in _texts(plots.coverage_bar(coverage, settings=SETTINGS))


def test_coverage_bar_draws_into_a_given_axes(coverage):
    fig = Figure(figsize=(8, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    out = plots.coverage_bar(coverage, settings=SETTINGS, ax=right, caption="数据来源：甲")
    assert out is fig
    assert len(right.patches) == 4 and not left.patches
    plots.coverage_bar(coverage, settings=SETTINGS, ax=left, caption="数据来源：乙")
    assert "数据来源：甲" in fig.get_supxlabel() and "数据来源：乙" in fig.get_supxlabel()


# --------------------------------------------------------------------------------------------
# coverage_map
# --------------------------------------------------------------------------------------------


def test_coverage_map_classes_no_data_and_blind_spots(coverage, geometry):
    fig = plots.coverage_map(coverage, geometry, k=2, blind_spots=["V3", "V4"])
    ax = fig.axes[0]
    # values on the map: V1 2.0, V2 0.5, V3 0.0 (V4 has no polygon, V5 no value).
    # Quantiles with k=2: median of [0, 0.5, 2] is 0.5, max 2 -> classes [0, 0.5] and (0.5, 2].
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["0 – 0.5 (2)", "0.5 – 2 (1)", "无数据（台账无此村记录）",
                      "重点关注村（盲区）"]
    filled = ax.collections[0]  # V1, V2, V3 in geometry order
    v1, v2, v3 = (to_hex(c) for c in filled.get_facecolors())
    assert v2 == v3 != v1
    hatched = ax.collections[1]  # V5
    assert hatched.get_hatch() == "////" and len(hatched.get_paths()) == 1
    outline = ax.collections[2]  # only V3: V4 has no polygon to outline
    assert outline.get_linewidths()[0] == pytest.approx(2.6) and len(outline.get_paths()) == 1
    assert "公园社区" in fig.get_supxlabel()  # V4 has no boundary: named in the caption
    assert {"河尾村", "罗湖村", "协和村"} <= set(_texts(fig))
    _check_drawn(fig)


def test_coverage_map_single_class_when_values_are_equal(coverage, geometry):
    same = coverage.assign(events_per_1000=1.0)
    fig = plots.coverage_map(same, geometry, k=5)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == "全部为 1 (3)"


def test_coverage_map_fewer_distinct_values_than_classes(coverage, geometry):
    few = coverage.assign(events_per_1000=[1.0, 1.0, 3.0, 3.0])
    fig = plots.coverage_map(few, geometry, k=5, scheme="natural_breaks")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # two distinct values -> two classes: {1, 1} and {3}
    assert legend[:2] == ["1 (2)", "1 – 3 (1)"]


def test_coverage_map_reverses_colours_when_higher_is_worse(coverage, geometry):
    good = plots.coverage_map(coverage, geometry, column="events_per_1000", k=2)
    bad = plots.coverage_map(coverage.assign(days_since_last=coverage["events_per_1000"]),
                             geometry, column="days_since_last", k=2)
    low_good = to_hex(good.axes[0].get_legend().legend_handles[0].get_facecolor())
    low_bad = to_hex(bad.axes[0].get_legend().legend_handles[0].get_facecolor())
    assert low_good != low_bad


def test_coverage_map_accepts_village_id_as_index(coverage, geometry):
    fig = plots.coverage_map(coverage, geometry.set_index("village_id"), k=2)
    assert len(fig.axes[0].get_legend().get_texts()) == 3


# --------------------------------------------------------------------------------------------
# calendar_heatmap
# --------------------------------------------------------------------------------------------


def test_calendar_heatmap_fills_zero_months_and_marks_campaigns(counts_long, calendar, coverage):
    fig = plots.calendar_heatmap(counts_long, calendar=calendar, names=coverage)
    ax = fig.axes[0]
    # months 2024-01..2024-04 (February filled in), villages V1, V2, V3
    assert ax.images[0].get_array().tolist() == [
        [2.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 4.0],
        [0.0, 0.0, 0.0, 0.0],
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["河尾村", "罗湖村", "协和村"]
    # the window 02-28..03-02 overlaps February and March; 06-26 is outside the months shown
    marks = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [float(x) for x in marks[0].get_offsets()[:, 0]] == [1.0, 2.0]
    # zero months have their own, visible colour (light grey, not white)
    cmap = ax.images[0].get_cmap()
    assert to_hex(cmap(0)) == to_hex(plots.LIGHT_GREY) != "#ffffff"
    assert "2024-01-01至2024-04-30" in fig.get_supxlabel()
    _check_drawn(fig)


def test_calendar_heatmap_wide_and_long_forms_agree(counts_long):
    wide = counts_long.pivot_table(index="village_id", columns="period", values="n_events",
                                   aggfunc="sum", fill_value=0)
    a = plots.calendar_heatmap(counts_long).axes[0].images[0].get_array()
    b = plots.calendar_heatmap(wide).axes[0].images[0].get_array()
    assert a.tolist() == b.tolist()


# --------------------------------------------------------------------------------------------
# awareness_dotplot
# --------------------------------------------------------------------------------------------


def test_awareness_dotplot_classifies_and_suppresses(rates):
    fig = plots.awareness_dotplot(rates, settings=SETTINGS, survey_kind="government")
    ax = fig.axes[0]
    assert _offsets(ax) == {
        "达标": [0.98],
        "无法判定": [0.88],
        "低于目标": [0.93, 0.60],
        "样本不足（n<10）": [0.50],
    }
    # E (n = 3) is listed last (bottom row), shows "n<5" and no rate anywhere
    bottom_up = [t for _, t in sorted(zip(ax.get_yticks(), ax.get_yticklabels()),
                                      key=lambda pair: pair[0])]
    assert bottom_up[0].get_text() == "E"
    n_axis = ax.child_axes[0]
    n_labels = [t.get_text() for _, t in sorted(zip(n_axis.get_yticks(),
                                                    n_axis.get_yticklabels()),
                                                key=lambda pair: pair[0])]
    assert n_labels[0] == "n<5" and "n=50" in n_labels
    assert "样本少于5人，不公布" in _texts(fig)
    assert "目标 90%" in _texts(fig)
    assert "调查类型：政府组织的问卷调查" in fig.get_supxlabel()
    _check_drawn(fig)


def test_awareness_dotplot_suppressed_rate_does_not_leak_through_the_order(rates):
    # E's rate moves from 1.0 to 0.0: nothing drawn may change except nothing.
    a = plots.awareness_dotplot(rates, settings=SETTINGS)
    b = plots.awareness_dotplot(rates.assign(rate=rates["rate"].where(rates["village_id"] != "E",
                                                                       0.0)), settings=SETTINGS)
    assert [t.get_text() for t in a.axes[0].get_yticklabels()] == \
        [t.get_text() for t in b.axes[0].get_yticklabels()]
    assert _offsets(a.axes[0]) == _offsets(b.axes[0])


def test_awareness_dotplot_caption_says_when_survey_kind_is_missing(rates):
    fig = plots.awareness_dotplot(rates, settings=SETTINGS)
    assert "调查类型：未注明" in fig.get_supxlabel()
    fig = plots.awareness_dotplot(rates, settings=SETTINGS, survey_kind="独立学术调查", lang="en")
    assert "Survey type: independent (academic) survey" in fig.get_supxlabel()


def test_awareness_dotplot_domain_mean(rates):
    two = pd.concat([rates, rates.assign(item="q2", rate=rates["rate"] - 0.1,
                                         ci_low=rates["ci_low"] - 0.1,
                                         ci_high=rates["ci_high"] - 0.1, lqas=pd.NA)])
    fig = plots.awareness_dotplot(two, domain="awareness", settings=SETTINGS)
    points = sorted(x for xs in _offsets(fig.axes[0]).values() for x in xs)
    # per village mean of the two items: rate - 0.05 (A .93, B .55, C .83, D .45, F .88)
    assert points == pytest.approx([0.45, 0.55, 0.83, 0.88, 0.93])
    assert "点为2题的平均率" in fig.get_supxlabel()


def test_awareness_dotplot_needs_item_or_domain_when_ambiguous(rates):
    two = pd.concat([rates, rates.assign(item="q2", domain="support")])
    with pytest.raises(ValueError, match="item="):
        plots.awareness_dotplot(two.assign(domain="x"), settings=SETTINGS)
    with pytest.raises(ValueError, match="'q9' is not in rates"):
        plots.awareness_dotplot(two, item="q9", settings=SETTINGS)


def _lqas_rates() -> pd.DataFrame:
    """Five villages, target 0.8; Wilson 95% limits from statsmodels (proportion_confint).

    LQAS at n = 19 and an 80% target: reaches with at least 13 positives (PMC3013262 Table 1:
    at most 6 of 19 not covered), via survey.lqas_classify.
    """
    from statsmodels.stats.proportion import proportion_confint

    from pufa_metrics.survey import lqas_classify

    # A: 49/50 = 0.98, Wilson (0.895, 0.997): lower ≥ 0.8              -> 达标 (CI)
    # L: 18/19 = 0.947, Wilson (0.754, 0.991) straddles; 18 ≥ 13       -> LQAS判定达标
    # B: 12/19 = 0.632, Wilson (0.410, 0.809) straddles; 12 < 13       -> 低于目标 (LQAS)
    # U: 14/15 = 0.933, Wilson (0.702, 0.988) straddles; 15 < 19 answers -> 无法判定
    # C: 20/40 = 0.5, Wilson upper 0.648 < 0.8                          -> 低于目标 (CI)
    k = np.array([49, 18, 12, 14, 20])
    n = np.array([50, 19, 19, 15, 40])
    lo, hi = proportion_confint(k, n, method="wilson")
    rates = pd.DataFrame({"village_id": ["A", "L", "B", "U", "C"], "item": "q1",
                          "domain": "awareness", "n": n, "n_positive": k, "rate": k / n,
                          "ci_low": lo, "ci_high": hi})
    return lqas_classify(rates, target=0.8, n=19)


def test_awareness_dotplot_lqas_is_its_own_state():
    rates = _lqas_rates()
    assert rates.set_index("village_id").loc[["L", "B"], "lqas_d"].tolist() == [13, 13]
    assert rates["lqas"].tolist() == ["reaches", "reaches", "below", "too_few", "below"]
    fig = plots.awareness_dotplot(rates, target=0.8, settings=SETTINGS)
    ax = fig.axes[0]
    assert _offsets(ax) == {
        "达标": [0.98],
        "LQAS判定达标": [pytest.approx(18 / 19)],
        "无法判定": [pytest.approx(14 / 15)],
        "低于目标": [pytest.approx(12 / 19), 0.5],
    }
    # Okabe–Ito blue with a triangle: neither the green circle (CI) nor the orange square
    style = {c.get_label(): (to_hex(c.get_facecolor()[0]), c.get_paths()[0].vertices.shape)
             for c in ax.collections if isinstance(c, PathCollection)}
    assert style["LQAS判定达标"][0] == plots.BLUE.lower()
    assert len({colour for colour, _ in style.values()}) == len(style) == 4
    assert style["LQAS判定达标"][1] != style["达标"][1] != style["无法判定"][1]
    caption = fig.get_supxlabel()
    assert "“LQAS判定达标”：置信区间下限低于目标" in caption and "（本图d=13）" in caption
    # the legend lists the new state next to the CI one
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "达标", "LQAS判定达标", "无法判定", "低于目标"]
    _check_drawn(fig)


def test_awareness_dotplot_lqas_in_english():
    fig = plots.awareness_dotplot(_lqas_rates(), target=0.8, settings=SETTINGS, lang="en")
    assert "Target met by LQAS" in _offsets(fig.axes[0])
    assert "(here d = 13)" in fig.get_supxlabel()


def test_awareness_dotplot_without_lqas_has_no_lqas_state():
    rates = _lqas_rates().drop(columns=["lqas", "lqas_d"])
    labels = _offsets(plots.awareness_dotplot(rates, target=0.8, settings=SETTINGS).axes[0])
    # L and B straddle 0.8 and U too: all three undetermined without LQAS
    assert labels == {"达标": [0.98],
                      "无法判定": pytest.approx([18 / 19, 14 / 15, 12 / 19]),
                      "低于目标": [0.5]}


def test_awareness_dotplot_lqas_of_a_domain_mean():
    # Two items per village, each with the interval 0.75-0.99 straddling the 0.8 target.
    # V1: both items reach            -> LQAS判定达标
    # V2: q1 reaches, q2 too few      -> 无法判定 (not every item judged)
    # V3: q1 reaches, q2 below        -> 低于目标 (any item below, as find_blind_spots does)
    rates = pd.DataFrame({
        "village_id": ["V1", "V1", "V2", "V2", "V3", "V3"],
        "item": ["q1", "q2"] * 3,
        "domain": "awareness",
        "n": [19, 19, 19, 15, 19, 19],
        "rate": [0.95, 0.95, 0.94, 0.94, 0.93, 0.93],
        "ci_low": 0.75, "ci_high": 0.99,
        "lqas": ["reaches", "reaches", "reaches", "too_few", "reaches", "below"],
        "lqas_d": pd.array([13, 13, 13, None, 13, 13], dtype="Int64"),
    })
    fig = plots.awareness_dotplot(rates, domain="awareness", target=0.8, settings=SETTINGS)
    assert _offsets(fig.axes[0]) == {"LQAS判定达标": [0.95], "无法判定": [0.94],
                                     "低于目标": [0.93]}
    assert "各题均达标（或LQAS判定达标）才算达标" in fig.get_supxlabel()


# --------------------------------------------------------------------------------------------
# topic_matrix
# --------------------------------------------------------------------------------------------


def test_topic_matrix_from_counts_with_a_required_topic_absent(coverage):
    counts = pd.DataFrame({"宪法": [2, 0, 1], "民法典": [1, 1, 0], "反电信网络诈骗": [0, 0, 3]},
                          index=_ids("V1", "V2", "V4"))
    fig = plots.topic_matrix(counts, settings=SETTINGS, names=coverage)
    ax = fig.axes[0]
    # 禁毒 has no column: nobody covered it. Covered per village: V1 2, V2 1, V4 2.
    # Order: fewest first, then by name: 罗湖村 (1), 公园社区 (2), 河尾村 (2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["罗湖村", "公园社区", "河尾村"]
    assert ax.images[0].get_array().tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["宪法", "民法典", "反电信网络诈骗",
                                                           "禁毒"]
    _check_drawn(fig)


def test_topic_matrix_from_coverage_missing_topics(coverage):
    fig = plots.topic_matrix(coverage, settings=SETTINGS, lang="en")
    ax = fig.axes[0]
    # covered = required − missing: V1 4, V2 2 (民法典, 反诈), V3 0, V4 3 (all but 反诈)
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["协和村", "罗湖村", "公园社区", "河尾村"]
    assert ax.images[0].get_array().tolist() == [
        [0, 0, 0, 0], [0, 1, 1, 0], [1, 1, 0, 1], [1, 1, 1, 1]]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Constitution"


# --------------------------------------------------------------------------------------------
# trend
# --------------------------------------------------------------------------------------------


def test_trend_counts_per_month_and_topic(events, calendar):
    fig = plots.trend(events, calendar=calendar, end="2024-06-30")
    ax = fig.axes[0]
    # Jan: 禁毒 1, 宪法 1; Feb: none; Mar: 禁毒 1, 民法典 1; Apr-Jun: none.
    # Topics by total: 禁毒 2, then 宪法 and 民法典 1 each.
    stacks = {c.get_label(): [p.get_height() for p in c] for c in ax.containers}
    assert stacks == {"禁毒": [1, 0, 1, 0, 0, 0], "宪法": [1, 0, 0, 0, 0, 0],
                      "民法典": [0, 0, 1, 0, 0, 0]}
    marks = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(marks[0].get_offsets()) == 2  # both campaign days are in the period
    _check_drawn(fig)


def test_trend_counts_an_event_once_per_topic(events):
    topics = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e3", "e4"],
                           "topic": ["禁毒", "宪法", "宪法", "禁毒", "民法典"]})
    fig = plots.trend(events, event_topics=topics, top=1)
    stacks = {c.get_label(): [p.get_height() for p in c] for c in fig.axes[0].containers}
    # 禁毒 2 (e1, e3) and 宪法 2 (e1, e2) tie; ties go by name (宪 U+5BAA < 禁 U+7981), so
    # 宪法 is kept: Jan 2. 其他 = 禁毒 + 民法典: Jan 1 (e1), Mar 2 (e3, e4).
    assert stacks == {"宪法": [2, 0, 0], "其他": [1, 0, 2]}
    assert "按主题分别计数" in fig.get_supxlabel()


# --------------------------------------------------------------------------------------------
# training_chart
# --------------------------------------------------------------------------------------------


def test_training_chart_ranks_and_suppresses_small_departments(training):
    fig = plots.training_chart(training, settings=SETTINGS)
    ax = fig.axes[0]
    # mean of the three rates: 司法所 (0.75+1+0.5)/3 = 0.75, 派出所 (1+1+0.875)/3 = 0.958;
    # 林业站 has 3 < 5 staff: no bars, named in the caption
    assert [t.get_text() for t in ax.get_yticklabels()] == ["司法所（n=12）", "派出所（n=8）"]
    assert [[p.get_width() for p in c] for c in ax.containers] == [
        [0.75, 1.0], [1.0, 1.0], [0.5, 0.875]]
    assert "林业站" in fig.get_supxlabel()
    assert "林业站" not in " ".join(t.get_text() for t in ax.get_yticklabels())
    assert "目标 100%" in _texts(fig)
    _check_drawn(fig)


# --------------------------------------------------------------------------------------------
# Edge cases: every chart draws, without warnings, with drawn content
# --------------------------------------------------------------------------------------------

EMPTY_EVENTS = pd.DataFrame({"event_id": pd.Series([], dtype="str"),
                             "date": pd.Series([], dtype="datetime64[us]"),
                             "topic": pd.Series([], dtype="str")})


def _one_village(coverage):
    return coverage.loc[["V1"]]


EDGE_CASES = {
    "bar-one-village": lambda c, g: plots.coverage_bar(_one_village(c), settings=SETTINGS),
    "bar-no-events": lambda c, g: plots.coverage_bar(
        c.assign(attendance_per_100=0.0, n_events=0), settings=SETTINGS),
    "map-one-village": lambda c, g: plots.coverage_map(_one_village(c), g),
    "map-no-events": lambda c, g: plots.coverage_map(c.assign(events_per_1000=0.0), g),
    "map-no-polygon-at-all": lambda c, g: plots.coverage_map(c, g.iloc[0:0]),
    "map-village-without-geometry": lambda c, g: plots.coverage_map(
        c, g.assign(geometry=[None, *g.geometry.iloc[1:]])),
    "calendar-one-village": lambda c, g: plots.calendar_heatmap(
        pd.DataFrame({"village_id": ["V1"], "period": pd.to_datetime(["2024-01-01"]),
                      "n_events": [1]})),
    "calendar-no-events": lambda c, g: plots.calendar_heatmap(
        pd.DataFrame(0, index=_ids("V1", "V2"), columns=pd.date_range("2024-01-01",
                                                                       periods=12, freq="MS")),
        names=c),
    "dotplot-no-survey": lambda c, g: plots.awareness_dotplot(
        pd.DataFrame(columns=["village_id", "item", "n", "rate", "ci_low", "ci_high"]),
        settings=SETTINGS),
    "dotplot-one-village": lambda c, g: plots.awareness_dotplot(
        pd.DataFrame({"village_id": ["V1"], "item": ["q1"], "n": [20], "rate": [0.9],
                      "ci_low": [0.7], "ci_high": [0.97]}), names=c, settings=SETTINGS),
    "dotplot-all-rates-equal": lambda c, g: plots.awareness_dotplot(
        pd.DataFrame({"village_id": ["V1", "V2", "V3"], "item": "q1", "n": [20, 20, 20],
                      "rate": 0.9, "ci_low": 0.7, "ci_high": 0.97}), names=c, settings=SETTINGS),
    "dotplot-all-suppressed": lambda c, g: plots.awareness_dotplot(
        pd.DataFrame({"village_id": ["V1", "V2"], "item": "q1", "n": [2, 4], "rate": 0.5,
                      "ci_low": 0.1, "ci_high": 0.9}), names=c, settings=SETTINGS),
    "matrix-one-village": lambda c, g: plots.topic_matrix(_one_village(c), settings=SETTINGS),
    "matrix-no-events": lambda c, g: plots.topic_matrix(
        pd.DataFrame(0, index=_ids("V1", "V2"), columns=["宪法", "禁毒"]), names=c,
        settings=SETTINGS),
    "trend-no-events": lambda c, g: plots.trend(EMPTY_EVENTS),
    "trend-no-events-in-period": lambda c, g: plots.trend(EMPTY_EVENTS, start="2024-01-01",
                                                          end="2024-12-31"),
    "training-one-department": lambda c, g: plots.training_chart(
        pd.DataFrame({"n_staff": [6], "hours_met_rate": [1.0], "exam_taken_rate": [1.0],
                      "pass_rate": [1.0]}, index=pd.Index(["司法所"], name="department")),
        settings=SETTINGS),
    "training-all-suppressed": lambda c, g: plots.training_chart(
        pd.DataFrame({"n_staff": [2], "hours_met_rate": [1.0], "exam_taken_rate": [1.0],
                      "pass_rate": [1.0]}, index=pd.Index(["司法所"], name="department")),
        settings=SETTINGS),
}


@pytest.mark.parametrize("case", list(EDGE_CASES), ids=list(EDGE_CASES))
def test_edge_cases_draw_without_warnings(case, coverage, geometry):
    fig = EDGE_CASES[case](coverage, geometry)
    assert isinstance(fig, Figure)
    _check_drawn(fig)


def test_map_says_so_when_no_polygon_matches(coverage, geometry):
    fig = plots.coverage_map(coverage, geometry.iloc[0:0])
    assert "无村界地理数据，未绘制地图" in _texts(fig)


def test_no_survey_says_so(coverage):
    fig = EDGE_CASES["dotplot-no-survey"](coverage, None)
    assert "无问卷数据" in _texts(fig)


def test_charts_do_not_mutate_inputs(coverage, geometry, counts_long, rates, training, events,
                                     calendar):
    frames = [coverage, geometry, counts_long, rates, training, events, calendar]
    copies = [f.copy(deep=True) for f in frames]
    plots.coverage_bar(coverage, settings=SETTINGS)
    plots.coverage_map(coverage, geometry, blind_spots=["V1"])
    plots.calendar_heatmap(counts_long, calendar=calendar, names=coverage)
    plots.awareness_dotplot(rates, settings=SETTINGS)
    plots.topic_matrix(coverage, settings=SETTINGS)
    plots.trend(events, calendar=calendar)
    plots.training_chart(training, settings=SETTINGS)
    for before, after in zip(copies, frames):
        pd.testing.assert_frame_equal(before, after)


def test_charts_are_not_registered_with_pyplot(coverage):
    import matplotlib.pyplot as plt

    n = len(plt.get_fignums())
    plots.coverage_bar(coverage, settings=SETTINGS)
    assert len(plt.get_fignums()) == n


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def test_input_checks_name_the_argument(coverage, geometry, rates):
    with pytest.raises(TypeError, match="'coverage' should be a pandas DataFrame, got list"):
        plots.coverage_bar([1, 2], settings=SETTINGS)
    with pytest.raises(ValueError, match=r"'coverage' has no column 'nope'"):
        plots.coverage_bar(coverage, column="nope", settings=SETTINGS)
    with pytest.raises(TypeError, match=r"coverage\['village_name'\] should be numeric"):
        plots.coverage_bar(coverage, column="village_name", settings=SETTINGS)
    with pytest.raises(ValueError, match="lang should be 'zh' or 'en', got 'fr'"):
        plots.coverage_bar(coverage, lang="fr", settings=SETTINGS)
    with pytest.raises(TypeError, match="geometry should be a geopandas GeoDataFrame"):
        plots.coverage_map(coverage, pd.DataFrame(geometry))
    with pytest.raises(ValueError, match="scheme should be one of"):
        plots.coverage_map(coverage, geometry, scheme="rainbow")
    with pytest.raises(ValueError, match="k should be a positive integer, got 0"):
        plots.coverage_map(coverage, geometry, k=0)
    with pytest.raises(TypeError, match="ax should be a matplotlib Axes"):
        plots.coverage_bar(coverage, ax="left", settings=SETTINGS)
    with pytest.raises(TypeError, match="target should be a number"):
        plots.awareness_dotplot(rates, target="90%", settings=SETTINGS)
    with pytest.raises(TypeError, match="'settings' should be a pufa_metrics.Settings"):
        plots.coverage_bar(coverage, settings={"targets": {}})
    with pytest.raises(TypeError, match=r"events\['date'\] should be datetime64"):
        plots.trend(pd.DataFrame({"date": ["2024-01-01"], "topic": ["宪法"]}))
    with pytest.raises(ValueError, match=r"one row per village; repeated index values: \['V1'\]"):
        plots.coverage_bar(pd.concat([coverage, coverage.loc[["V1"]]]), settings=SETTINGS)
    with pytest.raises(ValueError, match="counts should be the village × period matrix"):
        plots.calendar_heatmap(pd.DataFrame({"a": [1]}, index=["V1"]))


def test_every_chart_text_has_an_english_version(training):
    source = Path(plots.__file__).read_text(encoding="utf-8")
    literals = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_t"
        and node.args and isinstance(node.args[0], ast.Constant)
    }
    # the shared vocabularies the charts label with (schema's metrics and domains, the survey
    # verdicts; small samples are shown as "<verdict>（n<{n}）")
    literals |= {zh for zh, _ in METRIC_LABELS.values()} | {zh for zh, _ in DOMAIN_LABELS.values()}
    literals |= {zh for k, (zh, _) in VERDICTS.items() if k != "insufficient"}
    literals |= {VERDICTS["insufficient"][0] + "（n<{n}）"}
    assert len(literals) > 40

    def no_english(text: str) -> bool:
        try:
            return not plots.chart_text(text, "en")
        except KeyError:
            return True

    assert sorted(t for t in literals if no_english(t)) == []
    # the training rates' legend (all four columns) is English, with no Chinese left
    fig = plots.training_chart(training, settings=SETTINGS, lang="en",
                               columns=("hours_met_rate", "exam_taken_rate", "pass_rate",
                                        "cert_rate"))
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]
    assert len(legend) == 4 and not any(re.search("[\u4e00-\u9fff]", t) for t in legend)


def test_source_caption():
    assert plots.source_caption("水寨镇司法所普法台账", start="2020-01-01", end="2025-12-31") == \
        "数据来源：水寨镇司法所普法台账；统计期间：2020-01-01至2025-12-31"
    assert plots.source_caption("台账") == "数据来源：台账"


def test_wrap_keeps_width_and_punctuation():
    text = "统计期间无普法活动；未覆盖宪法、民法典、反电信网络诈骗、禁毒"
    lines = _common.wrap_text(text, 8).split("\n")
    assert "".join(lines) == text
    assert all(_common.text_width(line) <= 9 for line in lines)  # 8 em + one punctuation mark
    assert not any(line[0] in "，。；、）" for line in lines)


# --------------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------------


def test_save_writes_print_quality_files(coverage, tmp_path):
    fig = plots.coverage_bar(coverage, settings=SETTINGS)
    paths = plots.save(fig, tmp_path / "new" / "dir" / "bar.v1")
    assert [p.name for p in paths] == ["bar.v1.png", "bar.v1.pdf", "bar.v1.svg"]
    assert sorted(p.name for p in (tmp_path / "new" / "dir").iterdir()) == \
        ["bar.v1.pdf", "bar.v1.png", "bar.v1.svg"]  # no temporary file left
    with Image.open(paths[0]) as png:
        width, height = png.size
        dpi = png.info["dpi"]
    assert dpi[0] == pytest.approx(200, abs=0.5)
    assert width == round(fig.get_figwidth() * 200)
    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF") and b"/Type3" in pdf and b"/FontFile2" not in pdf
    svg = paths[2].read_text(encoding="utf-8")
    assert "<path" in svg and "<text" not in svg  # glyphs are paths: no font needed to view
    umask = os.umask(0o022)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in paths} == {0o666 & ~umask}  # not mkstemp's 0600


def test_save_is_atomic(coverage, tmp_path):
    target = tmp_path / "bar.png"
    target.write_bytes(b"old")
    fig = plots.coverage_bar(coverage, settings=SETTINGS)

    def broken(path, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise RuntimeError("disk full")

    fig.savefig = broken
    with pytest.raises(RuntimeError, match="disk full"):
        plots.save(fig, tmp_path / "bar", formats=("png",))
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bar.png"]


def test_save_checks_its_arguments(coverage, tmp_path):
    fig = plots.coverage_bar(coverage, settings=SETTINGS)
    with pytest.raises(ValueError, match="formats should be some of"):
        plots.save(fig, tmp_path / "x", formats=("gif",))
    with pytest.raises(TypeError, match="fig should be a matplotlib Figure"):
        plots.save(fig.axes[0], tmp_path / "x")
    with pytest.raises(ValueError, match="dpi should be a positive number"):
        plots.save(fig, tmp_path / "x", dpi=0)


# --------------------------------------------------------------------------------------------
# Pixel comparison with a baseline
# --------------------------------------------------------------------------------------------


def test_baseline_image(tmp_path):
    coverage = pd.DataFrame(
        {"village_name": ["河尾村", "罗湖村", "协和村"], "attendance_per_100": [12.0, 4.0, 0.0]},
        index=_ids("V1", "V2", "V3"),
    )
    fig = plots.coverage_bar(coverage, target=10, title="测试图：各村每百人参与人次",
                             caption="数据来源：测试数据", synthetic=True)
    expected = BASELINE / "coverage_bar_small.png"
    if os.environ.get("PUFA_UPDATE_BASELINE"):
        BASELINE.mkdir(exist_ok=True)
        plots.save(fig, expected.with_suffix(""), formats=("png",), dpi=60)
    actual = tmp_path / "coverage_bar_small.png"
    plots.save(fig, actual.with_suffix(""), formats=("png",), dpi=60)
    assert expected.exists(), "no baseline: run with PUFA_UPDATE_BASELINE=1 and check the PNG"
    assert compare_images(str(expected), str(actual), tol=1.0) is None


def test_coverage_bar_draws_unrecorded_attendance_as_unrecorded_not_zero():
    # V2 held 2 events and recorded no attendee figure (attendance_unknown = n_events = 2): its
    # 0.0 is unknown, not zero; V3 held no event: a true 0
    cov = pd.DataFrame({"village_name": ["甲村", "乙村", "丙村"],
                        "attendance_per_100": [12.0, 0.0, 0.0], "n_events": [3, 2, 0],
                        "attendance_unknown": [0, 2, 0]},
                       index=pd.Index(["V1", "V2", "V3"], name="village_id"))
    fig = plots.coverage_bar(cov, settings=SETTINGS)
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert "未记录" in texts
    names = [t.get_text() for t in ax.get_yticklabels()]
    bars = {name: patch.get_facecolor() for name, patch in zip(names, ax.patches, strict=False)}
    assert to_hex(bars["乙村"]) != plots.VERMILLION.lower()  # not judged below target
    assert to_hex(bars["丙村"]) == plots.VERMILLION.lower()
    assert "不按0计" in fig.get_supxlabel()
