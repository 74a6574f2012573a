"""Write the "real shapes" corpus: small inputs laid out like real government tables and survey
exports (see README.md in this folder for the pattern each file copies and where it was seen).

Run from the repository root:

    .venv/bin/python tests/data/real_shapes/make_real_shapes.py

The outputs are committed next to this script. Every value below is written out literally so
that the hand counts in truth.toml can be checked by eye; check_truth.py re-counts them from
the written files (openpyxl / xlrd / csv only, never pufa_metrics).

The invented town is 河口镇 of the invented 南岭县 (county code 441499 does not exist). Its
12 units, in register order, with their 统计用区划代码 (town 104; 居委会 001-099, 村委会 201+):

    河口社区 441499104001   新街社区 441499104002   大布村   441499104201   石龙村 441499104202
    塘尾村   441499104203   上围村   441499104204   下坑村   441499104205   黄竹坪村 441499104206
    横岗村   441499104207   白石村   441499104208   禾田村   441499104209   龙潭村 441499104210

All people's names, phone numbers, IP addresses, UUIDs and user names are invented.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import struct
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
FIXED = dt.datetime(2024, 12, 31, 9, 0, 0)
D = dt.datetime  # short alias for literal dates below

# --------------------------------------------------------------------------------------------
# The register: one literal table, every register file is a view of it
# --------------------------------------------------------------------------------------------

#: name, code, 城乡分类代码, 常住人口, 户籍人口 合计, 男, 女, 户数, 村民小组 (None for 社区)
TOWN = [
    ("河口社区", 441499104001, 121, 3120, 2860, 1450, 1410, 980, None),
    ("新街社区", 441499104002, 121, 2450, 2210, 1120, 1090, 760, None),
    ("大布村", 441499104201, 122, 1800, 2650, 1370, 1280, 702, 12),
    ("石龙村", 441499104202, 220, 1320, 2080, 1075, 1005, 531, 9),
    ("塘尾村", 441499104203, 220, 960, 1540, 800, 740, 402, 7),
    ("上围村", 441499104204, 220, 1105, 1730, 890, 840, 455, 8),
    ("下坑村", 441499104205, 220, 640, 1210, 628, 582, 318, 6),
    ("黄竹坪村", 441499104206, 220, 515, 980, 507, 473, 256, 5),
    ("横岗村", 441499104207, 220, 1430, 2190, 1130, 1060, 570, 10),
    ("白石村", 441499104208, 220, 870, 1460, 752, 708, 381, 7),
    ("禾田村", 441499104209, 220, 1210, 1880, 965, 915, 490, 9),
    ("龙潭村", 441499104210, 220, 730, 1320, 681, 639, 344, 6),
]
# Totals (hand-summed; check_truth.py re-sums): 常住 16150, 户籍 22110 (男 11368, 女 10742),
# 户数 6189, 村民小组 79. 社区 only: 常住 5570, 户籍 5070/2570/2500, 户数 1740.
# 村 only: 常住 10580, 户籍 17040/8798/8242, 户数 4449.


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def wps_book() -> openpyxl.Workbook:
    """An openpyxl workbook stamped the way WPS Office stamps the xlsx files it saves:
    author Administrator and the custom properties KSOProductBuildVer (2052 = zh-CN) and ICV."""
    wb = openpyxl.Workbook()
    wb.properties.creator = "Administrator"
    wb.properties.lastModifiedBy = "Administrator"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.custom_doc_props.append(StringProperty(name="KSOProductBuildVer", value="2052-12.1.0.17147"))
    wb.custom_doc_props.append(
        StringProperty(name="ICV", value="3F6A0C2B8E1D4A7F9B5C2E8D1A6F4B3C_12"))
    wb.active.title = "Sheet1"
    return wb


def plain_book(creator: str = "openpyxl") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.properties.creator = creator
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    return wb


def put(ws, first_row: int, rows: list[list[object]]) -> None:
    """Write ``rows`` from Excel row ``first_row``; None leaves the cell empty."""
    for i, values in enumerate(rows, start=first_row):
        for j, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(row=i, column=j, value=v)


def date_style(ws, col: str, rows: range, fmt: str = "yyyy/m/d") -> None:
    for r in rows:
        cell = ws[f"{col}{r}"]
        if isinstance(cell.value, dt.datetime):
            cell.number_format = fmt


def title(ws, text: str, span: str) -> None:
    ws[span.split(":")[0]] = text
    ws.merge_cells(span)
    ws[span.split(":")[0]].font = Font(name="宋体", size=16, bold=True)
    ws[span.split(":")[0]].alignment = Alignment(horizontal="center")


@contextlib.contextmanager
def songti_default_font():
    """xlwt hard-codes Arial 10 pt as the workbook's default fonts; WPS (zh-CN) writes 宋体 11 pt.
    Patch the Font defaults while a workbook is created."""
    original = xlwt.Formatting.Font.__init__

    def init(self):
        original(self)
        self.name, self.height = "宋体", 220

    xlwt.Formatting.Font.__init__ = init
    try:
        yield
    finally:
        xlwt.Formatting.Font.__init__ = original


def fix_writeaccess(path: Path, owner_written: str, user: str) -> None:
    """xlwt writes the WRITEACCESS user name as 8-bit text, the BIFF5 way; BIFF8 files from
    Excel/WPS hold a unicode string (2-byte length, 1-byte flags). Rewrite it in place."""
    data = bytearray(path.read_bytes())
    marker = b"\x5c\x00\x70\x00" + owner_written.encode("ascii")
    at = data.find(marker)
    assert at >= 0 and data.find(marker, at + 1) < 0, path
    body = struct.pack("<HB", len(user), 0) + user.encode("latin-1")
    data[at + 4:at + 4 + 0x70] = body + b" " * (0x70 - len(body))
    path.write_bytes(bytes(data))


def wps_xls() -> tuple[xlwt.Workbook, xlwt.XFStyle, xlwt.XFStyle, xlwt.XFStyle]:
    """An xlwt workbook set up like an .xls saved by WPS on a Chinese desktop: country code 86,
    default font 宋体 11 pt, WRITEACCESS user Administrator (fixed up by :func:`save_wps_xls`).
    Returns (book, body, date, title)."""
    with songti_default_font():
        wb = xlwt.Workbook(encoding="utf-8")
    wb.country_code = 86
    wb.owner = "Administrator"
    body = xlwt.easyxf("font: name 宋体, height 220")
    date = xlwt.easyxf("font: name 宋体, height 220", num_format_str="yyyy/m/d")
    head = xlwt.easyxf("font: name 宋体, height 360, bold on; align: horiz center")
    return wb, body, date, head


def save_wps_xls(wb: xlwt.Workbook, name: str) -> None:
    wb.save(str(HERE / name))
    fix_writeaccess(HERE / name, "Administrator", "Administrator")


def write_csv(name: str, rows: list[list[object]], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    (HERE / name).write_bytes(buf.getvalue().encode(encoding))


# --------------------------------------------------------------------------------------------
# Registers
# --------------------------------------------------------------------------------------------


def r01_plain() -> None:
    """Plain list, no code column: 序号 / 村（社区） / 常住人口 / 户数."""
    wb = wps_book()
    ws = wb.active
    put(ws, 1, [["序号", "村（社区）", "常住人口", "户数"]])
    put(ws, 2, [[i, name, pop, hh] for i, (name, _c, _u, pop, _r, _m, _f, hh, _g)
                in enumerate(TOWN, start=1)])
    wb.save(HERE / "01_村居名单.xlsx")


def r02_yearbook() -> None:
    """统计年鉴 / 乡镇统计报表 layout."""
    wb = wps_book()
    ws = wb.active
    ws.title = "3-2 分村人口"
    title(ws, "河口镇各村（居）委会人口情况（2023年末）", "A1:F1")
    ws["F2"] = "单位：人"
    ws["F2"].alignment = Alignment(horizontal="right")
    ws["A3"] = "村（居）委会"
    ws.merge_cells("A3:A4")
    ws["B3"] = "户籍人口"
    ws.merge_cells("B3:D3")
    ws["B4"], ws["C4"], ws["D4"] = "合计", "男", "女"
    ws["E3"] = "常住\n人口"
    ws.merge_cells("E3:E4")
    ws["F3"] = "户数\n（户）"
    ws.merge_cells("F3:F4")
    rows = [
        # row 5: the total row comes first; 户籍合计 carries Excel float noise
        ["全  镇", 22109.99999999999, 11368, 10742, 16150, 6189],
        # row 6: 其中 row (the two 居委会)
        ["其中：居委会", 5070, 2570, 2500, 5570, 1740],
        # row 7: # row (the ten 村委会)
        ["  #村委会", 17040, 8798, 8242, 10580, 4449],
        # rows 8-19: the units, indented with ASCII spaces, full-width spaces, or a cell indent
        ["  河口社区", 2860, 1450, 1410, 3120, 980],
        ["\u3000\u3000新街社区", 2210, 1120, 1090, 2450, 760],
        ["    大布村", 2650, 1370, 1280, 1800.0000001, 702],
        ["    石龙村", 2080, 1075, 1005, 1320, 531],
        ["\u3000\u3000塘尾村", 1540, 800, 740, 960, 402],
        ["    上围村", 1730, 890, 840, 1105, 455],
        ["    下坑村", 1210, 628, 582, 640, 318],
        ["    黄竹坪村", 980, 507, 473, 515, 256],
        ["横岗村", 2190, 1130, 1060, 1430, 570],
        ["    白石村", 1460, 752, 708, 870, 381],
        ["    禾田村", 1880, 965, 915, 1210, 490],
        ["    龙潭村", 1320, 681, 639, 730, 344],
    ]
    put(ws, 5, rows)
    ws["A16"].alignment = Alignment(indent=2)  # 横岗村: indented by cell format, not by spaces
    for r in range(5, 20):
        for c in "BCDEF":
            ws[f"{c}{r}"].number_format = "0"
    ws["A20"] = "注：1.户籍人口为公安部门年末户籍统计数；2.常住人口为镇统计站年末推算数。"
    ws.merge_cells("A20:F20")
    wb.save(HERE / "02_人口统计表_年鉴式.xlsx")


def r03_total_last() -> None:
    """Title, 社区 first with a 小计, villages, 合计 last; names spaced inside."""
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇各村（社区）人口情况登记表", "A1:E1")
    put(ws, 2, [
        ["序号", "村（社区）名称", "常住人口（人）", "户籍人口（人）", "村民小组（个）"],
        [1, "河口社区", 3120, 2860, None],
        [2, "新 街 社 区", 2450, 2210, None],
        ["小计", None, 5570, 5070, None],
        [3, "大 布 村", 1800, 2650, 12],
        [4, "石龙村", 1320, 2080, 9],
        [5, "塘\u3000尾\u3000村", 960, 1540, 7],
        [6, "上围村", 1105, 1730, 8],
        [7, "下坑村", 640, 1210, 6],
        [8, "黄竹坪村", 515, 980, 5],
        [9, "横 岗 村", 1430, 2190, 10],
        [10, "白石村", 870, 1460, 7],
        [11, "禾田村", 1210, 1880, 9],
        [12, "龙潭村", 730, 1320, 6],
        ["合计", None, 16150, 22110, 79],
    ])
    ws.merge_cells("A5:B5")
    ws.merge_cells("A16:B16")
    wb.save(HERE / "03_村居人口_合计在末行.xlsx")


def r04_codes() -> None:
    """统计用区划代码 (12 digits, stored as numbers; 下坑村's as text) + 城乡分类代码, names with
    the 村委会 / 居委会 suffix as in the published code lists."""
    wb = wps_book()
    ws = wb.active
    put(ws, 1, [
        ["统计用区划代码", "城乡分类代码", "名称", "常住人口", "户数"],
        [441499104001, 121, "河口社区居委会", 3120, 980],
        [441499104002, 121, "新街社区居委会", 2450, 760],
        [441499104201, 122, "大布村委会", 1800, 702],
        [441499104202, 220, "石龙村委会", 1320, 531],
        [441499104203, 220, "塘尾村委会", 960, 402],
        [441499104204, 220, "上围村委会", 1105, 455],
        ["441499104205", 220, "下坑村委会", 640, 318],
        [441499104206, 220, "黄竹坪村委会", 515, 256],
        [441499104207, 220, "横岗村委会", 1430, 570],
        [441499104208, 220, "白石村委会", 870, 381],
        [441499104209, 220, "禾田村委会", 1210, 490],
        [441499104210, 220, "龙潭村委会", 730, 344],
    ])
    for r in range(2, 14):
        if not isinstance(ws[f"A{r}"].value, str):
            ws[f"A{r}"].number_format = "0"  # else Excel shows 4.41499E+11
    wb.save(HERE / "04_统计用区划代码_村居.xlsx")


def r05_xls() -> None:
    """.xls (BIFF8) as saved by WPS, title row, 填报单位 line, 合计 last."""
    wb, body, _date, head = wps_xls()
    ws = wb.add_sheet("Sheet1")
    ws.write_merge(0, 0, 0, 6, "河口镇村（居）基本情况统计表", head)
    ws.write(1, 0, "填报单位：河口镇人民政府", body)
    heads = ["序号", "村（居）名称", "户数", "户籍人口", "常住人口", "村民小组数", "备注"]
    for j, h in enumerate(heads):
        ws.write(2, j, h, body)
    notes = {"河口社区": "镇政府驻地"}
    for i, (name, _c, _u, pop, reg, _m, _f, hh, grp) in enumerate(TOWN):
        r = 3 + i
        shown = "新街社区 " if name == "新街社区" else name  # a trailing space, as typed
        for j, v in enumerate([i + 1, shown, hh, reg, pop, grp, notes.get(name)]):
            if v is not None:
                ws.write(r, j, v, body)
    ws.write(15, 0, "合计", body)
    for j, v in ((2, 6189), (3, 22110), (4, 16150), (5, 79)):
        ws.write(15, j, v, body)
    save_wps_xls(wb, "05_村居基本情况_WPS.xls")


def r23_long_suffix() -> None:
    """UTF-8-BOM CSV, names with the full 村民委员会 / 居民委员会 suffix, 合计 last."""
    rows = [["序号", "村居名称", "常住人口", "户籍人口", "村民小组数"]]
    for i, (name, _c, _u, pop, reg, _m, _f, _h, grp) in enumerate(TOWN, start=1):
        full = name[:-2] + "社区居民委员会" if name.endswith("社区") else name[:-1] + "村民委员会"
        rows.append([i, full, pop, reg, "" if grp is None else grp])
    rows.append(["合计", "", 16150, 22110, 79])
    write_csv("23_村居名单_委员会全称.csv", rows, "utf-8-sig")


# --------------------------------------------------------------------------------------------
# Event ledgers
# --------------------------------------------------------------------------------------------


def e06_content_topic() -> None:
    """活动内容 holds the topic as a free-text phrase; 活动地点 is the village column."""
    wb = wps_book()
    ws = wb.active
    ws.title = "2024年台账"
    title(ws, "河口镇2024年普法宣传活动台账", "A1:H1")
    ws["A2"] = "填报单位：河口镇司法所"
    ws["F2"] = "填报时间：2024年12月31日"
    put(ws, 3, [["序号", "活动时间", "活动地点", "活动内容", "参与对象", "参加人数", "主办单位",
                 "备注"]])
    put(ws, 4, [
        [1, D(2024, 1, 12), "大布村", "民法典进乡村宣讲", "村民", "约50人", "河口镇司法所", None],
        [2, D(2024, 2, 6), "新街社区", "反诈宣传进社区", "社区居民", "300余人",
         "河口派出所、镇司法所", "联合开展"],
        [3, "2024.3.1", "塘尾村", "禁毒知识讲座", "青少年", 45, "镇禁毒办", None],
        [4, 45379, "上围村", "扫黑除恶暨反诈宣传", "村民", 80, "镇综治办", None],
        [5, D(2024, 4, 15), "白石村", "全民国家安全教育日宣传", "村民", 60, "镇司法所", None],
        [6, "2024年5月20日", "横岗村", "民法典宣传月“美好生活·民法典相伴”主题活动", "村民", 120,
         "镇司法所", None],
        [7, D(2024, 6, 26), "河口社区", "6·26国际禁毒日宣传", "居民", "200余人", "镇禁毒办", None],
        [8, D(2024, 7, 10), "下坑村", "文明新风宣传", "村民", 40, "下坑村委会", None],
        [9, D(2024, 9, 12), "禾田村", "移风易俗倡议宣讲", "村民", 35, "镇文明办", None],
        [10, D(2024, 11, 8), "龙潭村", "防范养老诈骗宣传", "老年人", 30, "镇司法所", None],
        [11, D(2024, 12, 4), "新街社区", "宪法宣传周活动", "居民", 150, "镇司法所", None],
        [12, D(2024, 12, 20), "黄竹坪村", "民法典进乡村宣讲", "村民", "约40人", "河口镇司法所",
         None],
        ["合计", None, None, None, None, 1150, None, None],
    ])
    date_style(ws, "B", range(4, 16))
    wb.save(HERE / "06_司法所普法台账_活动内容.xlsx")


def e07_main_content() -> None:
    """主要内容 (topic) + 活动主题 (title) + 宣传对象 + 参与人数 + 组织单位; no 级别 column;
    town-level rows say 镇区 / 镇级 / 镇文化站 in 活动地点."""
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇2024年上半年法治宣传教育活动登记表", "A1:I1")
    put(ws, 2, [
        ["序号", "开展时间", "活动地点", "活动主题", "主要内容", "宣传对象", "参与人数", "组织单位",
         "备注"],
        [1, D(2024, 1, 9), "镇区", "法治宣传进圩日", "宪法、民法典", "赶集群众", "500余人",
         "镇司法所", "圩日摆摊"],
        [2, D(2024, 1, 23), "石龙村", "冬季平安宣传", "平安建设、消防安全", "村民", 70, "镇综治办",
         None],
        [3, D(2024, 2, 18), "镇文化站", "返乡人员法治讲座", "劳动合同、根治欠薪",
         "返乡务工人员", 85, "镇人社所", None],
        [4, D(2024, 3, 8), "河口社区", "三八妇女节维权宣传", "妇女权益保障法、反家庭暴力法",
         "妇女", 60, "镇妇联", None],
        [5, "2024/3/15", "镇级", "3·15消费者权益日宣传", "消费者权益保护", "群众", "约200人",
         "镇市场监管所", None],
        [6, D(2024, 4, 15), "横岗村", "国家安全教育日宣传", "国家安全法", "村民", 55,
         "镇司法所", None],
        [7, D(2024, 5, 21), "禾田村", "民法典宣传月活动", "民法典婚姻家庭编", "村民", 65,
         "镇司法所", None],
        [8, D(2024, 6, 12), "上围村", "安全生产月宣传", "安全生产法", "企业员工、村民", 40,
         "镇应急办", None],
        [9, D(2024, 6, 25), "塘尾村", "全国土地日宣传", "土地管理法、农村宅基地", "村民", 50,
         "镇自然资源所", None],
    ])
    date_style(ws, "B", range(3, 12))
    wb.save(HERE / "07_普法活动登记表_主要内容.xlsx")


def e08_title_only() -> None:
    """No topic column: the topic is only in 活动名称; 开展情况 is free text about logistics."""
    wb = wps_book()
    ws = wb.active
    put(ws, 1, [
        ["序号", "日期", "村居", "活动名称", "开展情况", "参加人数"],
        [1, D(2024, 3, 26), "石龙村", "防范电信网络诈骗专题讲座",
         "邀请派出所民警授课，发放资料120份", 65],
        [2, "2024-05-28", "大布村", "“美好生活·民法典相伴”主题宣传",
         "设咨询台一个，解答群众咨询18人次", 90],
        [3, "2024/6/5", "下坑村", "全民禁毒宣传月活动", "播放宣传片，悬挂横幅2条", 75],
        [4, D(2024, 6, 18), "白石村", "安全生产月“进农户”宣传", "入户走访30户", 30],
        [5, D(2024, 9, 3), "黄竹坪村", "《未成年人保护法》进校园", "在村小学开展，学生参与", 120],
        [6, D(2024, 12, 4), "河口社区", "12·4国家宪法日集中宣传",
         "摆放展板6块，发放资料300余份", 260],
        [7, D(2024, 10, 15), "横岗村", "农村土地承包法律知识讲座", "村两委干部组织，群众参与", 45],
    ])
    date_style(ws, "B", range(2, 9))
    wb.save(HERE / "08_普法活动记录_仅标题.xlsx")


def e09_monthly() -> None:
    """One sheet per month; the year is only in each sheet's title; dates like 1月5日."""
    wb = wps_book()
    months = {
        "1月": [
            [1, "1月5日", "大布村", "民法典", "讲座", 42],
            [2, "1月18日", "石龙村", "反诈", "摆摊设点", 55],
            [3, "1月26日", "龙潭村", "禁毒", "宣传车", 30],
        ],
        "2月": [
            [1, "2月7日", "河口社区", "社会治安", "以案释法", 48],
            [2, "2月19日", "上围村", "根治欠薪", "讲座", 66],
            [3, "2月27日", "下坑村", "婚姻家庭", "入户走访", 25],
            [4, "2月28日", "横岗村", "反诈", "讲座", 38],
        ],
        "3月": [
            [1, "3月8日", "新街社区", "妇女权益", "讲座", 52],
            [2, "3月15日", "白石村", "消费者权益", "摆摊设点", 44],
            [3, "3月22日", "禾田村", "宪法", "讲座", 36],
            [4, "3月29日", "塘尾村", "民法典", "法律顾问下村", 28],
        ],
    }
    first = True
    for month, rows in months.items():
        ws = wb.active if first else wb.create_sheet()
        ws.title = month
        first = False
        title(ws, f"2024年普法活动台账（{month}）", "A1:F1")
        put(ws, 2, [["序号", "日期", "村（社区）", "宣传内容", "形式", "参加人数"]])
        put(ws, 3, rows)
    wb.save(HERE / "09_2024年普法台账_分月.xlsx")


def e10_xls() -> None:
    """Events .xls as saved by WPS: merged title, real date cells and one typed date."""
    wb, body, date, head = wps_xls()
    ws = wb.add_sheet("Sheet1")
    ws.write_merge(0, 0, 0, 5, "河口镇普法宣传活动台账（2024年第四季度）", head)
    for j, h in enumerate(["序号", "时间", "地点", "宣传内容", "参加人数", "主办单位"]):
        ws.write(1, j, h, body)
    rows = [
        [1, dt.date(2024, 10, 9), "大布村", "反有组织犯罪法", 58, "镇综治办"],
        [2, dt.date(2024, 10, 22), "石龙村", "农村土地承包法", 47, "镇农办"],
        [3, "2024.11.9", "横岗村", "消防安全", 63, "镇应急办"],
        [4, dt.date(2024, 11, 20), "下坑村委会", "法律援助法", 29, "镇司法所"],
        [5, dt.date(2024, 12, 2), "新街社区", "道路交通安全", 81, "镇交管站"],
        [6, dt.date(2024, 12, 4), "禾田村", "宪法", "约70人", "镇司法所"],
    ]
    for i, values in enumerate(rows, start=2):
        for j, v in enumerate(values):
            ws.write(i, j, v, date if isinstance(v, dt.date) else body)
    save_wps_xls(wb, "10_普法活动台账_WPS.xls")


def e11_multi_topic() -> None:
    """Several topics in one cell, separated by 、 / ； , and a space."""
    wb = wps_book()
    ws = wb.active
    ws.title = "台账"
    put(ws, 1, [
        ["日期", "村（社区）", "宣传内容", "参加人数", "备注"],
        [D(2024, 4, 2), "大布村", "民法典、反诈", 60, None],
        [D(2024, 4, 16), "塘尾村", "禁毒/扫黑除恶", 48, None],
        [D(2024, 4, 15), "河口社区", "宪法；国家安全", 75, "4·15国家安全教育日"],
        [D(2024, 5, 9), "上围村", "民法典,婚姻家庭,继承", 52, None],
        [D(2024, 6, 26), "白石村", "禁毒", 40, None],
        [D(2024, 7, 11), "龙潭村", "平安建设、扫黑除恶、反诈", 66, None],
        [D(2024, 8, 20), "石龙村", "未成年人保护 家庭教育", 35, "暑期"],
    ])
    date_style(ws, "A", range(2, 9), "yyyy-mm-dd")
    wb.save(HERE / "11_多主题宣传台账.xlsx")


def e12_problem_rows() -> None:
    """Problem rows between data rows: blank, 小计, 待定 date, unknown village, blank topic."""
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇司法所普法活动台账", "A1:F1")
    put(ws, 2, [
        ["序号", "活动日期", "村（社区）", "宣传内容", "参加人数", "备注"],
        [1, D(2024, 5, 6), "大布村", "民法典", 50, None],                # row 3
        [2, D(2024, 5, 13), "石龙村", "反诈", 45, None],                 # row 4
        [None] * 6,                                                      # row 5: blank
        [3, D(2024, 5, 20), "塘尾村", "禁毒", 38, None],                 # row 6
        ["小计", None, None, None, 133, None],                           # row 7: subtotal
        [4, "待定", "上围村", "宪法", 40, "活动日期待定"],               # row 8: no date
        [5, D(2024, 6, 3), "下坑村", "婚姻家庭", 30, None],              # row 9
        [6, D(2024, 6, 10), "东坑村", "反诈", 25, None],                 # row 10: not in register
        [7, D(2024, 6, 17), "横岗村", "扫黑除恶", 55, None],             # row 11
        [8, D(2024, 6, 24), "白石村", None, 20, None],                   # row 12: no topic
        ["合计", None, None, None, 303, None],                           # row 13: total
    ])
    date_style(ws, "B", range(3, 13))
    wb.save(HERE / "12_普法台账_含问题行.xlsx")


def e13a_village_by_content() -> None:
    """No recognised village header: the villages are in 填报单位 (with 村委会 suffixes)."""
    wb = wps_book()
    ws = wb.active
    put(ws, 1, [
        ["序号", "日期", "填报单位", "活动名称", "宣传内容", "参加人数", "主办单位"],
        [1, D(2024, 7, 2), "大布村委会", "夏季防溺水及禁毒宣传", "禁毒", 40, "镇司法所"],
        [2, D(2024, 7, 16), "石龙村委会", "民法典进农家", "民法典", 36, "镇司法所"],
        [3, D(2024, 8, 6), "河口社区居委会", "反诈宣传", "反诈", 58, "河口派出所"],
        [4, D(2024, 8, 20), "黄竹坪村", "扫黑除恶宣传", "扫黑除恶", 27, "镇综治办"],
        [5, D(2024, 9, 10), "白石村委会", "国家安全宣传", "国家安全", 33, "镇司法所"],
        [6, D(2024, 9, 24), "龙潭村", "宪法宣传", "宪法", 31, "镇司法所"],
    ])
    date_style(ws, "B", range(2, 8))
    wb.save(HERE / "13a_台账_村名在填报单位列.xlsx")


def e13b_town_only() -> None:
    """A town-level ledger: 活动地点 names no village (镇政府, 镇文化站, blank, ...)."""
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇镇级普法活动台账（2024年）", "A1:F1")
    put(ws, 2, [
        ["序号", "活动时间", "活动地点", "宣传内容", "参加人数", "主办单位"],
        [1, D(2024, 1, 20), "镇政府", "中心组学法：习近平法治思想", 25, "镇党委"],
        [2, D(2024, 3, 5), "镇文化站", "学雷锋志愿服务暨民法典咨询", 120, "镇司法所"],
        [3, D(2024, 6, 26), None, "禁毒", 300, "镇禁毒办"],
        [4, D(2024, 9, 20), "镇政府广场", "国家网络安全宣传周", 150, "镇宣传办"],
        [5, D(2024, 12, 4), "河口镇圩镇", "宪法", 400, "镇司法所"],
    ])
    date_style(ws, "B", range(3, 8))
    wb.save(HERE / "13b_镇级普法活动台账.xlsx")


def e14_audience_count() -> None:
    """受众人数, 宣传主题 (the only topic-bearing column), 负责单位 and 承办单位."""
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇2024年法治宣传活动统计表", "A1:H1")
    put(ws, 2, [
        ["编号", "开展日期", "村（居）", "宣传主题", "宣传形式", "受众人数", "负责单位",
         "承办单位"],
        ["HK-2024-01", D(2024, 2, 20), "大布村", "根治欠薪法律宣传", "讲座", 88, "镇人社所",
         "大布村委会"],
        ["HK-2024-02", D(2024, 3, 12), "石龙村", "植树节森林防火宣传", "宣传车", 46, "镇林业站",
         "石龙村委会"],
        ["HK-2024-03", D(2024, 4, 22), "塘尾村", "地球日生态环境保护宣传", "展板", 39, "镇环保办",
         "塘尾村委会"],
        ["HK-2024-04", D(2024, 5, 31), "下坑村", "防范非法集资宣传", "摆摊设点", 52, "镇财政所",
         "下坑村委会"],
        ["HK-2024-05", D(2024, 7, 25), "横岗村", "反电信网络诈骗法宣传", "讲座", 71, "河口派出所",
         "横岗村委会"],
        ["HK-2024-06", D(2024, 9, 15), "白石村", "网络安全宣传周进村", "新媒体", 43, "镇宣传办",
         "白石村委会"],
        ["HK-2024-07", D(2024, 11, 25), "新街社区", "反家暴宣传", "讲座", 57, "镇妇联",
         "新街社区居委会"],
    ])
    date_style(ws, "B", range(3, 10))
    wb.save(HERE / "14_法治宣传活动统计表.xlsx")


def e21_fulian_gbk() -> None:
    """GBK CSV from the 妇联: a title line, 各村（社区） / 全镇各村 / 全镇 as places."""
    write_csv("21_妇联普法台账_gbk.csv", [
        ["河口镇妇联2024年普法活动台账", "", "", "", "", "", ""],
        ["序号", "活动日期", "活动地点", "活动内容", "参与对象", "参与人数", "备注"],
        [1, "2024/3/8", "各村（社区）", "妇女权益保障法宣传", "妇女", "约600人",
         "各村妇联执委同步开展"],
        [2, "2024/5/15", "全镇各村", "家庭教育促进法宣传", "家长", "400余人", ""],
        [3, "2024/6/1", "河口社区", "未成年人保护法宣传", "儿童及家长", 85, ""],
        [4, "2024/8/12", "大布村", "反家庭暴力法宣讲", "村民", 46, ""],
        [5, "2024/11/25", "全镇", "反家暴宣传周", "群众", 350, ""],
        [6, "2024/12/10", "石龙村", "婚姻家庭纠纷预防", "妇女", 32, ""],
    ], "gbk")


def e24_returning_workers() -> None:
    """春节 ledger: audiences 外出务工返乡人员 / 留守老人 / 留守儿童; dates typed as m.d
    (numbers 2.5, 2.12, 2.15, 2.18 and the text "2.10"), year only in the title."""
    wb = wps_book()
    ws = wb.active
    title(ws, "2024年春节期间普法宣传台账", "A1:G1")
    put(ws, 2, [
        ["序号", "日期", "村（社区）", "宣传对象", "宣传内容", "参加人数", "发放资料（份）"],
        [1, 2.5, "大布村", "外出务工返乡人员", "根治欠薪、劳动合同", 60, 200],
        [2, "2.10", "石龙村", "外出务工返乡人员", "反诈", 75, 300],
        [3, 2.12, "黄竹坪村", "留守老人", "防范养老诈骗", 28, 100],
        [4, 2.15, "龙潭村", "留守儿童", "未成年人保护", 22, 80],
        [5, 2.18, "下坑村", "外出务工返乡人员", "民法典", 54, 150],
    ])
    wb.save(HERE / "24_春节返乡人员普法台账.xlsx")


# --------------------------------------------------------------------------------------------
# Sites and cadres
# --------------------------------------------------------------------------------------------


def s20_sites() -> None:
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇法治文化阵地一览表", "A1:G1")
    put(ws, 2, [
        ["序号", "阵地名称", "类型", "级别", "所属村", "建成时间", "最近更新时间"],
        [1, "河口镇法治文化广场", "法治广场", "镇级", None, "2019年6月", D(2024, 5, 10)],
        [2, "河口镇公共法律服务工作站", "讲堂", "镇级", "镇区", "2020-03-01", D(2024, 11, 2)],
        [3, "河口社区普法宣传栏", "宣传栏", "村级", "  河口社区", "2020-05", D(2024, 9, 1)],
        [4, "新街社区法治长廊", "法治长廊", "村级", "\u3000\u3000新街社区", "2021-04",
         D(2024, 6, 15)],
        [5, "大布村法治文化公园", "公园", "村级", "    大布村", "2021-10", D(2024, 10, 20)],
        [6, "大布村农家书屋法律角", "农家书屋", "村级", "    大布村", "2018-07", D(2023, 12, 1)],
        [7, "石龙村普法宣传栏", "宣传栏", "村级", "  石龙村", "2020-06", D(2022, 3, 15)],
        [8, "塘尾村法治宣传一条街", "一条街", "村级", "\u3000塘尾村", "2022-01", D(2024, 8, 8)],
        [9, "上围村普法宣传栏", "宣传栏", "村级", "  上围村", "2020-06", D(2021, 11, 30)],
        [10, "下坑村法律图书角", "农家书屋", "村级", "  下坑村委会", "2019-09", D(2024, 2, 28)],
        [11, "黄竹坪村普法宣传栏", "宣传栏", "村级", "  黄竹坪村", "2020-06", D(2024, 7, 1)],
        [12, "横岗村法治讲堂", "讲堂", "村级", "  横岗村", "2021-05", D(2024, 12, 2)],
        [13, "白石村普法宣传栏", "宣传栏", "村级", "  白石村", "2020-06", D(2023, 5, 20)],
        [14, "禾田村法治文化长廊", "法治长廊", "村级", "  禾田村", "2022-09", D(2024, 4, 12)],
    ])
    date_style(ws, "G", range(3, 17), "yyyy-mm-dd")
    wb.save(HERE / "20_普法阵地一览表.xlsx")


def c22_cadres() -> None:
    wb = wps_book()
    ws = wb.active
    title(ws, "河口镇2024年度国家工作人员学法考法成绩汇总表", "A1:G1")
    put(ws, 2, [
        ["序号", "姓名", "单位", "职务", "考试成绩", "是否合格", "备注"],
        [1, "陈国栋", "镇党政办", "主任", 92, "合格", None],
        [2, "李晓敏", "镇司法所", "所长", 96, "合格", None],
        [3, "黄志明", "镇司法所", "科员", 88, "合格", None],
        [4, "刘建军", "镇综治办", "副主任", 76, "不合格", "已补考，补考成绩85"],
        [5, "周丽华", "镇财政所", "会计", 85, "合格", None],
        [6, "吴振华", "镇农办", "主任", "缺考", "不合格", "病假"],
        [7, "郑美兰", "镇妇联", "主席", 90, "合格", None],
        [8, "王海波", "镇应急办", "科员", 82, "合格", None],
        [9, "徐春燕", "镇人社所", "所长", 94, "合格", None],
        [10, "孙立新", "镇自然资源所", "所长", 79.5, "不合格", None],
        [11, "马俊杰", "镇市场监管所", "科员", 87, "合格", None],
        [12, "朱红梅", "镇文化站", "站长", 91, "合格", None],
        [13, "胡伟东", "镇林业站", "站长", 80, "合格", None],
        [14, "林少华", "镇交管站", "站长", 83, "合格", None],
        [15, "何文静", "镇党政办", "科员", 97, "合格", None],
    ])
    ws["A18"] = "注：考试满分100分，80分及以上为合格。"
    ws.merge_cells("A18:G18")
    wb.save(HERE / "22_学法考法成绩汇总表.xlsx")


# --------------------------------------------------------------------------------------------
# One survey, exported four ways (问卷星 按选项文本 / 按序号 第N题(…) / 按序号 N(…) / SPSS Qn_k)
# --------------------------------------------------------------------------------------------

VILLAGE_OPTIONS = [t[0] for t in TOWN]  # question 3's options, in register order
SEX = ["男", "女"]
AGE = ["18-29岁", "30-44岁", "45-59岁", "60岁及以上"]
CHANNELS = ["村广播", "宣传栏", "微信群", "普法讲座", "电视新闻", "其他"]
AWARE = ["非常了解", "比较了解", "了解", "不了解"]
ATTEND = ["参加过", "没有参加过", "说不清"]
SATIS = ["满意", "比较满意", "不太满意", "不满意", "不清楚"]
MATRIX_ROWS = ["法律讲座", "律师下村", "宣传栏"]

WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
Q_TEXT = {
    1: "1、您的姓名：",
    2: "2、您的手机号码：",
    3: "3、您所在的村（社区）：",
    4: "4、您的性别： ",  # trailing space, as in real exports
    5: "5、您的年龄段：",
    6: "6、您通过哪些渠道了解法律知识？【多选题】",
    7: "7、您是否了解《中华人民共和国民法典》？",
    8: "8、您是否了解《反电信网络诈骗法》？",
    9: "9、您是否参加过本村（社区）组织的普法活动？",
    10: "10、您对下列普法形式的评价—法律讲座",  # matrix: only the first column has the stem
    11: "11、您对本村（社区）普法工作的总体满意度：",
    12: "12、您对普法工作还有什么意见或建议？",
}
SKIP = "(跳过)"

#: The 14 respondents, exactly as the 按选项文本 export shows them. Q6 lists the selected options
#: in option order joined by ┋; Q10 is None when question 9 ≠ 参加过 (display logic → 跳过).
RESPONDENTS = [
    (1, "2024/11/05 09:12:33", "135秒", "手机提交", "微信", "119.129.8.21(广东-梅州)",
     "陈志强", "13800001201", "大布村", "男", "45-59岁", "村广播┋宣传栏", "比较了解", "了解",
     "参加过", ("满意", "比较满意", "满意"), "满意", "(空)"),
    (2, "2024/11/05 09:20:07", "212秒", "手机提交", "微信", "119.129.8.22(广东-梅州)",
     "李秀英", "13800001202", "大布村", "女", "60岁及以上", "村广播", "了解", "不了解",
     "没有参加过", None, "比较满意", "希望多来村里讲"),
    (3, "2024/11/05 10:02:45", "98秒", "手机提交", "微信", "119.129.8.23(广东-梅州)",
     "黄建华", "13800001203", "石龙村", "男", "30-44岁", "微信群┋电视新闻", "非常了解", "比较了解",
     "参加过", ("比较满意", "满意", "不太满意"), "满意", "(空)"),
    (4, "2024/11/05 10:40:12", "87秒", "手机提交", "微信", "119.129.8.24(广东-梅州)",
     "林丽娟", "13800001204", "河口社区", "女", "18-29岁", "宣传栏┋微信群┋普法讲座", "非常了解",
     "非常了解", "参加过", ("满意", "满意", "满意"), "满意", "(空)"),
    (5, "2024/11/05 15:31:09", "301秒", "手机提交", "直接访问", "119.129.8.25(广东-梅州)",
     "吴国平", "13800001205", "塘尾村", "男", "60岁及以上", "村广播┋其他〖赶集时听说〗", "不了解",
     "不了解", "没有参加过", None, "不清楚", "(空)"),
    (6, "2024/11/06 08:15:55", "120秒", "手机提交", "微信", "119.129.8.26(广东-梅州)",
     "刘美玲", "13800001206", "新街社区", "女", "30-44岁", "微信群", "比较了解", "比较了解",
     "说不清", None, "比较满意", "(空)"),
    (7, "2024/11/06 09:47:31", "166秒", "手机提交", "微信", "119.129.8.27(广东-梅州)",
     "郑文辉", "13800001207", "上围村", "男", "45-59岁", "村广播┋宣传栏", "了解", "了解",
     "参加过", ("比较满意", "比较满意", "比较满意"), "比较满意", "讲座时间安排在晚上"),
    (8, "2024/11/06 11:05:18", "243秒", "手机提交", "直接访问", "119.129.8.28(广东-梅州)",
     "何桂兰", "13800001208", "下坑村", "女", "60岁及以上", "电视新闻", "不了解", "了解",
     "没有参加过", None, "不太满意", "(空)"),
    (9, "2024/11/06 14:22:40", "76秒", "手机提交", "微信", "119.129.8.29(广东-梅州)",
     "张海涛", "13800001209", "横岗村", "男", "18-29岁", "微信群┋普法讲座", "非常了解", "比较了解",
     "参加过", ("满意", "不清楚", "满意"), "满意", "(空)"),
    (10, "2024/11/06 16:08:03", "154秒", "手机提交", "微信", "119.129.8.30(广东-梅州)",
     "谢春梅", "13800001210", "白石村", "女", "45-59岁", "宣传栏", "了解", "不了解",
     "没有参加过", None, "比较满意", "(空)"),
    (11, "2024/11/07 08:55:26", "110秒", "手机提交", "微信", "119.129.8.31(广东-梅州)",
     "罗永华", "13800001211", "禾田村", "男", "30-44岁", "村广播┋微信群┋电视新闻", "比较了解",
     "比较了解", "参加过", ("比较满意", "满意", "满意"), "满意", "(空)"),
    (12, "2024/11/07 10:19:47", "92秒", "手机提交", "微信", "119.129.8.32(广东-梅州)",
     "钟小燕", "13800001212", "龙潭村", "女", "18-29岁", "微信群", "比较了解", "非常了解",
     "参加过", ("满意", "比较满意", "比较满意"), "满意", "(空)"),
    (13, "2024/11/07 15:44:21", "275秒", "手机提交", "直接访问", "119.129.8.33(广东-梅州)",
     "邱木生", "13800001213", "黄竹坪村", "男", "60岁及以上", "村广播", "不了解", "不了解",
     "没有参加过", None, "不清楚", "(空)"),
    (14, "2024/11/08 09:03:58", "188秒", "手机提交", "微信", "119.129.8.34(广东-梅州)",
     "曾玉珍", "13800001214", "大布村", "女", "45-59岁", "村广播┋宣传栏┋普法讲座", "了解", "了解",
     "参加过", ("满意", "满意", "不太满意"), "比较满意", "(空)"),
]


def _selected(q6: str) -> list[str]:
    """Option texts of a ┋-joined cell, with any 〖fill-in〗 removed."""
    return [part.split("〖")[0] for part in q6.split("┋")]


def _coded(r: tuple) -> dict[str, object]:
    """One respondent as option numbers (1-based), 0/1 per channel, -3 for 跳过."""
    (_seq, _t, _u, _s, _d, _ip, name, phone, village, sex, age, q6, q7, q8, q9, q10, q11,
     q12) = r
    sel = _selected(q6)
    return {
        "q1": name, "q2": phone, "q3": VILLAGE_OPTIONS.index(village) + 1,
        "q4": SEX.index(sex) + 1, "q5": AGE.index(age) + 1,
        "q6": [1 if opt in sel else 0 for opt in CHANNELS],
        "q7": AWARE.index(q7) + 1, "q8": AWARE.index(q8) + 1, "q9": ATTEND.index(q9) + 1,
        "q10": [-3] * 3 if q10 is None else [SATIS.index(v) + 1 for v in q10],
        "q11": SATIS.index(q11) + 1, "q12": q12,
    }


def s15_wjx_text() -> None:
    header = WJX_META + [Q_TEXT[i] for i in range(1, 10)] + [Q_TEXT[10], MATRIX_ROWS[1],
                                                           MATRIX_ROWS[2], Q_TEXT[11], Q_TEXT[12]]
    rows = [header]
    for r in RESPONDENTS:
        q10 = (SKIP,) * 3 if r[15] is None else r[15]
        rows.append(list(r[:15]) + list(q10) + [r[16], r[17]])
    wb = plain_book("wjx")
    ws = wb.active
    ws.title = "Sheet1"
    put(ws, 1, rows)
    wb.save(HERE / "15_问卷星_按选项文本.xlsx")


def _number_rows(multi_head) -> list[list[object]]:
    header = (WJX_META + [Q_TEXT[i] for i in range(1, 6)] + [multi_head(o) for o in CHANNELS]
              + [Q_TEXT[7], Q_TEXT[8], Q_TEXT[9], Q_TEXT[10], MATRIX_ROWS[1], MATRIX_ROWS[2],
                 Q_TEXT[11], Q_TEXT[12]])
    rows = [header]
    for r in RESPONDENTS:
        c = _coded(r)
        rows.append(list(r[:6]) + [c["q1"], c["q2"], c["q3"], c["q4"], c["q5"]] + c["q6"]
                    + [c["q7"], c["q8"], c["q9"]] + c["q10"] + [c["q11"], c["q12"]])
    return rows


def s16_wjx_number_xls() -> None:
    """按序号 as the BIFF .xls the wjx server sends (country code 1, no user name, Arial)."""
    wb = xlwt.Workbook(encoding="utf-8")
    wb.country_code = 1
    ws = wb.add_sheet("Sheet1")
    for i, values in enumerate(_number_rows(lambda o: f"第6题({o})")):
        for j, v in enumerate(values):
            ws.write(i, j, v)
    wb.save(str(HERE / "16_问卷星_按序号.xls"))
    fix_writeaccess(HERE / "16_问卷星_按序号.xls", "None", "")  # xlwt's default owner is 'None'


def s16b_codebook() -> None:
    """One row per option: what the numbers in files 16, 17 and 18 stand for."""
    wb = plain_book()
    ws = wb.active
    ws.title = "选项编码"
    rows = [["题号", "题目", "题型", "选项序号", "选项文本"]]
    spec = [
        (3, "您所在的村（社区）", "单选题", VILLAGE_OPTIONS),
        (4, "您的性别", "单选题", SEX),
        (5, "您的年龄段", "单选题", AGE),
        (6, "您通过哪些渠道了解法律知识？", "多选题", CHANNELS),
        (7, "您是否了解《中华人民共和国民法典》？", "单选题", AWARE),
        (8, "您是否了解《反电信网络诈骗法》？", "单选题", AWARE),
        (9, "您是否参加过本村（社区）组织的普法活动？", "单选题", ATTEND),
        (10, "您对下列普法形式的评价", "矩阵单选题", SATIS),
        (11, "您对本村（社区）普法工作的总体满意度", "单选题", SATIS),
    ]
    for q, text, kind, options in spec:
        for k, opt in enumerate(options, start=1):
            rows.append([q, text, kind, k, opt])
    rows.append([1, "您的姓名", "填空题", None, None])
    rows.append([2, "您的手机号码", "填空题", None, None])
    rows.append([12, "您对普法工作还有什么意见或建议？", "填空题", None, None])
    put(ws, 1, rows)
    wb.save(HERE / "16b_问卷选项编码表.xlsx")


def s17_wjx_number_short() -> None:
    """The same 按序号 export with the shorter multiple-choice header form 6(选项)."""
    wb = plain_book("wjx")
    ws = wb.active
    ws.title = "Sheet1"
    put(ws, 1, _number_rows(lambda o: f"6({o})"))
    wb.save(HERE / "17_问卷星_按序号_短表头.xlsx")


def s18_spss_names() -> None:
    """SPSS-style variable names (Q1 … Q6_1 … Q10_3 …) in a UTF-8-BOM CSV, plus a .sps syntax
    file with VARIABLE LABELS / VALUE LABELS that maps them back."""
    header = (["序号", "提交答卷时间", "Q1", "Q2", "Q3", "Q4", "Q5"]
              + [f"Q6_{k}" for k in range(1, 7)] + ["Q7", "Q8", "Q9", "Q10_1", "Q10_2", "Q10_3",
                                                   "Q11", "Q12"])
    rows = [header]
    for r in RESPONDENTS:
        c = _coded(r)
        rows.append([r[0], r[1], c["q1"], c["q2"], c["q3"], c["q4"], c["q5"]] + c["q6"]
                    + [c["q7"], c["q8"], c["q9"]] + c["q10"] + [c["q11"], c["q12"]])
    write_csv("18_问卷_SPSS变量名.csv", rows, "utf-8-sig")

    def vl(options: list[str]) -> str:
        return "\n".join(f" {k} '{o}'" for k, o in enumerate(options, start=1))

    labels = [f" /Q6_{k} '6、您通过哪些渠道了解法律知识？:{o}'" for k, o in
              enumerate(CHANNELS, start=1)]
    labels += [f" /Q10_{k} '10、您对下列普法形式的评价:{o}'" for k, o in
               enumerate(MATRIX_ROWS, start=1)]
    sps = "\n".join([
        "VARIABLE LABELS",
        " Q1 '1、您的姓名'",
        " /Q2 '2、您的手机号码'",
        " /Q3 '3、您所在的村（社区）'",
        " /Q4 '4、您的性别'",
        " /Q5 '5、您的年龄段'",
        *labels[:6],
        " /Q7 '7、您是否了解《中华人民共和国民法典》？'",
        " /Q8 '8、您是否了解《反电信网络诈骗法》？'",
        " /Q9 '9、您是否参加过本村（社区）组织的普法活动？'",
        *labels[6:],
        " /Q11 '11、您对本村（社区）普法工作的总体满意度'",
        " /Q12 '12、您对普法工作还有什么意见或建议？'",
        " .",
        "VALUE LABELS",
        " Q3", vl(VILLAGE_OPTIONS),
        " /Q4", vl(SEX),
        " /Q5", vl(AGE),
        " /Q6_1 TO Q6_6", " 0 '未选中'", " 1 '选中'",
        " /Q7 Q8", vl(AWARE),
        " /Q9", vl(ATTEND),
        " /Q10_1 TO Q10_3 Q11", vl(SATIS), " -3 '跳过'",
        " .",
        "MISSING VALUES Q10_1 TO Q10_3 (-3).",
        "",
    ])
    (HERE / "18b_变量与值标签.sps").write_bytes(sps.encode("utf-8-sig"))


# --------------------------------------------------------------------------------------------
# KoboToolbox: XLS export with labels, "include groups in headers" and select_multiple "both"
# --------------------------------------------------------------------------------------------

KOBO_CHANNELS = ["村广播", "宣传栏", "微信群", "入户宣传"]
#: village, sex, age, 宪法日, channels (in option order), satisfaction
KOBO = [
    ("大布村", "男", "52", "知道", ["村广播", "宣传栏"], "满意"),
    ("大布村", "女", "67", "听说过", ["村广播"], "比较满意"),
    ("石龙村", "男", "38", "知道", ["微信群"], "满意"),
    ("塘尾村", "女", "71", "不知道", ["入户宣传"], "不清楚"),
    ("塘尾村", "男", "45", "听说过", ["村广播", "入户宣传"], "比较满意"),
    ("下坑村", "女", "29", "知道", ["宣传栏", "微信群"], "满意"),
    ("下坑村", "男", "60", "不知道", ["村广播"], "不太满意"),
    ("黄竹坪村", "女", "55", "听说过", ["村广播", "宣传栏", "入户宣传"], "比较满意"),
    ("龙潭村", "男", "33", "知道", ["微信群"], "满意"),
    ("龙潭村", "女", "48", "知道", ["宣传栏", "微信群"], "满意"),
]


def k19_kobo() -> None:
    g1, g2 = "基本信息", "普法知晓"
    q_ch = f"{g2}/您通过哪些渠道了解法律知识？"
    header = (["start", "end", "today", f"{g1}/所在村（社区）", f"{g1}/性别", f"{g1}/年龄",
               f"{g2}/您是否知道国家宪法日是哪一天？", q_ch]
              + [f"{q_ch}/{o}" for o in KOBO_CHANNELS]
              + [f"{g2}/您对本村普法工作满意吗？", "_id", "_uuid", "_submission_time",
                 "_validation_status", "_notes", "_status", "_submitted_by", "__version__",
                 "_tags", "_index"])
    rows = [header]
    for i, (village, sex, age, aware, ch, sat) in enumerate(KOBO, start=1):
        minute = 5 * i
        start = f"2024-11-06T10:{minute:02d}:11.000+08:00"
        end = f"2024-11-06T10:{minute + 3:02d}:40.000+08:00"
        submitted = f"2024-11-06T02:{minute + 4:02d}:05"  # UTC, no zone, as Kobo writes it
        rows.append([start, end, "2024-11-06", village, sex, age, aware, " ".join(ch)]
                    + ["1" if o in ch else "0" for o in KOBO_CHANNELS]
                    + [sat, 48211300 + i, f"7c1e9a40-5b2d-4f8e-9a1c-0000000000{i:02d}",
                       submitted, "", "", "submitted_via_web", "hekou_sfs",
                       "vHk2024Rq7mTt5yJcR2aBz", "", i])
    wb = plain_book("kobotoolbox")
    ws = wb.active
    ws.title = "河口镇法治宣传入户调查（2024）"
    put(ws, 1, rows)
    wb.save(HERE / "19_KoboToolbox_中文标签.xlsx")


def main() -> None:
    r01_plain()
    r02_yearbook()
    r03_total_last()
    r04_codes()
    r05_xls()
    e06_content_topic()
    e07_main_content()
    e08_title_only()
    e09_monthly()
    e10_xls()
    e11_multi_topic()
    e12_problem_rows()
    e13a_village_by_content()
    e13b_town_only()
    e14_audience_count()
    s15_wjx_text()
    s16_wjx_number_xls()
    s16b_codebook()
    s17_wjx_number_short()
    s18_spss_names()
    k19_kobo()
    s20_sites()
    e21_fulian_gbk()
    c22_cadres()
    r23_long_suffix()
    e24_returning_workers()
    print(f"wrote the real-shapes corpus to {HERE}")


if __name__ == "__main__":
    main()
