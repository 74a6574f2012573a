"""Write the malformed-input corpus in tests/data/bad/raw/ (a folder like data/raw).

每个文件都是一种常见的"坏"台账：截断、加密、编码、合并单元格、公式、个人信息……
Each file is one way a real ledger goes wrong. ``tests/test_bad_inputs.py`` loads the whole folder
and checks, file by file, the message (naming the file and what to fix) or the rows, and that the
register and the good ledger still load. ``CORPUS`` below is the list both use.

Run from the repository root (the generated files are committed)::

    .venv/bin/python tests/data/bad/make_bad_inputs.py

The password-protected workbook needs ``msoffcrypto-tool`` only here, to write it (it is not a
dependency of the project); without it the committed file is kept.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
PASSWORD = "pufa"  # the encrypted workbook's password (documented: the fixture is synthetic)

HEADER = ["日期", "村（社区）", "宣传内容", "参加人数（人次）", "备注"]
_WEEK = iter(range(1, 200))


def good_rows() -> list[list[str]]:
    """Two valid rows, on dates no other file uses (a repeated event is rejected as a duplicate
    of the first ledger that has it, which is not what these files test)."""
    import datetime as dt

    day = dt.date(2021, 1, 4) + dt.timedelta(weeks=next(_WEEK))
    return [[day.isoformat(), "大岭村", "民法典", "50", ""],
            [(day + dt.timedelta(days=1)).isoformat(), "上坝村", "禁毒、反诈", "30", ""]]


#: file → (expected outcome, text the message must contain, what it is).
#: outcome: "error" (the file cannot be read: status error, a message naming the file),
#: "ok" (loads; the rows are checked in the test), "unrecognised" (fits no table).
CORPUS: dict[str, tuple[str, str, str]] = {
    "台账_截断.xlsx": ("error", "damaged or truncated", "an .xlsx cut in half"),
    "台账_文本冒充.xlsx": ("error", "not an Excel workbook", "plain text named .xlsx"),
    "台账_网页.xls": ("error", "web page (HTML)", "an HTML table saved as .xls"),
    "台账_图片.xlsx": ("error", "this is an image", "a PNG named .xlsx"),
    "台账_加密.xlsx": ("error", "password protected", "a password-protected workbook"),
    "台账_压缩包.xlsx": ("error", "a ZIP archive", "a ZIP of CSV files named .xlsx"),
    "台账_损坏.xls": ("error", "damaged or truncated", "an old .xls cut in half"),
    "台账_零字节.csv": ("error", "the file is empty", "0 bytes"),
    "台账_二进制.csv": ("error", "unknown text encoding", "random bytes named .csv"),
    "台账_引号未闭合.csv": ("error", "never closed", "a quote that swallows the next lines"),
    "台账_空工作簿.xlsx": ("error", "the workbook is empty", "a workbook with no value"),
    "台账_表头太靠下.xlsx": ("error", "no header row", "the header on row 40"),
    "台账_缺日期列.csv": ("error", "required column 'date' is missing", "no 日期 column"),
    "问卷_损坏.xlsx": ("error", "damaged or truncated", "a survey export cut in half"),
    "村界_损坏.geojson": ("error", "cannot read the boundary file", "broken GeoJSON"),
    "台账_utf16.csv": ("ok", "", "UTF-16 with a BOM, tab separated (Excel 'Unicode text')"),
    "台账_utf16无bom.csv": ("ok", "", "UTF-16 LE without a BOM"),
    "台账_分号.csv": ("ok", "", "separated by semicolons"),
    "台账_只有表头.xlsx": ("ok", "no data rows under the header", "a header and nothing else"),
    "台账_三千列.xlsx": ("ok", "columns without a header ignored", "3,000 columns"),
    "台账_合并单元格.xlsx": ("ok", "merged cells filled down", "a date merged over 3 rows"),
    "台账_公式无缓存.xlsx": ("ok", "formula without a saved result", "formulas never calculated"),
    "台账_错误值.xlsx": ("ok", "Excel error value", "#REF! and #DIV/0! cells"),
    "台账_尺寸声明错误.xlsx": ("ok", "", "a <dimension> claiming 2 rows of 6"),
    "台账_未来日期.csv": ("ok", "date after today", "dates in 2099, 2199 and 9999"),
    "台账_日期乱写.csv": ("ok", "cannot read a date", "明天, 2021-02-30, 9月9日 with no year"),
    "台账_负数.csv": ("ok", "negative count", "counts -20 and −5"),
    "台账_村名空格数字.csv": ("ok", "unknown village", "trailing and full-width spaces, digits"),
    "台账_表头在第7行.xlsx": ("ok", "", "six title lines above the header"),
    "台账_个人信息.csv": ("ok", "personal data removed", "names, ID numbers, phones, addresses"),
}


def _csv(name: str, lines: list[list[str]], *, encoding: str = "utf-8-sig",
         sep: str = ",") -> None:
    text = "\n".join(sep.join(cells) for cells in lines) + "\n"
    (RAW / name).write_bytes(text.encode(encoding))


def _xlsx(name: str, rows: list[list[object]], **kw) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = kw.get("title", "台账")
    for row in rows:  # writing a fixture
        ws.append(row)
    for ref in kw.get("merge", ()):
        ws.merge_cells(ref)
    if kw.get("save", True):
        wb.save(RAW / name)
    return wb


def _good_xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    _xlsx("", [HEADER, *good_rows()], save=False).save(buf)
    return buf.getvalue()


def _rewrite_member(path: Path, member: str, edit) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # a handful of parts
            data = src.read(info)
            dst.writestr(info, edit(data) if info.filename == member else data)
    tmp.replace(path)


def write() -> list[Path]:
    """Write every file of ``CORPUS`` plus the register and one good ledger; return the paths."""
    keep_encrypted = (RAW / "台账_加密.xlsx").read_bytes() if (RAW / "台账_加密.xlsx").exists() \
        else None
    if RAW.exists():
        shutil.rmtree(RAW)
    RAW.mkdir(parents=True)
    rng = np.random.default_rng(8)

    # the register and a good ledger: both must load whatever else is in the folder
    _csv("村居基本信息.csv", [["村编码", "村（社区）", "常住人口", "镇"],
                             ["V01", "大岭村", "1200", "水寨镇"],
                             ["V02", "上坝村", "800", "水寨镇"],
                             ["V03", "犁滩村", "900", "水寨镇"],
                             ["V04", "坝美村", "1500", "水寨镇"],
                             ["V05", "公园社区", "3400", "水寨镇"]])
    _csv("台账_正常.csv", [HEADER, *good_rows(), ["2021-12-04", "公园社区", "宪法", "120", ""]])

    good = _good_xlsx_bytes()
    (RAW / "台账_截断.xlsx").write_bytes(good[: len(good) // 2])
    (RAW / "台账_文本冒充.xlsx").write_text("日期,村（社区）,宣传内容\n2021-09-09,大岭村,民法典\n",
                                           encoding="utf-8")
    (RAW / "台账_网页.xls").write_text(
        "<html><body><table><tr><td>日期</td><td>村（社区）</td></tr></table></body></html>",
        encoding="utf-8")
    (RAW / "台账_图片.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(200))
    try:  # only to write the fixture; not a dependency of the project
        import msoffcrypto
        from msoffcrypto.format.ooxml import OOXMLFile

        assert msoffcrypto  # imported for its side effects
        out = io.BytesIO()
        OOXMLFile(io.BytesIO(good)).encrypt(PASSWORD, out)
        (RAW / "台账_加密.xlsx").write_bytes(out.getvalue())
    except ImportError:
        if keep_encrypted is None:
            raise SystemExit("msoffcrypto-tool is needed once to write 台账_加密.xlsx: "
                             "pip install --target /tmp/msoff msoffcrypto-tool and put it on "
                             "PYTHONPATH") from None
        (RAW / "台账_加密.xlsx").write_bytes(keep_encrypted)
    with zipfile.ZipFile(RAW / "台账_压缩包.xlsx", "w") as zf:
        zf.writestr("台账1.csv", "日期,村（社区）\n2021-09-09,大岭村\n")
        zf.writestr("台账2.csv", "日期,村（社区）\n2021-09-10,上坝村\n")
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("台账")
    for i, row in enumerate([HEADER, *good_rows() * 20]):  # enough rows to be worth truncating
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    buf = io.BytesIO()
    book.save(buf)
    (RAW / "台账_损坏.xls").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (RAW / "台账_零字节.csv").write_bytes(b"")
    (RAW / "台账_二进制.csv").write_bytes(bytes(range(256)) * 8)
    _csv("台账_引号未闭合.csv", [HEADER, ["2021-09-09", '"大岭村', "民法典", "50", ""],
                                 *good_rows()])
    wb = Workbook()
    wb.save(RAW / "台账_空工作簿.xlsx")
    _xlsx("台账_表头太靠下.xlsx", [*[[f"说明第{i}行"] for i in range(1, 40)], HEADER, *good_rows()])
    _csv("台账_缺日期列.csv", [["村（社区）", "宣传内容", "参加人数"], ["大岭村", "禁毒", "30"]])
    survey = io.BytesIO()
    _xlsx("", [["序号", "1、您所在的村（社区）：", "2、您是否知道《民法典》？"],
               *[[str(i), "大岭村", "知道"] for i in range(1, 60)]], save=False).save(survey)
    (RAW / "问卷_损坏.xlsx").write_bytes(survey.getvalue()[: len(survey.getvalue()) // 2])
    (RAW / "村界_损坏.geojson").write_text('{"type": "FeatureCollection", "features": [{"ty',
                                          encoding="utf-8")

    # readable, with something to say
    _csv("台账_utf16.csv", [HEADER, *good_rows()], encoding="utf-16", sep="\t")
    _csv("台账_utf16无bom.csv", [HEADER, *good_rows()], encoding="utf-16-le")
    _csv("台账_分号.csv", [HEADER, *good_rows()], sep=";")
    _xlsx("台账_只有表头.xlsx", [HEADER])
    wide = [[*HEADER, *[f"自定义{j}" for j in range(1000)]],
            *[[*row, *(str(v) for v in rng.integers(0, 9, 2995))] for row in good_rows()]]
    _xlsx("台账_三千列.xlsx", wide)
    _xlsx("台账_合并单元格.xlsx", [HEADER, ["2021-12-03", "犁滩村", "宪法", "40", ""],
                                   [None, "大岭村", "宪法", "30", ""],
                                   [None, "公园社区", "宪法", "100", ""]], merge=["A2:A4"])
    _xlsx("台账_公式无缓存.xlsx", [HEADER, ["2022-06-09", "大岭村", "民法典", "=10+20", ""],
                                   ["2022-06-10", "上坝村", "禁毒", "35", ""],
                                   ["2022-06-11", "犁滩村", "宪法", "=SUM(D2:D3)", ""]])
    _xlsx("台账_错误值.xlsx", [HEADER, ["2022-07-09", "大岭村", "民法典", "#REF!", ""],
                               ["2022-07-10", "上坝村", "禁毒", "#DIV/0!", ""],
                               ["2022-07-11", "犁滩村", "宪法", "25", ""]])
    _xlsx("台账_尺寸声明错误.xlsx", [HEADER, *good_rows(), *good_rows(),
                                     ["2021-12-05", "公园社区", "宪法", "120", ""]])
    _rewrite_member(RAW / "台账_尺寸声明错误.xlsx", "xl/worksheets/sheet1.xml",
                    lambda data: data.replace(b'<dimension ref="A1:E6"', b'<dimension ref="A1:C2"'))
    _csv("台账_未来日期.csv", [HEADER, ["2099-01-01", "大岭村", "民法典", "50", ""],
                               ["9999-12-31", "上坝村", "禁毒", "30", ""],
                               ["2199年1月1日", "犁滩村", "宪法", "20", ""], *good_rows()])
    _csv("台账_日期乱写.csv", [HEADER, ["明天", "大岭村", "民法典", "50", ""],
                               ["2021-02-30", "上坝村", "禁毒", "30", ""],
                               ["9月9日", "犁滩村", "宪法", "20", ""], *good_rows()])
    _csv("台账_负数.csv", [HEADER, ["2022-05-09", "大岭村", "民法典", "-20", ""],
                           ["2022-05-10", "上坝村", "禁毒", "−5", ""], *good_rows()])
    _csv("台账_村名空格数字.csv", [HEADER, ["2022-03-09", "大岭村 ", "民法典", "50", ""],
                                   ["2022-03-10", "上坝村\u3000", "禁毒", "30", ""],
                                   ["2022-03-11", "犁滩村３组", "宪法", "20", ""],
                                   ["2022-03-12", "坝美村1", "宪法", "25", ""],
                                   ["2022-03-13", "2公园社区", "宪法", "25", ""]])
    _xlsx("台账_表头在第7行.xlsx", [["水寨镇普法活动台账"], ["填报单位：水寨镇司法所"],
                                    ["填报日期：2021年12月31日"], [], ["单位：人次、份"], [],
                                    HEADER, *good_rows()])
    _csv("台账_个人信息.csv", [
        [*HEADER, "姓名", "身份证号", "联系电话"],
        ["2022-04-09", "大岭村", "民法典", "50", "联系人李四13800138000", "张三",
         "11010519491231002X", "13912345678"],
        ["2022-04-10", "上坝村", "禁毒", "30", "入户走访 府前路8号 身份证11010519491231002X",
         "王五", "440102199003074517", "13800000001"],
        ["2022-04-11", "犁滩村", "宪法", "20", "大岭村3组12号 电话 139 1234 5678", "赵六", "",
         ""],
    ])
    (RAW / "README.md").write_text(
        "# 坏台账样本 / malformed-input corpus\n\n"
        "Written by `tests/data/bad/make_bad_inputs.py`; every value is synthetic (the ID numbers "
        "are GB 11643's published example and made-up numbers with valid check digits).\n\n"
        + "\n".join(f"- `{name}`: {what}" for name, (_, _, what) in CORPUS.items()) + "\n",
        encoding="utf-8")
    return sorted(RAW.iterdir())


if __name__ == "__main__":
    os.chdir(HERE)
    for path in write():
        print(path.relative_to(HERE), path.stat().st_size, file=sys.stdout)
