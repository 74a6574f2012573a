"""Malformed inputs: each gets a specific message naming the file and what to fix, and the rest
of the folder still loads.

The corpus is tests/data/bad/raw/, written by tests/data/bad/make_bad_inputs.py (its ``CORPUS``
lists every file and what is wrong with it). The counts below are read off the files themselves
(open them: they are a few rows each); the row numbers are Excel's or the CSV line numbers.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from pufa_metrics import cli
from pufa_metrics.config import Settings
from pufa_metrics.io import Dataset, LedgerError, load_dataset, read_ledger

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad" / "raw"
_spec = importlib.util.spec_from_file_location(
    "make_bad_inputs", ROOT / "tests" / "data" / "bad" / "make_bad_inputs.py")
make_bad_inputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_bad_inputs)
CORPUS = make_bad_inputs.CORPUS

#: What the message of each unreadable file must tell the user to do (English half).
FIX = {
    "台账_截断.xlsx": "copy it again from the original",
    "台账_文本冒充.xlsx": "save it as .xlsx",
    "台账_网页.xls": "save it as .xlsx",
    "台账_图片.xlsx": "save it as .xlsx",
    "台账_加密.xlsx": "remove the password",
    "台账_压缩包.xlsx": "unzip it",
    "台账_损坏.xls": "copy it again from the original",
    "台账_零字节.csv": "export or copy it again",
    "台账_二进制.csv": "save it from Excel as 'CSV UTF-8",
    "台账_引号未闭合.csv": "close or remove the quote",
    "台账_空工作簿.xlsx": "put the ledger in it or remove the file",
    "台账_表头太靠下.xlsx": "accepted headers",
    "台账_缺日期列.csv": "accepted headers: date、日期、时间",
    "问卷_损坏.xlsx": "copy it again from the original",
    "村界_损坏.geojson": "Unterminated string",
}

#: (data_rows, loaded, rejected, non_data, preamble_rows) of every readable file, by eye.
COUNTS = {
    "台账_正常.csv": (3, 3, 0, 0, 0),
    "村居基本信息.csv": (5, 5, 0, 0, 0),
    "台账_utf16.csv": (2, 2, 0, 0, 0),
    "台账_utf16无bom.csv": (2, 2, 0, 0, 0),
    "台账_分号.csv": (2, 2, 0, 0, 0),
    "台账_只有表头.xlsx": (0, 0, 0, 0, 0),
    "台账_三千列.xlsx": (2, 2, 0, 0, 0),
    "台账_合并单元格.xlsx": (3, 3, 0, 0, 0),
    "台账_公式无缓存.xlsx": (3, 1, 2, 0, 0),  # rows 2 and 4 hold formulas never calculated
    "台账_错误值.xlsx": (3, 1, 2, 0, 0),  # #REF! (row 2), #DIV/0! (row 3)
    "台账_尺寸声明错误.xlsx": (5, 5, 0, 0, 0),  # <dimension> claims A1:C2, all 5 rows read
    "台账_未来日期.csv": (5, 2, 3, 0, 0),  # 2099, 9999 and 2199 on lines 2-4
    "台账_日期乱写.csv": (5, 2, 3, 0, 0),  # 明天, 2021-02-30, 9月9日 on lines 2-4
    "台账_负数.csv": (4, 2, 2, 0, 0),  # -20 and −5 on lines 2-3
    "台账_村名空格数字.csv": (5, 4, 1, 0, 0),  # 2公园社区 on line 6
    "台账_表头在第7行.xlsx": (2, 2, 0, 0, 6),  # six lines above the header
    "台账_个人信息.csv": (3, 3, 0, 0, 0),
}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(BAD, settings=Settings(), strict=False)  # files meant not to read


@pytest.fixture(scope="module")
def files(ds) -> pd.DataFrame:
    return ds.reconciliation().set_index("source_file")


def _cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def test_corpus_has_at_least_15_malformed_files_all_committed():
    names = {p.name for p in BAD.iterdir()}
    assert len(CORPUS) >= 15
    assert set(CORPUS) <= names
    # and nothing in the folder is unaccounted for
    assert names - set(CORPUS) == {"README.md", "村居基本信息.csv", "台账_正常.csv"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (kind, _, _) in CORPUS.items() if kind == "error"])
def test_unreadable_file_gets_a_specific_message_naming_it_and_the_fix(files, ds, name):
    _, fragment, _ = CORPUS[name]
    row = files.loc[name]
    assert row["status"] == "error"
    message = row["message"]
    assert message.startswith(f"{name}: ")  # names the file
    assert fragment in message  # says what is wrong
    assert FIX[name] in message  # says what to do
    assert _cjk(message.split(" / ")[0])  # Chinese, then English
    assert "Traceback" not in message and "the reader failed" not in message  # not a bug
    # the same text is in the rejected list (without a row number), nothing loaded from it
    rej = ds.rejected[ds.rejected["source_file"] == name]
    assert rej["reason"].tolist() == [message] and rej["source_row"].isna().all()
    assert row[["data_rows", "loaded", "rejected", "non_data"]].tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_readable_files_reconcile_with_counts_by_eye(files, name):
    row = files.loc[name]
    assert row["status"] == "ok"
    got = tuple(int(row[c]) for c in ("data_rows", "loaded", "rejected", "non_data",
                                      "preamble_rows"))
    assert got == COUNTS[name]
    assert got[1] + got[2] + got[3] == got[0]


@pytest.mark.parametrize("name", [n for n, (kind, frag, _) in CORPUS.items()
                                  if kind == "ok" and frag])
def test_readable_file_problem_is_named_in_rejected_or_warnings(ds, name):
    _, fragment, _ = CORPUS[name]
    reasons = pd.concat([ds.rejected.loc[ds.rejected["source_file"] == name, "reason"],
                         ds.warnings.loc[ds.warnings["source_file"] == name, "reason"]])
    assert reasons.str.contains(fragment, regex=False).any(), reasons.tolist()
    assert reasons.map(_cjk).all()  # every reason has its Chinese half


def test_the_rest_of_the_folder_still_loads(ds):
    assert ds.villages["village_id"].tolist() == ["V01", "V02", "V03", "V04", "V05"]
    good = ds.events[ds.events["source_file"] == "台账_正常.csv"]
    assert good["village_id"].tolist() == ["V01", "V02", "V05"]
    assert good["attendees"].tolist() == [50, 30, 120]
    # every readable ledger's loaded rows are in ds.events, nothing else
    loaded = {n: c[1] for n, c in COUNTS.items() if n != "村居基本信息.csv"}
    assert ds.events["source_file"].value_counts().reindex(list(loaded), fill_value=0
                                                          ).to_dict() == loaded


def test_rejected_rows_name_file_row_value_and_reason(ds):
    rej = ds.rejected.dropna(subset=["source_row"])
    got = {(f, int(r), v) for f, r, v in rej[["source_file", "source_row", "value"]]
           .itertuples(index=False)}
    assert {("台账_未来日期.csv", 2, "2099-01-01"), ("台账_未来日期.csv", 3, "9999-12-31"),
            ("台账_未来日期.csv", 4, "2199年1月1日"), ("台账_负数.csv", 2, "-20"),
            ("台账_负数.csv", 3, "−5"), ("台账_村名空格数字.csv", 6, "2公园社区"),
            ("台账_日期乱写.csv", 2, "明天"), ("台账_日期乱写.csv", 3, "2021-02-30"),
            ("台账_日期乱写.csv", 4, "9月9日"), ("台账_错误值.xlsx", 2, "#REF!"),
            ("台账_错误值.xlsx", 3, "#DIV/0!"), ("台账_公式无缓存.xlsx", 2, "=10+20"),
            ("台账_公式无缓存.xlsx", 4, "=SUM(D2:D3)")} <= got
    # one problem per bad cell: an Excel error is not reported again as an unreadable number
    assert len(rej[rej["source_file"] == "台账_错误值.xlsx"]) == 2


def test_village_names_with_spaces_and_digits(ds):
    ev = ds.events[ds.events["source_file"] == "台账_村名空格数字.csv"]
    # "大岭村 " (trailing space), "上坝村　" (full-width space), "犁滩村３组" and "坝美村1"
    # (matched by the start of the name, with a warning); "2公园社区" is rejected
    assert ev["village_id"].tolist() == ["V01", "V02", "V03", "V04"]
    w = ds.warnings[ds.warnings["source_file"] == "台账_村名空格数字.csv"]
    assert w["reason"].str.startswith("village matched by the start of the name").sum() == 2


def test_thousands_of_columns_summed_up_in_two_warnings(ds):
    w = ds.warnings[ds.warnings["source_file"] == "台账_三千列.xlsx"]
    # 5 known headers + 1,000 unknown ones (自定义0…); data rows run to column 3,000, so
    # columns 1,006 … 3,000 (1,995 of them) have no header
    first, last = get_column_letter(1006), get_column_letter(3000)
    assert len(w) == 2
    assert w["reason"].str.contains("1000 columns not used").any()
    assert w["reason"].str.contains(f"1995 columns without a header ignored 无表头的列未读取 "
                                    f"({first}–{last})", regex=False).any()


def test_merged_date_filled_down_over_the_data_rows(ds):
    ev = ds.events[ds.events["source_file"] == "台账_合并单元格.xlsx"]
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-12-03"] * 3
    assert ev["village_id"].tolist() == ["V03", "V01", "V05"]


def test_personal_data_file_loads_with_nothing_personal_kept(ds):
    ev = ds.events[ds.events["source_file"] == "台账_个人信息.csv"]
    assert ev["notes"].tolist() == ["联系人[已隐去][已隐去]", "入户走访 [已隐去] 身份证[已隐去]",
                                    "[已隐去] 电话 [已隐去]"]
    text = " ".join(str(v) for f in (ds.events, ds.rejected, ds.warnings, ds.files)
                    for v in f.astype("object").to_numpy().ravel())
    squeezed = re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", text)
    for pattern in (r"1[3-9]\d{9}", r"\d{17}[\dXx]", r"府前路8号", r"3组12号", "张三", "李四",
                    "王五", "赵六"):
        assert re.search(pattern, squeezed) is None, pattern
    removed = ds.removed_personal_data()
    got = removed[removed["source_file"] == "台账_个人信息.csv"]
    # by hand: 姓名 has 3 names, 身份证号 2 numbers, 联系电话 2 numbers (all dropped with their
    # columns); 备注 has 2 mobiles (13800138000, 139 1234 5678), 1 ID number, 2 addresses
    # (府前路8号, 大岭村3组12号) and 1 name after 联系人
    assert sorted(got[["column", "kind", "action", "cells"]].itertuples(index=False,
                                                                       name=None)) == sorted([
        ("姓名", "header", "dropped", 3), ("身份证号", "header", "dropped", 2),
        ("联系电话", "header", "dropped", 2), ("备注", "mobile", "masked", 2),
        ("备注", "id_number", "masked", 1), ("备注", "address", "masked", 2),
        ("备注", "name", "masked", 1)])


def test_single_file_errors_raise_ledger_error_with_the_same_text():
    with pytest.raises(LedgerError, match="password protected") as info:
        read_ledger(BAD / "台账_加密.xlsx", table="events")
    assert isinstance(info.value, ValueError) and info.value.file == "台账_加密.xlsx"
    with pytest.raises(LedgerError, match="never closed"):
        read_ledger(BAD / "台账_引号未闭合.csv", table="events")


@pytest.mark.slow
def test_cli_validate_reports_every_bad_file_without_a_traceback(capsys):
    # the table goes to sys.stdout as it is at call time, so capsys sees it
    code = cli.main(["validate", str(BAD)])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_BAD_INPUT  # some files cannot be read: exit 2, not 3 (a bug)
    assert "Traceback" not in out + err
    for name, (kind, _, _) in CORPUS.items():
        if kind == "error":
            assert name in out


@pytest.mark.slow
def test_cli_build_writes_what_loads_and_the_output_reads_back(tmp_path, capsys, ds):
    out = tmp_path / "processed"
    assert cli.main(["build", str(BAD), "--out", str(out), "--allow-unreadable"]) == cli.EXIT_OK
    back = Dataset.from_parquet(out)
    assert len(back.events) == len(ds.events) and len(back.rejected) == len(ds.rejected)


@pytest.mark.slow
def test_subprocess_pufa_validate_prints_no_traceback():
    pufa = Path(sys.executable).with_name("pufa")
    proc = subprocess.run([str(pufa), "validate", str(BAD)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == cli.EXIT_BAD_INPUT
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "台账_加密.xlsx" in proc.stdout
