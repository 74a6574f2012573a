"""A real town's first `pufa validate`: sheets named, every warning kept, the period and the town.

Each test writes a tiny folder whose figures can be counted by hand (the comments say how).
"""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pufa_metrics import (
    Settings,
    analyse,
    cli,
    find_blind_spots,
    resolve_period,
    town_name,
    village_coverage,
)
from pufa_metrics.io import load_dataset
from pufa_metrics.validation import (
    PRINT_ROWS,
    grouped_problems,
    validation_report,
    write_data_quality,
)
from pufa_metrics.workflow import find_town_name

# 3 villages, no code column, no 所属镇 column: the town's name is only in the ledger's title
REGISTER = "村（社区）,常住人口\n大布村,1800\n石龙村,1320\n新街社区,2500\n"


def _quarterly(path: Path, *, bad_date_in: tuple[str, ...] = ("一季度", "二季度")) -> Path:
    """A 2024 ledger, one sheet per quarter, a title row; one bad date per named sheet (row 5)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    months = {"一季度": (1, 2), "二季度": (4, 5), "三季度": (7, 8), "四季度": (10, 11)}
    for sheet, (m1, m2) in months.items():
        ws = wb.create_sheet(sheet)
        ws.append([f"河口镇2024年{sheet}普法活动台账"])  # row 1: the title
        ws.append(["序号", "时间", "地点", "活动内容", "参与人数"])  # row 2: the header
        ws.append([1, f"2024-{m1:02d}-10", "大布村", "民法典进乡村宣讲", 60])  # row 3
        ws.append([2, f"2024-{m2:02d}-12", "石龙村", "禁毒宣传", "约40"])  # row 4: a warning
        date = "2024.13.01" if sheet in bad_date_in else f"2024-{m2:02d}-20"
        ws.append([3, date, "新街社区", "反诈宣传", 80])  # row 5
        ws.append([4, f"2024-{m2:02d}-25", "镇文化站", "宪法宣传", 100])  # row 6: town venue
        ws.append([5, f"2024-{m2:02d}-26", "各村（社区）", "宪法宣传", 300])  # row 7: all villages
    wb.save(path)
    return path


def _town(folder: Path, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "村居基本信息.csv").write_text(REGISTER, encoding="utf-8")
    _quarterly(folder / "2024年普法活动台账.xlsx", **kw)
    return folder


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = _town(tmp_path_factory.mktemp("town") / "河口")
    return folder, load_dataset(folder, settings=Settings(), strict=False)


# -- rejected rows and warnings name the sheet -------------------------------------------------


def test_rejected_rows_name_the_sheet_as_well_as_the_row(town):
    _, ds = town
    bad = ds.rejected[ds.rejected["source_file"] == "2024年普法活动台账.xlsx"]
    # by hand: row 5 of 一季度 and of 二季度 hold 2024.13.01 (month 13), nothing else is bad
    assert bad[["sheet", "source_row"]].values.tolist() == [["一季度", 5], ["二季度", 5]]
    assert bad["reason"].str.contains("日期无效").all()


def test_warnings_name_the_sheet(town):
    _, ds = town
    w = ds.warnings[ds.warnings["source_file"] == "2024年普法活动台账.xlsx"]
    assert len(w) and w["sheet"].notna().all()
    # by hand: row 4 of each quarter's sheet has 约40 (an approximate figure)
    assert w.loc[w["reason"].str.contains("约数"), ["sheet", "source_row"]].values.tolist() == [
        ["一季度", 4], ["二季度", 4], ["三季度", 4], ["四季度", 4]]


def test_data_quality_workbook_has_the_sheet_column(town, tmp_path):
    _, ds = town
    path = write_data_quality(ds, tmp_path / "data_quality.xlsx")
    ws = openpyxl.load_workbook(path)["未导入的行"]
    header = [c.value for c in ws[1]]
    assert "工作表" in header and "Excel行号" in header
    rows = {(r[header.index("工作表")], r[header.index("Excel行号")])
            for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {("一季度", 5), ("二季度", 5)} <= rows


def test_grouped_problems_count_every_row_once(town):
    _, ds = town
    groups = grouped_problems(ds.warnings)
    assert groups["条数"].sum() == len(ds.warnings)  # nothing dropped by the grouping
    groups = grouped_problems(ds.rejected)
    assert groups["条数"].sum() == len(ds.rejected)


# -- pufa validate: a Chinese report, every warning saved ---------------------------------------


def test_validate_reads_as_a_chinese_report_and_saves_every_row(town, tmp_path, capsys):
    folder, ds = town
    out = tmp_path / "校验结果.xlsx"
    code = cli.main(["validate", str(folder), "--out", str(out)])
    text = capsys.readouterr().out
    assert code == cli.EXIT_OK, text
    for part in ("一、各文件读入情况", "二、统计期", "三、未导入的行", "四、提示", "五、未指明村"):
        assert part in text
    assert text.index("一、") < text.index("二、") < text.index("三、") < text.index("四、")
    # the rejected rows are printed with their sheet and row
    assert "2024年普法活动台账.xlsx · 一季度 · 第5行" in text
    assert "镇名 / town: 河口镇（来自表格标题行" in text
    book = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert len(book["全部提示"]) == len(ds.warnings)  # every warning, not the first 50
    assert len(book["未导入的行"]) == len(ds.rejected)
    assert set(book["未导入的行"]["工作表"].dropna()) == {"一季度", "二季度"}


@pytest.mark.slow
def test_validate_says_how_many_groups_it_did_not_print(tmp_path, capsys):
    # PRINT_ROWS + 5 ledgers, each with one unknown village: one rejected group per file
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "村居基本信息.csv").write_text(REGISTER, encoding="utf-8")
    n = PRINT_ROWS + 5
    for i in range(n):
        (folder / f"普法活动台账_{i:02d}.csv").write_text(
            f"日期,村（社区）,宣传内容\n2024-03-{i % 28 + 1:02d},大布村,宪法\n"
            f"2024-04-01,无此村{i},禁毒\n", encoding="utf-8")
    cli.main(["validate", str(folder)])
    text = capsys.readouterr().out
    assert f"另有 5 组未显示（共 {n}）" in text and "5 more not printed" in text


def test_town_wide_places_listed_with_counts(town):
    _, ds = town
    places = validation_report(ds, settings=Settings())["全镇活动地点"].set_index("地点（原文）")
    # by hand: 4 sheets × one 镇文化站 row and one 各村（社区） row
    assert places.loc["镇文化站", "场数"] == 4 and places.loc["镇文化站", "类别"] == "镇级场所"
    assert places.loc["各村(社区)", "场数"] == 4  # as read (NFKC: full-width brackets)
    assert places.loc["各村(社区)", "类别"] == "全部村（社区）"


def test_all_villages_counts_for_every_village_only_when_asked(town):
    folder, ds = town
    every = load_dataset(folder, settings=Settings.from_dict({"events": {"all_villages": "every"}}),
                         strict=False)
    # by hand: 4 各村 events; "town" keeps 4 town-wide rows, "every" makes 4 × 3 village rows
    assert ds.events["village_id"].isna().sum() == 8  # 4 镇文化站 + 4 各村
    assert every.events["village_id"].isna().sum() == 4  # only 镇文化站
    assert len(every.events) == len(ds.events) - 4 + 12
    spread = every.events[every.events["event_id"].str.contains("@")]
    per_village = spread.groupby("village_id").size().to_dict()
    assert per_village == {"大布村": 4, "新街社区": 4, "石龙村": 4}
    topics = every.event_topics[every.event_topics["event_id"].isin(spread["event_id"])]
    assert set(topics["topic"]) == {"宪法"} and len(topics) == 12
    assert every.warnings["reason"].str.contains("counted once for each of the 3").any()


# -- the period against the ledgers ---------------------------------------------------------------


@pytest.mark.slow
def test_period_before_the_first_record_is_cut_and_said(town, capsys):
    folder, ds = town
    settings = Settings.from_dict({"period": {"start": "2020-01-01", "end": "2025-12-31"}})
    period = resolve_period(settings, events=ds.events)
    # by hand: the first date is 2024-01-10 (一季度 row 3), the last 2024-11-26 (四季度 row 7)
    assert (period.start, period.end) == (pd.Timestamp("2024-01-10"), pd.Timestamp("2024-11-26"))
    assert period.notes[0][0].startswith("统计期起点2020-01-01早于最早台账记录2024-01-10")
    assert period.notes[1][0].startswith("统计期终点2025-12-31晚于最新台账记录2024-11-26")
    cfg = folder.parent / "pufa.toml"
    cfg.write_text('[period]\nstart = "2020-01-01"\nend = "2025-12-31"\n', encoding="utf-8")
    cli.main(["--config", str(cfg), "validate", str(folder)])
    assert "统计期起点2020-01-01早于最早台账记录2024-01-10" in capsys.readouterr().out
    cli.main(["--config", str(cfg), "build", str(folder), "--out", str(folder.parent / "out")])
    assert "统计期起点2020-01-01早于最早台账记录2024-01-10" in capsys.readouterr().err


def test_a_period_close_to_the_records_is_kept(town):
    _, ds = town
    settings = Settings.from_dict({"period": {"start": "2024-01-01", "end": "2024-12-31"}})
    period = resolve_period(settings, events=ds.events)
    assert (period.start, period.end, period.notes) == (pd.Timestamp("2024-01-01"),
                                                        pd.Timestamp("2024-12-31"), ())


def test_no_gap_is_invented_before_the_ledgers_begin(town):
    _, ds = town
    settings = Settings.from_dict({"period": {"start": "2020-01-01", "end": "2025-12-31"}})
    period = resolve_period(settings, events=ds.events)

    def flags(start, end, as_of):
        cov = village_coverage(ds.events, ds.villages, start=start, end=end, as_of=as_of,
                               event_topics=ds.event_topics)
        return find_blind_spots(cov, settings=settings, as_of=as_of, include_all=True)

    raw = flags(settings.start, settings.end, settings.end)
    cut = flags(period.start, period.end, period.as_of)
    # by hand: each village has events every quarter of 2024; measured from 2020 the first gap
    # is 4 years and by 2025-12-31 the last event is 13 months old
    def has(frame, code):
        return frame["reasons"].map(lambda r: code in r)

    assert (has(raw, "long_gap") | has(raw, "stale")).all()
    assert not (has(cut, "long_gap") | has(cut, "stale")).any()


# -- the town's name ------------------------------------------------------------------------------


def test_town_name_from_the_title_rows_then_pufa_toml(town):
    _, ds = town
    assert find_town_name(ds, settings=Settings())[:2] == ("河口镇", "表格标题行")
    configured = Settings.from_dict({"town": {"name": "石门镇"}})
    assert town_name(ds, settings=configured) == "石门镇"


def test_town_name_from_the_file_names_and_none_when_nothing_names_it(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "村居基本信息.csv").write_text(REGISTER, encoding="utf-8")
    (folder / "石门镇普法活动台账.csv").write_text(
        "日期,村（社区）,宣传内容\n2024-03-01,大布村,宪法\n", encoding="utf-8")
    ds = load_dataset(folder, settings=Settings())
    assert find_town_name(ds, settings=Settings())[:2] == ("石门镇", "文件名")
    (folder / "石门镇普法活动台账.csv").rename(folder / "普法活动台账.csv")
    ds = load_dataset(folder, settings=Settings())
    assert town_name(ds, settings=Settings()) is None


# -- survey answers nobody classified -------------------------------------------------------------


@pytest.mark.slow
def test_validate_lists_unclassified_answers_with_counts(tmp_path, capsys):
    folder = tmp_path / "survey_town"
    folder.mkdir()
    (folder / "村居基本信息.csv").write_text(REGISTER, encoding="utf-8")
    (folder / "普法活动台账.csv").write_text("日期,村（社区）,宣传内容\n2024-03-01,大布村,宪法\n",
                                         encoding="utf-8")
    answers = ["非常了解"] * 5 + ["比较了解"] * 3 + ["不了解"] * 2 + ["还行"] * 2
    lines = ["序号,提交答卷时间,1、您所在的村（社区）：,2、您对《民法典》的了解程度："]
    lines += [f"{i + 1},2024/5/1 10:00:00,{'大布村' if i < 12 else '石龙村'},{a}"
              for i, a in enumerate(answers * 2)]
    (folder / "普法问卷.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli.main(["validate", str(folder)])
    text = capsys.readouterr().out
    # by hand: 还行 twice in each of the two villages' 12 answers = 4; nothing else is unclassified
    assert "4 份 answers in 1 题 items" in text
    ds = load_dataset(folder, settings=Settings())
    odd = validation_report(ds, settings=Settings())["需核定的问卷答案"]
    assert odd[["题目", "答案", "份数"]].values.tolist() == [["q2", "还行", 4]]
    # …and the follow-up list says the item was not assessed: neither low nor too few answers
    # (新街社区, with no answer at all, is left out: too few answers is right there)
    period = resolve_period(Settings(), events=ds.events)
    analysis = analyse(ds, settings=Settings(), period=period)
    rates = analysis.rates
    assert rates["status"].eq("needs_codebook").all() and rates["rate"].isna().all()
    fu = find_blind_spots(analysis.coverage, rates=analysis.rates, settings=Settings(),
                          codebook=ds.codebook, include_all=True).loc[["大布村", "石龙村"]]
    assert fu["not_assessed"].map(lambda c: "low_awareness" in c).all()
    assert not fu["reasons"].map(lambda r: "low_awareness" in r or "unknown_awareness" in r).any()
    assert fu["not_assessed_zh"].str.contains("需核定答案分类").all()


# -- a ledger without a topic column --------------------------------------------------------------


def test_a_ledger_without_topics_loads_and_leaves_topics_not_assessed(tmp_path):
    folder = tmp_path / "no_topic"
    folder.mkdir()
    (folder / "村居基本信息.csv").write_text(REGISTER, encoding="utf-8")
    (folder / "普法活动台账_妇联.csv").write_text(  # dates, places, counts: no 宣传内容 column
        "日期,村（社区）,参加人数\n2024-04-01,大布村,50\n2024-07-01,石龙村,60\n", encoding="utf-8")
    ds = load_dataset(folder, settings=Settings())  # strict: the ledger is not unreadable
    assert ds.files.set_index("source_file").loc["普法活动台账_妇联.csv", "loaded"] == 2
    assert ds.rejected.empty and ds.events["topic"].isna().all()
    assert ds.warnings["reason"].str.contains("无宣传内容列").sum() == 1
    cov = village_coverage(ds.events, ds.villages, event_topics=ds.event_topics,
                           required_topics=Settings().required_topics)
    fu = find_blind_spots(cov, events=ds.events, event_topics=ds.event_topics,
                          settings=Settings(), include_all=True)
    # by hand: 大布村 and 石龙村 have one event each, from the ledger without topics
    for village in ("大布村", "石龙村"):
        assert "missing_topics" in fu.loc[village, "not_assessed"]
        assert "missing_topics" not in fu.loc[village, "reasons"]
    gaps = validation_report(ds, settings=Settings())["未记录的字段"]
    assert ("普法活动台账_妇联.csv", 2) in set(zip(gaps["文件"], gaps["活动场数"], strict=True))
    assert gaps["缺少"].str.contains("宣传内容").any()
