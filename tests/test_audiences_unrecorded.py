"""Audiences found in free text (schema.split_audiences, [audiences.aliases]) and a missing
audience / topic / attendee column read as "not assessed", never as "never targeted".

Every expected value is counted by hand from the tiny tables written here; the comments say how.
The toy town: four villages of 1,000 people each, a full 司法所 ledger (V1, V2) and a 综治办
ledger (V2, V3) that lacks one column; V4 has no event at all.
"""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics import schema
from pufa_metrics.config import Settings
from pufa_metrics.coverage import unrecognised_audiences, unrecorded_events, unrecorded_fields
from pufa_metrics.frequency import event_counts

# ---------------------------------------------------------------------------------------------
# split_audiences: groups found inside free text, like topics
# ---------------------------------------------------------------------------------------------

FREE_TEXT = [  # (cell as written, groups expected) — the word found is named in each comment
    ("外出务工返乡人员", ["外出务工人员"]),  # 外出务工 (alias); 返乡人员 (alias) the same group
    ("留守老人", ["老年人"]),  # 老人; 留守儿童 is not inside
    ("中小学生", ["青少年"]),  # an alias as the whole cell
    ("在校学生", ["青少年"]),  # 学生 inside
    ("妇女群众", ["妇女"]),  # 妇女; 群众 (everybody) dropped as the text names a group
    ("辖区群众", ["全体村民"]),  # 群众 alone: everybody
    # three parts after 、: 村民 (whole part) → 全体村民; 老人 and 返乡务工 inside the second
    ("村民、留守老人及返乡务工人员", ["全体村民", "老年人", "外出务工人员"]),
    ("老人/外来务工者/妇女儿童", ["老年人", "外出务工人员", "妇女"]),  # aliases, split on /
    ("农村留守儿童", ["留守儿童"]),  # 留守儿童 wins over 儿童 (leftmost-longest)
    ('村"两委"干部', ["村两委干部"]),  # quotes removed
    ("党员", ["党员"]),  # no group word: kept as written
    ("", []),
]


@pytest.mark.parametrize(("cell", "expected"), FREE_TEXT, ids=[c or "blank" for c, _ in FREE_TEXT])
def test_audiences_found_inside_free_text(cell, expected):
    assert schema.split_audiences(cell) == expected


def test_audience_aliases_are_validated_and_used():
    s = Settings.from_dict({"audiences": {"aliases": {"五老": "老年人", "新业态从业人员":
                                                      "外出务工人员"}}})
    assert s.audience_aliases == {"五老": "老年人", "新业态从业人员": "外出务工人员"}
    # an alias is found inside text too: 五老 inside 五老志愿者
    assert schema.split_audiences("五老志愿者、妇女", aliases=s.audience_aliases) == [
        "老年人", "妇女"]
    with pytest.raises(ValueError, match="is not a canonical audience"):
        Settings.from_dict({"audiences": {"aliases": {"五老": "老人"}}})  # 老人 is an alias
    with pytest.raises(ValueError, match="is itself a canonical audience"):
        Settings.from_dict({"audiences": {"aliases": {"妇女": "老年人"}}})
    with pytest.raises(ValueError, match=r"\[audiences\] aliases should be a table"):
        Settings.from_dict({"audiences": {"aliases": ["五老"]}})
    # the shipped pufa.toml has the section (commented examples only)
    assert Settings.load().audience_aliases == {}


# ---------------------------------------------------------------------------------------------
# The reader: free text in 参加对象, unknown texts warned once, aliases from pufa.toml
# ---------------------------------------------------------------------------------------------

REGISTER = pd.DataFrame({"village_id": ["V1", "V2", "V3", "V4"],
                         "village_name": ["大布村", "石龙村", "河口社区", "新圩村"]})


def _csv(path: Path, rows: list[list[object]]) -> Path:
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    path.write_text(text + "\n", encoding="utf-8-sig")
    return path


def test_reader_reads_audiences_in_free_text(tmp_path):
    path = _csv(tmp_path / "台账.csv", [
        ["日期", "村（社区）", "宣传内容", "参加对象"],
        ["2024-03-01", "大布村", "民法典", "村民、留守老人及返乡务工人员"],
        ["2024-03-02", "大布村", "禁毒", "五老"],
        ["2024-03-03", "石龙村", "禁毒", "五老"],  # the same unknown text: warned once
        ["2024-03-04", "石龙村", "禁毒", None],
    ])
    frame, _ = pm.read_ledger(path, table="events", villages=REGISTER, settings=Settings())
    assert frame["audience"].tolist()[:3] == ["全体村民、老年人、外出务工人员", "五老", "五老"]
    assert pd.isna(frame["audience"].iloc[3])
    res = pm.io.ledger.read_table(path, table="events", villages=REGISTER, settings=Settings(),
                                  today="2025-12-31")
    unknown = res.warnings[res.warnings["reason"].str.startswith("unknown audience")]
    assert unknown["value"].tolist() == ["五老"] and unknown["source_row"].tolist() == [3]
    with_alias = Settings.from_dict({"audiences": {"aliases": {"五老": "老年人"}}})
    frame, _ = pm.read_ledger(path, table="events", villages=REGISTER, settings=with_alias)
    assert frame["audience"].tolist()[1:3] == ["老年人", "老年人"]
    # what `pufa validate` lists: 五老 in 2 events (rows 3 and 4 of the file)
    assert unrecognised_audiences(frame.assign(audience=["五老", "五老", "党员、妇女", None])
                                  ).values.tolist() == [["五老", 2], ["党员", 1]]


def test_event_counts_by_audience_count_every_group():
    events = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-04-01"]),
                           "audience": ["老年人、妇女", "留守老人", "妇女"]})
    got = event_counts(events, by="audience", freq="QS")
    # Q1: 老年人 twice (row 1, and 留守老人 in row 2), 妇女 once (row 1); Q2: 妇女 once (row 3)
    assert got.astype({"audience": "str", "period": "str"}).values.tolist() == [
        ["老年人", "2024-01-01", 2], ["老年人", "2024-04-01", 0],
        ["妇女", "2024-01-01", 1], ["妇女", "2024-04-01", 1]]


# ---------------------------------------------------------------------------------------------
# Two ledgers, one lacking a column: not assessed, never "never targeted"
# ---------------------------------------------------------------------------------------------

PERIOD = {"period": {"start": "2024-01-01", "end": "2024-12-31", "as_of": "2024-12-31"}}
FULL = [  # 司法所: every column (V1 and V2); row 5 leaves 参加对象 blank
    ["日期", "村（社区）", "活动名称", "宣传内容", "参加对象", "参加人数"],
    ["2024-03-01", "大布村", "民法典讲座", "民法典", "留守老人", 30],
    ["2024-04-01", "大布村", "禁毒讲座", "禁毒", "外出务工返乡人员", 20],
    ["2024-05-01", "石龙村", "综合宣传", "宪法、民法典、反诈、禁毒",
     "老年人、中小学生、妇女群众、返乡务工人员", 150],
    ["2024-08-01", "大布村", "宪法宣传", "宪法", None, 10],
]
OTHER = [  # 综治办 (V2 and V3), each field present; one column is dropped per case
    {"日期": "2024-06-01", "村（社区）": "石龙村", "活动名称": "反诈宣传进村", "宣传内容": "反诈",
     "参加对象": "村民", "参加人数": 40},
    {"日期": "2024-07-01", "村（社区）": "河口社区", "活动名称": "禁毒宣传", "宣传内容": "禁毒",
     "参加对象": "在校学生", "参加人数": 25},
]
LACKS = {"audience": "参加对象", "attendees": "参加人数"}
REASON = {"audience": "missing_audiences", "topic": "missing_topics",
          "attendees": "low_attendance"}


def _town(folder: Path, lacking: str) -> tuple:
    """The toy town's folder read by load_dataset, 综治办.csv without the column ``lacking``;
    its coverage and follow-up list (every village) for 2024."""
    _csv(folder / "村居基本信息.csv", [["村编码", "村（社区）", "常住人口"]]
         + [[v, n, 1000] for v, n in zip(REGISTER["village_id"], REGISTER["village_name"],
                                         strict=True)])
    _csv(folder / "普法活动台账_司法所.csv", FULL)
    other = pd.DataFrame(OTHER).drop(columns=lacking)
    _csv(folder / "普法活动台账_综治办.csv",
         [list(other.columns)] + other.astype(object).values.tolist())
    s = Settings.from_dict(PERIOD)
    ds = pm.load_dataset(folder, settings=s)
    cov = pm.village_coverage(ds.events, ds.villages, start="2024-01-01", end="2024-12-31",
                              event_topics=ds.event_topics, required_topics=s.required_topics)
    fu = pm.find_blind_spots(cov, events=ds.events, event_topics=ds.event_topics, settings=s,
                             include_all=True)
    return ds, cov, fu


@pytest.fixture(params=list(LACKS), ids=[f"no-{f}" for f in LACKS])
def town(request, tmp_path):
    return (request.param, *_town(tmp_path, LACKS[request.param]))


def test_the_ledger_without_the_column_is_named_with_its_events(town):
    field, ds, _, _ = town
    assert len(ds.events) == 6  # 4 rows of 司法所 + 2 of 综治办, none rejected
    got = unrecorded_fields(ds.events, ledger_columns=ds.columns)
    # one row: 综治办 lacks the column; its 2 events are in 2 villages (石龙村, 河口社区)
    assert got[["source_file", "field", "n_events", "n_villages", "not_assessed"]
               ].values.tolist() == [["普法活动台账_综治办.csv", field, 2, 2, REASON[field]]]
    assert got["message"].iloc[0].startswith(f"普法活动台账_综治办.csv：无{LACKS[field]}列，2场")
    # from the events alone a missing column cannot be told from one left blank
    assert unrecorded_fields(ds.events)["why"].iloc[0].startswith(f"未记录{LACKS[field]}")
    # per event: the 2 events of 综治办 (rows 5 and 6 of ds.events), never the blank 参加对象 cell
    # of the 司法所 ledger (a ledger that records audiences: that event named no group)
    flags = unrecorded_events(ds.events)[field]
    assert flags.tolist() == [False] * 4 + [True] * 2


def test_village_only_in_that_ledger_is_not_assessed_for_that_reason(town):
    field, _, cov, fu = town
    reason = REASON[field]
    # V3's only event is the 综治办 one: that reason is not assessed, not listed
    assert reason not in fu.loc["V3", "reasons"]
    assert fu.loc["V3", "not_assessed"] == (reason,)
    # ... and the other two reasons are judged on what 综治办 did record (2024-07-01, 禁毒,
    # 在校学生 → 青少年, 25 people for 1,000 → 2.5 per 100 < 10)
    assert fu.loc["V3", "missing_topics"] == ("宪法", "民法典", "反电信网络诈骗")
    if field == "audience":
        assert fu.loc["V3", "missing_audiences"] is None
        assert fu.loc["V3", "attendance_per_100"] == 2.5
        assert fu.loc["V3", "reasons"] == ("low_attendance", "missing_topics")
        assert fu.loc["V3", "not_assessed_zh"] == (
            "有活动未记录参加对象，老年人、青少年、妇女、外出务工人员是否作为宣传对象未评估")
    else:
        assert fu.loc["V3", "missing_audiences"] == ("老年人", "妇女", "外出务工人员")
        assert cov.loc["V3", "attendance_unrecorded"] == 1
        assert pd.isna(fu.loc["V3", "attendance_per_100"])
        assert fu.loc["V3", "reasons"] == ("missing_topics", "missing_audiences")
        assert fu.loc["V3", "not_assessed_zh"] == "有活动未记录参加人数，参与人次未评估"


def test_recorded_events_that_already_reach_everything_are_assessed(town):
    field, _, cov, fu = town
    # V2: the 司法所 event covers all 4 topics and all 4 groups, and 150 people for 1,000 (15
    # per 100 ≥ 10) — whatever 综治办 lacks, V2 is judged and has no reason
    assert fu.loc["V2", "reasons"] == ()
    assert fu.loc["V2", "not_assessed"] == ()
    assert fu.loc["V2", "missing_topics"] == () and fu.loc["V2", "missing_audiences"] == ()
    # attendance 150 (+ 40 when 综治办 records it) per 1,000
    assert fu.loc["V2", "attendance_per_100"] == (15.0 if field == "attendees" else 19.0)
    assert cov.loc["V2", "attendance_unrecorded"] == (1 if field == "attendees" else 0)


def test_villages_of_the_full_ledger_and_without_events_are_judged_as_before(town):
    _, _, _, fu = town
    # V1 (司法所 only): 民法典, 禁毒, 宪法 → 反诈 missing; 留守老人 → 老年人, 外出务工返乡人员 →
    # 外出务工人员, the blank cell names no group → 青少年 and 妇女 never targeted;
    # 30 + 20 + 10 = 60 people for 1,000 → 6.0 per 100 < 10
    assert fu.loc["V1", "missing_topics"] == ("反电信网络诈骗",)
    assert fu.loc["V1", "missing_audiences"] == ("青少年", "妇女")
    assert fu.loc["V1", "attendance_per_100"] == 6.0
    assert fu.loc["V1", "reasons"] == ("low_attendance", "missing_topics", "missing_audiences")
    assert fu.loc["V1", "not_assessed"] == ()
    # V4 has no event in any ledger: nothing unrecorded, every group never targeted
    assert fu.loc["V4", "reasons"][0] == "no_events"
    assert fu.loc["V4", "missing_audiences"] == ("老年人", "青少年", "妇女", "外出务工人员")
    assert fu.loc["V4", "not_assessed"] == ()


def test_score_counts_no_points_for_what_was_not_assessed(town):
    field, _, _, fu = town
    # V3 points: low_attendance 1.5, missing_topics 3 × 1, missing_audiences 3 × 0.5 (4 × 0.5
    # when 青少年 is not recorded either), without the lacking reason; 1,000 people → factor 1
    expected = {"audience": 1.5 + 3.0, "attendees": 3.0 + 1.5}[field]
    assert fu.loc["V3", "score"] == pytest.approx(expected)


def test_follow_up_workbook_states_what_was_not_assessed(town, tmp_path):
    field, _, _, fu = town
    path = pm.export_follow_up(fu, tmp_path / "跟进清单.xlsx", settings=Settings.from_dict(PERIOD))
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in ws[1]]
    column = header.index("未评估") + 1
    names = {ws.cell(r, header.index("村（社区）") + 1).value: ws.cell(r, column).value
             for r in range(2, ws.max_row + 1)}
    assert names["河口社区"].startswith(f"有活动未记录{LACKS[field]}")
    assert names["大布村"] is None


def test_topics_found_in_titles_are_recorded_topics(tmp_path):
    # 综治办 without 宣传内容: the reader takes each event's topics from 活动名称 (反诈宣传进村 →
    # 反电信网络诈骗, 禁毒宣传 → 禁毒) and keeps only events whose title names one, so its events
    # record topics and V3's gaps are judged: 宪法, 民法典, 反诈 never covered
    ds, cov, fu = _town(tmp_path, "宣传内容")
    assert ds.events["topic"].tolist()[4:] == ["反电信网络诈骗", "禁毒"]
    assert ds.warnings["reason"].str.startswith("topic taken from the title").any()
    assert unrecorded_fields(ds.events, ledger_columns=ds.columns).empty
    assert cov.loc["V3", "missing_topics"] == ("宪法", "民法典", "反电信网络诈骗")
    assert "missing_topics" in fu.loc["V3", "reasons"] and fu.loc["V3", "not_assessed"] == ()


def test_a_ledger_recording_no_topic_leaves_topics_not_assessed():
    # two ledgers as frames: b.xlsx's events name no topic (the reader never gives such events,
    # it rejects them; a researcher's own frame may). A: 宪法 recorded; B: b only; C: both,
    # with 宪法 and 禁毒 recorded in a.xlsx
    villages = pd.DataFrame({"village_id": ["A", "B", "C"], "village_name": ["甲", "乙", "丙"],
                             "population": [1000, 1000, 1000]})
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4", "e5"],
        "date": pd.to_datetime(["2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01",
                                "2024-07-01"]),
        "village_id": ["A", "B", "C", "C", "C"],
        "topic": ["宪法", None, "宪法", "禁毒", None],
        "audience": "老年人", "attendees": pd.array([100, 100, 50, 50, 50], dtype="Int64"),
        "source_file": ["a.xlsx", "b.xlsx", "a.xlsx", "a.xlsx", "b.xlsx"]})
    s = Settings.from_dict(PERIOD | {"topics": {"required": ["宪法", "禁毒"]},
                                     "audiences": {"required": ["老年人"]}})
    cov = pm.village_coverage(events, villages, start="2024-01-01", end="2024-12-31",
                              required_topics=s.required_topics)
    # A: 禁毒 never (a.xlsx records topics); B: only b.xlsx → not assessed; C: a.xlsx already
    # covers both required topics → () although e5 is unrecorded
    assert cov["missing_topics"].tolist() == [("禁毒",), None, ()]
    fu = pm.find_blind_spots(cov, events=events, settings=s, include_all=True)
    assert fu.loc["B", "not_assessed"] == ("missing_topics",)
    assert fu.loc["B", "not_assessed_zh"] == "有活动未记录宣传内容，宪法、禁毒是否讲过未评估"
    assert fu.loc["A", "reasons"] == ("missing_topics",) and fu.loc["C", "reasons"] == ()


def test_hand_made_events_without_ledgers_keep_their_meaning():
    # no source_file: the frame is one ledger; it records audiences (row 1), so row 2's NaN is
    # a blank cell and village B is never targeted, as before
    events = pd.DataFrame({"village_id": ["A", "B"],
                           "date": pd.to_datetime(["2024-03-01", "2024-04-01"]),
                           "audience": ["留守老人", None]})
    assert not unrecorded_events(events, fields=["audience"])["audience"].any()
    # a frame that names no audience at all did not record them
    assert unrecorded_events(events.assign(audience=None), fields=["audience"])["audience"].all()
    with pytest.raises(ValueError, match="`fields` should be among"):
        unrecorded_events(events, fields=["form"])


def test_the_list_says_how_many_villages_were_not_assessed(town):
    field, _, _, fu = town
    # only V3 is left unassessed (V2's recorded events already reach everything): 1 village
    zh = {"audience": "1个村有活动未记录参加对象（台账无此列或整列为空），其重点人群覆盖未评估",
          "attendees": "1个村有活动未记录参加人数，其参与人次未评估"}[field]
    assert [z for z, _ in fu.attrs["not_assessed"]] == [zh]
    assert "not_assessed" not in pm.find_blind_spots(
        fu.drop(columns=["not_assessed"]).assign(missing_topics=[()] * len(fu)),
        settings=Settings.from_dict(PERIOD)).attrs  # no events given: nothing unassessed
