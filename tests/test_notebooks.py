"""The notebooks tell one story: one set-up call, the library's own pipeline, a closing summary.

These tests read the notebooks' cells (jupytext) and run single cells against the mini town
(tests/data/mini_town: 10 villages, plain CSV) without a kernel; the whole notebooks are executed
by test_report.py.
"""

from pathlib import Path

import jupytext
import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics.report import list_notebooks
from pufa_metrics.rules import tier_of

MINI = Path(__file__).resolve().parent / "data" / "mini_town"
NOTEBOOKS = list_notebooks()


def _cells(path: Path) -> list[str]:
    return [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]


def _cell(stem: str, starts: str) -> str:
    path = next(p for p in NOTEBOOKS if p.stem == stem)
    found = [s for s in _cells(path) if s.startswith(starts)]
    assert len(found) == 1, (stem, starts, len(found))
    return found[0]


@pytest.fixture(scope="module")
def ctx():
    return pm.notebook_context(MINI, settings=pm.Settings(), lang="zh", out_dir="/tmp/r")


def test_no_line_over_100_characters():
    long = [(p.name, i) for p in NOTEBOOKS
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if len(line) > 100]
    assert long == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_set_up_is_one_call_and_the_end_is_a_library_summary(path):
    code = _cells(path)
    # parameters, import, context, then the context shown; nothing else sets up
    assert code[0].startswith("data_dir = ")
    assert code[1] == "import pufa_metrics as pm"
    assert code[2].startswith("ctx = pm.notebook_context(data_dir, start=start, end=end")
    assert code[3] == "ctx"
    text = "\n".join(code)
    for repeated in ("Settings.load", "open_dataset", "resolve_period", "is_synthetic",
                     "source_caption", "{out_dir}"):
        assert repeated not in text, (path.name, repeated)
    assert code[-1].startswith("pm.summary(ctx, "), path.name


@pytest.mark.slow
def test_context_holds_what_the_cells_need(ctx):
    assert len(ctx.ds.villages) == 10 and ctx.town is None or isinstance(ctx.town, str)
    assert ctx.period.start <= ctx.period.end
    assert ctx.caption().startswith("数据来源：普法活动台账；统计期间：")
    assert ctx.figure("x") == "/tmp/r/figures/x" and ctx.output("a.xlsx") == "/tmp/r/a.xlsx"
    assert ctx.analysis is ctx.analysis  # computed once
    assert "/tmp/r" in ctx._repr_markdown_()
    with pytest.raises(ValueError, match="lang"):
        pm.notebook_context(MINI, settings=pm.Settings(), lang="fr")


def test_notebook_4_calls_find_blind_spots_as_the_pipeline_does(ctx):
    """Its list is the one `pufa report` exports and the brief shows: same rows, same figures."""
    space = {"pm": pm, "ctx": ctx, "analysis": ctx.analysis}
    exec(_cell("4-blind-spots", "follow_up = pm.find_blind_spots("), space)
    exec(_cell("4-blind-spots", "follow_up = pm.mark_worse("), space)
    pd.testing.assert_frame_equal(space["follow_up"], ctx.analysis.follow_up)
    assert len(space["follow_up"]) > 0


def test_notebook_4_cold_spots_are_those_of_the_list(ctx):
    """The cold-spot table tests the list's metric with its settings (n_events, not per 1000)."""
    fu = ctx.analysis.follow_up
    space = {"pm": pm, "ctx": ctx, "analysis": ctx.analysis, "follow_up": fu}
    exec(_cell("4-blind-spots", "spatial = "), space)
    exec(_cell("4-blind-spots", "cold = pm.spatial_clusters("), space)
    assert space["spatial"]["cold_spot_metric"] == "n_events"
    cold = space["cold"]
    assert cold["value"].tolist() == ctx.analysis.coverage["n_events"].tolist()
    # every village the list flags for its event count is a cold area of this test
    by_count = fu["cold_spot_method"].fillna("").str.contains("n_events")
    assert set(fu.index[by_count]) <= set(cold.index[cold["cold_area"].astype(bool)])
    map_cell = _cell("4-blind-spots", "fig = pm.plots.coverage_map(")
    assert 'column=spatial["cold_spot_metric"]' in map_cell
    assert "blind_spots=follow_up" in map_cell  # the tier rule is the chart's, as in the brief


def test_notebook_1_leaves_sites_not_assessed_without_a_register(ctx):
    """No site register: no has_site (not assessed), as in analyse, never False ("no site")."""
    ds = pm.io.Dataset(villages=ctx.ds.villages, events=ctx.ds.events,
                       event_topics=ctx.ds.event_topics)
    bare = pm.NotebookContext(dataset=ds, settings=ctx.settings, period=ctx.period)
    assert bare.table("sites") is None
    space = {"pm": pm, "ctx": bare}
    exec(_cell("1-coverage", "coverage = pm.village_coverage("), space)
    assert "has_site" not in space["coverage"]
    # with the register, the same cell gives the pipeline's coverage
    space = {"pm": pm, "ctx": ctx}
    exec(_cell("1-coverage", "coverage = pm.village_coverage("), space)
    pd.testing.assert_frame_equal(space["coverage"], ctx.analysis.coverage)
    assert space["coverage"]["has_site"].notna().all()


def test_readable_follow_up_has_the_tier_and_few_columns(ctx):
    fu = ctx.analysis.follow_up
    table = pm.readable_table(fu, "follow_up", lang="zh").data
    assert list(table.columns) == ["序号", "村（社区）", "等级", "得分", "原因", "建议措施"]
    assert table["等级"].tolist() == tier_of(fu["score"]).tolist()
    assert table["村（社区）"].tolist() == fu["village_name"].tolist()
    en = pm.readable_table(fu, "follow_up", lang="en", top=2).data
    assert list(en.columns)[:3] == ["Rank", "Village", "Tier"] and len(en) == 2


def test_readable_table_writes_unknown_as_not_recorded_never_zero():
    cov = pd.DataFrame({"village_name": ["甲村", "乙村"], "attendance_per_100": [12.34, None],
                        "missing_topics": [("宪法", "禁毒"), ()],
                        "has_site": pd.array([True, pd.NA], dtype="boolean")},
                       index=pd.Index(["V1", "V2"], name="village_id"))
    table = pm.readable_table(cov, "coverage", lang="zh").data
    assert table.to_dict("list") == {
        "村（社区）": ["甲村", "乙村"],
        "每百人参与人次": ["12.3", "未记录"],
        "未覆盖的必讲主题": ["宪法、禁毒", ""],
        "有村级阵地": ["是", ""],
    }
    with pytest.raises(ValueError, match="kind"):
        pm.readable_table(cov, "nothing")
    # not assessed (None): the headers, no row
    empty = pm.readable_table(None, "services", lang="en").data
    assert len(empty) == 0 and list(empty.columns)[:2] == ["Village", "Legal literates"]


def _tiny_context(lang="zh"):
    """Three villages by hand: 甲 two events (one town-wide event besides), 乙 one, 丙 none."""
    villages = pd.DataFrame({"village_id": ["A", "B", "C"],
                             "village_name": ["甲村", "乙村", "丙村"],
                             "population": [1000, 500, 800]})
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4"],
        "date": pd.to_datetime(["2025-02-01", "2025-11-01", "2025-03-01", "2025-06-01"]),
        "village_id": ["A", "A", "B", None], "topic": ["宪法", "民法典", "禁毒", "宪法"],
        "attendees": [50, 40, None, 100], "organizer": "司法所",
    })
    settings = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    ds = pm.io.Dataset(villages=villages, events=events)
    period = pm.resolve_period(settings, events=events)
    return pm.NotebookContext(dataset=ds, settings=settings, period=period, lang=lang)


def test_coverage_summary_states_the_figures():
    # by hand: 甲 and 乙 had events (2/3), 3 village events, 1 town-wide; 丙 none (> 365 days);
    # 乙's only event has no attendee figure
    s = pm.summary(_tiny_context(), "coverage")
    assert s.lines[0] == "2/3个村（社区）统计期内开展过普法活动，共3场；另有全镇活动1场。"
    assert s.lines[1] == "超过365天无活动的村：丙村"
    assert s.lines[-1].startswith("1个村有活动未记录参加人数")
    assert s._repr_markdown_().startswith("**覆盖情况小结**\n\n- 2/3个村")
    en = pm.summary(_tiny_context("en"), "coverage")
    assert en.lines[0].startswith("2 of 3 villages had an event in the period, 3 events in all")


def test_blind_spot_summary_counts_the_tiers_of_the_rules():
    ctx = _tiny_context()
    fu = ctx.analysis.follow_up
    lines = pm.summary(ctx, "blind_spots").lines
    assert lines[0] == f"跟进清单列出{len(fu)}/3个村（社区）。"
    tiers = tier_of(fu["score"])
    assert lines[1].startswith(f"紧急（得分≥8）：{int((tiers == '紧急').sum())}个村")
    assert "丙村" in lines[1]  # no event at all: urgent (by hand: 5 points × population factor)
    assert lines[2] == f"较高（得分≥4）：{int((tiers == '较高').sum())}个村"


def test_summary_needs_a_context_and_a_known_topic(ctx):
    with pytest.raises(TypeError, match="notebook_context"):
        pm.summary(object(), "coverage")
    with pytest.raises(ValueError, match="topic"):
        pm.summary(ctx, "weather")


def test_effect_table_reads_as_words():
    """readable_table(kind="effect"): designs, terms and laws in words, ratios to 2 decimals."""
    effect = pd.DataFrame({
        "design": ["topic_matched", "between"], "term": ["events", "log1p_events"],
        "topic": [None, "民法典"], "odds_ratio": [1.1349, 1.5], "ci_low": [1.006, 0.9],
        "ci_high": [1.28, 2.5], "p_value": [0.0004, 0.2], "n_answers": [2931, 742],
        "n_villages": [28, 28]})
    assert pm.readable_table(effect, "effect").data.to_dict("records") == [
        {"比较方式": "同村跨主题比较", "活动量": "每多一场", "法律": "全部法律", "几率比": "1.13",
         "95%CI下限": "1.01", "95%CI上限": "1.28", "p值": "<0.001", "回答数": "2,931",
         "村数": "28"},
        {"比较方式": "村间比较（易混杂）", "活动量": "log(1+场次)每增加1", "法律": "民法典",
         "几率比": "1.50", "95%CI下限": "0.90", "95%CI上限": "2.50", "p值": "0.200",
         "回答数": "742", "村数": "28"}]
    english = pm.readable_table(effect, "effect", lang="en").data
    assert english["Law"].tolist() == ["all laws", "Civil Code"]
