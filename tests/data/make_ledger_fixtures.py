"""Write the tiny hand-made ledgers in tests/data/ledgers/ (run: python make_ledger_fixtures.py).

Every file is small enough to check by eye; tests/test_io.py states the expected values next
to each assertion. The files are committed; this script only exists so that they can be
regenerated (and read) as code. Register used by the tests (built in the test, not here):

    V01 大岭村   V02 上坝村   V03 犁滩村   V04 坝美村   V05 公园社区      (town 水寨镇)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import xlwt

OUT = Path(__file__).resolve().parent / "ledgers"
FIXED = dt.datetime(2024, 1, 1, 0, 0, 0)


def _workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    return wb


def events_xlsx(path: Path) -> None:
    """Title + 填报单位 rows, two-level merged header, Excel dates and serials, 9月9日 with the
    year in the sheet name, counts in every form, 合计 and 注： rows, bad rows, merged dates."""
    wb = _workbook()
    ws = wb.active
    ws.title = "2021年"
    ws["A1"] = "水寨镇司法所普法活动台账"
    ws.merge_cells("A1:K1")
    ws["A2"] = "填报单位：水寨镇司法所"
    ws["H2"] = "填报日期：2022年1月5日"
    heads = ["序号", "日期", "村（社区）", "活动名称", "宣传内容", "活动形式", "参加人数（人次）",
             None, "发放资料（份）", "联系电话", "备注"]
    for j, h in enumerate(heads, start=1):
        if h is not None:
            ws.cell(row=3, column=j, value=h)
    for col in "ABCDEFIJK":  # single headers span both header lines
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("G3:H3")
    ws["G4"] = "成人"
    ws["H4"] = "儿童"
    rows = [
        # row 5: a real Excel date; two topics; 约500 materials; a phone number (dropped)
        [1, dt.datetime(2021, 3, 15), "大岭村委会", "3·15消费者权益宣传",
         "消费者权益、防范非法集资", "摆摊设点", 30, 20, "约500", "13800138000", None],
        # row 6: a bare Excel serial (44348 = 2021-06-01); "大岭 村" with a space; 1.2万
        [2, 44348, "大岭 村", "民法典进村", "民法典；婚姻家庭", "法律知识讲座", "50人", None,
         "1.2万", None, None],
        # row 7: 9月9日 (year from the sheet name); full-width space; 300余人 + ５０; 千余
        [3, "9月9日", "公园\u3000社区", "禁毒反诈宣传", "禁毒、反诈/全民禁毒", "以案释法",
         "300余人", "５０", "千余", None, None],
        # row 8: unknown topic and form kept as written; 约80; a phone number in the notes
        [4, "2021年10月12日", "上坝村", "垃圾分类宣传", "垃圾分类", "快闪", "约80", None, None,
         None, "联系人李四13912345678"],
        # row 9: blank
        [None] * 11,
        # row 10: unknown village
        [5, "2021/11/3", "外镇某村", "反诈宣传", "反诈", "讲座", 20, None, 100, None, None],
        # row 11: negative count
        [6, "2021-12-01", "坝美村", "宪法宣传", "宪法", "讲座", -20, None, 50, None, None],
        # row 12: a date in the future
        [7, "2030-01-01", "坝美村", "宪法宣传", "宪法", "讲座", 10, None, None, None, None],
        # rows 13-15: one date merged down over three rows; the third is town-wide
        [8, "2021.12.3", "犁滩村", "宪法日宣传", "宪法", "讲座", 40, None, None, None, None],
        [9, None, "大岭村", "宪法日宣传", "宪法", "讲座", 30, None, None, None, None],
        [10, None, "镇文化广场", "宪法日集中宣传", "宪法", "文艺演出", 100, None, None, None, None],
        # row 16: blank village (town-wide); no topic, found in the title
        [11, "2021年12月20日", None, "扫黑除恶专项斗争宣传", None, "宣传车", 60, None, None,
         None, None],
        # row 17: no topic at all -> rejected
        [12, "2021-12-25", "上坝村", None, None, "讲座", 15, None, None, None, None],
        # row 18: totals; row 19: a note
        ["合计", None, None, None, None, None, 705, 70, None, None, None],
        ["注：1. 参加人数按人次统计。", None, None, None, None, None, None, None, None, None, None],
    ]
    for i, values in enumerate(rows, start=5):
        for j, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(row=i, column=j, value=v)
    ws.merge_cells("B13:B15")
    ws.merge_cells("A19:K19")
    ws["B5"].number_format = "yyyy-mm-dd"
    summary = wb.create_sheet("汇总")
    summary.append(["月份", "活动场次"])
    summary.append(["2021年12月", 5])
    wb.save(path)


def events_xls(path: Path) -> None:
    """An .xls (BIFF, xlwt) whose merged parent 活动情况 sits over 日期/地点; year in file name."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    ws.write_merge(0, 0, 0, 4, "普法活动登记表")
    ws.write_merge(1, 2, 0, 0, "序号")
    ws.write_merge(1, 1, 1, 2, "活动情况")
    ws.write(2, 1, "日期")
    ws.write(2, 2, "地点")
    ws.write_merge(1, 2, 3, 3, "宣传内容")
    ws.write_merge(1, 2, 4, 4, "参加人数")
    ws.write(3, 0, 1)
    ws.write(3, 1, dt.date(2022, 3, 15), date_style)  # a real .xls date cell
    ws.write(3, 2, "犁滩村")
    ws.write(3, 3, "消费者权益")
    ws.write(3, 4, 45)
    ws.write(4, 0, 2)
    ws.write(4, 1, "4月15日")  # no year: 2022 from the file name
    ws.write(4, 2, "坝美村委会")
    ws.write(4, 3, "国家安全")
    ws.write(4, 4, "约60")
    ws.write(5, 0, 3)
    ws.write(5, 1, "2022.6.26")
    ws.write(5, 2, "上坝")
    ws.write(5, 3, "禁毒")
    ws.write(5, 4, 200)
    ws.write(6, 0, "小计")
    ws.write(6, 4, 305)
    wb.save(str(path))


GBK_CSV = """综治办2021年普法宣传台账,,,,,
日期,村居,宣传内容,受益人数,,发放资料（份）
,,,成人,儿童,
2021/9/9,犁滩村委会,平安宣传、扫黑除恶,40,10,200
2021/10/8,大岭村,社会治安,"1,200",,50余
,,,,,
2021/11/20,坝美村,反诈,很多,,10
小计,,,,,
"""

BOM_CSV = """2022年普法活动台账
编号,活动时间,村（社区）,活动名称,宣传内容,活动形式,参加对象,参加人数
HD-001,3月15日,上坝村,消费者权益日宣传,消费者权益,摆摊设点,村民、老人,25
HD-002,5月20日,公园社区,民法典宣传月,民法典,讲座,学生,40
HD-002,5月21日,大岭村,民法典进村,民法典,讲座,妇女,30
HD-003,2022-06-26,坝美村,,禁毒,宣传车,,无
注：参加对象可填多个。
"""

CADRES_CSV = (
    "姓名,单位,职务,是否领导干部,学习时长（学时）,是否参加考试,考试成绩,是否合格,执法证号,"
    "联系电话\n"
) + """张三,司法所,所长,是,42,是,92,合格,44142420210001,13800000001
李四,派出所,民警,否,38.5学时,√,78,×,,
王五,司法所,科员,否,40,否,缺考,,44142420210002,
赵六,综治办,主任,是,45,Y,85,是,有,
张三,司法所,所长,是,42,是,92,合格,44142420210001,
孙七,妇联,,否,很多,是,80,合格,,
"""

SITES_CSV = """阵地名称,类型,级别,所属村,建成时间,最近更新时间,经度,纬度
法治宣传一条街,一条街,镇级,,2019年,2025-03-01,115.78,23.93
大岭村普法宣传栏,宣传栏,村级,大岭村委会,2020年5月,2024/12/1,115.77,23.94
公园社区普法讲堂,讲堂,,公园社区,2021-01-10,,,
某阵地,宣传栏,省级,上坝村,2020-01-01,,,
"""


def formula_xlsx(path: Path) -> None:
    """A formula written by openpyxl has no saved result: that cell's row is rejected."""
    wb = _workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["日期", "村（社区）", "宣传内容", "参加人数"])
    ws.append(["2021-05-01", "大岭村", "民法典", "=10+20"])
    ws.append(["2021-05-02", "上坝村", "民法典", 35])
    wb.save(path)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    events_xlsx(OUT / "events_司法所.xlsx")
    events_xls(OUT / "普法活动登记表_2022.xls")
    (OUT / "综治办台账_gbk.csv").write_bytes(GBK_CSV.encode("gbk"))
    (OUT / "events_bom.csv").write_bytes(BOM_CSV.encode("utf-8-sig"))
    (OUT / "cadres_2021.csv").write_text(CADRES_CSV, encoding="utf-8")
    (OUT / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    formula_xlsx(OUT / "formula_台账.xlsx")


if __name__ == "__main__":
    main()
