"""Survey exports as they come: 问卷星 (both layouts), KoboToolbox, ODK, plain tables.

Every expected value below is read off the hand-made tables in
tests/data/survey/make_survey_fixtures.py (the comments give the Excel row or CSV line).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pufa_metrics.io.survey import (
    NOT_SELECTED,
    SELECTED,
    find_personal_data,
    read_codebook,
    read_survey,
    read_survey_result,
    score_knowledge,
    write_codebook,
)

DATA = Path(__file__).resolve().parent / "data" / "survey"
CANONICAL = ["response_id", "village_id", "village_name", "date", "gender", "age", "age_group",
             "weight", "source_file", "source_row"]
# pufa.toml [survey] by the top-2 rule on each item's levels (classify_levels): q4 offers
# 知道/听说过/不知道, q5 满意/比较满意/不太满意 (+不清楚), q6 支持/比较支持/不支持: the two
# highest levels of each on positive_<domain>
AWARE = ("知道", "听说过")
SUPPORT = ("支持", "比较支持")
SATISFIED = ("满意", "比较满意")
MISSING = ("不清楚", "说不清", "未作答", "拒答", "(跳过)", "-3")
S, N, SKIP = SELECTED, NOT_SELECTED, "(跳过)"


@pytest.fixture(scope="module")
def villages() -> pd.DataFrame:
    return pd.read_csv(DATA / "villages.csv", dtype=str)


def read(name, codebook=None, villages=None, **kw):
    cb = DATA / codebook if isinstance(codebook, str) else codebook
    return read_survey_result(DATA / name, codebook=cb, villages=villages, **kw)


def values(frame: pd.DataFrame, column: str) -> list:
    return [None if pd.isna(v) else v for v in frame[column].tolist()]


def warned(result, code: str) -> list[str]:
    w = result.warnings
    return w.loc[w["code"].eq(code), "column"].tolist()


# --------------------------------------------------------------------------------------------
# 问卷星, 按选项文本
# --------------------------------------------------------------------------------------------


def test_wjx_text_answers(villages):
    r = read("wjx_text.xlsx", villages=villages)
    out = r.responses
    assert r.format == "wjx"
    # Excel rows 2, 3, 5, 7 load; row 4 is blank; row 6 (新村) is not in the register
    assert values(out, "source_row") == [2, 3, 5, 7]
    assert values(out, "response_id") == ["1", "2", "3", "5"]
    # 大岭村 / 罗湖 / 公园社区居委会 / " 大岭 村 " → the register's names
    assert values(out, "village_id") == ["V01", "V02", "V03", "V01"]
    assert values(out, "village_name") == ["大岭村", "罗湖村", "公园社区", "大岭村"]
    assert values(out, "gender") == ["男", "女", "女", "男"]
    # age groups written as text are kept as written (they must match the raking margins)
    assert values(out, "age_group") == ["18-29岁", "60岁及以上", "30-44岁", "18-29岁"]
    assert out["age"].isna().all() and out["weight"].tolist() == [1.0] * 4
    assert out["date"].tolist() == pd.to_datetime(
        ["2025-11-03 10:21:33", "2025-11-03 10:40:02", "2025-11-04 09:00:00",
         "2025-11-05 08:30:00"]).tolist()
    assert values(out, "q4") == ["知道", "听说过", "不知道", SKIP]
    assert values(out, "q5") == ["满意", "不清楚", "比较满意", "不太满意"]
    assert values(out, "q6") == ["支持", "比较支持", "不支持", "支持"]
    # 7: 电视广播┋微信群 / 宣传栏 / 其他〖…〗 / (跳过)
    assert values(out, "q7_电视广播") == [S, N, N, SKIP]
    assert values(out, "q7_微信群") == [S, N, N, SKIP]
    assert values(out, "q7_宣传栏") == [N, S, N, SKIP]
    assert values(out, "q7_其他") == [N, N, S, SKIP]
    # matrix 8: one item per row, in column order
    assert values(out, "q8_1") == ["满意", "不满意", SKIP, "比较满意"]
    assert values(out, "q8_2") == ["比较满意", "满意", SKIP, "不满意"]
    assert values(out, "q9") == ["多开讲座", None, "希望常来村里", None]
    assert values(out, "q10") == ["拨打110报警", "不知道", "把钱转到安全账户", None]
    items = ["q4", "q5", "q6", "q7_电视广播", "q7_微信群", "q7_宣传栏", "q7_其他", "q8_1", "q8_2",
             "q9", "q10"]
    assert list(out.columns) == CANONICAL + items
    assert all(out[c].dtype == "str" for c in items)
    assert str(out["date"].dtype) == "datetime64[us]" and str(out["age"].dtype) == "Int64"


def test_wjx_text_rejected_and_dropped(villages):
    r = read("wjx_text.xlsx", villages=villages)
    assert r.rejected[["source_row", "column", "value", "reason"]].values.tolist() == [
        [6, "1、您所在的村（社区）：", "新村", "unknown village 未知村（社区）"]
    ]
    assert r.rejected["table"].tolist() == ["responses"]
    assert r.rejected["source_file"].tolist() == ["wjx_text.xlsx"]
    assert warned(r, "personal_data_column") == ["来自IP", "11、您的联系电话（选填）："]
    assert warned(r, "personal_data_values") == ["12、其他意见："]  # "139 1234 5678"
    assert warned(r, "fill_in_removed") == ["7、您通过哪些渠道了解法律知识？（多选）"]
    assert warned(r, "knowledge_without_correct") == ["q10"]


def test_wjx_text_codebook_guess(villages):
    r = read("wjx_text.xlsx", villages=villages)
    cb = r.codebook.set_index("item")
    assert list(r.codebook.columns) == ["item", "text", "domain", "positive", "negative",
                                        "missing", "correct", "options", "kind"]
    assert cb.loc["q4", "text"] == "您是否知道《中华人民共和国民法典》？"
    assert cb["domain"].to_dict() == {
        "q4": "awareness", "q5": "satisfaction", "q6": "support", "q7_电视广播": "other",
        "q7_微信群": "other", "q7_宣传栏": "other", "q7_其他": "other", "q8_1": "satisfaction",
        "q8_2": "satisfaction", "q9": "other", "q10": "knowledge",
    }
    assert cb["kind"].to_dict() == {
        "q4": "single", "q5": "single", "q6": "single", "q7_电视广播": "multiple",
        "q7_微信群": "multiple", "q7_宣传栏": "multiple", "q7_其他": "multiple",
        "q8_1": "matrix", "q8_2": "matrix", "q9": "text", "q10": "single",
    }
    assert cb.loc["q4", "positive"] == AWARE
    assert cb.loc["q5", "positive"] == SATISFIED
    assert cb.loc["q6", "positive"] == SUPPORT
    assert cb.loc["q7_其他", "positive"] == (S,)
    assert cb.loc["q9", "positive"] == () and cb.loc["q10", "positive"] == ()
    assert cb.loc["q4", "missing"] == MISSING
    assert cb.loc["q4", "options"] == ("知道", "听说过", "不知道")
    assert cb.loc["q8_1", "text"] == "您对下列普法阵地的评价 — 法治宣传栏"
    assert pd.isna(cb.loc["q10", "correct"])


def test_codebook_file_overrides_guess(villages):
    r = read("wjx_text.xlsx", "wjx_text_codebook.xlsx", villages=villages)
    cb = r.codebook.set_index("item")
    assert cb.loc["q5", "positive"] == ("满意",)  # the file: 肯定答案 = 满意
    assert cb.loc["q5", "domain"] == "satisfaction"  # blank 类别 keeps the guess
    assert cb.loc["q10", "correct"] == "拨打110报警"
    assert cb.loc["q10", "positive"] == ("拨打110报警",)
    assert cb.loc["q10", "domain"] == "knowledge"
    # knowledge: 不知道/不清楚/说不清 are answers (wrong ones), not missing
    assert cb.loc["q10", "missing"] == ("未作答", "拒答", "(跳过)", "-3")
    assert cb.loc["q4", "positive"] == AWARE  # not in the file: the guess stays
    assert warned(r, "codebook_item_unknown") == ["q99"]
    assert warned(r, "knowledge_without_correct") == []


def test_score_knowledge(villages):
    r = read("wjx_text.xlsx", "wjx_text_codebook.xlsx", villages=villages)
    scored = score_knowledge(r.responses, r.codebook)
    assert list(scored.columns) == ["response_id", "q10"]
    # 拨打110报警 / 不知道 / 把钱转到安全账户 / (空)
    assert values(scored, "q10") == ["correct", "dont_know", "incorrect", None]


def test_without_register_names_kept():
    r = read("wjx_text.xlsx")
    out = r.responses
    assert out["village_id"].isna().all()
    assert values(out, "village_name") == ["大岭村", "罗湖", "公园社区居委会", "新村", "大岭 村"]
    assert r.rejected.empty and r.stats["loaded"] == 5


# --------------------------------------------------------------------------------------------
# 问卷星, 按序号
# --------------------------------------------------------------------------------------------


def test_wjx_numbers_without_codebook_stay_numbers():
    r = read("wjx_number.xlsx")
    out = r.responses
    assert values(out, "q4") == ["1", "2", "3", SKIP]  # 1, 2, 3, -3
    assert values(out, "village_name") == ["1", "2", "3", "1"]
    assert "4、您是否知道《中华人民共和国民法典》？" in warned(r, "option_numbers")
    cb = r.codebook.set_index("item")
    assert cb.loc["q4", "positive"] == ()  # numbers never silently count as "知道"
    # the 0/1 columns need no codebook: 7(电视广播) 1, 0, 0, -3
    assert values(out, "q7_电视广播") == [S, N, N, SKIP]


def test_wjx_numbers_with_codebook(villages):
    r = read("wjx_number.xlsx", "wjx_number_codebook.xlsx", villages=villages)
    out = r.responses
    # 1, 2, 3, 1 → 大岭村, 罗湖村, 公园社区, 大岭村
    assert values(out, "village_id") == ["V01", "V02", "V03", "V01"]
    assert values(out, "gender") == ["男", "女", "女", "男"]  # 1, 2, 2, 1
    assert out["age"].tolist() == [25, 67, 44, 22]  # numeric age → derived groups
    assert values(out, "age_group") == ["18-29", "60+", "30-44", "18-29"]
    assert values(out, "q4") == ["知道", "听说过", "不知道", SKIP]  # 1, 2, 3, -3
    assert values(out, "q5") == ["满意", "不清楚", "比较满意", "不太满意"]  # 1, 5, 2, 3
    assert values(out, "q7_电视广播") == [S, N, N, SKIP]  # 1, 0, 0, -3
    assert values(out, "q7_微信群") == [S, N, N, SKIP]  # 1, 0, 0, -3
    assert values(out, "q7_宣传栏") == [N, S, N, SKIP]  # 0, 1, 0, -3
    assert values(out, "q7_其他") == [N, N, S, SKIP]  # 0, 0, 1, -3
    assert values(out, "q8_1") == ["满意", "不满意", SKIP, "比较满意"]  # 1, 4, -3, 2 (q8 options)
    assert values(out, "q8_2") == ["比较满意", "满意", SKIP, "不满意"]  # 2, 1, -3, 4
    assert values(out, "q10") == ["拨打110报警", "不知道", "把钱转到安全账户", None]  # 1, 3, 2, -2
    cb = r.codebook.set_index("item")
    assert cb.loc["q8_2", "domain"] == "satisfaction"  # 类别 of q8 applies to each row
    assert cb.loc["q8_2", "text"] == "您对下列普法阵地的评价 — 普法讲堂"
    assert cb.loc["q10", "positive"] == ("拨打110报警",)
    assert r.warnings["code"].tolist() == ["personal_data_column"]  # 来自IP only


def test_both_wjx_layouts_give_the_same_answers(villages):
    """Respondents 1, 2, 3 and 5 answered the same in both exports (text vs option numbers)."""
    text = read("wjx_text.xlsx", villages=villages).responses
    numbers = read("wjx_number.xlsx", "wjx_number_codebook.xlsx", villages=villages).responses
    shared = ["response_id", "village_id", "gender", "q4", "q5", "q7_电视广播",
              "q7_微信群", "q7_宣传栏", "q7_其他", "q8_1", "q8_2", "q10"]
    assert_frame_equal(text[shared], numbers[shared])


# --------------------------------------------------------------------------------------------
# KoboToolbox
# --------------------------------------------------------------------------------------------


def test_kobo_xlsx(villages):
    r = read("kobo.xlsx", "kobo_codebook.csv", villages=villages)
    out = r.responses
    assert r.format == "kobo" and r.stats["sheet"] == "普法知晓率问卷"
    # row 4: _validation_status validation_status_not_approved
    assert values(out, "response_id") == ["uuid-a1", "uuid-a2", "uuid-a4"]
    assert r.rejected[["source_row", "column", "reason"]].values.tolist() == [
        [4, "_validation_status", "validation status Not approved"]
    ]
    assert values(out, "village_id") == ["V01", "V02", "V01"]
    assert values(out, "gender") == ["男", "女", "男"]  # male / female
    assert out["age"].tolist() == [34, 61, 45]
    assert values(out, "age_group") == ["30-44", "60+", "45-59"]  # 45 opens 45-59
    assert values(out, "q1") == ["know", "heard", "know"]
    # grp_law/q2 "tv wechat" / "board" / empty, with 0/1 columns grp_law/q2/tv …
    assert values(out, "q2_tv") == [S, N, None]
    assert values(out, "q2_wechat") == [S, N, None]
    assert values(out, "q2_board") == [N, S, None]
    assert list(out.columns) == CANONICAL + ["q1", "q2_tv", "q2_wechat", "q2_board"]
    cb = r.codebook.set_index("item")
    assert cb.loc["q1", "domain"] == "awareness"  # from kobo_codebook.csv
    assert cb.loc["q1", "positive"] == ("know", "heard")
    assert cb.loc["q1", "text"] == "您是否知道《民法典》？"
    assert set(warned(r, "personal_data_column")) == {"deviceid", "phonenumber"}
    assert warned(r, "personal_data_values") == ["grp_law/comment"]  # an ID number


def test_kobo_summary_and_option_columns_disagree(tmp_path):
    path = tmp_path / "kobo.csv"
    path.write_text(
        "g/village,g/q2,g/q2/tv,g/q2/radio,_uuid\n"
        "大岭村,tv,1,0,u1\n"
        "大岭村,tv,0,1,u2\n", encoding="utf-8")
    r = read_survey_result(path)
    assert values(r.responses, "q2_tv") == [S, N]  # the 0/1 columns win
    assert values(r.responses, "q2_radio") == [N, S]
    assert warned(r, "multiple_mismatch") == ["g/q2"]


def test_kobo_label_headers_csv(villages):
    r = read("kobo_labels.csv", villages=villages)
    out = r.responses
    # label headers are numbered q1…q5 in column order: village, 性别, 年龄段, 民法典, 渠道
    assert list(out.columns) == CANONICAL + ["q4", "q5_电视", "q5_微信群"]
    assert values(out, "q4") == ["知道", "不知道", "听说过"]
    assert values(out, "q5_电视") == [S, N, S]
    assert values(out, "q5_微信群") == [N, S, S]
    assert values(out, "age_group") == ["18-29岁", "30-44岁", "60岁及以上"]
    # line 5 repeats uuid-k3
    assert r.rejected[["source_row", "value", "reason"]].values.tolist() == [
        [5, "uuid-k3", "duplicate response_id 答卷编号重复"]
    ]


# --------------------------------------------------------------------------------------------
# ODK
# --------------------------------------------------------------------------------------------


def test_odk_briefcase(villages):
    r = read("odk_briefcase.csv", villages=villages)
    out = r.responses
    assert r.format == "odk"
    assert values(out, "response_id") == ["uuid:o1", "uuid:o2"]
    assert values(out, "village_id") == ["V01", "V02"]  # 大岭 / 罗湖村委会
    assert out["date"].tolist() == pd.to_datetime(
        ["2025-11-03 10:21:33", "2025-11-03 11:05:00"]).tolist()
    assert out["age"].tolist() == [25, 67] and values(out, "age_group") == ["18-29", "60+"]
    assert values(out, "q1") == ["知道", "不知道"]
    assert values(out, "q2_tv") == [S, N] and values(out, "q2_board") == [N, S]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [
        [4, "missing village 缺少村（社区）"]
    ]
    assert set(warned(r, "personal_data_column")) == {
        "deviceid", "grp-gps-Latitude", "grp-gps-Longitude", "grp-gps-Altitude",
        "grp-gps-Accuracy",
    }


def test_odk_central_review_state(villages):
    r = read("odk_central.csv", villages=villages)
    out = r.responses
    # line 4 is ReviewState rejected; approved, received (blank) and hasIssues load
    assert values(out, "response_id") == ["uuid:c1", "uuid:c2", "uuid:c4"]
    assert r.rejected[["source_row", "value", "reason"]].values.tolist() == [
        [4, "rejected", "review state Rejected"]
    ]
    # SubmissionDate is UTC; China time is 8 hours ahead
    assert out["date"].tolist() == [pd.Timestamp("2025-11-03 10:21:33.123"),
                                    pd.Timestamp("2025-11-03 11:00:00"),
                                    pd.Timestamp("2025-11-04 10:00:00")]
    assert values(out, "q3") == ["支持", "比较支持", "支持"]
    cb = r.codebook.set_index("item")
    assert cb.loc["q1", "domain"] == "awareness" and cb.loc["q3", "domain"] == "support"
    assert set(warned(r, "personal_data_column")) == {"SubmitterID", "SubmitterName",
                                                      "DeviceID"}


# --------------------------------------------------------------------------------------------
# Plain tables, the sample town layout
# --------------------------------------------------------------------------------------------


def test_plain_gbk_table_with_weights(villages):
    r = read("plain.csv", villages=villages)
    out = r.responses
    assert r.format == "plain"
    assert values(out, "response_id") == ["r1", "r2"]
    assert out["weight"].tolist() == [1.5, 0.5]
    assert out["age"].tolist() == [34, 70] and values(out, "age_group") == ["30-44", "60+"]
    assert values(out, "q1") == ["知道", "不知道"] and values(out, "q2") == ["满意", "不满意"]
    assert r.rejected[["source_row", "column", "value", "reason"]].values.tolist() == [
        [4, "weight", "abc", "invalid weight 权重无效"]
    ]


def test_town_layout_loads_with_its_codebook(villages):
    r = read("town_wjx.xlsx", "town_codebook.xlsx", villages=villages)
    out, cb = r.responses, r.codebook.set_index("item")
    assert list(out.columns) == CANONICAL + [f"q{i}" for i in range(4, 11)]
    assert values(out, "village_id") == ["V01", "V02", "V03"]
    assert values(out, "age_group") == ["18-29岁", "60岁及以上", "45-59岁"]
    assert cb["domain"].tolist() == ["awareness"] * 4 + ["support", "satisfaction", "knowledge"]
    assert cb.loc["q4", "positive"] == ("知道", "听说过") and cb.loc["q4", "missing"] == ("不清楚",)
    assert cb.loc["q10", "positive"] == ("挂断并报警",)
    # "接到…的电话，应该怎么做？" mentions a phone but is a knowledge question: kept
    assert values(out, "q10") == ["挂断并报警", "不知道", "按要求转账"]
    assert warned(r, "personal_data_column") == ["来自IP", "11、您的联系电话（选填）："]
    # 知晓率 of q4 by hand: 知道, 听说过 positive, 不知道 not → 2 of 3
    positive = out["q4"].isin(cb.loc["q4", "positive"]).sum()
    assert (positive, len(out)) == (2, 3)


# --------------------------------------------------------------------------------------------
# Every fixture: reconciliation and privacy
# --------------------------------------------------------------------------------------------

FIXTURES = [
    # file, codebook, format, data rows, loaded, rejected, blank (counted in the tables)
    ("wjx_text.xlsx", None, "wjx", 6, 4, 1, 1),
    ("wjx_text.xlsx", "wjx_text_codebook.xlsx", "wjx", 6, 4, 1, 1),
    ("wjx_number.xlsx", "wjx_number_codebook.xlsx", "wjx", 4, 4, 0, 0),
    ("kobo.xlsx", "kobo_codebook.csv", "kobo", 4, 3, 1, 0),
    ("kobo_labels.csv", None, "kobo", 4, 3, 1, 0),
    ("odk_briefcase.csv", None, "odk", 3, 2, 1, 0),
    ("odk_central.csv", None, "odk", 4, 3, 1, 0),
    ("plain.csv", None, "plain", 3, 2, 1, 0),
    ("town_wjx.xlsx", "town_codebook.xlsx", "wjx", 3, 3, 0, 0),
]


@pytest.mark.parametrize(("name", "codebook", "fmt", "rows", "loaded", "rejected", "blank"),
                         FIXTURES, ids=[f"{f[0]}+{f[1]}" for f in FIXTURES])
def test_reconciliation(villages, name, codebook, fmt, rows, loaded, rejected, blank):
    r = read(name, codebook, villages=villages)
    s = r.stats
    assert r.format == fmt
    assert (s["data_rows"], s["loaded"], s["rejected"], s["non_data"]) == (
        rows, loaded, rejected, blank)
    assert s["loaded"] + s["rejected"] + s["non_data"] == s["data_rows"]
    assert s["table"] == "responses" and s["source_file"] == name
    assert len(r.responses) == loaded
    assert r.rejected["source_row"].nunique() == rejected


# independent of the module's own patterns
PERSONAL = [
    re.compile(r"1[3-9]\d{9}"),  # mobile, after spaces/hyphens are removed
    re.compile(r"\d{17}[\dXx]"),  # ID number
    re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),  # IPv4
    re.compile(r"\d{2}\.\d{4}\s+\d{3}\.\d{4}"),  # a GPS point
    re.compile(r"张三|李四|imei|collect:"),  # submitter names, device ids
]


@pytest.mark.parametrize(("name", "codebook"), [f[:2] for f in FIXTURES],
                         ids=[f"{f[0]}+{f[1]}" for f in FIXTURES])
def test_no_personal_data_leaves_the_reader(villages, name, codebook):
    r = read(name, codebook, villages=villages)
    for label, frame in (("responses", r.responses), ("codebook", r.codebook),
                         ("rejected", r.rejected), ("warnings", r.warnings)):
        cells = [str(c) for c in frame.columns] + [
            str(v) for v in frame.astype("object").to_numpy().ravel()
        ]
        for cell in cells:
            squeezed = re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", cell)
            for pattern in PERSONAL:
                assert not pattern.search(squeezed), (label, cell)


# --------------------------------------------------------------------------------------------
# Codebook file
# --------------------------------------------------------------------------------------------


def test_codebook_round_trip(tmp_path, villages):
    guessed = read("wjx_text.xlsx", "wjx_text_codebook.xlsx", villages=villages).codebook
    path = write_codebook(guessed, tmp_path / "编码表.xlsx")
    assert_frame_equal(read_codebook(path), guessed)
    book = openpyxl.load_workbook(path)
    sheet = book["编码表"]
    assert [c.value for c in sheet[1]] == ["题号", "题目", "类别", "肯定答案", "否定答案",
                                           "无效答案", "正确答案", "选项", "题型"]
    assert sheet.freeze_panes == "A2"
    assert sheet["C2"].value == "知晓" and sheet["D2"].value == "知道、听说过"
    assert sheet["E2"].value is None  # 否定答案 left empty: pufa.toml's lists apply
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    assert [p.name for p in tmp_path.iterdir()] == ["编码表.xlsx"]  # no temporary file left


def test_round_trip_with_a_separator_inside_an_answer(tmp_path):
    book = pd.DataFrame({"item": ["q1"], "text": ["t"], "domain": ["awareness"],
                         "positive": [("知道、了解", "听说过")]})
    back = read_codebook(write_codebook(book, tmp_path / "cb.xlsx"))
    assert back.loc[0, "positive"] == ("知道、了解", "听说过")


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch, villages):
    path = tmp_path / "编码表.xlsx"
    guessed = read("wjx_text.xlsx").codebook
    write_codebook(guessed, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        write_codebook(guessed.iloc[:1], path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["编码表.xlsx"]


def test_read_codebook_english_headers_and_item_names(tmp_path):
    path = tmp_path / "cb.csv"
    path.write_text("item,domain,positive,kind\n第4题,support,支持|比较支持,单选\nQ5,满意度,,\n",
                    encoding="utf-8")
    book = read_codebook(path)
    assert book["item"].tolist() == ["q4", "q5"]
    assert book["domain"].tolist() == ["support", "satisfaction"]
    assert book["positive"].tolist() == [("支持", "比较支持"), ()]
    assert book["kind"].tolist()[0] == "single" and pd.isna(book["kind"].tolist()[1])


def test_read_codebook_errors(tmp_path):
    path = tmp_path / "cb.csv"
    path.write_text("题目,类别\n您知道吗,知晓\n", encoding="utf-8")
    with pytest.raises(ValueError, match="题号/item"):
        read_codebook(path)
    path.write_text("题号,类别\n4,态度\n", encoding="utf-8")
    with pytest.raises(ValueError, match="态度"):
        read_codebook(path)
    path.write_text("题号\n4\n4\n", encoding="utf-8")
    with pytest.raises(ValueError, match="more than once"):
        read_codebook(path)


# --------------------------------------------------------------------------------------------
# Personal data detection
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "kind"), [
    ("11010519491231002X", "id_number"),  # GB 11643-1999's worked example
    ("440524188001010014", "id_number"),  # the standard's second example
    ("身份证：11010519491231002x", "id_number"),
    ("110105194912310021", None),  # check digit should be X
    ("13800138000", "mobile"),
    ("+86 138-0013-8000", "mobile"),
    ("１３８００１３８０００", "mobile"),  # full-width digits
    ("12345678901", None),  # 12… is not a mobile prefix
    ("138001380001", None),  # 12 digits
    ("113.96.1.23(广东-梅州)", "ipv4"),
    ("256.1.1.1", None),
    ("1.2.3", None),
    ("23.9397 115.7792 0 5", "geopoint"),
    ("18-29岁", None),
    ("2025/11/03 10:21:33", None),
    ("拨打110报警", None),
])
def test_find_personal_data(value, kind):
    assert find_personal_data(pd.Series(["知道", value, None])) == kind


def test_find_personal_data_wants_a_series():
    with pytest.raises(TypeError, match="'series'"):
        find_personal_data(["13800138000"])


# --------------------------------------------------------------------------------------------
# Village matching and input checks
# --------------------------------------------------------------------------------------------


def test_village_names_matched_tolerantly(tmp_path):
    register = pd.DataFrame({"village_id": ["A", "B", "C"],
                             "village_name": ["大坝村", "大坝社区", "七都村"]})
    path = tmp_path / "s.csv"
    path.write_text(
        "response_id,村（社区）,q1\n"
        "1,大坝社区,知道\n"      # exact name
        "2,大坝,知道\n"          # key 大坝 fits two villages: ambiguous
        "3,七都村委会,知道\n"    # suffix 村委会
        "4,水寨镇七都村,知道\n"  # town prefix
        "5,ＡＢ村,知道\n", encoding="utf-8")
    r = read_survey_result(path, villages=register)
    assert values(r.responses, "village_id") == ["B", "C", "C"]
    assert values(r.responses, "village_name") == ["大坝社区", "七都村", "七都村"]
    assert r.rejected[["source_row", "value", "reason"]].values.tolist() == [
        [3, "大坝", "ambiguous village name 村（社区）名称对应多个村"],
        [6, "ＡＢ村", "unknown village 未知村（社区）"],
    ]


def test_inputs_are_not_modified(villages):
    before = villages.copy()
    book = read_codebook(DATA / "wjx_text_codebook.xlsx")
    book_before = book.copy()
    read_survey(DATA / "wjx_text.xlsx", codebook=book, villages=villages)
    assert_frame_equal(villages, before)
    assert_frame_equal(book, book_before)


def test_read_survey_returns_three_frames(villages):
    responses, codebook, rejected = read_survey(DATA / "odk_central.csv", villages=villages)
    assert len(responses) == 3 and len(codebook) == 2 and len(rejected) == 1
    assert list(rejected.columns) == ["table", "source_file", "sheet", "source_row", "column",
                                      "value", "reason"]


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"format": "excel"}, ValueError, "'format'"),
    ({"codebook": 3}, TypeError, "'codebook'"),
    ({"villages": "villages.csv"}, TypeError, "'villages'"),
    ({"villages": pd.DataFrame({"name": ["x"]})}, ValueError, "village_id"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        read_survey(DATA / "plain.csv", **kwargs)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="'path'"):
        read_survey(tmp_path / "nope.xlsx")
    other = tmp_path / "a.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="'path'"):
        read_survey(other)


def test_weight_nan_is_rejected_not_loaded(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("response_id,村,weight,q1\n1,大岭村,2,知道\n2,大岭村,,知道\n",
                    encoding="utf-8")
    r = read_survey_result(path)
    assert r.responses["weight"].tolist() == [2.0]
    assert r.rejected["reason"].tolist() == ["invalid weight 权重无效"]
    assert not np.isnan(r.responses["weight"]).any()


def test_title_row_above_the_header_and_explicit_format(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("2025年普法知晓率问卷\n"
                    "response_id,村（社区）,q1\n"
                    "a,大岭村,知道\n"
                    ",,\n"
                    "b,罗湖村,不知道\n", encoding="utf-8")
    r = read_survey_result(path, format="plain")
    assert values(r.responses, "source_row") == [3, 5]  # line 2 is the header, line 4 blank
    assert (r.stats["data_rows"], r.stats["loaded"], r.stats["non_data"]) == (3, 2, 1)


def test_english_personal_field_names_are_dropped(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("g/village_name,g/resp_name,g/resp_phone,g/q1,_uuid\n"
                    "大岭村,王五,0753-1234567,yes,u1\n", encoding="utf-8")
    r = read_survey_result(path)
    assert list(r.responses.columns) == CANONICAL + ["q1"]
    assert values(r.responses, "village_name") == ["大岭村"]
    assert warned(r, "personal_data_column") == ["g/resp_name", "g/resp_phone"]
    assert r.warnings["value"].isna().all()  # never a value


def test_codebook_frame_with_chinese_labels():
    book = pd.DataFrame({"item": ["4"], "domain": ["支持"], "positive": ["知道、听说过"]})
    r = read("town_wjx.xlsx", book)
    cb = r.codebook.set_index("item")
    assert cb.loc["q4", "domain"] == "support" and cb.loc["q4", "positive"] == ("知道", "听说过")


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        read_survey(path)
