"""The survey reader on exports shaped like real ones (tests/data/real_shapes/, files 15-19).

Files 15-18 are ONE survey of 14 respondents exported four ways: 问卷星 按选项文本 (15), 问卷星
按序号 with ``第6题(村广播)`` 0/1 columns (16), the same with short ``6(村广播)`` headers (17) and
an SPSS-style CSV with ``Q6_1`` names (18). ``16b`` lists the options behind the numbers (one row
per option) and ``18b`` is the SPSS syntax with the value labels. File 19 is a separate
KoboToolbox survey of 10 respondents.

The expected figures are read from ``truth.toml`` with tomllib. They were hand-tallied from the
RESPONDENTS list in make_real_shapes.py (the 按选项文本 answers: each single-choice item's
counts plus its 跳过 add up to 14; each matrix row has 8 answers and 6 skips), and
``check_truth.py`` re-counts every one of them from the raw cells of each export with
openpyxl/xlrd/csv only (codes mapped through 16b or the .sps), never with this package. So they
are an independent source, not the reader's own output.
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlrd
from pandas.testing import assert_frame_equal

from pufa_metrics.config import Settings
from pufa_metrics.io.survey import (
    EMPTY,
    METADATA,
    NOT_SELECTED,
    PERSONAL_REMOVED,
    SELECTED,
    UNKNOWN_HEADER,
    read_codebook,
    read_survey_result,
)

DATA = Path(__file__).resolve().parent / "data" / "real_shapes"
TRUTH = tomllib.loads((DATA / "truth.toml").read_text(encoding="utf-8"))
SURVEY = TRUTH["survey"]
FILES = TRUTH["files"]
TEXT, NUMBERS, SHORT, SPSS, KOBO = (
    "15_问卷星_按选项文本.xlsx", "16_问卷星_按序号.xls", "17_问卷星_按序号_短表头.xlsx",
    "18_问卷_SPSS变量名.csv", "19_KoboToolbox_中文标签.xlsx",
)
OPTIONS_BOOK, SPS_BOOK = "16b_问卷选项编码表.xlsx", "18b_变量与值标签.sps"
SKIP = "(跳过)"
CANONICAL = ["response_id", "village_id", "village_name", "date", "gender", "age", "age_group",
             "weight", "source_file", "source_row"]
# q4 (性别) and q5 (年龄段) fill the canonical columns gender / age_group, not items
DEMOGRAPHIC = {"q4": "gender", "q5": "age_group"}

# every read of the 14-respondent survey: (export, codebook)
READS = [(TEXT, None), (TEXT, OPTIONS_BOOK), (NUMBERS, OPTIONS_BOOK), (SHORT, OPTIONS_BOOK),
         (SPSS, OPTIONS_BOOK), (SPSS, SPS_BOOK)]
READ_IDS = [f"{f[:2]}+{(b or 'none')[:3]}" for f, b in READS]


def read(name: str, codebook: str | pd.DataFrame | None = None, **kw):
    book = DATA / codebook if isinstance(codebook, str) else codebook
    return read_survey_result(DATA / name, codebook=book, settings=Settings(), **kw)


def expected_items() -> list[str]:
    """Item names from truth.toml, in question order: ``q6_<option>`` per option, else the id."""
    names: list[str] = []
    for item in SURVEY["items"]:
        if item["id"] in DEMOGRAPHIC:
            continue
        if item["type"] == "multiple":
            names += [f"{item['id']}_{option}" for option in item["options"]]
        else:
            names.append(item["id"])
    return names


def expected_kinds() -> dict[str, str]:
    return {name: next(i["type"] for i in SURVEY["items"] if name.startswith(i["id"]))
            for name in expected_items()}


def tally(result) -> dict[str, dict[str, int]]:
    """Answer counts per truth.toml item: chosen options, labels, or non-empty free texts."""
    out: dict[str, dict[str, int]] = {}
    responses = result.responses
    for item in SURVEY["items"]:
        if item["type"] == "multiple":
            out[item["id"]] = {o: int((responses[f"{item['id']}_{o}"] == SELECTED).sum())
                               for o in item["options"]}
        elif item["type"] == "text":
            out[item["id"]] = {"nonempty": int(responses[item["id"]].notna().sum())}
        else:
            column = DEMOGRAPHIC.get(item["id"], item["id"])
            counts = responses[column].dropna().value_counts()
            out[item["id"]] = {str(k): int(v) for k, v in counts.items()}
    return out


def truth_tally() -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item in SURVEY["items"]:
        if item["type"] == "text":
            out[item["id"]] = {"nonempty": item["nonempty"]}
        else:
            out[item["id"]] = dict(item["counts"])
            if item.get("skipped"):  # matrix rows: 6 respondents were never shown them
                out[item["id"]][SKIP] = item["skipped"]
    return out


def headers_of(name: str) -> list[str]:
    """The header row read with openpyxl / xlrd / csv (not with this package), stripped."""
    path = DATA / name
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        row = next(book.worksheets[0].iter_rows(min_row=1, max_row=1, values_only=True))
        book.close()  # read-only workbooks keep the file open until closed
    elif path.suffix == ".xls":
        row = xlrd.open_workbook(path).sheet_by_index(0).row_values(0)
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            row = next(csv.reader(handle))
    return [str(h).strip() for h in row if h is not None and str(h).strip()]


def record(result) -> dict[str, tuple]:
    """``SurveyResult.columns`` as {column: (used_as, reason)} (None when empty)."""
    frame = result.columns.astype("object").where(result.columns.notna(), None)
    return {r["column"]: (r["used_as"], r["reason"]) for r in frame.to_dict("records")}


# --------------------------------------------------------------------------------------------
# The same survey, four exports: identical items, kinds and counts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "codebook"), READS, ids=READ_IDS)
def test_items_and_kinds_match_the_truth(name, codebook):
    r = read(name, codebook)
    got = r.codebook["item"].tolist()
    if codebook is None:  # a text export shows options in the order first chosen
        assert sorted(got) == sorted(expected_items())
    else:  # the codebook gives the option order
        assert got == expected_items()
    assert r.codebook.set_index("item")["kind"].to_dict() == expected_kinds()
    assert list(r.responses.columns) == CANONICAL + got
    assert r.stats["loaded"] == SURVEY["respondents"] and r.rejected.empty


@pytest.mark.parametrize(("name", "codebook"), READS, ids=READ_IDS)
def test_answer_counts_match_the_truth(name, codebook):
    r = read(name, codebook)
    assert tally(r) == truth_tally()
    village = r.responses["village_name"].value_counts().to_dict()
    assert village == SURVEY["village_counts"]
    q6 = next(i for i in SURVEY["items"] if i["id"] == "q6")
    for option in q6["options"]:  # every respondent answered q6: 14 answers per option item
        assert r.responses[f"q6_{option}"].notna().sum() == q6["answered"]


def test_the_two_wjx_exports_give_identical_items_and_answers():
    """The issue: 按序号 gave 4 items where 按选项文本 gave 14 (the 0/1 columns were dropped)."""
    text = read(TEXT, OPTIONS_BOOK)
    numbers = read(NUMBERS, OPTIONS_BOOK)
    assert text.codebook["item"].tolist() == numbers.codebook["item"].tolist()
    assert text.codebook["kind"].tolist() == numbers.codebook["kind"].tolist()
    shared = [c for c in text.responses.columns if c != "source_file"]
    assert_frame_equal(text.responses[shared], numbers.responses[shared])
    # without the codebook, the 按选项文本 export alone gives the same item names and counts
    alone = read(TEXT)
    assert sorted(alone.codebook["item"]) == sorted(numbers.codebook["item"])
    assert tally(alone) == tally(numbers)


def test_short_headers_and_spss_names_give_the_same_multiple_choice_items():
    short = read(SHORT, OPTIONS_BOOK).responses
    spss = read(SPSS, SPS_BOOK).responses
    q6 = [f"q6_{o}" for o in next(i for i in SURVEY["items"] if i["id"] == "q6")["options"]]
    assert_frame_equal(short[q6], spss[q6])
    # respondent 1 (Excel row 2) chose 村广播 and 宣传栏: 1, 1, 0, 0, 0, 0
    assert short.loc[0, q6].tolist() == [SELECTED, SELECTED] + [NOT_SELECTED] * 4


def test_option_numbers_become_labels_through_the_codebook():
    register = pd.DataFrame({
        "village_id": list(FILES["04_统计用区划代码_村居.xlsx"]["codes"].values()),
        "village_name": list(FILES["04_统计用区划代码_村居.xlsx"]["codes"]),
    })
    r = read(NUMBERS, OPTIONS_BOOK, villages=register)
    out = r.responses
    # respondent 1 (Excel row 2): village 3, 性别 1, 年龄段 3, q7 2, q10 rows 1 2 1, q11 1
    columns = ["village_name", "gender", "age_group", "q7", "q10_1", "q10_2", "q10_3", "q11"]
    assert out.loc[0, columns].tolist() == ["大布村", "男", "45-59岁", "比较了解", "满意",
                                            "比较满意", "满意", "满意"]
    # respondent 2 (Excel row 3) was not shown q10: -3 → (跳过)
    assert out.loc[1, ["q10_1", "q10_2", "q10_3"]].tolist() == [SKIP] * 3
    # the village codes of truth.toml, mapped to the register
    codes = FILES[NUMBERS]["village_codes"]
    raw = xlrd.open_workbook(DATA / NUMBERS).sheet_by_index(0).col_values(8)[1:]
    names = [codes[str(int(float(v)))] for v in raw]
    assert out["village_name"].tolist() == names
    assert out["village_id"].tolist() == [FILES["04_统计用区划代码_村居.xlsx"]["codes"][n]
                                          for n in names]
    assert r.rejected.empty
    # q11's options 满意/比较满意/不太满意/不满意/不清楚: the top two (docs/domain.md)
    assert r.codebook.set_index("item").loc["q11", "positive"] == ("满意", "比较满意")


def test_option_numbers_without_a_codebook_stay_numbers_and_are_reported():
    r = read(NUMBERS)
    out = r.responses
    # same item names as the 按选项文本 export: the 0/1 columns carry their option labels
    assert sorted(r.codebook["item"]) == sorted(expected_items())
    # respondent 1 (Excel row 2): village 3, 性别 1, 年龄段 3, q7 2: kept, never guessed
    assert out.loc[0, ["village_name", "gender", "age_group", "q7"]].tolist() == ["3", "1", "3",
                                                                                   "2"]
    assert out["age"].isna().all()  # 年龄段 option 3 is not an age of 3
    warned = r.warnings.loc[r.warnings["code"] == "option_numbers", "column"].tolist()
    assert warned == [
        "3、您所在的村（社区）：", "4、您的性别：", "5、您的年龄段：",
        "7、您是否了解《中华人民共和国民法典》？", "8、您是否了解《反电信网络诈骗法》？",
        "9、您是否参加过本村（社区）组织的普法活动？", "10、您对下列普法形式的评价—法律讲座",
        "律师下村", "宣传栏", "11、您对本村（社区）普法工作的总体满意度：",
    ]
    assert r.codebook.set_index("item").loc["q7", "positive"] == ()  # numbers are not 了解


def test_spss_names_without_labels_keep_their_numbers():
    r = read(SPSS)
    assert [c for c in r.codebook["item"] if c.startswith("q6_")] == [f"q6_{k}"
                                                                      for k in range(1, 7)]
    warned = r.warnings.loc[r.warnings["code"] == "option_numbers", "column"].tolist()
    assert [c for c in warned if c.startswith("Q6_")] == [f"Q6_{k}" for k in range(1, 7)]
    # Q1 (the names): free text to a question known only as "Q1" is not loaded
    assert record(r)["Q1"] == (None, PERSONAL_REMOVED)
    assert r.warnings.loc[r.warnings["code"] == "unworded_free_text", "column"].tolist() == ["Q1"]


# --------------------------------------------------------------------------------------------
# Brackets inside option texts, -3 and -2
# --------------------------------------------------------------------------------------------


def test_option_text_with_brackets_and_skip_codes(tmp_path):
    path = tmp_path / "按序号.csv"
    path.write_text(
        "序号,提交答卷时间,1、您所在的村（社区）：,第2题(ACG文化(动漫、游戏等)),第2题(运动),"
        "第2题(其他【请注明】),3、您对普法工作是否满意？\n"
        "1,2024/11/05 09:00:00,大布村,1,0,0,1\n"
        "2,2024/11/05 09:10:00,石龙村,0,1,1,-3\n"
        "3,2024/11/05 09:20:00,塘尾村,-3,-3,-3,-2\n", encoding="utf-8")
    r = read_survey_result(path, settings=Settings())
    out = r.responses
    assert r.codebook["item"].tolist() == ["q2_ACG文化(动漫、游戏等)", "q2_运动",
                                           "q2_其他【请注明】", "q3"]
    assert out["q2_ACG文化(动漫、游戏等)"].tolist() == [SELECTED, NOT_SELECTED, SKIP]
    assert out["q2_其他【请注明】"].tolist() == [NOT_SELECTED, SELECTED, SKIP]
    # q3: 1, -3 (跳过), -2 (empty); no codebook, so 1 stays 1 and a warning says so
    assert out["q3"].tolist()[:2] == ["1", SKIP] and pd.isna(out["q3"].tolist()[2])
    assert "3、您对普法工作是否满意？" in r.warnings.loc[r.warnings["code"] == "option_numbers",
                                                        "column"].tolist()
    book = pd.DataFrame({"item": ["q3"], "options": [("满意", "不满意")]})
    labelled = read_survey_result(path, codebook=book, settings=Settings()).responses
    assert labelled["q3"].tolist()[:2] == ["满意", SKIP]


# --------------------------------------------------------------------------------------------
# Every column accounted for; no personal data
# --------------------------------------------------------------------------------------------

ALL_READS = [*READS, (NUMBERS, None), (SPSS, None), (KOBO, None)]
ALL_IDS = [f"{f[:2]}+{(b or 'none')[:3]}" for f, b in ALL_READS]


@pytest.mark.parametrize(("name", "codebook"), ALL_READS, ids=ALL_IDS)
def test_every_column_is_used_or_reported(name, codebook):
    r = read(name, codebook)
    frame = r.columns
    assert list(frame.columns) == ["source_file", "column", "used_as", "reason"]
    assert frame["column"].tolist() == headers_of(name)
    assert (frame["used_as"].isna() != frame["reason"].isna()).all()  # one or the other
    assert frame["reason"].dropna().isin([PERSONAL_REMOVED, METADATA, EMPTY,
                                          UNKNOWN_HEADER]).all()
    # every item and canonical column filled from the file names its source column
    used = {n for u in frame["used_as"].dropna() for n in u.split(", ")}
    assert set(r.codebook["item"]) <= used


def test_the_column_record_of_the_numbered_export():
    # read off the header row of 16_问卷星_按序号.xls, column by column
    got = record(read(NUMBERS, OPTIONS_BOOK))
    assert got == {
        "序号": ("response_id", None), "提交答卷时间": ("date", None),
        "所用时间": (None, METADATA), "来源": (None, METADATA), "来源详情": (None, METADATA),
        "来自IP": (None, PERSONAL_REMOVED), "1、您的姓名：": (None, PERSONAL_REMOVED),
        "2、您的手机号码：": (None, PERSONAL_REMOVED),
        "3、您所在的村（社区）：": ("village_name", None), "4、您的性别：": ("gender", None),
        "5、您的年龄段：": ("age_group", None),
        "第6题(村广播)": ("q6_村广播", None), "第6题(宣传栏)": ("q6_宣传栏", None),
        "第6题(微信群)": ("q6_微信群", None), "第6题(普法讲座)": ("q6_普法讲座", None),
        "第6题(电视新闻)": ("q6_电视新闻", None), "第6题(其他)": ("q6_其他", None),
        "7、您是否了解《中华人民共和国民法典》？": ("q7", None),
        "8、您是否了解《反电信网络诈骗法》？": ("q8", None),
        "9、您是否参加过本村（社区）组织的普法活动？": ("q9", None),
        "10、您对下列普法形式的评价—法律讲座": ("q10_1", None), "律师下村": ("q10_2", None),
        "宣传栏": ("q10_3", None), "11、您对本村（社区）普法工作的总体满意度：": ("q11", None),
        "12、您对普法工作还有什么意见或建议？": ("q12", None),
    }


def test_unknown_and_empty_columns_are_reported(tmp_path):
    path = tmp_path / "wjx.csv"
    path.write_text("序号,提交答卷时间,1、您是否知道《民法典》？,备用列,空列\n"
                    "1,2024/11/05 09:00:00,知道,x,\n"
                    "2,2024/11/05 09:10:00,不知道,y,\n", encoding="utf-8")
    r = read_survey_result(path, settings=Settings())
    got = record(r)
    assert got["备用列"] == (None, UNKNOWN_HEADER) and got["空列"] == (None, EMPTY)
    ignored = r.warnings.loc[r.warnings["code"] == "column_ignored", "column"].tolist()
    assert ignored == ["备用列", "空列"]


def test_kobo_metadata_columns_are_reported_as_not_used():
    truth = FILES[KOBO]
    r = read(KOBO)
    got = record(r)
    used = {truth["id_column"]: "response_id", truth["date_column"]: "date",
            "_validation_status": "validation_status"}
    # _submitted_by is Kobo metadata too, but it holds a user name: removed as personal data
    assert got["_submitted_by"] == (None, PERSONAL_REMOVED)
    for column in truth["meta_columns"]:
        if column != "_submitted_by":
            assert got[column] == (
                (used[column], None) if column in used else (None, METADATA)), column
    assert got[truth["village_column"]] == ("village_name", None)
    assert r.stats["loaded"] == truth["respondents"]
    assert r.responses["village_name"].value_counts().to_dict() == truth["village_counts"]
    # the items of truth.toml, by their column
    for item in truth["items"]:
        if item["type"] == "multiple":
            names = [got[c][0] for c in item["option_columns"]]
            counts = {n.split("_", 1)[1]: int((r.responses[n] == SELECTED).sum()) for n in names}
        else:
            column = got[item["column"]][0]
            counts = r.responses[column].value_counts().to_dict()
        assert counts == item["counts"], item["id"]


# independent of the module's patterns: the invented names, phones and IPs of the corpus
PHONE = re.compile(r"1380000\d{4}")
IP = re.compile(r"119\.129\.8\.\d+")


def personal_names() -> list[str]:
    book = openpyxl.load_workbook(DATA / TEXT, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()  # read-only workbooks keep the file open until closed
    column = rows[0].index("1、您的姓名：")
    return [row[column] for row in rows[1:]]


@pytest.mark.parametrize(("name", "codebook"), ALL_READS, ids=ALL_IDS)
def test_no_personal_data_reaches_the_results(name, codebook):
    # 18 without a codebook: Q1 holds the names and nothing puts the question into words
    r = read(name, codebook)
    names = personal_names()
    assert len(names) == SURVEY["respondents"]
    for label, frame in (("responses", r.responses), ("codebook", r.codebook),
                         ("rejected", r.rejected), ("warnings", r.warnings),
                         ("columns", r.columns)):
        for cell in [*map(str, frame.columns),
                     *map(str, frame.astype("object").to_numpy().ravel())]:
            assert not PHONE.search(cell) and not IP.search(cell), (label, cell)
            assert not any(n in cell for n in names), (label, cell)
    assert "_submitted_by" not in r.responses.columns


# --------------------------------------------------------------------------------------------
# The two codebook layouts
# --------------------------------------------------------------------------------------------


def test_option_row_codebook_is_gathered_per_item():
    book = read_codebook(DATA / OPTIONS_BOOK).set_index("item")
    # 12 option-bearing questions' rows gathered: 45 option rows (truth.toml) in 9 items,
    # plus the 3 text questions (1, 2, 12)
    with_options = book[book["options"].map(len) > 0]
    assert len(with_options) == 9
    assert with_options["options"].map(len).sum() == FILES[OPTIONS_BOOK]["option_rows"]
    assert (book["kind"] == "text").sum() == FILES[OPTIONS_BOOK]["text_questions"]
    assert book.loc["q3", "options"] == tuple(FILES[NUMBERS]["village_codes"][str(k)]
                                              for k in range(1, 13))
    assert book.loc["q10", "kind"] == "matrix"  # 矩阵单选题


def test_spss_syntax_codebook():
    book = read_codebook(DATA / SPS_BOOK).set_index("item")
    assert book.loc["q6", ["kind", "options"]].tolist() == [
        "multiple", ("村广播", "宣传栏", "微信群", "普法讲座", "电视新闻", "其他")]
    # Q10_1 TO Q10_3 Q11: 1 满意 … 5 不清楚, and -3 跳过 left out
    assert book.loc["q10", ["kind", "options"]].tolist() == [
        "matrix", ("满意", "比较满意", "不太满意", "不满意", "不清楚")]
    assert book.loc["q8", "options"] == ("非常了解", "比较了解", "了解", "不了解")  # Q7 Q8
    assert book.loc["q1", "text"] == "您的姓名" and book.loc["q1", "options"] == ()


def test_codebook_option_numbers_must_run_from_one(tmp_path):
    path = tmp_path / "cb.csv"
    path.write_text("题号,选项序号,选项文本\n4,1,男\n4,3,女\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[1, 3\], not 1 to 2"):
        read_codebook(path)
    path.write_text("VALUE LABELS Q4 0 '男' 1 '女'.\n", encoding="utf-8")
    sps = path.with_suffix(".sps")
    path.rename(sps)
    with pytest.raises(ValueError, match=r"codes \[0, 1\], not 1 to 2"):
        read_codebook(sps)


def test_an_age_question_answered_by_option_number_is_not_read_as_ages(tmp_path):
    # Shaped like a real 问卷星 按序号 export (gasongjian/reportgen 357_357_2.xls): 年龄 is a
    # single-choice question, so "4" is its 4th option, not a 4-year-old. By hand: 5 answers,
    # options 1, 2, 4, 4, 5; no age is read, the option numbers stay as the age group.
    head = "序号,提交答卷时间,所用时间,来源,来源详情,1、请问您的性别？,2、请问您的年龄?\n"
    rows = ["1,2024/5/1 10:00:00,100秒,手机提交,直接访问,1,1",
            "2,2024/5/1 10:05:00,90秒,手机提交,直接访问,2,2",
            "3,2024/5/1 10:09:00,80秒,手机提交,直接访问,1,4",
            "4,2024/5/1 10:12:00,70秒,手机提交,直接访问,1,4",
            "5,2024/5/1 10:20:00,60秒,手机提交,直接访问,2,5"]
    path = tmp_path / "问卷_按序号.csv"
    path.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    res = read_survey_result(path)
    assert res.responses["age"].isna().all()
    assert res.responses["age_group"].tolist() == ["1", "2", "4", "4", "5"]
    assert res.warnings["reason"].str.contains("option numbers").any()
    # real ages in a fill-in question are still ages
    ages = head.replace("2、请问您的年龄?", "2、您的年龄（周岁）") + "\n".join(
        r.rsplit(",", 1)[0] + f",{a}" for r, a in zip(rows, [25, 31, 47, 60, 72], strict=True))
    path.write_text(ages + "\n", encoding="utf-8")
    assert read_survey_result(path).responses["age"].tolist() == [25, 31, 47, 60, 72]
