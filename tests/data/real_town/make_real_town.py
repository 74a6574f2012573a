"""Write the "real town" fixture: one town's folder of ledgers as a busy clerk keeps them.

河口镇 (the invented town of tests/data/real_shapes/, 12 村/社区) hands over what a 司法所 has at
hand: a register with a title row, a merged two-row header and a 合计 row; a 2024 ledger with one
sheet per quarter; a 2025 ledger of another department (综治办) with no audience column; a 妇联
CSV in GBK; a 问卷星 export; a list of 普法阵地. No 村界.geojson, no 学法用法 cadre ledger, no
法律明白人 roster, no adviser log. Three blind spots are planted (see README.md and PLANTED below).

Run from the repository root:

    .venv/bin/python tests/data/real_town/make_real_town.py          # write files + truth.toml
    .venv/bin/python tests/data/real_town/make_real_town.py --check  # re-count truth from files

Every row below is written out literally (the survey answers from literal per-village counts,
put in a fixed order by ``random.Random(seed)``), and truth.toml is computed from these lists and
the small hand-made dictionaries PLACES, AUDIENCES and TOPICS_OF — never from pufa_metrics.
``--check`` re-reads the written files with openpyxl / csv and re-counts truth.toml from the
cells. Re-running gives the same cell contents (xlsx zip timestamps may change).

All IP addresses are from the documentation ranges 203.0.113.0/24 and 198.51.100.0/24 (RFC 5737);
the survey has no name or phone column. No person is named anywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

import openpyxl
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
#: The clerk's folder: only the ledgers, as an office hands them over (no script, no truth).
LEDGERS = HERE / "河口镇台账"
FIXED = dt.datetime(2025, 12, 31, 9, 0, 0)
D = dt.datetime  # short alias for literal dates below

# --------------------------------------------------------------------------------------------
# The town
# --------------------------------------------------------------------------------------------

#: short name, name as the clerk typed it in the register, 户数, 户籍 合计/男/女, 常住, 村民小组
TOWN = [
    ("河口社区", "河口社区居委会", 980, 2860, 1450, 1410, 3120, None),
    ("新街社区", "新街社区居委会", 760, 2210, 1120, 1090, 2450, None),
    ("大布村", "大布村委会", 702, 2650, 1370, 1280, 1800, 12),
    ("石龙村", "石龙村委会", 531, 2080, 1075, 1005, 1320, 9),
    ("塘尾村", "塘 尾 村", 402, 1540, 800, 740, 960, 7),
    ("上围村", "上围村委会", 455, 1730, 890, 840, 1105, 8),
    ("下坑村", "下坑村", 318, 1210, 628, 582, 640, 6),
    ("黄竹坪村", "黄竹坪村委会", 256, 980, 507, 473, 515, 5),
    ("横岗村", "横岗村 ", 570, 2190, 1130, 1060, 1430, 10),
    ("白石村", "白石村委会", 381, 1460, 752, 708, 870, 7),
    ("禾田村", "禾田村", 490, 1880, 965, 915, 1210, 9),
    ("龙潭村", "龙潭村委会", 344, 1320, 681, 639, 730, 6),
]
UNITS = [t[0] for t in TOWN]
# Totals (hand-summed, re-summed by --check): 户数 6189, 户籍 22110 (11368/10742), 常住 16150,
# 村民小组 79.

#: The three planted blind spots (README.md says why each is one).
PLANTED = {
    "no_events_after_q1_2024": "黄竹坪村",
    "required_topics_and_audiences_never": "龙潭村",
    "low_awareness": "横岗村",
}

#: Every place written in an events ledger -> the village it names, or None: a town-wide event
#: (a town venue, a school, "all villages", or a blank cell).
PLACES: dict[str | None, str | None] = {
    **{u: u for u in UNITS},
    "大布村委会": "大布村",
    "下坑村委会": "下坑村",
    "河口社区居委会": "河口社区",
    "镇文化站": None,
    "镇政府": None,
    "河口中学": None,
    "社区广场": None,
    "各村（社区）": None,
    "全镇各村": None,
    None: None,
}

#: Every audience text written (参与对象) -> the required groups it names (the [audiences]
#: required of pufa.toml: 老年人, 青少年, 妇女, 外出务工人员); other groups are not listed.
AUDIENCES: dict[str, tuple[str, ...]] = {
    "外出务工返乡人员": ("外出务工人员",),
    "留守老人": ("老年人",),
    "老年人": ("老年人",),
    "中小学生": ("青少年",),
    "青少年": ("青少年",),
    "妇女": ("妇女",),
    "妇女群众": ("妇女",),
    "妇女儿童": ("妇女",),
    "妇女、留守儿童": ("妇女",),
    "老年人、妇女群众": ("老年人", "妇女"),
    "村民": (),
    "居民": (),
    "群众": (),
    "赶集群众": (),
    "镇机关干部": (),
}

#: Every topic text written (活动内容 / 宣传主题) -> the canonical topics it names (schema.TOPICS
#: names; the four required ones are 宪法, 民法典, 反电信网络诈骗, 禁毒).
TOPICS_OF: dict[str, tuple[str, ...]] = {
    "新春法治文艺汇演暨民法典宣传": ("民法典",),
    "民法典进乡村宣讲": ("民法典",),
    "反诈宣传进社区": ("反电信网络诈骗",),
    "冬春森林防火宣传": ("生态环境",),
    "反诈宣传暨禁毒知识讲座": ("反电信网络诈骗", "禁毒"),
    "反诈宣传进圩日": ("反电信网络诈骗",),
    "春节返乡人员反诈宣传": ("反电信网络诈骗",),
    "根治欠薪暨反诈宣传": ("劳动与欠薪", "反电信网络诈骗"),
    "防范电信网络诈骗讲座": ("反电信网络诈骗",),
    "返乡人员法律咨询暨反诈宣传": ("反电信网络诈骗",),
    "中心组学法：民法典": ("民法典",),
    "3·15消费者权益保护宣传": ("消费者权益",),
    "全民国家安全教育日进校园": ("国家安全",),
    "防范养老诈骗暨民法典宣讲": ("老年人权益", "民法典"),
    "民法典宣传月集中宣传": ("民法典",),
    "民法典宣传月“美好生活·民法典相伴”主题活动": ("民法典",),
    "民法典进社区宣讲": ("民法典",),
    "民法典婚姻家庭编宣讲": ("民法典", "婚姻家庭"),
    "安全生产月宣传": ("安全生产",),
    "6·26国际禁毒日宣传": ("禁毒",),
    "暑期防溺水暨禁毒知识讲座": ("禁毒",),
    "禁毒知识讲座": ("禁毒",),
    "青少年禁毒教育": ("禁毒",),
    "防溺水暨未成年人保护法宣传": ("未成年人保护",),
    "扫黑除恶专项斗争宣传": ("扫黑除恶",),
    "开学第一课：预防未成年人犯罪": ("未成年人保护",),
    "扫黑除恶暨反诈宣传": ("扫黑除恶", "反电信网络诈骗"),
    "扫黑除恶以案释法": ("扫黑除恶",),
    "宪法宣传周启动仪式": ("宪法",),
    "宪法宣传周活动": ("宪法",),
    "12·4国家宪法日宣传": ("宪法",),
    "宪法进农家": ("宪法",),
    # 妇联
    "三八妇女节妇女权益保障法宣传": ("妇女权益",),
    "妇女权益保障法宣讲": ("妇女权益",),
    "反家暴法律知识讲座": ("反家庭暴力",),
    "未成年人保护法暨家庭教育促进法宣传": ("未成年人保护", "家庭教育"),
    "婚姻家庭纠纷预防宣讲": ("婚姻家庭",),
    "反家暴宣传周进村": ("反家庭暴力",),
    "三八维权周妇女权益宣传": ("妇女权益",),
    "妇女权益保障法宣传": ("妇女权益",),
    "家庭教育促进法宣传": ("家庭教育",),
    "未成年人保护法宣传": ("未成年人保护",),
    "反家暴宣传": ("反家庭暴力",),
    # 综治办 2025
    "防范电信网络诈骗宣传": ("反电信网络诈骗",),
    "反电信网络诈骗法宣传": ("反电信网络诈骗",),
    "反诈知识讲座": ("反电信网络诈骗",),
    "平安建设宣传": ("社会治安",),
    "中心组学法：习近平法治思想": ("习近平法治思想",),
    "民法典进社区": ("民法典",),
    "民法典进乡村": ("民法典",),
    "民法典宣传月启动仪式": ("民法典",),
    "民法典宣传月活动": ("民法典",),
    "禁毒宣传进农家": ("禁毒",),
    "消防安全知识讲座": ("消防",),
    "国家安全教育宣传": ("国家安全",),
    "国家网络安全宣传周进社区": ("网络安全",),
}

REQUIRED_TOPICS = ("宪法", "民法典", "反电信网络诈骗", "禁毒")
REQUIRED_AUDIENCES = ("老年人", "青少年", "妇女", "外出务工人员")

# --------------------------------------------------------------------------------------------
# Events: the rows exactly as written. BLANK = an empty row; TOTAL = the clerk's 合计 row.
# --------------------------------------------------------------------------------------------

BLANK = "BLANK"
TOTAL = "TOTAL"

#: 2024年普法活动台账.xlsx, one sheet per quarter: 序号, 时间, 地点/活动地点, 活动内容, 参与对象,
#: 参与人数, 备注. Dates are date cells, or text as typed (2024.1.24, 2024年3月15日).
LEDGER_2024: dict[str, dict] = {
    "一季度": {
        "place_header": "地点",
        "rows": [
            [1, D(2024, 1, 6), "镇文化站", "新春法治文艺汇演暨民法典宣传", "群众", "约300", None],
            [2, D(2024, 1, 10), "大布村委会", "民法典进乡村宣讲", "留守老人", 45, None],
            [3, D(2024, 1, 12), "黄竹坪村", "民法典进乡村宣讲", "留守老人", 28, None],
            [4, D(2024, 1, 17), "河口社区", "反诈宣传进社区", "居民", 120, None],
            [5, D(2024, 1, 19), "龙潭村", "冬春森林防火宣传", "村民", 35, None],
            [6, "2024.1.24", "新街社区", "反诈宣传暨禁毒知识讲座", "居民", "约150", None],
            [7, D(2024, 2, 4), None, "反诈宣传进圩日", "赶集群众", "约200", "圩日摆摊"],
            [8, D(2024, 2, 7), "大布村", "春节返乡人员反诈宣传", "外出务工返乡人员", 70, None],
            [9, D(2024, 2, 8), "石龙村", "春节返乡人员反诈宣传", "外出务工返乡人员", 60, None],
            [10, D(2024, 2, 9), "塘尾村", "反诈宣传暨禁毒知识讲座", "外出务工返乡人员", 42,
             None],
            [11, D(2024, 2, 13), "上围村", "根治欠薪暨反诈宣传", "外出务工返乡人员", 55, None],
            [12, D(2024, 2, 15), "黄竹坪村", "反诈宣传暨禁毒知识讲座", "外出务工返乡人员", 32,
             None],
            [13, D(2024, 2, 16), "下坑村委会", "防范电信网络诈骗讲座", "外出务工返乡人员", 38,
             None],
            [14, D(2024, 2, 18), "横岗村", "春节返乡人员反诈宣传", "外出务工返乡人员", 66, None],
            [15, D(2024, 2, 20), "白石村", "反诈宣传暨禁毒知识讲座", "外出务工返乡人员", 40,
             None],
            [16, D(2024, 2, 22), "禾田村", "根治欠薪暨反诈宣传", "外出务工返乡人员", None,
             "人数未统计"],
            [17, D(2024, 2, 23), "河口社区居委会", "返乡人员法律咨询暨反诈宣传", "外出务工返乡人员",
             85, None],
            [18, D(2024, 2, 24), "新街社区", "春节返乡人员反诈宣传", "外出务工返乡人员", 90, None],
            [19, D(2024, 3, 5), "镇政府", "中心组学法：民法典", "镇机关干部", 25, None],
            [20, "2024年3月15日", "社区广场", "3·15消费者权益保护宣传", "群众", "约200", None],
        ],
    },
    "二季度": {
        "place_header": "活动地点",
        "rows": [
            [1, D(2024, 4, 9), "石龙村", "民法典进乡村宣讲", "留守老人", 48, None],
            [2, D(2024, 4, 15), "河口中学", "全民国家安全教育日进校园", "中小学生", 400, None],
            [3, "2024.4.18", "上围村", "防范养老诈骗暨民法典宣讲", "老年人", 50, None],
            [4, D(2024, 4, 25), "塘尾村", "民法典进乡村宣讲", "留守老人", 36, None],
            BLANK,
            [5, D(2024, 5, 8), "各村（社区）", "民法典宣传月集中宣传", "村民", None,
             "各村同步开展"],
            [6, D(2024, 5, 10), "河口社区", "民法典宣传月“美好生活·民法典相伴”主题活动",
             "老年人、妇女群众", 150, None],
            [7, D(2024, 5, 14), "新街社区", "民法典进社区宣讲", "老年人", 110, None],
            [8, "2024年5月16日", "大布村", "民法典婚姻家庭编宣讲", "妇女群众", 52, None],
            [9, D(2024, 5, 21), "横岗村", "民法典进乡村宣讲", "留守老人", 58, None],
            [10, D(2024, 5, 23), "下坑村", "民法典进乡村宣讲", "留守老人", 30, None],
            [11, D(2024, 5, 28), "白石村", "防范养老诈骗暨民法典宣讲", "留守老人", 34, None],
            [12, D(2024, 5, 30), "禾田村", "民法典进乡村宣讲", "老年人", 47, None],
            [13, D(2024, 6, 14), "龙潭村", "安全生产月宣传", "村民", 40, None],
            [14, D(2024, 6, 26), "社区广场", "6·26国际禁毒日宣传", "群众", "300余人", None],
        ],
    },
    "三季度": {
        "place_header": "活动地点",
        "rows": [
            [1, D(2024, 7, 9), "大布村", "暑期防溺水暨禁毒知识讲座", "中小学生", 60, None],
            [2, D(2024, 7, 11), "石龙村", "禁毒知识讲座", "青少年", 45, None],
            [3, D(2024, 7, 16), "河口社区", "青少年禁毒教育", "中小学生", 80, None],
            [4, D(2024, 7, 18), "龙潭村", "防溺水暨未成年人保护法宣传", "中小学生", 38, None],
            [5, D(2024, 7, 23), "新街社区", "禁毒知识讲座", "青少年", 75, None],
            [6, D(2024, 7, 25), "塘尾村", "暑期防溺水暨禁毒知识讲座", "中小学生", 33, None],
            [7, "2024.8.6", "上围村", "禁毒知识讲座", "中小学生", 41, None],
            [8, D(2024, 8, 8), "下坑村", "暑期防溺水暨禁毒知识讲座", "中小学生", 27, None],
            [9, D(2024, 8, 13), "横岗村", "禁毒知识讲座", "青少年", 50, None],
            [10, D(2024, 8, 15), "白石村", "禁毒知识讲座", "中小学生", 31, None],
            [11, D(2024, 8, 20), "禾田村", "暑期防溺水暨禁毒知识讲座", "中小学生", 44, None],
            # a typo: September has 30 days (the clerk meant 2024.8.31 or 2024.9.30)
            [12, "2024.9.31", "大布村", "扫黑除恶专项斗争宣传", "村民", 50, None],
            [13, D(2024, 9, 10), "河口中学", "开学第一课：预防未成年人犯罪", "中小学生", 600, None],
        ],
    },
    "四季度": {
        "place_header": "地点",
        "rows": [
            [1, D(2024, 10, 15), "横岗村", "扫黑除恶暨反诈宣传", "村民", 62, None],
            [2, D(2024, 11, 6), "禾田村", "反诈宣传暨禁毒知识讲座", "村民", 50, None],
            [3, D(2024, 11, 20), "龙潭村", "扫黑除恶以案释法", "村民", 36, None],
            [4, D(2024, 12, 2), "镇文化站", "宪法宣传周启动仪式", "群众", "约250", None],
            [5, D(2024, 12, 3), "大布村", "宪法宣传周活动", "村民", 55, None],
            [6, D(2024, 12, 4), "河口社区", "12·4国家宪法日宣传", "居民", 160, None],
            [7, D(2024, 12, 4), "新街社区", "12·4国家宪法日宣传", "居民", 140, None],
            [8, D(2024, 12, 5), "石龙村", "宪法宣传周活动", "村民", 48, None],
            [9, D(2024, 12, 6), "塘尾村", "宪法进农家", "村民", 35, None],
            [10, "2024.12.9", "上围村", "宪法宣传周活动", "村民", 46, None],
            [11, D(2024, 12, 10), "下坑村", "宪法宣传周活动", "村民", None, None],
            [12, D(2024, 12, 11), "横岗村", "宪法宣传周活动", "村民", 57, None],
            [13, D(2024, 12, 12), "白石村", "宪法进农家", "村民", 33, None],
            [14, D(2024, 12, 13), "禾田村", "宪法宣传周活动", "村民", 41, None],
            TOTAL,
        ],
    },
}

#: 2025年综治办普法台账.xlsx (one sheet "2025年"): 序号, 日期, 村（社区）, 宣传主题, 宣传形式,
#: 参加人数, 主办单位 — no 参与对象 (audience) column at all.
LEDGER_2025: list = [
    [1, D(2025, 1, 8), "大布村", "防范电信网络诈骗宣传", "摆摊设点", 65, "综治办"],
    [2, D(2025, 1, 14), "河口社区", "反诈宣传进社区", "讲座", 130, "河口派出所"],
    [3, D(2025, 1, 21), "石龙村", "反电信网络诈骗法宣传", "入户走访", 52, "综治办"],
    [4, D(2025, 2, 11), "新街社区", "反诈宣传进社区", "讲座", 115, "河口派出所"],
    [5, D(2025, 2, 13), "塘尾村", "反诈知识讲座", "讲座", 38, "综治办"],
    [6, D(2025, 2, 18), "龙潭村", "平安建设宣传", "宣传车", 42, "综治办"],
    [7, "2025.2.20", "上围村", "反诈宣传进圩日", "摆摊设点", 60, "综治办"],
    [8, D(2025, 2, 25), "下坑村", "反诈知识讲座", "讲座", 28, "综治办"],
    [9, D(2025, 3, 4), "横岗村", "反电信网络诈骗法宣传", "讲座", 55, "河口派出所"],
    [10, D(2025, 3, 6), "白石村", "反诈知识讲座", "讲座", 35, "综治办"],
    [11, D(2025, 3, 12), "禾田村", "防范电信网络诈骗宣传", "摆摊设点", 48, "综治办"],
    [12, D(2025, 3, 18), "镇政府", "中心组学法：习近平法治思想", "集中学法", 30, "镇党委"],
    [13, D(2025, 4, 10), "河口社区", "民法典进社区", "讲座", 140, "镇司法所"],
    [14, D(2025, 4, 22), "大布村", "民法典进乡村", "讲座", 58, "镇司法所"],
    [15, D(2025, 5, 6), "镇文化站", "民法典宣传月启动仪式", "文艺演出", "约300", "镇司法所"],
    [16, D(2025, 5, 8), "新街社区", "民法典进社区", "讲座", 120, "镇司法所"],
    [17, D(2025, 5, 13), "石龙村", "民法典宣传月活动", "摆摊设点", 50, "镇司法所"],
    [18, D(2025, 5, 15), "塘尾村", "民法典进乡村", "讲座", 37, "镇司法所"],
    [19, "2025.5.20", "上围村", "民法典宣传月活动", "摆摊设点", 49, "镇司法所"],
    [20, D(2025, 5, 22), "下坑村", "民法典进乡村", "讲座", 29, "镇司法所"],
    [21, D(2025, 5, 27), "横岗村", "民法典宣传月活动", "讲座", 60, "镇司法所"],
    [22, D(2025, 5, 29), "白石村", "民法典进乡村", "讲座", 33, "镇司法所"],
    [23, D(2025, 6, 3), "禾田村", "民法典宣传月活动", "以案释法", 46, "镇司法所"],
    [24, D(2025, 6, 17), "龙潭村", "安全生产月宣传", "展板", 40, "镇应急办"],
    [25, D(2025, 6, 24), "河口社区", "6·26国际禁毒日宣传", "摆摊设点", 180, "镇禁毒办"],
    [26, D(2025, 7, 3), "新街社区", "禁毒知识讲座", "讲座", 95, "镇禁毒办"],
    [27, D(2025, 7, 8), "大布村", "禁毒知识讲座", "讲座", 55, "镇禁毒办"],
    [28, D(2025, 7, 10), "石龙村", "禁毒知识讲座", "讲座", 43, "镇禁毒办"],
    [29, D(2025, 7, 15), "塘尾村", "禁毒宣传进农家", "入户走访", 30, "镇禁毒办"],
    [30, D(2025, 7, 17), "上围村", "禁毒知识讲座", "讲座", 44, "镇禁毒办"],
    [31, D(2025, 7, 22), "下坑村", "禁毒宣传进农家", "入户走访", 25, "镇禁毒办"],
    [32, D(2025, 8, 5), "横岗村", "禁毒知识讲座", "讲座", 52, "镇禁毒办"],
    [33, D(2025, 8, 7), "白石村", "禁毒知识讲座", "讲座", 30, "镇禁毒办"],
    [34, D(2025, 8, 12), "禾田村", "禁毒宣传进农家", "入户走访", 39, "镇禁毒办"],
    [35, D(2025, 9, 10), "龙潭村", "消防安全知识讲座", "讲座", 37, "镇应急办"],
    [36, D(2025, 9, 16), "河口社区", "国家网络安全宣传周进社区", "摆摊设点", 110, "镇宣传办"],
    [37, D(2025, 10, 14), "横岗村", "扫黑除恶以案释法", "以案释法", 48, "综治办"],
    [38, D(2025, 11, 12), "龙潭村", "国家安全教育宣传", "展板", 35, "综治办"],
    [39, D(2025, 12, 2), "镇文化站", "宪法宣传周启动仪式", "文艺演出", "约300", "镇司法所"],
    [40, D(2025, 12, 3), "大布村", "宪法宣传周活动", "讲座", 60, "镇司法所"],
    [41, D(2025, 12, 4), "河口社区", "12·4国家宪法日宣传", "摆摊设点", 170, "镇司法所"],
    [42, D(2025, 12, 4), "新街社区", "12·4国家宪法日宣传", "摆摊设点", 145, "镇司法所"],
    [43, D(2025, 12, 5), "石龙村", "宪法宣传周活动", "讲座", 47, "镇司法所"],
    [44, D(2025, 12, 8), "塘尾村", "宪法进农家", "入户走访", 32, "镇司法所"],
    [45, "2025.12.9", "上围村", "宪法宣传周活动", "讲座", 45, "镇司法所"],
    [46, D(2025, 12, 10), "下坑村", "宪法进农家", "入户走访", 27, "镇司法所"],
    [47, D(2025, 12, 11), "横岗村", "宪法宣传周活动", "讲座", 56, "镇司法所"],
    [48, D(2025, 12, 12), "白石村", "宪法进农家", "入户走访", 31, "镇司法所"],
    [49, D(2025, 12, 16), "禾田村", "宪法宣传周活动", "讲座", 42, "镇司法所"],
    TOTAL,
]

#: 妇联普法活动.csv (GBK): a title line, then 序号, 活动日期, 活动地点, 活动内容, 参与对象,
#: 参与人数, 备注. Dates typed 2024/3/8.
FULIAN: list = [
    [1, "2024/3/8", "各村（社区）", "三八妇女节妇女权益保障法宣传", "妇女", "约600人",
     "各村妇联执委同步开展"],
    [2, "2024/3/12", "大布村", "妇女权益保障法宣讲", "妇女群众", 46, ""],
    [3, "2024/4/17", "石龙村", "反家暴法律知识讲座", "妇女", 38, ""],
    [4, "2024/6/1", "新街社区", "未成年人保护法暨家庭教育促进法宣传", "妇女儿童", 85, "六一"],
    [5, "2024/9/19", "塘尾村", "婚姻家庭纠纷预防宣讲", "妇女", 29, ""],
    [6, "2024/11/26", "龙潭村", "反家暴宣传周进村", "妇女群众", 33, ""],
    [7, "2024/11/27", "上围村", "反家暴宣传周进村", "妇女", 35, ""],
    [8, "2025/3/7", "全镇各村", "三八维权周妇女权益宣传", "妇女", "400余人", ""],
    [9, "2025/3/11", "下坑村", "妇女权益保障法宣传", "妇女", 26, ""],
    [10, "2025/3/13", "横岗村", "妇女权益保障法宣传", "妇女群众", 44, ""],
    [11, "2025/5/15", "白石村", "家庭教育促进法宣传", "妇女、留守儿童", 30, ""],
    [12, "2025/6/1", "禾田村", "未成年人保护法宣传", "妇女儿童", 40, "六一"],
    [13, "2025/11/25", "河口社区", "反家暴宣传", "妇女群众", 70, ""],
]

# --------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------

#: 普法阵地.xlsx: 序号, 阵地名称, 所在村, 类型, 级别, 建成时间, 更新时间, 备注.
SITES: list = [
    [1, "河口镇法治文化广场", "镇区", "法治文化广场", "镇级", "2019年6月", D(2025, 5, 10), None],
    [2, "河口镇公共法律服务工作站", "镇区", "公共法律服务站", "镇级", "2020-03", D(2025, 11, 2),
     "司法所内"],
    [3, "河口社区法治宣传栏", "河口社区", "法治宣传栏", "村级", "2020-05", D(2025, 9, 1), None],
    [4, "河口社区法治文化长廊", "河口社区居委会", "法治长廊", "村级", "2022-08", D(2025, 4, 18),
     None],
    [5, "新街社区法治宣传栏", "新街社区", "法治宣传栏", "村级", "2021-04", D(2025, 6, 15), None],
    [6, "大布村法治文化广场", "大布村", "法治文化广场", "村级", "2021-10", D(2025, 10, 20), None],
    [7, "石龙村法治宣传栏", "石龙村委会", "法治宣传栏", "村级", "2020-06", D(2025, 3, 15), None],
    [8, "塘尾村法治宣传栏", "塘尾村", "法治宣传栏", "村级", "2022-01", D(2025, 8, 8), None],
    [9, "上围村法治宣传栏", "上围村", "法治宣传栏", "村级", "2020-06", "2025年5月", None],
    [10, "下坑村法律图书角", "下坑村", "农家书屋", "村级", "2019-09", D(2025, 2, 28), None],
    [11, "黄竹坪村法治宣传栏", "黄竹坪村", "法治宣传栏", "村级", "2020-06", D(2025, 7, 1), None],
    [12, "横岗村法治文化广场", "横岗村", "法治文化广场", "村级", "2021-05", D(2025, 12, 2), None],
    [13, "白石村法治宣传栏", "白石村", "法治宣传栏", "村级", "2020-06", D(2025, 5, 20), None],
    [14, "禾田村法治文化长廊", "禾田村", "法治长廊", "村级", "2022-09", D(2025, 4, 12), None],
    [15, "龙潭村法治宣传栏", "龙潭村", "法治宣传栏", "村级", "2020-06", D(2025, 6, 30), None],
]
SITE_VILLAGE = {"镇区": None, "河口社区居委会": "河口社区", "石龙村委会": "石龙村",
                **{u: u for u in UNITS}}

# --------------------------------------------------------------------------------------------
# The survey (问卷星 按选项文本 export)
# --------------------------------------------------------------------------------------------

AWARE = ("非常了解", "比较了解", "了解", "一般", "不太了解", "不了解")
SUPPORT = ("非常支持", "比较支持", "一般", "不太支持", "不支持")
YESNO = ("是", "否")
AGES = ("18-29岁", "30-44岁", "45-59岁", "60岁及以上")
JOBS = ("务农", "外出务工", "个体经营", "学生", "离退休", "其他")

Q_VILLAGE = "1、您所在的村（社区）："
Q_AGE = "2、您的年龄："
Q_SEX = "3、您的性别："
Q_JOB = "4、您的职业："
Q_CIVIL = "5、您对《中华人民共和国民法典》的了解程度："
Q_FRAUD = "6、您对《中华人民共和国反电信网络诈骗法》的了解程度："
Q_SUPPORT = "7、您是否支持在本村（社区）经常开展普法宣传活动？"
Q_DAY = "8、您是否知道每年12月4日是国家宪法日？"
Q_TEXT = "9、您对我镇普法工作有什么意见和建议？"
WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]

#: Answers per village, literal counts in the order of the scale. n = the village's answers.
#: 民法典 and 反诈: AWARE order; support: SUPPORT order; 宪法日: 是, 否.
SURVEY: dict[str, dict[str, tuple[int, ...]]] = {
    "河口社区": {"civil": (24, 20, 3, 2, 1, 0), "fraud": (25, 20, 2, 2, 1, 0),
                 "support": (34, 14, 2, 0, 0), "day": (46, 4)},
    "新街社区": {"civil": (22, 21, 2, 2, 1, 0), "fraud": (23, 20, 3, 1, 1, 0),
                 "support": (32, 14, 1, 1, 0), "day": (44, 4)},
    "大布村": {"civil": (18, 22, 2, 2, 1, 0), "fraud": (20, 21, 2, 1, 1, 0),
               "support": (30, 13, 2, 0, 0), "day": (41, 4)},
    "石龙村": {"civil": (17, 20, 2, 2, 1, 0), "fraud": (18, 20, 2, 1, 1, 0),
               "support": (28, 12, 1, 1, 0), "day": (38, 4)},
    "塘尾村": {"civil": (14, 18, 2, 1, 1, 0), "fraud": (15, 17, 2, 1, 1, 0),
               "support": (24, 11, 1, 0, 0), "day": (33, 3)},
    "上围村": {"civil": (16, 18, 2, 1, 0, 1), "fraud": (17, 17, 2, 1, 1, 0),
               "support": (25, 12, 1, 0, 0), "day": (35, 3)},
    "下坑村": {"civil": (12, 15, 1, 1, 1, 0), "fraud": (13, 14, 1, 1, 1, 0),
               "support": (20, 9, 1, 0, 0), "day": (28, 2)},
    "黄竹坪村": {"civil": (10, 13, 1, 1, 1, 0), "fraud": (11, 12, 1, 1, 1, 0),
                 "support": (17, 8, 1, 0, 0), "day": (24, 2)},
    # planted (c): ~55% 非常/比较了解 on 民法典 with 40 answers; its events look normal
    "横岗村": {"civil": (8, 14, 6, 6, 4, 2), "fraud": (9, 15, 6, 5, 3, 2),
               "support": (22, 15, 2, 1, 0), "day": (25, 15)},
    "白石村": {"civil": (13, 17, 1, 1, 1, 0), "fraud": (14, 16, 1, 1, 1, 0),
               "support": (22, 10, 1, 0, 0), "day": (30, 3)},
    "禾田村": {"civil": (17, 20, 2, 1, 1, 0), "fraud": (18, 19, 2, 1, 1, 0),
               "support": (27, 13, 1, 0, 0), "day": (38, 3)},
    "龙潭村": {"civil": (11, 14, 1, 1, 1, 0), "fraud": (12, 13, 1, 1, 1, 0),
               "support": (18, 9, 1, 0, 0), "day": (26, 2)},
}
ITEMS = {"civil": (Q_CIVIL, AWARE), "fraud": (Q_FRAUD, AWARE), "support": (Q_SUPPORT, SUPPORT),
         "day": (Q_DAY, YESNO)}
#: The day each village was surveyed (door to door, in the autumn of 2025).
SURVEY_DAY = {u: dt.date(2025, 10, 9) + dt.timedelta(days=3 * i) for i, u in enumerate(UNITS)}
SUGGESTIONS = ["希望多在晚上开展活动", "多发点反诈资料", "建议多用村广播宣传", "讲座时间短一点"]


def survey_rows() -> list[list[object]]:
    """The export's rows (header first), village by village in survey order."""
    rows: list[list[object]] = [WJX_META + [Q_VILLAGE, Q_AGE, Q_SEX, Q_JOB, Q_CIVIL, Q_FRAUD,
                                            Q_SUPPORT, Q_DAY, Q_TEXT]]
    seq = 0
    for vi, village in enumerate(UNITS):
        counts = SURVEY[village]
        n = sum(counts["civil"])
        assert all(sum(c) == n for c in counts.values()), village
        answers = {}
        for k, (key, (_q, scale)) in enumerate(ITEMS.items()):
            values = [v for v, c in zip(scale, counts[key], strict=True) for _ in range(c)]
            random.Random(100 * vi + k).shuffle(values)
            answers[key] = values
        ages = [AGES[(i * 3 + vi) % 4] for i in range(n)]
        start = dt.datetime.combine(SURVEY_DAY[village], dt.time(9, 0, 0))
        for i in range(n):
            seq += 1
            when = start + dt.timedelta(minutes=6 * i + (i * 7) % 5, seconds=(i * 17 + vi) % 60)
            text = SUGGESTIONS[(i // 11) % 4] if i % 11 == 5 else "(空)"
            rows.append([
                seq, when.strftime("%Y/%m/%d %H:%M:%S"), f"{60 + (seq * 37) % 240}秒",
                "手机提交", "直接访问" if seq % 7 == 0 else "微信",
                f"{'203.0.113' if seq % 2 else '198.51.100'}.{seq % 250 + 1}(广东-梅州)",
                village, ages[i], "男" if (i + vi) % 2 == 0 else "女", JOBS[(i + 2 * vi) % 6],
                answers["civil"][i], answers["fraud"][i], answers["support"][i],
                answers["day"][i], text,
            ])
    return rows


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def wps_book() -> openpyxl.Workbook:
    """A workbook stamped as WPS Office saves xlsx (author Administrator, KSOProductBuildVer)."""
    wb = openpyxl.Workbook()
    wb.properties.creator = "Administrator"
    wb.properties.lastModifiedBy = "Administrator"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.custom_doc_props.append(StringProperty(name="KSOProductBuildVer", value="2052-12.1.0.17147"))
    return wb


def put(ws, first_row: int, rows: list[list[object]]) -> None:
    """Write ``rows`` from Excel row ``first_row``; None leaves the cell empty."""
    for i, values in enumerate(rows, start=first_row):
        for j, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(row=i, column=j, value=v)
                if isinstance(v, dt.datetime):
                    ws.cell(row=i, column=j).number_format = "yyyy/m/d"


def title(ws, text: str, span: str) -> None:
    first = span.split(":")[0]
    ws[first] = text
    ws.merge_cells(span)
    ws[first].font = Font(name="宋体", size=16, bold=True)
    ws[first].alignment = Alignment(horizontal="center")


def _attendees_sum(rows: list) -> int:
    """What the clerk's =SUM() over the 参与人数 column gives: numbers only (约300 is text)."""
    return sum(r[5] for r in rows if isinstance(r, list) and isinstance(r[5], int))


def _sheet_rows(rows: list, width: int) -> list[list[object]]:
    out = []
    for r in rows:
        if r == BLANK:
            out.append([None] * width)
        elif r == TOTAL:
            out.append(["合计", None, None, None, None, _attendees_sum(rows), None][:width])
        else:
            out.append(list(r))
    return out


def write_register() -> None:
    wb = wps_book()
    ws = wb.active
    ws.title = "基本情况"
    title(ws, "河口镇村（社区）基本情况统计表", "A1:I1")
    for col, text in zip("ABCGHI", ["序号", "村（社区）名称", "户数（户）", "常住人口（人）",
                                    "村民小组（个）", "备注"], strict=True):
        ws[f"{col}2"] = text
        ws.merge_cells(f"{col}2:{col}3")
    ws["D2"] = "户籍人口（人）"
    ws.merge_cells("D2:F2")
    ws["D3"], ws["E3"], ws["F3"] = "合计", "男", "女"
    notes = {"河口社区": "镇政府驻地"}
    rows = [[i, written, hh, reg, m, f, pop, grp, notes.get(u)]
            for i, (u, written, hh, reg, m, f, pop, grp) in enumerate(TOWN, start=1)]
    put(ws, 4, rows)
    tot = [sum(t[k] for t in TOWN) for k in range(2, 7)] + [sum(t[7] or 0 for t in TOWN)]
    put(ws, 16, [["合计", None, *tot, None]])
    ws.merge_cells("A16:B16")
    ws["A17"] = "注：常住人口为2024年末统计数，户籍人口据派出所提供数据。"
    ws.merge_cells("A17:I17")
    wb.save(LEDGERS / "村居基本信息.xlsx")


def write_ledger_2024() -> None:
    wb = wps_book()
    for k, (sheet, spec) in enumerate(LEDGER_2024.items()):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = sheet
        title(ws, f"河口镇2024年{sheet}普法活动台账", "A1:G1")
        put(ws, 2, [["序号", "时间", spec["place_header"], "活动内容", "参与对象", "参与人数",
                     "备注"]])
        put(ws, 3, _sheet_rows(spec["rows"], 7))
    wb.save(LEDGERS / "2024年普法活动台账.xlsx")


def write_ledger_2025() -> None:
    wb = wps_book()
    ws = wb.active
    ws.title = "2025年"
    title(ws, "河口镇综治办2025年法治宣传活动登记表", "A1:G1")
    ws["A2"] = "填报单位：河口镇综治办"
    put(ws, 3, [["序号", "日期", "村（社区）", "宣传主题", "宣传形式", "参加人数", "主办单位"]])
    put(ws, 4, _sheet_rows(LEDGER_2025, 7))
    wb.save(LEDGERS / "2025年综治办普法台账.xlsx")


def write_fulian() -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["河口镇妇联2024—2025年普法活动台账", "", "", "", "", "", ""])
    writer.writerow(["序号", "活动日期", "活动地点", "活动内容", "参与对象", "参与人数", "备注"])
    writer.writerows(FULIAN)
    (LEDGERS / "妇联普法活动.csv").write_bytes(buf.getvalue().encode("gbk"))


def write_survey() -> None:
    wb = openpyxl.Workbook()
    wb.properties.creator = "wjx"
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    ws = wb.active
    ws.title = "Sheet1"
    put(ws, 1, survey_rows())
    wb.save(LEDGERS / "普法知晓率问卷_问卷星.xlsx")


def write_sites() -> None:
    wb = wps_book()
    ws = wb.active
    ws.title = "Sheet1"
    title(ws, "河口镇普法阵地一览表（2025年）", "A1:H1")
    put(ws, 2, [["序号", "阵地名称", "所在村", "类型", "级别", "建成时间", "更新时间", "备注"]])
    put(ws, 3, SITES)
    wb.save(LEDGERS / "普法阵地.xlsx")


# --------------------------------------------------------------------------------------------
# Truth, from the lists above
# --------------------------------------------------------------------------------------------

_DOT = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$")
_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")


def date_of(value: object) -> dt.date | None:
    """The date a cell means (date cell, 2024.1.24, 2024/3/8, 2024年3月15日); None if none."""
    if isinstance(value, dt.datetime):
        return value.date()
    m = _DOT.match(str(value)) or _ZH.match(str(value))
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:  # 2024.9.31
        return None


_APPROX = re.compile(r"^约?(\d+)余?人?$")


def count_of(value: object) -> int | None:
    """A 参与人数 cell as a number: 45, 约150, 300余人 (approximate: the figure written)."""
    if isinstance(value, int):
        return value
    m = _APPROX.match(str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def _events(source: str, sheet: str | None, first_row: int, rows: list) -> list[dict]:
    """One dict per data row (blank and 合计 rows skipped) with its Excel row and meaning."""
    out = []
    for offset, r in enumerate(rows):
        if r in (BLANK, TOTAL):
            continue
        if source == "2025年综治办普法台账.xlsx":
            _seq, when, place, content, _form, n, _org = r
            audience = None
        else:
            _seq, when, place, content, audience, n, _note = r
        out.append({
            "file": source, "sheet": sheet, "row": first_row + offset, "written_date": when,
            "date": date_of(when), "place": place, "village": PLACES[place],
            "topics": TOPICS_OF[content], "audience": audience, "attendees": n,
        })
    return out


def all_events() -> list[dict]:
    ev = []
    for sheet, spec in LEDGER_2024.items():
        ev += _events("2024年普法活动台账.xlsx", sheet, 3, spec["rows"])
    ev += _events("2025年综治办普法台账.xlsx", None, 4, LEDGER_2025)
    ev += _events("妇联普法活动.csv", None, 3, FULIAN)
    return ev


def _non_data(first_row: int, rows: list) -> list[dict]:
    out = []
    for offset, r in enumerate(rows):
        if r == BLANK:
            out.append({"row": first_row + offset, "what": "blank row"})
        elif r == TOTAL:
            out.append({"row": first_row + offset,
                        "what": f"合计 row (参与人数 {_attendees_sum(rows)})"})
    return out


def _file_entry(kind: str, sheets: dict[str | None, dict]) -> dict:
    """Per-file accounting from per-sheet entries (rows below the header only)."""
    entry: dict = {"kind": kind}
    loaded = sum(len(s["load"]) for s in sheets.values())
    rejected = sum(len(s["reject"]) for s in sheets.values())
    non_data = sum(len(s["non_data"]) for s in sheets.values())
    entry.update(data_rows=loaded + rejected + non_data, loaded=loaded, rejected=rejected,
                 non_data=non_data)
    entry["sheets"] = {("" if k is None else k): v for k, v in sheets.items()}
    return entry


def _ledger_sheet(events: list[dict], header_rows: list[int], preamble: list[dict],
                  non_data: list[dict]) -> dict:
    load = [e["row"] for e in events if e["date"] is not None]
    reject = [{"row": e["row"], "column": "date", "value": str(e["written_date"]),
               "reason": "not a date (no such day)"} for e in events if e["date"] is None]
    town = [e["row"] for e in events if e["date"] is not None and e["village"] is None]
    return {"header_rows": header_rows, "preamble": preamble, "load": load, "reject": reject,
            "non_data": non_data, "town_wide_rows": town}


def truth() -> dict:
    ev = all_events()
    files: dict[str, dict] = {}
    # register
    files["村居基本信息.xlsx"] = _file_entry("villages", {"基本情况": {
        "header_rows": [2, 3], "preamble": [{"row": 1, "what": "title (merged A1:I1)"}],
        "load": list(range(4, 16)), "reject": [],
        "non_data": [{"row": 16, "what": "合计 row"}, {"row": 17, "what": "footnote 注："}],
    }})
    files["村居基本信息.xlsx"].update(
        units=len(TOWN), population_total=sum(t[6] for t in TOWN),
        registered_total=sum(t[3] for t in TOWN), households_total=sum(t[2] for t in TOWN),
        names_as_written={u: w for u, w, *_ in TOWN},
    )
    # events
    sheets = {}
    for sheet, spec in LEDGER_2024.items():
        mine = [e for e in ev if e["file"] == "2024年普法活动台账.xlsx" and e["sheet"] == sheet]
        sheets[sheet] = _ledger_sheet(mine, [2], [{"row": 1, "what": "title"}],
                                      _non_data(3, spec["rows"]))
    files["2024年普法活动台账.xlsx"] = _file_entry("events", sheets)
    mine = [e for e in ev if e["file"] == "2025年综治办普法台账.xlsx"]
    files["2025年综治办普法台账.xlsx"] = _file_entry("events", {"2025年": _ledger_sheet(
        mine, [3], [{"row": 1, "what": "title"}, {"row": 2, "what": "填报单位 line"}],
        _non_data(4, LEDGER_2025))})
    files["2025年综治办普法台账.xlsx"]["audience_column"] = False
    mine = [e for e in ev if e["file"] == "妇联普法活动.csv"]
    files["妇联普法活动.csv"] = _file_entry("events", {None: _ledger_sheet(
        mine, [2], [{"row": 1, "what": "title line"}], [])})
    files["妇联普法活动.csv"]["encoding"] = "gbk"
    # survey
    n_resp = sum(sum(SURVEY[u]["civil"]) for u in UNITS)
    files["普法知晓率问卷_问卷星.xlsx"] = _file_entry("responses", {"Sheet1": {
        "header_rows": [1], "preamble": [], "load": list(range(2, n_resp + 2)), "reject": [],
        "non_data": []}})
    files["普法知晓率问卷_问卷星.xlsx"]["personal_columns"] = ["来自IP"]
    # sites
    files["普法阵地.xlsx"] = _file_entry("sites", {"Sheet1": {
        "header_rows": [2], "preamble": [{"row": 1, "what": "title (merged A1:H1)"}],
        "load": list(range(3, 3 + len(SITES))), "reject": [], "non_data": []}})
    site_villages = Counter(SITE_VILLAGE[s[2]] for s in SITES)
    files["普法阵地.xlsx"].update(
        town_level=site_villages[None],
        sites_per_village={u: site_villages[u] for u in UNITS},
    )

    # per village
    loaded = [e for e in ev if e["date"] is not None]
    per_year = {y: Counter(e["village"] for e in loaded if e["date"].year == y)
                for y in (2024, 2025)}
    town_wide = Counter(e["date"].year for e in loaded if e["village"] is None)
    villages = {}
    for u in UNITS:
        mine = [e for e in loaded if e["village"] == u]
        topics = {t for e in mine for t in e["topics"]}
        groups = {g for e in mine if e["audience"] for g in AUDIENCES[e["audience"]]}
        c = SURVEY[u]
        n = sum(c["civil"])
        villages[u] = {
            "events_2024": per_year[2024][u], "events_2025": per_year[2025][u],
            "last_event": max(e["date"] for e in mine).isoformat(),
            "attendees_known": sum(e["attendees"] for e in mine
                                   if isinstance(e["attendees"], int)),
            # 约150 / 300余人 read as 150 / 300 (and flagged approximate); blank = unknown
            "attendees_read": sum(count_of(e["attendees"]) or 0 for e in mine),
            "attendees_approx": sum(isinstance(e["attendees"], str) for e in mine),
            "attendees_unknown": sum(e["attendees"] is None for e in mine),
            "missing_topics": [t for t in REQUIRED_TOPICS if t not in topics],
            "missing_audiences": [g for g in REQUIRED_AUDIENCES if g not in groups],
            # events whose ledger has no 参与对象 column (the 综治办 2025 ledger): the rule
            # leaves an audience gap "not assessed" when such events exist, unless the recorded
            # audiences already reach every required group
            "audience_unrecorded": sum(e["audience"] is None for e in mine),
            "audience_gap_assessed": not [g for g in REQUIRED_AUDIENCES if g not in groups]
            or not any(e["audience"] is None for e in mine),
            "respondents": n,
            "civil_counts": dict(zip(AWARE, c["civil"], strict=True)),
            "civil_top2": round((c["civil"][0] + c["civil"][1]) / n, 4),
            "civil_top3": round(sum(c["civil"][:3]) / n, 4),
            "fraud_counts": dict(zip(AWARE, c["fraud"], strict=True)),
            "fraud_top2": round((c["fraud"][0] + c["fraud"][1]) / n, 4),
            "support_counts": dict(zip(SUPPORT, c["support"], strict=True)),
            "support_top2": round((c["support"][0] + c["support"][1]) / n, 4),
            "day_counts": dict(zip(YESNO, c["day"], strict=True)),
            "day_yes": round(c["day"][0] / n, 4),
        }
    # the README's promise about every village that is not planted: an event in every quarter
    # of 2024 and 2025 and the four required topics in each year
    for u in set(UNITS) - set(PLANTED.values()):
        mine = [e for e in loaded if e["village"] == u]
        quarters = {(e["date"].year, (e["date"].month - 1) // 3) for e in mine}
        assert len(quarters) == 8, (u, sorted(quarters))
        for y in (2024, 2025):
            seen = {t for e in mine if e["date"].year == y for t in e["topics"]}
            assert set(REQUIRED_TOPICS) <= seen, (u, y, seen)
    civil_top2 = sum(SURVEY[u]["civil"][0] + SURVEY[u]["civil"][1] for u in UNITS)
    return {
        "town": {
            "name": "河口镇", "units": UNITS, "planted": PLANTED,
            "first_record": min(e["date"] for e in loaded).isoformat(),
            "last_record": max(e["date"] for e in loaded).isoformat(),
            "events_loaded": len(loaded), "town_wide_events": len(loaded) - sum(
                1 for e in loaded if e["village"]),
            "town_wide_2024": town_wide[2024], "town_wide_2025": town_wide[2025],
            "respondents": n_resp, "civil_top2_positive": civil_top2,
            "civil_top2_rate": round(civil_top2 / n_resp, 4),
            "required_topics": list(REQUIRED_TOPICS),
            "required_audiences": list(REQUIRED_AUDIENCES),
            "survey_items": {k: q for k, (q, _s) in ITEMS.items()},
        },
        "files": files,
        "villages": villages,
    }


# --------------------------------------------------------------------------------------------
# A tiny TOML writer (the truth holds strings, numbers, booleans, lists and tables only)
# --------------------------------------------------------------------------------------------


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_value(k)


def _toml_table(path: list[str], table: dict, out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not (isinstance(v, dict) and _is_table(v))}
    subs = {k: v for k, v in table.items() if k not in scalars}
    if path and scalars:  # parents of sub-tables only are implied by TOML
        out.append("")
        out.append("[" + ".".join(_toml_key(p) for p in path) + "]")
    out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items())
    for k, v in subs.items():
        _toml_table([*path, k], v, out)


def _is_table(v: dict) -> bool:
    """Dicts holding lists or dicts, or many keys, become [tables]; small flat ones stay inline."""
    return any(isinstance(x, (dict, list)) for x in v.values()) or len(v) > 6


def write_truth() -> None:
    lines = [
        "# Truth of the real-town fixture, computed by make_real_town.py from its literal lists",
        "# (never by pufa_metrics). Rows are Excel rows as a person sees them (CSV: line numbers).",
        "# Per file: data_rows = rows below the header up to the last non-blank one;",
        "# data_rows = loaded + rejected + non_data. Events of places that name no village",
        "# (镇文化站, 镇政府, 河口中学, 社区广场, 各村（社区）, 全镇各村, blank) are loaded as",
        "# town-wide events (town_wide_rows), as the issue's rule says.",
    ]
    _toml_table([], truth(), lines)
    (HERE / "truth.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# --check: re-count truth.toml from the written files (openpyxl / csv only)
# --------------------------------------------------------------------------------------------


def _cells(path: Path) -> dict[str, list[list[object]]]:
    if path.suffix == ".csv":
        text = path.read_bytes().decode("gbk")
        return {"": [list(r) for r in csv.reader(io.StringIO(text))]}
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _blank(row: list[object]) -> bool:
    return all(v is None or str(v).strip() == "" for v in row)


def check() -> list[str]:
    """Mismatches between truth.toml and the cells of the written files."""
    t = tomllib.loads((HERE / "truth.toml").read_text(encoding="utf-8"))
    errors: list[str] = []
    per_year: Counter = Counter()
    for name, entry in t["files"].items():
        grid = _cells(LEDGERS / name)
        for sheet, spec in entry["sheets"].items():
            rows = grid[sheet]
            last = max(i for i, r in enumerate(rows, start=1) if not _blank(r))
            below = [i for i in range(max(spec["header_rows"]) + 1, last + 1)]
            marked = [*spec["load"]]
            marked += [r["row"] for r in spec["reject"]] + [r["row"] for r in spec["non_data"]]
            if sorted(marked) != below:
                errors.append(f"{name}/{sheet}: rows below the header {below[0]}..{below[-1]} "
                              f"are not each listed once")
            for r in spec["non_data"]:
                first = rows[r["row"] - 1][0]
                if not (_blank(rows[r["row"] - 1]) or str(first).startswith(("合计", "注"))):
                    errors.append(f"{name}/{sheet} row {r['row']}: not blank/合计/注 ({first!r})")
            if entry["kind"] != "events":
                continue
            header = [str(v) for v in rows[max(spec["header_rows"]) - 1]]
            col_date = next(j for j, h in enumerate(header) if h in ("时间", "日期", "活动日期"))
            col_place = next(j for j, h in enumerate(header)
                             if h in ("地点", "活动地点", "村（社区）"))
            for r in spec["load"]:
                cells = rows[r - 1]
                when = date_of(cells[col_date])
                if when is None:
                    errors.append(f"{name}/{sheet} row {r}: loaded but no date")
                    continue
                place = cells[col_place] or None
                village = PLACES[place.strip() if place else None]
                if village:
                    per_year[(village, when.year)] += 1
                if (village is None) != (r in spec["town_wide_rows"]):
                    errors.append(f"{name}/{sheet} row {r}: town-wide mismatch")
            for r in spec["reject"]:
                if date_of(rows[r["row"] - 1][col_date]) is not None:
                    errors.append(f"{name}/{sheet} row {r['row']}: rejected but has a date")
    for u, v in t["villages"].items():
        for y in (2024, 2025):
            if per_year[(u, y)] != v[f"events_{y}"]:
                errors.append(f"{u} {y}: {per_year[(u, y)]} events in the files, truth "
                              f"{v[f'events_{y}']}")
    # register totals and survey counts
    reg = _cells(LEDGERS / "村居基本信息.xlsx")["基本情况"]
    units = reg[3:15]
    total = reg[15]
    for k in range(2, 8):
        if sum(r[k] or 0 for r in units) != total[k]:
            errors.append(f"register column {k + 1}: units do not sum to the 合计 row")
    if sum(r[6] for r in units) != t["files"]["村居基本信息.xlsx"]["population_total"]:
        errors.append("register: 常住人口 total")
    survey = _cells(LEDGERS / "普法知晓率问卷_问卷星.xlsx")["Sheet1"]
    head = survey[0]
    for key, (question, _scale) in ITEMS.items():
        j = head.index(question)
        jv = head.index(Q_VILLAGE)
        for u, v in t["villages"].items():
            got = Counter(r[j] for r in survey[1:] if r[jv] == u)
            want = {a: c for a, c in v[f"{key}_counts"].items() if c}
            if dict(got) != want:
                errors.append(f"survey {key} {u}: {dict(got)} != {want}")
    if len(survey) - 1 != t["town"]["respondents"]:
        errors.append("survey: number of answers")
    return errors


def main() -> None:
    if "--check" in sys.argv[1:]:
        errors = check()
        print("\n".join(errors) if errors else "truth.toml agrees with the files")
        sys.exit(1 if errors else 0)
    LEDGERS.mkdir(exist_ok=True)
    write_register()
    write_ledger_2024()
    write_ledger_2025()
    write_fulian()
    write_survey()
    write_sites()
    write_truth()
    print(f"wrote the real-town fixture to {HERE}")


if __name__ == "__main__":
    main()
