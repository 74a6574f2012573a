"""Ledger reader and Dataset: every parsing rule on tiny hand-made files.

The fixtures in tests/data/ledgers/ were written by tests/data/make_ledger_fixtures.py; each
expected value below can be checked by opening the file (the row numbers are Excel's).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import types
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pufa_metrics import schema
from pufa_metrics.config import Settings
from pufa_metrics.io import Dataset, LedgerError, load_dataset, read_ledger
from pufa_metrics.io import cells as io_cells
from pufa_metrics.io import dataset as io_dataset
from pufa_metrics.io import ledger as io_ledger
from pufa_metrics.io import villages as io_villages

LEDGERS = Path(__file__).resolve().parent / "data" / "ledgers"
TODAY = pd.Timestamp("2026-06-30")


def _register_frame() -> pd.DataFrame:
    """Five units of the sample town (ids made up for the test)."""
    return pd.DataFrame(
        {
            "village_id": ["V01", "V02", "V03", "V04", "V05"],
            "village_name": ["大岭村", "上坝村", "犁滩村", "坝美村", "公园社区"],
            "town": ["水寨镇"] * 5,
            "population": [1200, 800, 900, 1500, 3400],
        }
    )


@pytest.fixture
def register() -> pd.DataFrame:
    return _register_frame()


def read(name: str, register: pd.DataFrame | None, table: str = "events", **kw):
    return io_ledger.read_table(LEDGERS / name, table=table, villages=register, today=TODAY,
                           settings=Settings(), **kw)


def by_row(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(frame["source_row"].astype(int))


# --------------------------------------------------------------------------------------------
# The main .xlsx: title rows, two-level merged header, every date and count form
# --------------------------------------------------------------------------------------------


def test_xlsx_rows_loaded_with_values_checked_by_eye(register):
    res = read("events_司法所.xlsx", register)
    ev = by_row(res.frame)
    # rows 5-8, 13-16 load; 9 is blank, 18 合计, 19 注; 10, 11, 12, 17 are rejected
    assert ev.index.tolist() == [5, 6, 7, 8, 13, 14, 15, 16]
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-03-15",  # a real Excel date cell
        "2021-06-01",  # bare serial 44348 = 44197 (2021-01-01) + 151 (Jan..May: 31+28+31+30+31)
        "2021-09-09",  # 9月9日, year from the sheet name "2021年"
        "2021-10-12",  # 2021年10月12日
        "2021-12-03",  # 2021.12.3, merged down over rows 13-15
        "2021-12-03",
        "2021-12-03",
        "2021-12-20",  # 2021年12月20日
    ]
    # 大岭村委会 / "大岭 村" → V01; "公园　社区" (full-width space) → V05; 镇文化广场 and a blank
    # cell are town-wide (no village id, what was written kept)
    assert ev["village_id"].fillna("-").tolist() == [
        "V01", "V01", "V05", "V02", "V03", "V01", "-", "-"]
    assert ev.loc[15, "village_name"] == "镇文化广场"
    assert pd.isna(ev.loc[16, "village_name"])
    # first topic; 消费者权益、防范非法集资 → 消费者权益; 民法典；婚姻家庭 → 民法典;
    # 禁毒、反诈/全民禁毒 → 禁毒; 垃圾分类 kept as written;
    # row 16 from its title 扫黑除恶专项斗争宣传
    assert ev["topic"].tolist() == [
        "消费者权益", "民法典", "禁毒", "垃圾分类", "宪法", "宪法", "宪法", "扫黑除恶"]
    # 参加人数（人次） is split into 成人 + 儿童: 30+20, "50人"+blank, "300余人"+"５０",
    # "约80"+blank, then 40, 30, 100, 60
    assert ev["attendees"].tolist() == [50, 50, 350, 80, 40, 30, 100, 60]
    assert ev["attendees_approx"].tolist() == [False, False, True, True, False, False, False,
                                               False]
    # 约500, 1.2万, 千余, then blanks
    assert ev["materials"].astype("float").fillna(-1).tolist() == [500, 12000, 1000, -1, -1, -1,
                                                                    -1, -1]
    assert ev["materials_approx"].tolist()[:4] == [True, True, True, False]
    # forms through the alias table: 法律知识讲座 → 讲座; 快闪 unknown, kept
    assert ev["form"].tolist()[:4] == ["摆摊设点", "讲座", "以案释法", "快闪"]
    assert ev["event_id"].tolist()[:2] == ["events_司法所:5", "events_司法所:6"]
    assert ev["source_file"].unique().tolist() == ["events_司法所.xlsx"]


def test_xlsx_event_topics_lists_every_topic(register):
    topics = read("events_司法所.xlsx", register).event_topics
    got = topics.groupby("event_id", sort=False)["topic"].agg(list).to_dict()
    assert got["events_司法所:5"] == ["消费者权益", "防范非法集资"]
    assert got["events_司法所:6"] == ["民法典", "婚姻家庭"]
    assert got["events_司法所:7"] == ["禁毒", "反电信网络诈骗"]  # 全民禁毒 = 禁毒, once
    assert got["events_司法所:16"] == ["扫黑除恶"]
    assert set(topics["event_id"]) == set(read("events_司法所.xlsx", register).frame["event_id"])


def test_xlsx_rejected_rows_name_file_row_column_value_reason(register):
    rej = read("events_司法所.xlsx", register).rejected
    assert list(rej.columns) == list(schema.REJECTED.columns)
    got = {int(r): (c, v, reason) for r, c, v, reason in
           rej[["source_row", "column", "value", "reason"]].itertuples(index=False)}
    assert set(got) == {10, 11, 12, 17}
    assert got[10][:2] == ("村（社区）", "外镇某村")
    assert got[10][2] == "unknown village 未知村（社区）: 外镇某村; expected one of the register"
    assert got[11][1] == "-20" and got[11][2].startswith("negative count")
    assert got[12][1] == "2030-01-01" and got[12][2].startswith("date after today")
    assert got[17][2].startswith("no topic")
    assert (rej["source_file"] == "events_司法所.xlsx").all()
    assert (rej["table"] == "events").all()


def test_xlsx_counts_and_warnings(register):
    res = read("events_司法所.xlsx", register)
    # rows 1-2 title and 填报单位; header on rows 3-4; rows 5..19 are the 15 data rows
    assert res.stats == {"table": "events", "source_file": "events_司法所.xlsx", "sheet": "2021年",
                         "title": "水寨镇司法所普法活动台账",
                         "preamble_rows": 2, "data_rows": 15, "loaded": 8, "rejected": 4,
                         "non_data": 3}
    reasons = res.warnings["reason"]
    assert reasons.str.contains("year 2021 taken from the sheet name").any()
    assert reasons.str.contains("merged cells filled down").any()
    assert reasons.str.contains("sheet skipped").any()  # the 汇总 sheet
    unknown = res.warnings[reasons.str.startswith("unknown")]
    assert sorted(unknown["value"]) == ["垃圾分类", "快闪"]  # once each
    approx = res.warnings[reasons.str.startswith("approximate")]
    assert sorted(approx["source_row"].astype(int)) == [5, 6, 7, 7, 8]


def test_personal_data_never_leaves_the_reader(register):
    res = read("events_司法所.xlsx", register)
    frames = [res.frame, res.rejected, res.warnings]
    for frame in frames:
        text = [str(t) for t in frame.to_numpy().ravel()]
        assert not any("13800138000" in t or "13912345678" in t for t in text)
    # the phone is masked, and so is the name written after the label 联系人 (issue #8)
    assert "联系人[已隐去][已隐去]" in res.frame["notes"].tolist()
    assert not any("李四" in str(t) for t in res.frame.to_numpy().ravel())


# --------------------------------------------------------------------------------------------
# .xls, GBK csv, UTF-8-BOM csv
# --------------------------------------------------------------------------------------------


def test_xls_with_merged_parent_over_date_and_place(register):
    res = read("普法活动登记表_2022.xls", register)
    ev = by_row(res.frame)
    assert ev.index.tolist() == [4, 5, 6]  # row 7 is 小计
    # a real .xls date; 4月15日 with the year from the file name; 2022.6.26
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-03-15", "2022-04-15",
                                                            "2022-06-26"]
    # 犁滩村; 坝美村委会 → 坝美村; 上坝 (no suffix) → 上坝村
    assert ev["village_id"].tolist() == ["V03", "V04", "V02"]
    assert ev["attendees"].tolist() == [45, 60, 200]
    assert ev["attendees_approx"].tolist() == [False, True, False]
    assert res.stats["preamble_rows"] == 1 and res.stats["non_data"] == 1
    assert res.warnings["reason"].str.contains("year 2022 taken from the file name").any()


def test_gbk_csv_with_implicit_two_level_header(register):
    res = read("综治办台账_gbk.csv", register)
    ev = by_row(res.frame)
    # CSV line numbers: title 1, header 2-3, data 4..8 (6 blank, 8 小计, 7 rejected)
    assert ev.index.tolist() == [4, 5]
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-09-09", "2021-10-08"]
    assert ev["village_id"].tolist() == ["V03", "V01"]
    assert ev["attendees"].tolist() == [50, 1200]  # 40 + 10; "1,200"
    assert ev["materials"].tolist() == [200, 50]
    assert ev["materials_approx"].tolist() == [False, True]  # 50余
    topics = res.event_topics.groupby("event_id", sort=False)["topic"].agg(list)
    assert topics.iloc[0] == ["社会治安", "扫黑除恶"]  # 平安宣传 → 社会治安
    rej = res.rejected
    assert rej["source_row"].tolist() == [7]
    assert rej["value"].tolist() == ["很多"]
    assert rej["reason"].str.startswith("cannot read a number").all()


def test_utf8_bom_csv_with_ids_and_year_in_title(register):
    res = read("events_bom.csv", register)
    ev = by_row(res.frame)
    assert ev["event_id"].tolist() == ["HD-001", "HD-002", "HD-003"]
    # 3月15日 and 5月20日: 2022 from the title 2022年普法活动台账
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-03-15", "2022-05-20",
                                                            "2022-06-26"]
    assert ev["audience"].fillna("").tolist() == ["全体村民、老年人", "青少年", ""]
    assert ev["attendees"].tolist() == [25, 40, 0]  # "无" = none
    # line 5 repeats HD-002
    assert res.rejected["source_row"].tolist() == [5]
    assert res.rejected["reason"].tolist() == ["duplicate event_id 编号重复: same as row 4"]
    assert res.stats["non_data"] == 1  # the 注： line


@pytest.mark.parametrize(
    ("name", "table", "counts"),
    [
        # (data_rows, loaded, rejected, non_data), counted by eye in each file
        ("events_司法所.xlsx", "events", (15, 8, 4, 3)),
        ("普法活动登记表_2022.xls", "events", (4, 3, 0, 1)),
        ("综治办台账_gbk.csv", "events", (5, 2, 1, 2)),
        ("events_bom.csv", "events", (5, 3, 1, 1)),
        ("cadres_2021.csv", "cadres", (6, 4, 2, 0)),
        ("sites.csv", "sites", (4, 3, 1, 0)),
        ("formula_台账.xlsx", "events", (2, 1, 1, 0)),
    ],
)
def test_reconciliation_for_every_fixture(register, name, table, counts):
    res = read(name, register, table=table)
    st = res.stats
    assert (st["data_rows"], st["loaded"], st["rejected"], st["non_data"]) == counts
    assert st["loaded"] + st["rejected"] + st["non_data"] == st["data_rows"]
    assert len(res.frame) == st["loaded"]
    assert res.rejected["source_row"].nunique() == st["rejected"]
    assert not set(res.frame["source_row"]) & set(res.rejected["source_row"])


# --------------------------------------------------------------------------------------------
# Cell parsers
# --------------------------------------------------------------------------------------------


def test_counts_in_every_form():
    cells = pd.Series(["50", "50人", "５０", "约50", "50余", "300余人", "1.2万", "千余", "1,200",
                       "三百余人", "50-60", None, "-5", "很多", "2.5"], dtype="str")
    values, approx, _noise, reason = io_cells.parse_counts(cells)
    assert values.astype("float").fillna(-1).tolist() == [50, 50, 50, 50, 50, 300, 12000, 1000,
                                                          1200, 300, 50, -1, -1, -1, -1]
    assert approx.tolist() == [False, False, False, True, True, True, True, True, False, True,
                               True, False, False, False, False]
    assert reason.isna().tolist()[:12] == [True] * 12
    assert reason.iloc[12].startswith("negative")
    assert reason.iloc[13].startswith("cannot read a number")
    assert reason.iloc[14].startswith("not a whole number")


def test_dates_in_every_form():
    cells = pd.Series(["2021-09-09", "2021/9/9", "2021.9.9", "2021年9月9日", "2021-09-09 00:00:00",
                       "44448", "20210909", "9月9日", "２０２１年９月９日", "1999-12-31",
                       "2030-01-01", "2021-02-30", "明天", None], dtype="str")
    dates, reason, inferred, _ = io_cells.parse_dates(cells, year=2021, today=TODAY)
    # 44448 = 44197 (2021-01-01) + 251 days (Jan..Aug = 243, + 8) = 2021-09-09
    assert dates.dt.strftime("%Y-%m-%d").fillna("-").tolist() == ["2021-09-09"] * 9 + ["-"] * 5
    assert str(dates.dtype) == "datetime64[us]"
    assert inferred.tolist() == [False] * 7 + [True] + [False] * 6
    assert reason.iloc[9].startswith("date before 2000")
    assert reason.iloc[10].startswith("date after today")
    assert reason.iloc[11].startswith("not a valid date")
    assert reason.iloc[12].startswith("cannot read a date")
    assert pd.isna(reason.iloc[13])  # blank: no value, no problem here
    _, reason, _, _ = io_cells.parse_dates(pd.Series(["9月9日"], dtype="str"), year=None,
                                           today=TODAY)
    assert reason.iloc[0].startswith("date without a year")


def test_booleans_and_certificates():
    cells = pd.Series(["是", "否", "√", "×", "有", "无", "合格", "不合格", "Y", "N", None, "也许"],
                      dtype="str")
    truth, reason = io_cells.parse_bools(cells)
    assert truth.astype("object").where(truth.notna(), None).tolist() == [
        True, False, True, False, True, False, True, False, True, False, None, None]
    assert reason.notna().tolist() == [False] * 11 + [True]
    certs, reason = io_cells.parse_bools(pd.Series(["44142420210001", None, "无"], dtype="str"),
                                     certificate=True)
    assert certs.tolist() == [True, False, False] and reason.isna().all()


def test_village_names_matched_by_id_name_and_suffix(register):
    reg = io_villages.build_register(register)
    cells = pd.Series(["大岭村委会", "大岭 村", "大岭", "大岭村民委员会", "公园社区", "公园",
                       "公园居委会", "V03", "全镇", "镇文化广场", "水寨镇政府", "外镇某村",
                       "大岭村、上坝村", None, "犁滩村文化室"], dtype="str")
    out = io_villages.match_villages(cells, None, reg, cells.index)
    assert out["village_id"].fillna("-").tolist() == [
        "V01", "V01", "V01", "V01", "V05", "V05", "V05", "V03", "-", "-", "-", "-", "-", "-",
        "V03"]
    assert out["status"].tolist() == [
        "matched"] * 8 + ["town", "town", "town", "unknown", "several", "blank", "prefix"]


# --------------------------------------------------------------------------------------------
# Other tables
# --------------------------------------------------------------------------------------------


def test_cadres_names_hashed_and_booleans(register, monkeypatch):
    monkeypatch.setenv("PUFA_SALT", "test-salt")
    res = read("cadres_2021.csv", register, table="cadres")
    cad = by_row(res.frame)

    def pid(dept: str, name: str) -> str:  # the documented recipe, computed here
        return hashlib.sha256(("test-salt" + dept + name).encode("utf-8")).hexdigest()[:12]

    assert cad["person_id"].tolist() == [pid("司法所", "张三"), pid("派出所", "李四"),
                                         pid("司法所", "王五"), pid("综治办", "赵六")]
    assert cad["year"].tolist() == [2021] * 4  # from the file name cadres_2021.csv
    assert cad["online_hours"].tolist() == [42.0, 38.5, 40.0, 45.0]
    assert cad["exam_taken"].tolist() == [True, True, False, True]  # 是, √, 否, Y
    assert cad["exam_score"].fillna(-1).tolist() == [92, 78, -1, 85]  # 缺考 → no score
    assert cad["exam_passed"].astype("object").where(cad["exam_passed"].notna(), None).tolist() \
        == [True, False, None, True]
    assert cad["enforcement_cert"].tolist() == [True, False, True, True]  # numbers, blank, 有
    assert "姓名" not in res.frame.columns
    text = [str(t) for f in (res.frame, res.rejected, res.warnings) for t in f.to_numpy().ravel()]
    assert not any(n in t for t in text for n in ("张三", "李四", "13800000001"))
    assert sorted(res.rejected["source_row"].astype(int)) == [6, 7]  # repeated 张三; 很多 hours


def test_sites_levels_and_partial_dates(register):
    res = read("sites.csv", register, table="sites")
    s = by_row(res.frame)
    assert s["level"].tolist() == ["town", "village", "village"]  # 镇级, 村级, inferred
    assert s["village_id"].fillna("-").tolist() == ["-", "V01", "V05"]
    assert s["opened"].dt.strftime("%Y-%m-%d").tolist() == ["2019-01-01", "2020-05-01",
                                                             "2021-01-10"]
    assert res.rejected["value"].tolist() == ["省级"]


def test_formula_without_saved_result_is_rejected(register):
    res = read("formula_台账.xlsx", register)
    assert res.rejected["source_row"].tolist() == [2]
    assert res.rejected["value"].tolist() == ["=10+20"]
    assert "open the file in Excel and save it again" in res.rejected["reason"].iloc[0]
    assert res.frame["attendees"].tolist() == [35]


def test_every_sheet_read_and_year_from_each_sheet_name(tmp_path, register):
    wb = openpyxl.Workbook()
    for k, year in enumerate((2020, 2021)):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = f"{year}年"
        ws.append(["日期", "村（社区）", "宣传内容"])
        ws.append(["9月9日", "大岭村", "禁毒"])
    wb.save(tmp_path / "台账.xlsx")
    res = io_ledger.read_table(tmp_path / "台账.xlsx", table="events", villages=register,
                               today=TODAY, settings=Settings())
    assert res.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-09-09", "2021-09-09"]
    assert res.frame["event_id"].tolist() == ["台账:2020年:2", "台账:2021年:2"]
    assert res.stats["sheet"] == "2020年, 2021年" and res.stats["data_rows"] == 2
    frame, _ = read_ledger(tmp_path / "台账.xlsx", table="events", sheet="2021年",
                           villages=register)
    assert frame["date"].dt.year.tolist() == [2021]


def test_without_register_names_stay_as_written():
    frame, rejected = read_ledger(LEDGERS / "events_bom.csv", table="events")
    assert frame["village_id"].isna().all()
    assert frame["village_name"].tolist() == ["上坝村", "公园社区", "坝美村"]
    assert frame.dtypes.astype(str).to_dict() == {
        c: ("bool" if d == "bool" else d) for c, d in schema.EVENTS.columns.items()}


def test_adviser_visits_need_a_village_of_the_register(tmp_path, register):
    path = tmp_path / "法律顾问服务台账.csv"
    path.write_text("日期,村（社区）,法律顾问,服务事项,咨询人次\n"
                    "2024-03-01,大岭村,陈律师,讲座,12\n"  # line 2: loaded
                    "2024-03-05,全镇,陈律师,咨询,5\n"  # line 3: town level, not a village
                    "2024-03-09,,陈律师,调解,3\n", encoding="utf-8")  # line 4: no village
    frame, rejected = read_ledger(path, table="adviser_visits", villages=register)
    assert frame[["village_id", "consultations"]].values.tolist() == [["V01", 12]]
    assert rejected["source_row"].tolist() == [3, 4]
    assert rejected["reason"].str[:12].tolist() == ["not a villag", "no village 缺"]


def test_non_data_rows_recognised_by_their_first_cell(tmp_path, register):
    path = tmp_path / "台账.csv"
    path.write_text("序号,日期,村（社区）,宣传内容,备注\n"
                    "1,2021-05-01,大岭村,民法典,合计两场\n"  # data: 合计 only in a later cell
                    "2,,,,\n"  # a pre-numbered empty line: blank
                    "序号,日期,村（社区）,宣传内容,备注\n"  # the header again (page break)
                    "小 计,,,,\n", encoding="utf-8")  # totals, with a space inside
    res = io_ledger.read_table(path, table="events", villages=register, settings=Settings())
    assert res.frame["notes"].tolist() == ["合计两场"]
    assert (res.stats["data_rows"], res.stats["loaded"], res.stats["non_data"]) == (4, 1, 3)


def test_utf16_csv_with_bom(tmp_path, register):
    path = tmp_path / "events_utf16.csv"
    path.write_text("日期\t村（社区）\t宣传内容\n2021-09-09\t犁滩村\t宪法\n", encoding="utf-16")
    frame, _ = read_ledger(path, table="events", villages=register)
    assert frame[["village_id", "topic"]].values.tolist() == [["V03", "宪法"]]


# --------------------------------------------------------------------------------------------
# Files that cannot be read
# --------------------------------------------------------------------------------------------


def test_missing_required_column_names_file_column_and_variants(tmp_path):
    path = tmp_path / "缺列台账.csv"
    path.write_text("村（社区）,宣传内容,参加人数\n大岭村,禁毒,30\n", encoding="utf-8")
    with pytest.raises(LedgerError) as info:
        read_ledger(path, table="events")
    msg = str(info.value)
    assert msg.startswith("缺列台账.csv:")
    assert "'date'" in msg
    for variant in schema.EVENTS.accepted_headers("date"):  # 日期、时间、活动时间 …
        assert variant in msg
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"just some text, not a workbook", "not an Excel workbook"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "web page"),
        # an encrypted .xlsx is an OLE2 compound file holding an EncryptionInfo stream
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
         + "EncryptionInfo".encode("utf-16-le"), "password protected"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password protected"),
    ],
)
def test_unreadable_files_raise_ledger_error(tmp_path, content, expected):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    with pytest.raises(LedgerError, match=expected):
        read_ledger(path, table="events")


def test_truncated_xlsx_raises_ledger_error(tmp_path):
    data = (LEDGERS / "events_司法所.xlsx").read_bytes()
    path = tmp_path / "台账.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LedgerError, match="damaged or truncated"):
        read_ledger(path, table="events")


def test_argument_checks(register):
    with pytest.raises(ValueError, match="'table' should be one of"):
        read_ledger(LEDGERS / "events_bom.csv", table="event")
    with pytest.raises(TypeError, match="'villages' should be a pandas DataFrame"):
        read_ledger(LEDGERS / "events_bom.csv", table="events", villages=["大岭村"])
    with pytest.raises(ValueError, match="has no column 'village_id'"):
        read_ledger(LEDGERS / "events_bom.csv", table="events",
                    villages=register.drop(columns="village_id"))
    with pytest.raises(FileNotFoundError):
        read_ledger(LEDGERS / "nope.csv", table="events")
    with pytest.raises(ValueError, match="not found"):
        read_ledger(LEDGERS / "events_司法所.xlsx", table="events", sheet="2099年")
    with pytest.raises(ValueError, match="'path' should be a folder"):
        load_dataset(LEDGERS / "events_bom.csv")


# --------------------------------------------------------------------------------------------
# A folder
# --------------------------------------------------------------------------------------------


def _write_register(folder: Path, register: pd.DataFrame) -> None:
    reg = register.rename(columns={"village_id": "村编码", "village_name": "村（社区）",
                                   "town": "所属镇", "population": "常住人口"})
    reg.to_csv(folder / "villages.csv", index=False, encoding="utf-8-sig")


@pytest.fixture
def folder(tmp_path, register) -> Path:
    return _make_folder(tmp_path / "raw", register)


def _make_folder(root: Path, register: pd.DataFrame) -> Path:
    root.mkdir()
    for name in ("events_司法所.xlsx", "普法活动登记表_2022.xls", "综治办台账_gbk.csv",
                 "events_bom.csv", "cadres_2021.csv", "sites.csv"):
        shutil.copy(LEDGERS / name, root / name)
    _write_register(root, register)
    # the same event in a second ledger (same date, village, topic and title as
    # events_司法所.xlsx row 13); another ledger that cannot be read; noise
    (root / "events_派出所.csv").write_text(
        "日期,村（社区）,活动名称,宣传内容,参加人数\n"
        "2021-12-03,犁滩村,宪法日宣传,宪法,41\n"
        "2021-12-05,坝美村,禁毒宣传,禁毒,20\n", encoding="utf-8")
    (root / "台账_损坏.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (root / "README.md").write_text("说明", encoding="utf-8")
    (root / ".hidden.csv").write_text("x", encoding="utf-8")
    (root / "photo.jpg").write_bytes(b"\xff\xd8")
    return root


def test_load_dataset_reads_concatenates_and_reconciles(folder):
    ds = load_dataset(folder, settings=Settings(), strict=False)  # 台账_损坏.xlsx
    files = ds.reconciliation().set_index("source_file")
    assert sorted(files.index) == sorted(["events_司法所.xlsx", "普法活动登记表_2022.xls",
                                          "综治办台账_gbk.csv", "events_bom.csv", "cadres_2021.csv",
                                          "sites.csv", "villages.csv", "events_派出所.csv",
                                          "台账_损坏.xlsx", "photo.jpg"])
    ok = files[files["status"] == "ok"]
    assert (ok["loaded"] + ok["rejected"] + ok["non_data"] == ok["data_rows"]).all()
    assert files.loc["台账_损坏.xlsx", "status"] == "error"
    assert files.loc["photo.jpg", "status"] == "unrecognised"
    assert files.loc["villages.csv", "table"] == "villages"
    assert files.loc["cadres_2021.csv", "table"] == "cadres"
    # events: 8 + 3 + 2 + 3 from the fixtures, + 1 of the two 派出所 rows (the other repeats
    # 司法所 row 13 and is rejected as its duplicate)
    assert len(ds.events) == 8 + 3 + 2 + 3 + 1
    dup = ds.rejected[ds.rejected["source_file"] == "events_派出所.csv"]
    assert dup["source_row"].tolist() == [2]
    assert dup["reason"].tolist() == [
        "duplicate of events_司法所.xlsx row 13 与events_司法所.xlsx第13行重复"]
    assert files.loc["events_派出所.csv", ["data_rows", "loaded", "rejected"]].tolist() == [2, 1, 1]
    broken = ds.rejected[ds.rejected["source_file"] == "台账_损坏.xlsx"]
    assert broken["source_row"].isna().all() and broken["reason"].str.contains("damaged").all()
    # every event's topics, and nothing else
    assert set(ds.event_topics["event_id"]) == set(ds.events["event_id"])
    assert ds.events["event_id"].is_unique
    assert len(ds.villages) == 5 and len(ds.cadres) == 4 and len(ds.sites) == 3
    assert ds.legal_literates is None and ds.geometry is None
    assert ds.warnings["reason"].str.contains("file fits no table").any()


def test_file_assignment_by_name_headers_and_settings(tmp_path, register):
    for name, table in [("普法活动台账_司法所.xlsx", "events"), ("村居基本信息.xlsx", "villages"),
                        ("学法用法台账_2021.xlsx", "cadres"), ("普法阵地.xlsx", "sites"),
                        ("问卷编码表.xlsx", "codebook"), ("普法知晓率问卷_2025.xlsx", "responses"),
                        ("村界.geojson", "geometry"), ("法律明白人名册.xlsx", "legal_literates"),
                        ("村居法律顾问服务台账.xlsx", "adviser_visits"), ("data.xlsx", None)]:
        assert io_dataset.classify_by_name(name) == table, name
    _write_register(tmp_path, register)
    (tmp_path / "data1.csv").write_text("活动日期,村（社区）,宣传内容\n2021-05-01,大岭村,民法典\n",
                                        encoding="utf-8")
    (tmp_path / "renamed.csv").write_text("日期,村（社区）,宣传内容\n2021-05-02,上坝村,宪法\n",
                                          encoding="utf-8")
    settings = Settings.from_dict({"files": {"events": ["renamed.*"]}})
    ds = load_dataset(tmp_path, settings=settings)
    assert sorted(ds.events["village_id"]) == ["V01", "V02"]  # data1 by headers, renamed by glob


def test_survey_files_go_through_the_survey_reader(tmp_path, register, monkeypatch):
    calls = {}

    def fake_read_survey(path, *, codebook=None, format="auto", villages=None, settings=None):
        calls.update(path=Path(path).name, codebook=Path(codebook).name,
                     villages=villages["village_id"].tolist())
        responses = schema.coerce(pd.DataFrame({"response_id": ["1"], "village_id": ["V01"],
                                                "source_file": [Path(path).name],
                                                "source_row": [2], "q4": ["知道"]}), "responses")
        book = schema.coerce(pd.DataFrame({"item": ["q4"], "text": ["您是否知道民法典"],
                                           "domain": ["awareness"],
                                           "positive": [("知道", "听说过")],
                                           "missing": [("不清楚",)]}), "codebook")
        stats = {"table": "responses", "source_file": Path(path).name, "sheet": None,
                 "data_rows": 1, "loaded": 1, "rejected": 0, "non_data": 0}
        return types.SimpleNamespace(responses=responses, codebook=book,
                                     rejected=schema.empty_frame("rejected"),
                                     warnings=schema.empty_frame("rejected"), stats=stats,
                                     columns=pd.DataFrame({"column": ["4、您是否知道民法典"],
                                                           "used_as": ["q4"], "reason": [""]}))

    monkeypatch.setattr(io_dataset, "read_survey_result", fake_read_survey)
    # the codebook is checked once up front
    monkeypatch.setattr(io_dataset, "read_codebook", lambda path: pd.DataFrame({"item": ["q4"]}))
    _write_register(tmp_path, register)
    (tmp_path / "问卷_2025.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "问卷编码表.csv").write_text("x\n", encoding="utf-8")
    ds = load_dataset(tmp_path, settings=Settings())
    assert calls == {"path": "问卷_2025.csv", "codebook": "问卷编码表.csv",
                     "villages": ["V01", "V02", "V03", "V04", "V05"]}
    assert ds.responses["q4"].tolist() == ["知道"]
    assert ds.codebook["positive"].tolist() == [("知道", "听说过")]
    files = ds.files.set_index("source_file")
    assert files.loc["问卷_2025.csv", ["table", "loaded", "status"]].tolist() == [
        "responses", 1, "ok"]


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    import geopandas as gpd
    from shapely.geometry import box

    folder = _make_folder(tmp_path_factory.mktemp("ds") / "raw", _register_frame())

    names = ["大岭村", "上坝村", "犁滩村", "坝美村", "外镇某村"]
    bounds = gpd.GeoDataFrame({"village_name": names},
                              geometry=[box(115 + i / 10, 23.9, 115.1 + i / 10, 24.0)
                                        for i in range(5)], crs=4326)
    bounds.to_file(folder / "村界.geojson", driver="GeoJSON")
    ds = load_dataset(folder, settings=Settings(), strict=False)  # 台账_损坏.xlsx
    codebook = schema.coerce(pd.DataFrame({
        "item": ["q4", "q5"], "text": ["您是否知道民法典", "您是否支持"],
        "domain": ["awareness", "support"], "positive": [("知道", "听说过"), ("支持",)],
        "missing": [("不清楚",), ()], "correct": [np.nan, np.nan]}), "codebook")
    ds.codebook = codebook
    return ds


def test_geometry_matched_to_register(dataset):
    assert dataset.geometry["village_id"].tolist() == ["V01", "V02", "V03", "V04"]
    assert dataset.geometry.crs.to_epsg() == 4326
    rej = dataset.rejected[dataset.rejected["table"] == "geometry"]
    assert rej["source_row"].tolist() == [5] and rej["value"].tolist() == ["外镇某村"]


def test_parquet_round_trip_is_lossless(dataset, tmp_path):
    from geopandas.testing import assert_geodataframe_equal

    out = dataset.to_parquet(tmp_path / "processed")
    back = Dataset.from_parquet(out)
    for name in ("villages", "events", "event_topics", "sites", "responses", "codebook",
                 "cadres", "rejected", "warnings", "files"):
        assert_frame_equal(getattr(back, name), getattr(dataset, name), check_exact=True)
    assert back.codebook["positive"].tolist() == [("知道", "听说过"), ("支持",)]
    assert back.codebook["missing"].tolist() == [("不清楚",), ()]
    assert back.legal_literates is None and back.adviser_visits is None
    assert_geodataframe_equal(back.geometry, dataset.geometry)
    assert str(back.events["date"].dtype) == "datetime64[us]"


def test_to_parquet_failure_leaves_previous_output_intact(dataset, tmp_path, monkeypatch):
    target = tmp_path / "processed"
    target.mkdir()
    (target / ".gitkeep").write_text("")
    dataset.to_parquet(target)
    before = sorted(p.name for p in target.iterdir())
    first = Dataset.from_parquet(target)

    changed = Dataset(villages=dataset.villages.iloc[:1], events=dataset.events.iloc[:2])
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # fail part-way, after two tables were written
            raise OSError("disk full (simulated)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    with pytest.raises(OSError, match="disk full"):
        changed.to_parquet(target)
    monkeypatch.undo()
    assert sorted(p.name for p in target.iterdir()) == before
    again = Dataset.from_parquet(target)
    assert_frame_equal(again.events, first.events)
    assert_frame_equal(again.villages, first.villages)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    # and a successful write replaces the dataset but keeps foreign files
    changed.to_parquet(target)
    assert len(Dataset.from_parquet(target).events) == 2
    assert (target / ".gitkeep").exists()


def test_from_parquet_on_a_folder_without_dataset(tmp_path):
    with pytest.raises(ValueError, match="not a saved Dataset"):
        Dataset.from_parquet(tmp_path)


def test_dates_are_microseconds_and_today_is_injectable(register):
    res = io_ledger.read_table(LEDGERS / "events_司法所.xlsx", table="events", villages=register,
                          today=dt.date(2021, 11, 30), settings=Settings())
    # with "today" = 2021-11-30 the December rows 11-17 are in the future too
    late = res.rejected[res.rejected["reason"].str.startswith("date after today")]
    assert sorted(late["source_row"].astype(int)) == [11, 12, 13, 14, 15, 16, 17]
