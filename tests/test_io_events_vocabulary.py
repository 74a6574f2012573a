"""Events ledgers as worded in real offices: header variants, the topic column chosen by content,
级别, pufa.toml [columns] and [topics] aliases, "did you mean" for a missing column, and topics
found inside free text — checked on tiny CSV ledgers written here and on every events ledger of
the real-shapes corpus (tests/data/real_shapes, truth in truth.toml)."""

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pufa_metrics import cli, schema
from pufa_metrics.config import Settings
from pufa_metrics.io import LedgerError
from pufa_metrics.io.cells import topics_in_titles
from pufa_metrics.io.ledger import columns_hints, read_table

TODAY = "2025-12-31"
CORPUS = Path(__file__).resolve().parent / "data" / "real_shapes"
TRUTH = tomllib.loads((CORPUS / "truth.toml").read_text(encoding="utf-8"))
EVENT_FILES = sorted(name for name, f in TRUTH["files"].items() if f["kind"] == "events")
REGISTER = pd.DataFrame({"village_id": ["V1", "V2", "V3"],
                         "village_name": ["大布村", "石龙村", "河口社区"]})


def _ledger(tmp_path: Path, rows: list[list[object]], name: str = "台账.csv") -> Path:
    path = tmp_path / name
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    path.write_text(text + "\n", encoding="utf-8-sig")
    return path


def _read(path: Path, *, settings: Settings | None = None, villages=REGISTER):
    return read_table(path, table="events", villages=villages, today=TODAY,
                      settings=settings if settings is not None else Settings())


def _topics_by_row(res) -> dict[int, list[str]]:
    """Excel/CSV row → the event's topics (every one, in order), from event_topics."""
    rows = res.frame.set_index("event_id")["source_row"].astype(int)
    out: dict[int, list[str]] = {}
    for event_id, topic in zip(res.event_topics["event_id"], res.event_topics["topic"],
                               strict=True):
        out.setdefault(int(rows[event_id]), []).append(topic)
    return out


# ---------------------------------------------------------------------------------------------
# Header variants: each one, in a three-row ledger, lands in its canonical column
# ---------------------------------------------------------------------------------------------

BASE = ["日期", "村（社区）", "宣传内容", "参加人数"]
ROW = ["2024-03-01", "大布村", "民法典", "30"]

VARIANTS = [  # (header as written, canonical column, cell written, value expected)
    ("活动内容", "topic", "民法典进乡村宣讲", "民法典"),
    ("主要内容", "topic", "禁毒知识讲座", "禁毒"),
    ("宣讲内容", "topic", "宪法宣传周活动", "宪法"),
    ("内容", "topic", "反诈宣传进社区", "反电信网络诈骗"),
    ("活动地点", "village_name", "石龙村", "石龙村"),
    ("地点", "village_name", "河口社区", "河口社区"),
    ("人数", "attendees", "约45人", 45),
    ("参加人数", "attendees", "45", 45),
    ("参与人数", "attendees", "300余人", 300),
    ("受众人数", "attendees", "45", 45),
]

EXTRA_VARIANTS = [  # a fifth column next to BASE
    ("活动主题", "title", "平安乡村行"),
    ("宣传主题", "title", "平安乡村行"),
    ("活动名称", "title", "平安乡村行"),
    ("标题", "title", "平安乡村行"),
    ("开展情况", "notes", "邀请民警授课"),
    ("参与对象", "audience", "老年人"),
    ("受众", "audience", "老年人"),
    ("宣传对象", "audience", "老年人"),
    ("主办单位", "organizer", "镇司法所"),
    ("组织单位", "organizer", "镇司法所"),
    ("承办单位", "organizer", "镇司法所"),
    ("负责单位", "organizer", "镇司法所"),
]


@pytest.mark.parametrize(("header", "column", "cell", "expected"), VARIANTS,
                         ids=[v[0] for v in VARIANTS])
def test_header_variant_replacing_a_base_column_loads(tmp_path, header, column, cell, expected):
    at = {"topic": 2, "village_name": 1, "attendees": 3}[column]
    head, row = list(BASE), list(ROW)
    head[at], row[at] = header, cell
    res = _read(_ledger(tmp_path, [head, row]))
    assert len(res.frame) == 1 and res.rejected.empty
    assert res.frame[column].iloc[0] == expected


@pytest.mark.parametrize(("header", "column", "cell"), EXTRA_VARIANTS,
                         ids=[v[0] for v in EXTRA_VARIANTS])
def test_header_variant_in_an_extra_column_loads(tmp_path, header, column, cell):
    res = _read(_ledger(tmp_path, [[*BASE, header], [*ROW, cell]]))
    assert len(res.frame) == 1 and res.rejected.empty
    assert res.frame[column].iloc[0] == cell
    assert res.frame["topic"].iloc[0] == "民法典"  # the title never displaces 宣传内容 here


def test_title_only_ledger_takes_topics_from_the_title(tmp_path):
    # 宣传主题 alone is the title (file 14 of the corpus); its topics are the events' topics
    path = _ledger(tmp_path, [["日期", "村（社区）", "宣传主题", "受众人数"],
                              ["2024-03-01", "大布村", "防范电信网络诈骗专题讲座", 65],
                              ["2024-03-02", "石龙村", "扫黑除恶暨反诈宣传", 40]])
    res = _read(path)
    assert res.frame["title"].tolist() == ["防范电信网络诈骗专题讲座", "扫黑除恶暨反诈宣传"]
    assert _topics_by_row(res) == {2: ["反电信网络诈骗"], 3: ["扫黑除恶", "反电信网络诈骗"]}
    assert res.warnings["reason"].str.contains("topic taken from the title").any()


# ---------------------------------------------------------------------------------------------
# One header, two meanings: the column naming known topics most often is the topic
# ---------------------------------------------------------------------------------------------

def _choice(res) -> str:
    hit = res.warnings[res.warnings["reason"].str.startswith("topic column chosen by content")]
    assert len(hit) == 1
    return hit["reason"].iloc[0]


def test_activity_theme_holding_topics_beats_a_descriptive_content_column(tmp_path):
    # 活动主题 (a title header) names a topic in 3 of 3 rows, 主要内容 (a topic header) in 0
    path = _ledger(tmp_path, [
        ["日期", "村（社区）", "活动主题", "主要内容", "参加人数"],
        ["2024-03-01", "大布村", "民法典", "邀请律师授课", 30],
        ["2024-03-02", "石龙村", "禁毒", "发放资料200份", 40],
        ["2024-03-03", "河口社区", "宪法", "设咨询台", 50],
    ])
    res = _read(path)
    assert res.frame["topic"].tolist() == ["民法典", "禁毒", "宪法"]
    assert res.frame["title"].tolist() == ["邀请律师授课", "发放资料200份", "设咨询台"]
    reason = _choice(res)
    assert "活动主题 3/3" in reason and "主要内容 0/3" in reason
    assert "主要内容 read as the title" in reason


def test_name_and_theme_both_present_the_theme_naming_topics_is_the_topic(tmp_path):
    path = _ledger(tmp_path, [
        ["日期", "村（社区）", "活动名称", "活动主题", "参加人数"],
        ["2024-03-01", "大布村", "春风行动", "民法典、婚姻家庭", 30],
        ["2024-03-02", "石龙村", "平安乡村行", "反诈", 40],
    ])
    res = _read(path)
    assert _topics_by_row(res) == {2: ["民法典", "婚姻家庭"], 3: ["反电信网络诈骗"]}
    assert res.frame["title"].tolist() == ["春风行动", "平安乡村行"]
    assert "活动主题 2/2" in _choice(res) and "活动名称 0/2" in _choice(res)


def test_two_content_columns_the_one_naming_topics_is_the_topic(tmp_path):
    path = _ledger(tmp_path, [
        ["日期", "村（社区）", "内容", "主要内容", "参加人数"],
        ["2024-03-01", "大布村", "入户走访发放资料", "反诈", 30],
        ["2024-03-02", "石龙村", "集中宣讲", "禁毒", 40],
    ])
    res = _read(path)
    assert res.frame["topic"].tolist() == ["反电信网络诈骗", "禁毒"]
    assert res.frame["title"].tolist() == ["入户走访发放资料", "集中宣讲"]
    assert "主要内容 2/2" in _choice(res)


def test_unambiguous_headers_need_no_choice(tmp_path):
    path = _ledger(tmp_path, [["日期", "村（社区）", "活动名称", "宣传内容", "参加人数"],
                              ["2024-03-01", "大布村", "民法典宣传月", "禁毒", 30]])
    res = _read(path)
    assert not res.warnings["reason"].str.startswith("topic column chosen").any()
    assert res.frame["topic"].tolist() == ["禁毒"]  # the cell's topic, not the title's


# ---------------------------------------------------------------------------------------------
# 级别 (镇级/村级)
# ---------------------------------------------------------------------------------------------

def test_town_level_row_at_a_place_that_is_no_village_is_town_wide(tmp_path):
    path = _ledger(tmp_path, [
        ["日期", "级别", "活动地点", "宣传内容", "参加人数"],
        ["2024-03-01", "镇级", "东风农场", "宪法", 300],     # town-wide: loads, no village
        ["2024-03-02", "镇级", "大布村", "民法典", 80],      # held in a village: that village
        ["2024-03-03", "村级", "东坑村", "禁毒", 40],        # a village not in the register
        ["2024-03-04", "镇级", "", "反诈", 90],              # blank place: town-wide
        ["2024-03-05", "", "东风农场", "反诈", 90],          # no level: the place decides
    ])
    res = _read(path)
    assert res.frame["source_row"].tolist() == [2, 3, 5]
    assert res.frame["village_id"].isna().tolist() == [True, False, True]
    assert res.frame["village_id"].iloc[1] == "V1"
    assert res.rejected["source_row"].tolist() == [4, 6]
    assert res.rejected["reason"].str.startswith("unknown village").all()
    town = res.warnings[res.warnings["reason"].str.startswith("town-level event")]
    assert town["source_row"].tolist() == [2] and town["value"].tolist() == ["东风农场"]
    assert res.stats["loaded"] + res.stats["rejected"] + res.stats["non_data"] == \
        res.stats["data_rows"]
    assert "level" not in res.frame.columns  # read (for town-wide rows), not stored


def test_without_a_level_column_the_village_cell_decides(tmp_path):
    path = _ledger(tmp_path, [["日期", "活动地点", "宣传内容", "参加人数"],
                              ["2024-03-01", "镇区", "宪法", 300],
                              ["2024-03-02", "镇级", "民法典", 80]])
    res = _read(path)
    assert len(res.frame) == 2 and res.frame["village_id"].isna().all()


# ---------------------------------------------------------------------------------------------
# pufa.toml [columns] and [topics] aliases
# ---------------------------------------------------------------------------------------------

def test_columns_setting_maps_an_unknown_header(tmp_path):
    path = _ledger(tmp_path, [["举办日", "村（社区）", "宣讲篇目", "参加人数"],
                              ["2024-03-01", "大布村", "民法典进乡村", 30]])
    with pytest.raises(LedgerError):
        _read(path)
    settings = Settings.from_dict({"columns": {"topic": ["宣讲篇目"], "date": "举办日"}})
    res = _read(path, settings=settings)
    assert res.frame["topic"].tolist() == ["民法典"]
    assert res.frame["date"].tolist() == [pd.Timestamp("2024-03-01")]


def test_columns_setting_per_table(tmp_path):
    path = tmp_path / "村居名单.csv"
    path.write_text("村编码,村（社区）,在村人口（2023年）\nV1,大布村,1800\n", encoding="utf-8")
    settings = Settings.from_dict({"columns": {"villages": {"population": ["在村人口"]}}})
    res = read_table(path, table="villages", settings=settings, today=TODAY)
    assert res.frame["population"].tolist() == [1800]
    with pytest.raises(LedgerError, match="population"):
        read_table(path, table="villages", settings=Settings(), today=TODAY)


def test_a_header_named_in_columns_is_never_redecided_by_content(tmp_path):
    path = _ledger(tmp_path, [["日期", "村（社区）", "活动主题", "主要内容", "参加人数"],
                              ["2024-03-01", "大布村", "民法典", "邀请律师授课", 30]])
    settings = Settings.from_dict({"columns": {"title": ["活动主题"]}})
    res = _read(path, settings=settings)
    assert not res.warnings["reason"].str.startswith("topic column chosen").any()
    assert res.frame["title"].tolist() == ["民法典"]
    # 主要内容 names no topic, so the title's topic is the event's
    assert _topics_by_row(res) == {2: ["民法典"]}


def test_topic_aliases_setting(tmp_path):
    path = _ledger(tmp_path, [["日期", "村（社区）", "活动内容", "参加人数"],
                              ["2024-07-10", "大布村", "文明新风宣传", 40],
                              ["2024-07-11", "石龙村", "打击传销、禁毒", 40]])
    assert _topics_by_row(_read(path)) == {2: ["文明新风宣传"], 3: ["打击传销", "禁毒"]}
    settings = Settings.from_dict({"topics": {"aliases": {"文明新风": "其他",
                                                          "打击传销": "防范非法集资"}}})
    assert _topics_by_row(_read(path, settings=settings)) == {2: ["其他"],
                                                              3: ["防范非法集资", "禁毒"]}
    aliases = settings.topic_aliases
    assert schema.split_topics("文明新风宣传", aliases=aliases) == ["其他"]


@pytest.mark.parametrize(("data", "match"), [
    ({"columns": {"topik": ["x"]}}, "topik is not a column of table 'events'"),
    ({"columns": {"villages": {"topic": ["x"]}}}, r"\[columns.villages\] topic is not a column"),
    ({"columns": {"responses": {"gender": ["x"]}}}, "not a ledger table"),
    ({"columns": {"topic": 3}}, "should be a header or a list of headers"),
    ({"columns": {"topic": ["a"], "title": ["a"]}}, "given for both topic and title"),
    ({"topics": {"aliases": {"文明新风": "文明"}}}, "is not a canonical topic"),
    ({"topics": {"aliases": {"宪法": "民法典"}}}, "is itself a canonical topic"),
])
def test_bad_settings_name_the_key(data, match):
    with pytest.raises(ValueError, match=match):
        Settings.from_dict(data)


def test_project_pufa_toml_documents_and_loads_the_new_settings():
    text = (Path(__file__).resolve().parents[1] / "pufa.toml").read_text(encoding="utf-8")
    assert "[columns]" in text and "[topics.aliases]" in text
    settings = Settings.load()
    assert settings.topic_aliases == {} and settings.columns == {}


# ---------------------------------------------------------------------------------------------
# A required column missing: "did you mean …" with the pufa.toml line
# ---------------------------------------------------------------------------------------------

def test_missing_date_suggests_the_column_whose_cells_are_dates(tmp_path):
    path = _ledger(tmp_path, [["举办日", "村（社区）", "宣传内容", "参加人数"],
                              ["2024-03-01", "大布村", "民法典", 30],
                              ["2024年3月5日", "石龙村", "禁毒", 20]])
    with pytest.raises(LedgerError) as err:
        _read(path)
    message = str(err.value)
    assert "did you mean: '举办日' (2 of 2 cells are dates 为日期)" in message
    assert '[columns] date = ["举办日"]' in message
    assert "是否为：“举办日”" in message
    assert columns_hints([message]) == '[columns]\ndate = ["举办日"]'


def test_missing_topic_suggests_the_closest_header(tmp_path):
    # 宣讲篇目 is close to 宣讲内容 (difflib 0.5) and its cells name known topics
    path = _ledger(tmp_path, [["日期", "村（社区）", "宣讲篇目", "备用列", "参加人数"],
                              ["2024-03-01", "大布村", "民法典进乡村", "x", 30]])
    with pytest.raises(LedgerError, match=r"did you mean: '宣讲篇目' \(1 of 1 cells name known "
                                          r"topics 含已知宣传内容; header close to 宣讲内容"):
        _read(path)


def test_no_column_close_to_a_topic_loads_the_events_without_topics(tmp_path):
    # nothing may be the topic (照片 is neither close to a topic header nor names topics): the
    # ledger records no topic, so its events load and topics are "not assessed" (issue #15)
    path = _ledger(tmp_path, [["日期", "村（社区）", "照片", "参加人数"],
                              ["2024-03-01", "大布村", "有", 30]])
    result = _read(path)
    assert len(result.frame) == 1 and result.frame["topic"].isna().all()
    assert result.rejected.empty
    assert result.warnings["reason"].str.contains("无宣传内容列").any()


def test_validate_prints_the_toml_lines_and_the_unrecognised_topics(tmp_path, capsys):
    folder = tmp_path / "raw"
    folder.mkdir()
    _ledger(folder, [["举办日", "村（社区）", "宣传内容", "参加人数"],
                     ["2024-03-01", "大布村", "民法典", 30]], name="甲镇活动台账.csv")
    _ledger(folder, [["日期", "村（社区）", "活动内容", "参加人数"],
                     ["2024-07-10", "大布村", "文明新风宣传", 40],
                     ["2024-07-11", "大布村", "文明新风宣传", 40],
                     ["2024-07-12", "大布村", "移风易俗、禁毒", 40],
                     ["2024-07-13", "大布村", "民法典进乡村", 40]], name="乙镇活动台账.csv")
    config = tmp_path / "pufa.toml"
    config.write_text("", encoding="utf-8")
    code = cli.main(["--config", str(config), "validate", str(folder)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_BAD_INPUT  # one file could not be read
    assert "add to pufa.toml:\n    [columns]\n    date = [\"举办日\"]" in out
    assert "topics not recognised: 3 rows" in out
    table = out.split("topics not recognised")[1]
    assert "文明新风宣传        2" in table and "移风易俗        1" in table


# ---------------------------------------------------------------------------------------------
# Topics inside free text
# ---------------------------------------------------------------------------------------------

FREE_TEXT = [
    ("民法典进乡村宣讲", ["民法典"]),
    ("反诈宣传进社区", ["反电信网络诈骗"]),
    ("禁毒知识讲座", ["禁毒"]),
    ("宪法宣传周活动", ["宪法"]),
    ("扫黑除恶暨反诈宣传", ["扫黑除恶", "反电信网络诈骗"]),
    ("防范电信网络诈骗", ["反电信网络诈骗"]),
    ("反电信网络诈骗法宣传", ["反电信网络诈骗"]),      # one topic, not three overlapping words
    ("12·4国家宪法日集中宣传", ["宪法"]),
    ("《未成年人保护法》进校园", ["未成年人保护"]),
    ("民法典婚姻家庭编", ["民法典", "婚姻家庭"]),
    ("平安建设、消防安全", ["社会治安", "消防"]),
    ("未成年人保护 家庭教育", ["未成年人保护", "家庭教育"]),  # a space: two words in the text
    ("劳动合同、根治欠薪", ["劳动与欠薪"]),
    ("道路交通安全", ["道路交通"]),
    # tricky: a word inside a longer word of another topic, or a generic word
    ("国家网络安全宣传周", ["网络安全"]),              # not 国家安全 (国家…安全 is not contiguous)
    ("防范养老诈骗宣传", ["老年人权益"]),              # not 反电信网络诈骗
    ("全民国家安全教育日宣传", ["国家安全"]),
    ("继承优良家风", ["继承优良家风"]),                # 继承 only as a whole part
    ("民法典,婚姻家庭,继承", ["民法典", "婚姻家庭", "继承"]),
    ("遗产继承纠纷调解", ["继承"]),
    ("关爱未成年人成长", ["关爱未成年人成长"]),        # 未成年人 (an audience) only as a whole part
    ("助力乡村振兴", ["助力乡村振兴"]),                # a slogan, not the 乡村振兴促进法
    ("乡村振兴促进法宣讲", ["乡村振兴"]),
    ("文明新风宣传", ["文明新风宣传"]),                # no known topic: kept as written
    ("民法典、文明新风", ["民法典", "文明新风"]),
]


@pytest.mark.parametrize(("cell", "expected"), FREE_TEXT, ids=[c for c, _ in FREE_TEXT])
def test_topics_found_inside_free_text(cell, expected):
    assert schema.split_topics(cell) == expected


def test_in_text_words_are_listed_and_exclude_the_whole_cell_only_ones():
    vocab = schema.topic_vocabulary()
    assert not set(vocab.in_text) & schema.TOPIC_WHOLE_CELL_ONLY
    assert {"继承", "未成年人", "乡村振兴", "其他"} <= set(vocab.exact)
    assert set(vocab.in_text) == set(vocab.exact) - schema.TOPIC_WHOLE_CELL_ONLY


def test_title_fallback_only_when_the_cell_names_no_known_topic():
    assert schema.split_topics("文明新风宣传", title="民法典进乡村") == ["民法典"]
    assert schema.split_topics("禁毒", title="民法典进乡村") == ["禁毒"]
    assert schema.split_topics(None, title="反诈宣传") == ["反电信网络诈骗"]
    assert schema.split_topics(None, title="春风行动") == []
    assert topics_in_titles(pd.Series(["春风行动", "宪法宣传周"], index=[7, 9])
                            ).values.tolist() == [[9, "宪法"]]


def test_reader_reads_each_distinct_cell_once(tmp_path, monkeypatch):
    rows = [["日期", "村（社区）", "宣传内容", "参加人数"]]
    rows += [["2024-03-01", "大布村", "民法典进乡村" if i % 2 else "反诈", 1] for i in range(300)]
    seen: list[object] = []
    original = schema.TopicVocabulary.split

    def counting(self, value):
        seen.append(value)
        return original(self, value)

    monkeypatch.setattr(schema.TopicVocabulary, "split", counting)
    res = _read(_ledger(tmp_path, rows))
    assert len(res.frame) == 300 and sorted(seen) == ["反诈", "民法典进乡村"]


# ---------------------------------------------------------------------------------------------
# The corpus: every events ledger, row by row against truth.toml
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_register() -> pd.DataFrame:
    res = read_table(CORPUS / TRUTH["corpus"]["register"], table="villages",
                     settings=Settings(), today=TODAY)
    assert len(res.frame) == len(TRUTH["corpus"]["units"])
    return res.frame


def _truth_topics(name: str) -> dict[tuple[str | None, int], tuple[list[str], str | None]]:
    return {(ev.get("sheet"), ev["row"]): (ev["topics"], ev.get("unmatched_topic"))
            for ev in TRUTH["files"][name]["events"]}


@pytest.mark.parametrize("name", EVENT_FILES)
def test_corpus_topics_per_row_agree_with_truth(name, corpus_register):
    """Each loaded row's topics are the truth's (a row naming no known topic keeps its text).

    Rows the reader does not load yet for reasons outside topics (town-wide places such as
    镇文化站 or 各村（社区）) are left out; every row that loads must be a truth row.
    """
    res = _read(CORPUS / name, villages=corpus_register)
    truth = _truth_topics(name)
    multi = "sheets" in TRUTH["files"][name]
    got: dict[tuple[str | None, int], list[str]] = {}
    sheet_of = {}
    for event_id, row in zip(res.frame["event_id"], res.frame["source_row"], strict=True):
        sheet_of[event_id] = (event_id.split(":")[1] if multi else None, int(row))
    for event_id, topic in zip(res.event_topics["event_id"], res.event_topics["topic"],
                               strict=True):
        got.setdefault(sheet_of[event_id], []).append(topic)
    assert len(got) == len(res.frame) > 0
    assert set(got) <= set(truth)
    for key, topics in got.items():
        want, unmatched = truth[key]
        assert topics == (want if want else [unmatched]), (name, key)
    # the first topic is events.topic (what coverage.py uses without event_topics)
    first = {sheet_of[e]: t for e, t in zip(res.frame["event_id"], res.frame["topic"],
                                            strict=True)}
    assert all(first[k] == v[0] for k, v in got.items())


@pytest.mark.parametrize("name", EVENT_FILES)
def test_split_topics_gives_the_readers_topics(name):
    """schema.split_topics(cell, title=…) of each row equals the reader's topics of the row."""
    res = read_table(CORPUS / name, table="events", settings=Settings(), today=TODAY)
    by_id = res.event_topics.groupby("event_id", sort=False)["topic"].agg(list)
    frame = res.frame.set_index("event_id")
    if name.endswith(".csv"):
        sheets = {None: pd.read_csv(CORPUS / name, header=None, dtype=str, encoding="gbk")}
    else:  # the cells as written, read without pufa_metrics
        sheets = pd.read_excel(CORPUS / name, sheet_name=None, header=None, dtype=str,
                               engine="calamine")
    multi = len(sheets) > 1
    columns = TRUTH["files"][name]["columns"]
    for event_id, topics in by_id.items():
        sheet = event_id.split(":")[1] if multi else next(iter(sheets))
        grid = sheets[sheet]
        row = int(frame.at[event_id, "source_row"]) - 1
        header_row = (TRUTH["files"][name]["header_rows"][sheet] if multi
                      else TRUTH["files"][name]["header_rows"])[0] - 1
        heads = grid.iloc[header_row].tolist()
        cell = grid.iat[row, heads.index(columns["topic"])] if "topic" in columns else None
        title = grid.iat[row, heads.index(columns["title"])] if "title" in columns else None
        assert schema.split_topics(cell, title=title) == topics, (name, event_id)
