"""The synthetic sample town: 水寨镇 written as messy, real-looking ledgers.

The sample town lets every part of the toolkit run on realistic input without real people's data.
It is built in two steps:

1. :func:`make_sample` builds the clean *truth*: canonical frames (villages, events, event_topics,
   sites, responses, codebook, cadres, legal_literates, adviser_visits, geometry) exactly as a
   correct reader should load them.
2. :func:`write_sample` dresses the truth up as the ledgers offices really keep (a title row
   above the header, merged two-level headers, dates as ``2021年9月9日`` / ``2021.9.9`` /
   ``9月9日`` / Excel serials, counts such as ``约50`` / ``300余人`` / ``1.2万`` / full-width
   digits, a GBK CSV, one sheet per year, 合计 and 注： rows, a few bad rows) and writes them to
   ``data/raw``.

Figures are calibrated to the town's 2021-09-09 report (docs/domain.md): from 2020-01-01 to
2021-09-09, exactly 24 anti-drug / anti-fraud events and 55 other events; 41 cadres examined in
2020–2021; 49 enforcement certificate holders in 2021; 2 town-level and 28 village-level sites;
167,046 registered residents in 47,620 households; 24 villages with 453 villager groups plus
4 communities. Blind spots are planted on purpose and named in :data:`SAMPLE_TRUTH`.

Everything is drawn from ``numpy.random.default_rng`` seeded by ``seed``: the same seed gives
the same content. The planted blind spots, the calibration and the bad rows do not depend on the
seed; populations, dates, answers and shapes do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config, schema

__all__ = ["DEFAULT_SEED", "SAMPLE_TRUTH", "SAMPLE_FILES", "make_sample", "write_sample"]

DEFAULT_SEED = 20210909

TOWN = "水寨镇"
COUNTY = "五华县"
#: Town centre (lon, lat), docs/domain.md.
TOWN_CENTRE = (115.78, 23.93)
TOWN_AREA_KM2 = 99.0
REGISTERED_TOTAL = 167_046
HOUSEHOLDS_TOTAL = 47_620
VILLAGER_GROUPS_TOTAL = 453

_START = pd.Timestamp("2020-01-01")
_END = pd.Timestamp("2025-12-31")
_WINDOW_END = pd.Timestamp("2021-09-09")
_STALE_BEFORE = _END - pd.Timedelta(days=365)  # a last event before this date is stale

# --------------------------------------------------------------------------------------------
# The register: 23 village names of docs/domain.md, a placeholder for the unidentified 24th
# village, and 4 communities. Position = (ring, angle in degrees counter-clockwise from east)
# around the town centre; ring 0 = communities near the centre.
# --------------------------------------------------------------------------------------------

PLACEHOLDER_VILLAGE = "示例村"

_UNITS: tuple[tuple[str, str, int, float], ...] = (
    ("员瑾村", "village", 1, 135.0),
    ("河尾村", "village", 1, 90.0),
    ("罗湖村", "village", 1, 225.0),
    ("犁滩村", "village", 2, 78.75),
    ("协和村", "village", 1, 180.0),
    ("良美村", "village", 1, 315.0),
    ("黄井村", "village", 2, 101.25),
    ("大岭村", "village", 1, 270.0),
    ("大布村", "village", 2, 123.75),
    ("上坝村", "village", 2, 348.75),
    ("坝美村", "village", 2, 146.25),
    ("大沙村", "village", 2, 168.75),
    ("高车村", "village", 2, 191.25),
    ("善坑村", "village", 2, 213.75),
    ("平湖村", "village", 2, 236.25),
    ("中洞村", "village", 2, 258.75),
    ("榕树村", "village", 2, 281.25),
    ("岗阳村", "village", 2, 303.75),
    ("坝心村", "village", 2, 11.25),
    ("澄湖村", "village", 1, 0.0),
    ("大湖村", "village", 1, 45.0),
    ("七都村", "village", 2, 33.75),
    ("莲洞村", "village", 2, 56.25),
    (PLACEHOLDER_VILLAGE, "village", 2, 326.25),
    ("府前社区", "community", 0, 45.0),
    ("西河社区", "community", 0, 135.0),
    ("公园社区", "community", 0, 225.0),
    ("大坝社区", "community", 0, 315.0),
)

#: Stale villages: the last event is on or before this date (well over a year before 2025-12-31).
_STALE_CUTOFF = {"善坑村": "2024-08-31", "榕树村": "2023-10-31"}
_REQUIRED_TOPICS = ("宪法", "民法典", "反电信网络诈骗", "禁毒")
_DRUG_FRAUD = ("禁毒", "反电信网络诈骗")

# --------------------------------------------------------------------------------------------
# File names (data/raw)
# --------------------------------------------------------------------------------------------

F_VILLAGES = "村居基本信息.xlsx"
F_GEOMETRY = "村界.geojson"
F_SITES = "普法阵地.xlsx"
F_SURVEY = "普法知晓率问卷_2025.xlsx"
#: The previous year's wave of the same survey (issue #18: progress from one year to the next).
F_SURVEY_2024 = "普法知晓率问卷_2024.xlsx"
F_CODEBOOK = "问卷编码表.xlsx"
F_SFS = "普法活动台账_司法所.xlsx"
F_PCS = "普法活动台账_派出所.xlsx"
F_ZZB = "普法活动台账_综治办.csv"
F_FL = "普法活动台账_妇联.xlsx"
F_ZF = "普法活动台账_镇政府.xlsx"
F_LITERATES = "法律明白人名册.xlsx"
F_ADVISER = "村法律顾问服务台账.xlsx"
_CADRE_YEARS = tuple(range(2020, 2026))
F_README = "README.md"

#: Every file :func:`write_sample` writes, in writing order.
SAMPLE_FILES: tuple[str, ...] = (
    F_VILLAGES,
    F_GEOMETRY,
    F_SITES,
    F_SFS,
    F_PCS,
    F_ZZB,
    F_FL,
    F_ZF,
    F_SURVEY_2024,
    F_SURVEY,
    F_CODEBOOK,
    F_LITERATES,
    F_ADVISER,
    *(f"学法用法台账_{y}.xlsx" for y in _CADRE_YEARS),
    F_README,
    ".synthetic",
)

#: The planted blind spots and the calibration, by village name. Later tests check that the
#: metrics find exactly these. They hold for every seed.
SAMPLE_TRUTH: dict[str, Any] = {
    "town": TOWN,
    "county": COUNTY,
    "seed": DEFAULT_SEED,
    "period": ("2020-01-01", "2025-12-31"),
    "as_of": "2025-12-31",
    # no event for more than 365 days before 2025-12-31 (every other village had one in 2025)
    "stale": ["善坑村", "榕树村"],
    # required topics (pufa.toml [topics] required) never covered 2020-01-01..2025-12-31, in the
    # order of pufa.toml; every other village covered all four
    "missing_topics": {
        "高车村": ["宪法", "禁毒"],
        "澄湖村": ["禁毒"],
        "七都村": ["宪法", "反电信网络诈骗"],
        PLACEHOLDER_VILLAGE: ["反电信网络诈骗"],
    },
    # true awareness ~0.52–0.64 on every awareness item (q4–q7), ≥ 30 answers per item, so the
    # Wilson upper bound is below 0.90; every other village with ≥ 10 answers is ≥ 0.92
    "low_awareness": ["善坑村", "平湖村", "大湖村"],
    # fewer than 10 survey answers
    "few_answers": ["岗阳村", PLACEHOLDER_VILLAGE],
    # contiguous villages in the north-east corner (sharing polygon edges) with few events
    "cold_spot": ["坝心村", "澄湖村", "大湖村", "七都村", "莲洞村"],
    # village-level sites not updated for more than 12 months before 2025-12-31
    "stale_sites": ["善坑村法治宣传栏", "榕树村法治长廊", "七都村法治宣传栏", "莲洞村法治长廊"],
    # trained 法律明白人 (培训学时 > 0) of the villages short of the 3 per 行政村 (pufa.toml
    # [targets] legal_literates_per_village); every other unit has at least 3. 上坝村's roster
    # also lists a nominee with 0 training hours, who does not count
    "few_legal_literates": {"中洞村": 2, "上坝村": 1, "黄井村": 2},
    # the village legal adviser's last visit was long before 2025-12-31 (187 days > 90); every
    # other village saw its adviser at least once a month in 2024–2025
    "adviser_absent": ["大沙村"],
    "adviser_absent_last_visit": "2025-06-27",
    # the 2024 wave of the survey (普法知晓率问卷_2024.xlsx, answered 2024-11): the 2025 wave
    # above is unchanged. Planted changes 2024 → 2025 on the pooled awareness rate: villages
    # "improved" answered like the low-awareness villages in 2024 (true rate ~0.52–0.64, ≥ 38
    # answers) and like every ordinary village in 2025 (≥ 0.92); "worse" answered like an
    # ordinary village in 2024 and is low in 2025; "not_surveyed" has no 2024 answer (kept by
    # compare_periods and said so); every other village is drawn from the same ranges in both
    # years (no planted change)
    "survey_2024": {
        "file": F_SURVEY_2024,
        "improved": ["河尾村", "大岭村", "大布村"],
        "worse": ["平湖村"],
        "not_surveyed": [PLACEHOLDER_VILLAGE],
        "low_both_years": ["善坑村", "大湖村"],
    },
    "calibration": {
        "drug_fraud_events": 24,
        "other_events": 55,
        "examined_cadres": 41,
        "cert_holders_2021": 49,
        "town_sites": 2,
        "village_sites": 28,
        "period": ("2020-01-01", "2021-09-09"),
        "registered_population": REGISTERED_TOTAL,
        "households": HOUSEHOLDS_TOTAL,
        "villager_groups": VILLAGER_GROUPS_TOTAL,
    },
    # rows a correct reader must reject (outside the calibration window; not in the truth)
    "bad_rows": [
        {"file": F_SFS, "column": "village_name", "value": "外镇某村", "date": "2022-05-20",
         "reason": "unknown village 未知村（社区）"},
        {"file": F_ZZB, "column": "attendees", "value": "-30", "date": "2023-07-12",
         "reason": "negative count 人数为负"},
        {"file": F_ZF, "column": "date", "value": "47484", "date": "2030-01-01",
         "reason": "date in the future 日期晚于今天"},
    ],
    # one joint event written in two ledgers; the truth holds it once (the 司法所 row); a reader
    # reading files in name order keeps the 司法所 row and rejects the 派出所 one
    "duplicate_event": {
        "files": (F_SFS, F_PCS),
        "date": "2023-03-15",
        "village": "大岭村",
        "topic": "反电信网络诈骗",
        "title": "司法所、派出所联合开展反诈宣传进大岭村",
    },
    # synthetic population margins (adults) for raking the survey; the sample over-represents
    # women and people aged 60+
    "margins": {
        "gender": {"男": 0.51, "女": 0.49},
        "age_group": {"18-29岁": 0.22, "30-44岁": 0.26, "45-59岁": 0.27, "60岁及以上": 0.25},
    },
}

# --------------------------------------------------------------------------------------------
# Event programmes: what each department does, how its ledger writes it, and when.
# topics / forms / audiences: alternatives separated by "|" (one picked per event); a topic
# alternative may list several topics separated by 、 as a ledger cell does.
# rule: date rule (see _RULES); town: share of town-wide events; weight: relative frequency;
# earliest: no such event before this date (e.g. 民法典 was adopted on 2020-05-28).
# --------------------------------------------------------------------------------------------

_PROGRAMS: tuple[tuple[str, str, str, str, str, str, float, float, str], ...] = (
    # dept, topics, forms, audiences, title, rule, town, weight, earliest
    ("司法所", "民法典、婚姻家庭|《民法典》、婚姻家庭", "法律知识讲座|普法讲座", "村民|妇女",
     "{place}民法典进村宣讲", "may", 0.05, 3.0, "2020-06-01"),
    ("司法所", "民法典、债权债务|民法典、民间借贷", "以案释法|法律知识讲座", "村民",
     "{place}民法典以案释法讲座", "any", 0.05, 2.0, "2020-06-01"),
    ("司法所", "民法典、继承、相邻关系", "律师进村|法律顾问下村", "村民|老年人",
     "{place}律师下村民法典答疑", "market", 0.0, 2.0, "2020-06-01"),
    ("司法所", "宪法|宪法宣传", "咨询台|展板", "村民|群众", "{place}国家宪法日宣传",
     "dec4", 0.2, 2.0, "2020-01-01"),
    ("司法所", "宪法、民法典", "普法讲座", "村两委干部|村干部", "{place}宪法宣传周学法活动",
     "dec4", 0.1, 1.0, "2020-06-01"),
    ("司法所", "人民调解、婚姻家庭|人民调解、相邻关系", "每月一案例|以案释法", "村民",
     "{place}每月一案例以案释法", "any", 0.1, 2.0, "2020-01-01"),
    ("司法所", "法律援助|法律援助法", "咨询台", "外出务工人员|返乡人员",
     "{place}春节返乡法律援助咨询", "spring", 0.1, 1.0, "2020-01-01"),
    ("司法所", "民法典、反诈|民法典、防诈骗", "普法讲座", "老年人", "{place}防骗知识讲座",
     "any", 0.0, 1.0, "2020-06-01"),
    ("司法所", "土地管理、乡村振兴|宅基地、乡村振兴", "律师进村", "村民",
     "{place}土地承包法律咨询", "market", 0.0, 1.0, "2020-01-01"),
    ("派出所", "禁毒|全民禁毒", "展板|摆摊设点", "青少年|群众", "{place}6·26国际禁毒日宣传",
     "jun26", 0.15, 2.0, "2020-01-01"),
    ("派出所", "全民禁毒|禁毒宣传", "知识竞赛|展板", "学生|青少年", "{place}全民禁毒知识宣传",
     "any", 0.05, 1.0, "2020-01-01"),
    ("派出所", "反诈|反电信诈骗", "摆摊设点|入户走访", "老年人|群众", "{place}反诈宣传进村居",
     "market", 0.1, 2.0, "2020-01-01"),
    ("派出所", "防诈骗|反诈", "入户走访", "老年人", "{place}防诈骗入户宣传", "any", 0.0, 1.0,
     "2020-01-01"),
    ("派出所", "反电信诈骗、禁毒|反诈、全民禁毒", "摆摊设点", "外出务工人员|返乡人员",
     "{place}春节返乡反诈禁毒宣传", "spring", 0.1, 1.0, "2020-01-01"),
    ("派出所", "社会治安、道路交通|平安建设、交通安全", "宣传车|摆摊设点", "群众",
     "{place}平安交通宣传", "any", 0.1, 1.0, "2020-01-01"),
    ("综治办", "平安宣传|社会治安", "宣传车|摆摊设点", "群众|村民", "{place}平安创建宣传",
     "any", 0.1, 2.0, "2020-01-01"),
    ("综治办", "扫黑除恶|扫黑除恶专项斗争", "展板|宣传栏", "村民", "{place}扫黑除恶宣传",
     "any", 0.05, 2.0, "2020-01-01"),
    ("综治办", "扫黑除恶、社会治安", "摆摊设点", "群众", "{place}扫黑除恶常态化宣传", "market",
     0.1, 1.0, "2020-01-01"),
    ("综治办", "扫黑除恶、禁毒", "摆摊设点", "群众", "{place}扫黑除恶暨禁毒宣传", "jun26", 0.1,
     1.0, "2020-01-01"),
    ("综治办", "国家安全|国家安全教育", "展板", "群众", "{place}4·15全民国家安全教育日宣传",
     "apr15", 0.3, 1.0, "2020-01-01"),
    ("综治办", "反邪教", "展板", "村民", "{place}反邪教警示教育", "any", 0.0, 0.5,
     "2020-01-01"),
    ("妇联", "妇女权益、反家暴|妇女权益、反家庭暴力", "讲座|上门走访", "妇女",
     "{place}三八妇女维权周宣传", "mar8", 0.1, 2.0, "2020-01-01"),
    ("妇联", "未成年人保护、家庭教育|未成年人、家庭教育促进法", "讲座", "留守儿童|妇女、留守儿童",
     "{place}六一关爱留守儿童普法", "jun1", 0.05, 2.0, "2020-01-01"),
    ("妇联", "婚姻家庭、民法典", "讲座", "妇女", "{place}婚姻家庭法律讲座", "any", 0.05, 1.0,
     "2020-06-01"),
    ("妇联", "老年人权益、养老诈骗", "入户走访", "老年人", "{place}老年人权益保护宣传", "any",
     0.0, 1.0, "2020-01-01"),
    ("妇联", "反家庭暴力|反家暴", "讲座", "妇女", "{place}反家暴法宣传", "any", 0.05, 1.0,
     "2020-01-01"),
    ("镇政府", "宪法|国家宪法日", "文艺演出|摆摊设点", "群众", "{year}年国家宪法日集中宣传",
     "dec4", 0.9, 1.5, "2020-01-01"),
    ("镇政府", "民法典|民法典宣传", "摆摊设点|文艺演出", "群众", "{year}年民法典宣传月活动",
     "may", 0.7, 1.5, "2020-06-01"),
    ("镇政府", "国家安全", "展板", "群众", "{year}年全民国家安全教育日宣传", "apr15", 0.8, 0.7,
     "2020-01-01"),
    ("镇政府", "消费者权益|消费者权益保护", "摆摊设点", "群众|企业", "{year}年3·15消费者权益日宣传",
     "mar15", 0.8, 0.7, "2020-01-01"),
    ("镇政府", "安全生产、消防", "展板", "企业|个体户", "{year}年安全生产月宣传", "june", 0.6,
     0.7, "2020-01-01"),
    ("镇政府", "乡村振兴促进法、土地管理", "讲座", "村干部|村两委干部", "{place}乡村振兴法治讲座",
     "any", 0.2, 1.0, "2021-06-01"),
    ("镇政府", "禁毒|全民禁毒", "文艺演出", "群众", "{year}年6·26禁毒宣传集中活动", "jun26", 0.9,
     0.5, "2020-01-01"),
    ("镇政府", "习近平法治思想、宪法", "集中学法", "村两委干部", "{place}学习习近平法治思想宣讲",
     "any", 0.3, 0.5, "2020-12-01"),
)

#: Date rules: (month, day, first offset, last offset) in days around the anchor day.
#: "spring" approximates the Spring Festival return of migrant workers; "market" draws a
#: market day (圩日), assumed here to fall on days ending in 1, 4 and 7 (逢一、四、七).
_RULES: dict[str, tuple[int, int, int, int]] = {
    "dec4": (12, 4, -3, 3),  # 国家宪法日 and 宪法宣传周
    "may": (5, 1, 0, 30),  # 民法典宣传月
    "jun26": (6, 26, -4, 2),  # 国际禁毒日
    "apr15": (4, 15, -2, 2),  # 全民国家安全教育日
    "mar15": (3, 15, -2, 2),  # 消费者权益日
    "mar8": (3, 8, -4, 2),  # 妇女节
    "jun1": (6, 1, -4, 2),  # 儿童节
    "june": (6, 1, 0, 29),  # 安全生产月
    "spring": (1, 15, 0, 40),  # 春节前后返乡
}
_MARKET_DAYS = np.array([1, 4, 7, 11, 14, 17, 21, 24, 27])

#: Ledger of each department: organizer as written, file, and how a town-wide place is written.
_DEPARTMENTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "司法所": ("水寨镇司法所", F_SFS, ("",)),
    "派出所": ("水寨派出所", F_PCS, ("镇文化广场",)),
    "综治办": ("水寨镇综治办", F_ZZB, ("全镇",)),
    "妇联": ("水寨镇妇联", F_FL, ("街心公园",)),
    "镇政府": ("水寨镇人民政府", F_ZF, ("镇文化广场", "全镇", "水寨镇", "")),
}

#: Calibration window: events per department (drug/fraud, other).
_WINDOW_COUNTS = {
    "司法所": (3, 22),
    "派出所": (16, 5),
    "综治办": (2, 9),
    "妇联": (0, 9),
    "镇政府": (3, 10),
}
#: After the window: mean events per department and full year.
_YEARLY_MEAN = {"司法所": 30, "派出所": 20, "综治办": 12, "妇联": 10, "镇政府": 10}

# --------------------------------------------------------------------------------------------
# Survey and cadres
# --------------------------------------------------------------------------------------------

_SCALES: dict[str, tuple[tuple[str, ...], tuple[float, ...], tuple[str, ...], tuple[float, ...],
                         str | None]] = {
    # domain: positive answers, their shares, negative answers, their shares, "no answer"
    "awareness": (("知道", "听说过"), (0.65, 0.35), ("不知道",), (1.0,), "不清楚"),
    "support": (("支持", "比较支持"), (0.7, 0.3), ("不太支持", "不支持"), (0.7, 0.3), "不清楚"),
    "satisfaction": (("满意", "比较满意"), (0.6, 0.4), ("不太满意", "不满意"), (0.75, 0.25),
                     "不清楚"),
    "knowledge": (("立即挂断并报警",), (1.0,), ("按要求转账", "不知道"), (0.2, 0.8), None),
}
_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("q4", "您是否知道《中华人民共和国民法典》？", "awareness"),
    ("q5", "您是否知道《反电信网络诈骗法》？", "awareness"),
    ("q6", "您是否知道每年12月4日是国家宪法日？", "awareness"),
    ("q7", "您是否了解禁毒相关法律规定？", "awareness"),
    ("q8", "您是否支持本镇开展法治宣传教育？", "support"),
    ("q9", "您对本镇普法工作是否满意？", "satisfaction"),
    ("q10", "接到自称公检法要求转账到“安全账户”的电话，您应该怎么做？", "knowledge"),
)
#: True rates (low, high) per domain for ordinary, low-awareness and few-answer villages.
_RATES = {
    "ordinary": {"awareness": (0.92, 0.98), "support": (0.93, 0.99),
                 "satisfaction": (0.92, 0.97), "knowledge": (0.92, 0.97)},
    "low": {"awareness": (0.52, 0.64), "support": (0.80, 0.88),
            "satisfaction": (0.70, 0.80), "knowledge": (0.65, 0.78)},
    "few": {"awareness": (0.80, 0.95), "support": (0.85, 0.98),
            "satisfaction": (0.80, 0.95), "knowledge": (0.80, 0.95)},
}
_AGE_GROUPS = ("18-29岁", "30-44岁", "45-59岁", "60岁及以上")
_AGE_SHARES_SAMPLE = (0.10, 0.20, 0.32, 0.38)  # who answers a village survey
_AGE_PROPENSITY = (2.0, 1.6, 1.0, 0.6)  # relative odds of a positive answer
_FEMALE_SHARE_SAMPLE = 0.60

#: Departments: (name, staff, enforcement department?).
_CADRE_UNITS: tuple[tuple[str, int, bool], ...] = (
    ("镇党政办", 12, False),
    ("司法所", 4, True),
    ("派出所", 14, True),
    ("综治办", 6, True),
    ("市场监管所", 10, True),
    ("自然资源所", 8, True),
    ("农业农村办", 8, True),
    ("城乡建设办", 7, True),
    ("应急管理办", 6, True),
    ("妇联", 3, False),
    ("财政所", 5, False),
    ("社会事务办", 6, False),
)
_SURNAMES = list("李张陈钟曾古温刘黄朱魏彭缪邓何罗叶廖谢赖")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志文辉红梅春燕海林")
_SALT = "pufa-metrics"  # the reader's default salt for person_id (io.py, no PUFA_SALT set)

_FIXED_TIME = dt.datetime(2025, 12, 31, 0, 0, 0)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# --------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    raw = np.asarray(weights, dtype=float) / np.sum(weights) * total
    base = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


def _top_k(groups: np.ndarray, k: np.ndarray, weights: np.ndarray, rng) -> np.ndarray:
    """Weighted sampling without replacement of ``k[i]`` rows in each group (Gumbel top-k).

    ``k`` is given per row (the k of the row's group); rows of weight 0 are never picked.
    Returns a boolean mask.
    """
    w = np.asarray(weights, dtype=float)
    gumbel = rng.gumbel(size=len(w))
    key = np.full(len(w), -np.inf)
    key[w > 0] = np.log(w[w > 0]) + gumbel[w > 0]
    rank = pd.Series(key).groupby(np.asarray(groups)).rank(ascending=False, method="first")
    return (rank.to_numpy() <= np.asarray(k)) & (w > 0)


def _split_cells(cells: pd.Series) -> pd.Series:
    """``schema.split_topics`` of each topic cell (computed once per distinct cell)."""
    uniq = cells.dropna().unique()
    lookup = dict(zip(uniq, [tuple(schema.split_topics(c)) for c in uniq], strict=True))
    return cells.map(lookup)


def _fill(template: pd.Series, key: str, values: pd.Series) -> pd.Series:
    """Replace the first ``key`` in each template with the row's value (vectorised)."""
    parts = template.str.split(key, n=1, regex=False)
    has = parts.str.len() > 1
    return parts.str[0] + values.where(has, "") + parts.str[1].fillna("")


def _pick(options: np.ndarray, probs, size: int, rng) -> np.ndarray:
    """``size`` draws from ``options`` with probabilities ``probs``."""
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=probs)]


def _alternative(cells: pd.Series, rng) -> pd.Series:
    """Pick one of the "|"-separated alternatives of each cell, uniformly."""
    parts = cells.str.split("|")
    n = parts.str.len().to_numpy()
    idx = np.floor(rng.random(len(cells)) * n).astype(int)
    flat = parts.explode()
    offsets = np.concatenate([[0], np.cumsum(n)[:-1]])
    return pd.Series(flat.to_numpy()[offsets + idx], index=cells.index, dtype="str")


def _dates(years: np.ndarray, rules: np.ndarray, rng) -> pd.Series:
    """A date in each ``year`` following each date ``rule`` (see _RULES)."""
    n = len(years)
    month = np.ones(n, dtype=int)
    day = np.ones(n, dtype=int)
    offset = np.zeros(n, dtype=int)
    anyday = rules == "any"
    offset[anyday] = np.floor(rng.random(anyday.sum()) * 365).astype(int)
    market = rules == "market"
    month[market] = rng.integers(1, 13, market.sum())
    day[market] = rng.choice(_MARKET_DAYS, market.sum())
    for rule, (m, d, lo, hi) in _RULES.items():
        sel = rules == rule
        month[sel], day[sel] = m, d
        offset[sel] = rng.integers(lo, hi + 1, sel.sum())
    base = pd.to_datetime(pd.DataFrame({"year": years, "month": month, "day": day}))
    return (base + pd.to_timedelta(offset, unit="D")).astype("datetime64[us]")


def _uniform_dates(lo: pd.Series, hi: pd.Series, rng) -> pd.Series:
    """A uniform date between ``lo`` and ``hi`` (inclusive), row by row, vectorised."""
    span = (hi - lo).dt.days.to_numpy() + 1
    days = np.floor(rng.random(len(lo)) * span).astype(int)
    return (lo + pd.to_timedelta(days, unit="D")).astype("datetime64[us]")


def _person_id(department: pd.Series, name: pd.Series) -> pd.Series:
    """The reader's person id: first 12 hex of sha256(salt + department + name).

    sha256 has no vectorised form; it is computed once per distinct person.
    """
    text = _SALT + department + name
    uniq = text.unique()
    digests = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:12] for t in uniq]
    return text.map(dict(zip(uniq, digests, strict=True))).astype("str")


# --------------------------------------------------------------------------------------------
# Building the truth
# --------------------------------------------------------------------------------------------


@dataclass
class _Built:
    """The truth frames and the rows as the ledgers write them."""

    truth: dict[str, pd.DataFrame]
    event_rows: pd.DataFrame  # every written event row, bad rows and the duplicate included
    survey: pd.DataFrame  # responses as written (with the PII columns)
    survey_2024: pd.DataFrame  # the 2024 wave as written
    cadres: pd.DataFrame  # cadre rows as written (with names)
    literates: pd.DataFrame  # 法律明白人 roster rows as written (with names)
    adviser: pd.DataFrame  # legal adviser log rows as written


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed should be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed should be a non-negative int, got {seed}")
    return int(seed)


def _villages(rng) -> pd.DataFrame:
    """The register with populations summing to the town's totals."""
    units = pd.DataFrame(_UNITS, columns=["village_name", "kind", "ring", "angle"])
    n = len(units)
    is_village = (units["kind"] == "village").to_numpy()
    cold = units["village_name"].isin(SAMPLE_TRUTH["cold_spot"]).to_numpy()
    size = np.where(is_village, 5_000.0, 8_500.0) * rng.lognormal(0.0, 0.25, n)
    size = np.where(cold, size * 0.7, size)
    registered = _allocate(REGISTERED_TOTAL, size)
    resident_share = np.where(is_village, rng.uniform(0.55, 0.75, n), rng.uniform(0.88, 1.05, n))
    resident = np.round(registered * resident_share).astype(np.int64)
    households = _allocate(HOUSEHOLDS_TOTAL, registered / rng.uniform(3.2, 3.9, n))
    groups = np.zeros(n, dtype=np.int64)
    groups[is_village] = _allocate(
        VILLAGER_GROUPS_TOTAL, registered[is_village] * rng.lognormal(0.0, 0.15, is_village.sum())
    )
    out = pd.DataFrame(
        {
            "village_id": [f"SZ{i:02d}" for i in range(1, n + 1)],
            "village_name": units["village_name"],
            "town": TOWN,
            "county": COUNTY,
            "kind": units["kind"],
            "population": resident,
            "registered_population": registered,
            "households": households,
            "villager_groups": pd.Series(groups).where(is_village).astype("Int64"),
        }
    )
    out["ring"] = units["ring"]
    out["angle"] = units["angle"]
    return out


_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320 * np.cos(np.radians(TOWN_CENTRE[1]))


def _to_lonlat(x, y):
    """Local km (east, north of the town centre) → lon, lat."""
    return (TOWN_CENTRE[0] + np.asarray(x) / _KM_PER_DEG_LON,
            TOWN_CENTRE[1] + np.asarray(y) / _KM_PER_DEG_LAT)


def _geometry(villages: pd.DataFrame, rng):
    """Voronoi cells of jittered village centres clipped to a ~99 km² town outline (EPSG:4326)."""
    try:
        import geopandas as gpd
        import shapely
    except ImportError as exc:  # pragma: no cover - geo extras missing
        raise ImportError(
            "The sample town's village polygons need shapely and geopandas: "
            "pip install 'pufa_metrics[geo]'（生成示例村界需要 shapely 和 geopandas）"
        ) from exc
    # outline: a wobbly disc scaled to the town's area
    theta = np.linspace(0.0, 2 * np.pi, 73)[:-1]
    wobble = 1 + 0.12 * np.sin(2 * theta + 0.7) + 0.07 * np.sin(3 * theta + 2.1)
    wobble = wobble * rng.uniform(0.97, 1.03, len(theta))
    unit = shapely.Polygon(np.c_[np.cos(theta) * wobble, np.sin(theta) * wobble])
    radius = np.sqrt(TOWN_AREA_KM2 / unit.area)
    outline = shapely.transform(unit, lambda c: c * radius)
    # centres: communities near the centre, villages on two rings, jittered
    ring_r = np.array([0.55, 2.1, 4.3])[villages["ring"].to_numpy()]
    ang = np.radians(villages["angle"].to_numpy() + rng.uniform(-4, 4, len(villages)))
    rho = ring_r * rng.uniform(0.92, 1.08, len(villages))
    reach = np.interp(ang % (2 * np.pi), np.r_[theta, 2 * np.pi], np.r_[wobble, wobble[0]])
    rho = np.where(villages["ring"].to_numpy() == 2, rho * reach, rho)
    x, y = rho * np.cos(ang), rho * np.sin(ang)
    points = shapely.points(x, y)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline.buffer(10))
    )
    tree = shapely.STRtree(cells)
    point_idx, cell_idx = tree.query(points, predicate="within")
    order = np.empty(len(points), dtype=int)
    order[point_idx] = cell_idx
    polys = shapely.intersection(cells[order], outline)
    polys = shapely.transform(polys, lambda c: np.c_[_to_lonlat(c[:, 0], c[:, 1])])
    polys = shapely.set_precision(polys, 1e-6)  # about 0.1 m; keeps shared edges shared
    lon, lat = _to_lonlat(x, y)
    gdf = gpd.GeoDataFrame(
        {"village_id": villages["village_id"], "village_name": villages["village_name"]},
        geometry=polys,
        crs="EPSG:4326",
    )
    return gdf, np.round(lon, 6), np.round(lat, 6)


def _programs() -> pd.DataFrame:
    """The programme table, with the canonical topics of every alternative checked."""
    prog = pd.DataFrame(
        _PROGRAMS,
        columns=["dept", "topics", "forms", "audiences", "title", "rule", "town", "weight",
                 "earliest"],
    )
    prog["earliest"] = pd.to_datetime(prog["earliest"]).astype("datetime64[us]")
    alts = prog["topics"].str.split("|").explode()
    canon = _split_cells(alts)
    flags = canon.map(lambda topics: any(t in _DRUG_FRAUD for t in topics))
    per_prog = flags.groupby(level=0).agg(["min", "max"])
    if (per_prog["min"] != per_prog["max"]).any():  # pragma: no cover - a bad programme table
        raise AssertionError("a programme mixes drug/fraud and other topic alternatives")
    prog["drug_fraud"] = per_prog["max"].to_numpy()
    bits = canon.map(lambda topics: sum(1 << i for i, t in enumerate(_REQUIRED_TOPICS)
                                        if t in topics))
    prog["req_bits"] = bits.groupby(level=0).agg(lambda b: int(np.bitwise_or.reduce(b)))
    return prog


def _event_skeleton(prog: pd.DataFrame, rng) -> pd.DataFrame:
    """Department, programme and date of every event (before villages are chosen)."""
    frames = []
    # the calibration window: exact counts of drug/fraud and other events
    for dept, (n_df, n_other) in _WINDOW_COUNTS.items():
        for flag, count in ((True, n_df), (False, n_other)):
            cand = prog.index[(prog["dept"] == dept) & (prog["drug_fraud"] == flag)]
            if count == 0:
                continue
            w = prog.loc[cand, "weight"].to_numpy()
            frames.append(pd.DataFrame({
                "prog": rng.choice(cand, size=count, p=w / w.sum()),
                "block": "window",
                "year": rng.choice([2020, 2021], size=count, p=[0.6, 0.4]),
            }))
    # after the window: yearly volumes per department
    partial = (pd.Timestamp("2021-12-31") - _WINDOW_END).days / 365
    for dept, mean in _YEARLY_MEAN.items():
        cand = prog.index[prog["dept"] == dept]
        w = prog.loc[cand, "weight"].to_numpy()
        years = np.array([2021, 2022, 2023, 2024, 2025])
        counts = rng.poisson(mean * np.where(years == 2021, partial, 1.0))
        frames.append(pd.DataFrame({
            "prog": rng.choice(cand, size=counts.sum(), p=w / w.sum()),
            "block": "after",
            "year": np.repeat(years, counts),
        }))
    ev = pd.concat(frames, ignore_index=True)
    ev["dept"] = prog.loc[ev["prog"], "dept"].to_numpy()
    rules = prog.loc[ev["prog"], "rule"].to_numpy()
    ev["date"] = _dates(ev["year"].to_numpy(), rules, rng)
    window = (ev["block"] == "window").to_numpy()
    lo = pd.Series(np.where(window, _START.to_datetime64(),
                            (_WINDOW_END + pd.Timedelta(days=1)).to_datetime64()))
    lo = np.maximum(lo, prog.loc[ev["prog"], "earliest"].reset_index(drop=True))
    hi = pd.Series(np.where(window, _WINDOW_END.to_datetime64(), _END.to_datetime64()))
    # a campaign day outside the block: the same campaign a year earlier or later, else any day
    bad = ((ev["date"] < lo) | (ev["date"] > hi)).to_numpy()
    other = ev["year"].to_numpy() + np.where(ev["date"] > hi, -1, 1)
    ev.loc[bad, "date"] = _dates(other[bad], rules[bad], rng).to_numpy()
    bad = ((ev["date"] < lo) | (ev["date"] > hi)).to_numpy()
    ev.loc[bad, "date"] = _uniform_dates(lo[bad], hi[bad], rng).to_numpy()
    ev["year"] = ev["date"].dt.year
    return ev


def _choose_villages(ev: pd.DataFrame, prog: pd.DataFrame, villages: pd.DataFrame,
                     rng) -> pd.Series:
    """A village for each event (NA = town-wide), honouring the planted blind spots.

    Village events are shared out in proportion to the village weights (systematic slots in
    random order, so counts are not noisier than the weights); an event whose slot would break
    a planted blind spot (a topic the village never hears, an event after a stale village's
    last one) is given to another village drawn by weight among those allowed.
    """
    n, v = len(ev), len(villages)
    names = villages["village_name"].to_numpy()
    town = rng.random(n) < prog.loc[ev["prog"], "town"].to_numpy()
    # weights: about proportional to population; the cold spot rarely
    w = (villages["population"].to_numpy() / villages["population"].mean()) ** 0.8
    w = w * rng.lognormal(0.0, 0.15, v)
    w = np.where(np.isin(names, SAMPLE_TRUTH["cold_spot"]), w * 0.15, w)
    plant = np.zeros(v, dtype=int)
    for name, topics in SAMPLE_TRUTH["missing_topics"].items():
        plant[names == name] = sum(1 << _REQUIRED_TOPICS.index(t) for t in topics)
    cutoff = pd.Series(names).map(_STALE_CUTOFF)
    cutoff = pd.to_datetime(cutoff).fillna(_END).to_numpy()
    ev_bits = prog.loc[ev["prog"], "req_bits"].to_numpy()
    allowed = (ev_bits[:, None] & plant[None, :]) == 0
    allowed &= ev["date"].to_numpy()[:, None] <= cutoff[None, :]
    pick = np.zeros(n, dtype=int)
    pick[~town] = rng.permutation(np.repeat(np.arange(v), _allocate(int((~town).sum()), w)))
    redo = ~town & ~allowed[np.arange(n), pick]
    score = np.where(allowed[redo], np.log(w)[None, :] + rng.gumbel(size=(redo.sum(), v)),
                     -np.inf)
    pick[redo] = score.argmax(axis=1)
    village = pd.Series(villages["village_id"].to_numpy()[pick], dtype="str")
    return village.where(~town)


def _dedupe_dates(ev: pd.DataFrame, first_topic: pd.Series) -> pd.Series:
    """Shift dates so no two events share (date, village, first topic); fixed rows never move."""
    date = ev["date"].copy()
    place = ev["village_id"].fillna("TOWN")
    block_end = pd.Series(np.where(ev["block"] == "window", _WINDOW_END.to_datetime64(),
                                   _END.to_datetime64()), index=ev.index)
    for _ in range(50):
        dup = pd.DataFrame({"d": date, "p": place, "t": first_topic}).duplicated(keep="first")
        dup &= ~ev["fixed"]
        if not dup.any():
            return date
        step = np.where(date + pd.Timedelta(days=1) > block_end, -1, 1)  # stay in the block
        date = date.where(~dup, date + pd.to_timedelta(np.where(dup, step, 0), unit="D"))
    raise AssertionError("could not make event dates unique")  # pragma: no cover


def _written_events(ev: pd.DataFrame, prog: pd.DataFrame, villages: pd.DataFrame,
                    rng) -> pd.DataFrame:
    """Pick the written alternatives (topics, form, audience), places and titles."""
    p = prog.loc[ev["prog"]].reset_index(drop=True)
    out = ev.copy()
    out["topic_cell"] = _alternative(p["topics"], rng)
    out["form_cell"] = _alternative(p["forms"], rng)
    out["audience_cell"] = _alternative(p["audiences"], rng)
    out["organizer"] = out["dept"].map({k: v[0] for k, v in _DEPARTMENTS.items()})
    name = out["village_id"].map(dict(zip(villages["village_id"], villages["village_name"],
                                          strict=True)))
    town_place = pd.Series("", index=out.index, dtype="str")
    for dept, (_, _, places) in _DEPARTMENTS.items():
        sel = (out["dept"] == dept).to_numpy()
        town_place[sel] = _pick(np.array(places), None, int(sel.sum()), rng)
    out["place_cell"] = name.fillna(town_place)
    title = _fill(p["title"], "{year}", out["date"].dt.year.astype("str"))
    out["title"] = _fill(title, "{place}", name.fillna("全镇"))
    return out


def _repair(ev: pd.DataFrame, villages: pd.DataFrame, rng) -> pd.DataFrame:
    """Make the planted blind spots exact.

    A village that lacks a required topic not planted as missing, or that had no event in
    the last year without being planted as stale, gets one comprehensive event.
    """
    ids = villages["village_id"].to_numpy()
    names = villages["village_name"].to_numpy()
    topics = ev[["village_id", "topic_cell"]].dropna()
    pairs = pd.DataFrame({"village_id": topics["village_id"],
                          "topic": _split_cells(topics["topic_cell"])}).explode("topic")
    covered = (pairs.groupby(["village_id", "topic"]).size().unstack(fill_value=0)
               .reindex(index=ids, columns=list(_REQUIRED_TOPICS), fill_value=0) > 0)
    planted = pd.DataFrame(False, index=ids, columns=list(_REQUIRED_TOPICS))
    for name, miss in SAMPLE_TRUTH["missing_topics"].items():
        planted.loc[ids[names == name], miss] = True
    need = ~covered & ~planted
    last = ev.groupby("village_id")["date"].max().reindex(ids)
    stale_planted = np.isin(names, list(_STALE_CUTOFF))
    need_recent = (last.isna() | (last < _STALE_BEFORE)).to_numpy() & ~stale_planted
    todo = need.any(axis=1).to_numpy() | need_recent
    if not todo.any():
        return ev
    rows = villages.loc[todo, ["village_id", "village_name"]].reset_index(drop=True)
    need_t = need.loc[rows["village_id"]].to_numpy()
    cells = pd.Series("", index=rows.index, dtype="str")
    for j, topic in enumerate(_REQUIRED_TOPICS):
        cells = cells + np.where(need_t[:, j], topic + "、", "")
    # recency only: a 民法典 lecture
    cells = cells.str.rstrip("、").where(need_t.any(axis=1), "民法典、婚姻家庭")
    cutoff = pd.to_datetime(rows["village_name"].map(_STALE_CUTOFF))
    lo = pd.Series(pd.Timestamp("2025-01-06"), index=rows.index).where(
        cutoff.isna(), pd.Timestamp("2022-03-01")
    ).astype("datetime64[us]")
    hi = cutoff.fillna(pd.Timestamp("2025-11-28")).astype("datetime64[us]")
    add = pd.DataFrame({
        "prog": -1,
        "block": "after",
        "year": 0,
        "dept": "司法所",
        "date": _uniform_dates(lo, hi, rng),
        "village_id": rows["village_id"].astype("str"),
        "fixed": False,
        "topic_cell": cells,
        "form_cell": "普法讲座",
        "audience_cell": "村民",
        "organizer": _DEPARTMENTS["司法所"][0],
        "place_cell": rows["village_name"],
        "title": rows["village_name"] + "综合法治宣传活动",
    })
    add["year"] = add["date"].dt.year
    return pd.concat([ev, add], ignore_index=True)


def _duplicate_event(villages: pd.DataFrame) -> pd.DataFrame:
    """The joint 司法所/派出所 event (kept once in the truth, written in both ledgers)."""
    d = SAMPLE_TRUTH["duplicate_event"]
    vid = villages.loc[villages["village_name"] == d["village"], "village_id"].iloc[0]
    return pd.DataFrame({
        "prog": [-2],
        "block": "after",
        "year": 2023,
        "dept": "司法所",
        "date": pd.Series([pd.Timestamp(d["date"])], dtype="datetime64[us]"),
        "village_id": pd.Series([vid], dtype="str"),
        "fixed": True,
        "topic_cell": "反诈",
        "form_cell": "摆摊设点",
        "audience_cell": "群众",
        "organizer": "水寨镇司法所",
        "place_cell": d["village"],
        "title": d["title"],
    })


def _counts(ev: pd.DataFrame, rng) -> pd.DataFrame:
    """Attendees and materials, with the written form each ledger uses and the truth value."""
    n = len(ev)
    town = ev["village_id"].isna().to_numpy()
    big = town & (ev["dept"] == "镇政府").to_numpy()
    size = np.where(big, 1500.0, np.where(town, 450.0, 55.0))
    att = np.maximum(8, np.round(size * rng.lognormal(0.0, np.where(big, 0.9, 0.5)))).astype(int)
    approx = np.zeros(n, dtype=bool)
    value = att.astype(float)
    text = pd.Series(att.astype(str), dtype="str")
    u = rng.random(n)
    dept = ev["dept"].to_numpy()
    # 司法所: 约50 (rounded to 10), 50余人 / 300余人 (rounded down), a few blanks
    sfs = dept == "司法所"
    r10 = np.maximum(10, np.round(att / 10) * 10).astype(int)
    down = np.where(att >= 200, att // 100 * 100, att // 10 * 10).astype(int)
    yue = (sfs & (u < 0.15)) | (np.isin(dept, ["综治办", "妇联"]) & (u < 0.10))
    yu = sfs & (u >= 0.15) & (u < 0.25) & (att >= 30)
    blank = (sfs & (u >= 0.95)) | ((dept == "派出所") & (u >= 0.96))
    text[yue] = "约" + pd.Series(r10[yue]).astype("str").to_numpy()
    value[yue], approx[yue] = r10[yue], True
    text[yu] = pd.Series(down[yu]).astype("str").to_numpy() + "余人"
    value[yu], approx[yu] = down[yu], True
    # 派出所: "50人" and full-width "１２０"
    pcs = dept == "派出所"
    ren = pcs & (u < 0.5)
    full = pcs & (u >= 0.5) & (u < 0.7)
    text[ren] = text[ren] + "人"
    text[full] = text[full].str.translate(_FULLWIDTH)
    # 镇政府: "1.2万" for big town-wide events, "千余"
    wan = big & (att >= 5000)
    wan_v = np.round(att / 1000) / 10
    text[wan] = pd.Series(wan_v[wan]).round(1).astype("str").to_numpy() + "万"
    value[wan], approx[wan] = np.round(wan_v[wan] * 10000), True
    qian = big & (att >= 1000) & (att < 2000) & (u < 0.5)
    text[qian] = "千余"
    value[qian], approx[qian] = 1000, True
    text[blank] = ""
    attendees = pd.array(np.where(blank, 0, value).astype(np.int64), dtype="Int64")
    attendees[blank] = pd.NA
    approx[blank] = False
    # materials (份): 司法所, 综治办, 镇政府 only; 宣传车 events hand out none
    mat = (np.round(150 * rng.lognormal(0.0, 0.6, n) / 10) * 10).astype(int)
    mat_blank = ~np.isin(dept, ["司法所", "综治办", "镇政府"]) | (rng.random(n) < 0.2)
    mat_blank |= (ev["form_cell"] == "宣传车").to_numpy()
    mat_yu = (dept == "司法所") & (rng.random(n) < 0.1) & ~mat_blank & (mat >= 100)
    mat_v = np.where(mat_yu, mat // 100 * 100, mat)
    mat_text = pd.Series(mat_v.astype(str), dtype="str")
    mat_text[mat_yu] = mat_text[mat_yu] + "余份"
    mat_text[mat_blank] = ""
    materials = pd.array(mat_v.astype(np.int64), dtype="Int64")
    materials[mat_blank] = pd.NA
    return pd.DataFrame({
        "attendees": attendees, "attendees_approx": approx, "attendees_cell": text,
        "materials": materials, "materials_approx": mat_yu & ~mat_blank,
        "materials_cell": mat_text,
    })


def _notes(ev: pd.DataFrame, rng) -> pd.Series:
    """备注: mostly empty."""
    notes = np.array(["", "", "", "", "", "", "", "", "联合村委会开展", "结合赶集日",
                      "雨天改在村委会室内", "发放宣传品", "有照片"], dtype=object)
    return pd.Series(_pick(notes, None, len(ev), rng), dtype="str")


def _events(villages: pd.DataFrame, rng) -> pd.DataFrame:
    """Every event of the sample town in canonical columns plus the written cells."""
    prog = _programs()
    ev = _event_skeleton(prog, rng)
    ev["village_id"] = _choose_villages(ev, prog, villages, rng)
    ev["fixed"] = False
    ev = _written_events(ev, prog, villages, rng)
    ev = _repair(ev, villages, rng)
    ev = pd.concat([ev, _duplicate_event(villages)], ignore_index=True)
    # fixed rows first, so the others move out of their way
    ev = ev.sort_values("fixed", ascending=False, kind="stable").reset_index(drop=True)
    ev["date"] = _dedupe_dates(ev, _split_cells(ev["topic_cell"]).str[0])
    ev = pd.concat([ev, _counts(ev, rng)], axis=1)
    # the joint event: 80 people, written the same way in both ledgers
    fixed = ev["fixed"].to_numpy()
    ev.loc[fixed, ["attendees_cell", "materials_cell"]] = ["80", "200"]
    ev.loc[fixed, ["attendees", "materials"]] = [80, 200]
    ev.loc[fixed, ["attendees_approx", "materials_approx"]] = False
    ev["notes"] = _notes(ev, rng)
    ev = ev.sort_values(["date", "dept", "village_id"], kind="stable").reset_index(drop=True)
    return ev


# --------------------------------------------------------------------------------------------
# Ledger layouts: which row each event lands on, as a person sees it in Excel
# --------------------------------------------------------------------------------------------


def _bad_rows() -> pd.DataFrame:
    """The deliberately bad rows, as written cells (not in the truth)."""
    rows = [
        # 司法所: a village outside the register
        dict(dept="司法所", date=pd.Timestamp("2022-05-20"), place_cell="外镇某村",
             topic_cell="民法典", form_cell="普法讲座", audience_cell="村民",
             title="民法典宣传进外镇某村", attendees_cell="40", materials_cell="100",
             notes="应邀到邻镇开展"),
        # 综治办: a negative count
        dict(dept="综治办", date=pd.Timestamp("2023-07-12"), place_cell="协和村",
             topic_cell="平安宣传", form_cell="宣传车", audience_cell="群众",
             title="协和村平安创建宣传", attendees_cell="-30", materials_cell="",
             notes=""),
        # 镇政府: a date in the future (Excel serial 47484 = 2030-01-01)
        dict(dept="镇政府", date=pd.Timestamp("2030-01-01"), place_cell="全镇",
             topic_cell="宪法", form_cell="展板", audience_cell="群众",
             title="2030年元旦普法宣传", attendees_cell="300", materials_cell="200",
             notes=""),
    ]
    out = pd.DataFrame(rows)
    out["organizer"] = out["dept"].map({k: v[0] for k, v in _DEPARTMENTS.items()})
    out["date"] = out["date"].astype("datetime64[us]")
    out["bad"] = True
    return out


def _layout(ev: pd.DataFrame) -> pd.DataFrame:
    """All written event rows (truth + bad rows + the duplicate copy) with file, sheet, row."""
    dup = ev.loc[ev["prog"] == -2].copy()
    dup["dept"] = "派出所"
    dup["copy"] = True
    dup["organizer"] = _DEPARTMENTS["派出所"][0]
    dup["attendees_cell"] = dup["attendees_cell"] + "人"
    rows = pd.concat(
        [ev.assign(copy=False, bad=False), dup.assign(bad=False), _bad_rows().assign(copy=False)],
        ignore_index=True,
    )
    rows["file"] = rows["dept"].map({k: v[1] for k, v in _DEPARTMENTS.items()})
    rows["sheet"] = np.where(rows["dept"] == "妇联", rows["date"].dt.year.astype("str") + "年",
                             "")
    rows = rows.sort_values(["file", "sheet", "date", "village_id", "title"],
                            kind="stable", na_position="first").reset_index(drop=True)
    pos = rows.groupby(["file", "sheet"]).cumcount()
    # first data row: 司法所 4 (title, 填报单位, header); 派出所 4 (title + two header rows);
    # 综治办 csv line 2; 妇联 3 (title, header); 镇政府 2 (header)
    first = rows["dept"].map({"司法所": 4, "派出所": 4, "综治办": 2, "妇联": 3, "镇政府": 2})
    row = first + pos
    # 司法所: one blank row between 2021 and 2022
    sfs_gap = (rows["dept"] == "司法所") & (rows["date"] >= pd.Timestamp("2022-01-01"))
    rows["row"] = (row + sfs_gap.astype(int)).astype(int)
    rows["seq"] = pos + 1
    # ids written by the 妇联 (编号 per year) and the 镇政府 (活动编号 per year)
    yearly = rows.groupby(["file", rows["date"].dt.year]).cumcount() + 1
    year = rows["date"].dt.year.astype("str")
    rows["written_id"] = ""
    fl = rows["dept"] == "妇联"
    zf = rows["dept"] == "镇政府"
    rows.loc[fl, "written_id"] = "FL" + year[fl] + "-" + yearly[fl].astype("str").str.zfill(2)
    rows.loc[zf, "written_id"] = "ZF" + year[zf] + "-" + yearly[zf].astype("str").str.zfill(3)
    stem = rows["file"].str.rsplit(".", n=1).str[0]
    rows["event_id"] = (stem + ":" + rows["row"].astype("str")).where(
        rows["written_id"] == "", rows["written_id"]
    )
    return rows


def _truth_events(rows: pd.DataFrame, villages: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                         pd.DataFrame]:
    """Canonical events and event_topics from the written rows a reader should load."""
    keep = rows.loc[~rows["bad"] & ~rows["copy"]].copy()
    topics = _split_cells(keep["topic_cell"]).map(list)
    uniq_forms = keep["form_cell"].unique()
    forms = dict(zip(uniq_forms, [schema.canonical_form(f) for f in uniq_forms], strict=True))
    uniq_aud = keep["audience_cell"].unique()
    aud = dict(zip(uniq_aud, ["、".join(schema.canonical_audience(p) for p in a.split("、"))
                              for a in uniq_aud], strict=True))
    names = dict(zip(villages["village_id"], villages["village_name"], strict=True))
    village_name = keep["village_id"].map(names).fillna(keep["place_cell"].replace("", np.nan))
    events = pd.DataFrame({
        "event_id": keep["event_id"],
        "date": keep["date"],
        "village_id": keep["village_id"],
        "village_name": village_name,
        "topic": topics.str[0],
        "form": keep["form_cell"].map(forms),
        "organizer": keep["organizer"],
        "audience": keep["audience_cell"].map(aud),
        "attendees": keep["attendees"],
        "attendees_approx": keep["attendees_approx"].astype(bool),
        "materials": keep["materials"],
        "materials_approx": keep["materials_approx"].astype(bool),
        "title": keep["title"],
        "notes": keep["notes"].replace("", np.nan),
        "source_file": keep["file"],
        "source_row": keep["row"],
    })
    events = schema.coerce(events.sort_values("date", kind="stable").reset_index(drop=True),
                           "events")
    event_topics = pd.DataFrame({"event_id": keep["event_id"], "topic": topics}).explode("topic")
    event_topics = schema.coerce(event_topics.reset_index(drop=True), "event_topics")
    return events, event_topics


# --------------------------------------------------------------------------------------------
# Sites, survey, codebook, cadres
# --------------------------------------------------------------------------------------------

_SITE_TYPES = (("宣传栏", "法治宣传栏"), ("法治长廊", "法治长廊"), ("农家书屋", "农家书屋普法角"),
               ("法治广场", "法治文化广场"))


def _sites(villages: pd.DataFrame, rng) -> pd.DataFrame:
    """2 town-level and 28 village-level publicity sites."""
    v = len(villages)
    kind = np.arange(v) % len(_SITE_TYPES)
    names = villages["village_name"].to_numpy()
    # the stale sites of SAMPLE_TRUTH are a 宣传栏 / 法治长廊 by construction
    for site in SAMPLE_TRUTH["stale_sites"]:
        for k, (_, suffix) in enumerate(_SITE_TYPES):
            if site.endswith(suffix):
                kind[names == site[: -len(suffix)]] = k
    site_type = np.array([t for t, _ in _SITE_TYPES], dtype=object)[kind]
    site_name = names + np.array([s for _, s in _SITE_TYPES], dtype=object)[kind]
    park = names == "公园社区"
    site_type[park], site_name[park] = "讲堂", "公园社区普法讲堂"
    stale = np.isin(site_name, SAMPLE_TRUTH["stale_sites"])
    opened = _uniform_dates(pd.Series(pd.Timestamp("2016-03-01"), index=range(v)),
                            pd.Series(pd.Timestamp("2020-10-31"), index=range(v)), rng)
    upd_lo = pd.Series(np.where(stale, np.datetime64("2023-03-01"), np.datetime64("2025-01-15")))
    upd_hi = pd.Series(np.where(stale, np.datetime64("2024-09-30"), np.datetime64("2025-11-30")))
    village = pd.DataFrame({
        "site_id": [f"ZD-C{i:02d}" for i in range(1, v + 1)],
        "site_name": site_name,
        "village_id": villages["village_id"],
        "village_name": villages["village_name"],
        "level": "village",
        "site_type": site_type,
        "lon": np.round(villages["lon"] + rng.normal(0, 0.002, v), 6),
        "lat": np.round(villages["lat"] + rng.normal(0, 0.002, v), 6),
        "opened": opened,
        "last_updated": _uniform_dates(upd_lo, upd_hi, rng),
    })
    town = pd.DataFrame({
        "site_id": ["ZD-Z01", "ZD-Z02"],
        "site_name": ["法治宣传一条街", "街心公园法治宣传长廊"],
        "village_id": pd.Series([np.nan, np.nan], dtype="str"),
        "village_name": pd.Series([np.nan, np.nan], dtype="str"),
        "level": "town",
        "site_type": ["一条街", "法治长廊"],
        "lon": np.round(TOWN_CENTRE[0] + np.array([0.0021, -0.0034]), 6),
        "lat": np.round(TOWN_CENTRE[1] + np.array([-0.0012, 0.0018]), 6),
        "opened": pd.Series(pd.to_datetime(["2019-06-20", "2018-12-01"]),
                            dtype="datetime64[us]"),
        "last_updated": pd.Series(pd.to_datetime(["2025-06-10", "2025-09-01"]),
                                  dtype="datetime64[us]"),
    })
    sites = pd.concat([town, village], ignore_index=True)
    sites["source_file"] = F_SITES
    sites["source_row"] = np.arange(len(sites)) + 2
    return schema.coerce(sites, "sites")


def _survey(villages: pd.DataFrame, rng, *, low_names: Any = None, skip: Any = (),
            start: str = "2025-11-01 08:00:00", source: str = F_SURVEY,
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey responses (truth) and the same as written in the 问卷星 export.

    The defaults give the 2025 wave; ``low_names`` (the low-awareness villages), ``skip``
    (villages without an answer), ``start`` (first day of the poll) and ``source`` (the file)
    make another wave from its own random stream.
    """
    names = villages["village_name"].to_numpy()
    ids = villages["village_id"].to_numpy()
    low = np.isin(names, SAMPLE_TRUTH["low_awareness"] if low_names is None else low_names)
    few = np.isin(names, SAMPLE_TRUTH["few_answers"])
    rel = villages["population"].to_numpy() / villages["population"].mean()
    n_v = np.clip(np.round(27 * rel ** 0.4 * rng.lognormal(0, 0.12, len(ids))), 20, 36)
    n_v = np.where(low, rng.integers(38, 45, len(ids)), n_v)
    n_v = np.where(few, rng.integers(5, 9, len(ids)), n_v).astype(int)
    n_v = np.where(np.isin(names, list(skip)), 0, n_v)
    vcode = np.repeat(np.arange(len(ids)), n_v)
    n = len(vcode)
    resp = pd.DataFrame({"v": vcode})
    resp["gender"] = np.where(rng.random(n) < _FEMALE_SHARE_SAMPLE, "女", "男")
    age = rng.choice(len(_AGE_GROUPS), size=n, p=_AGE_SHARES_SAMPLE)
    resp["age_group"] = np.array(_AGE_GROUPS, dtype=object)[age]
    klass = pd.Series(np.where(low, "low", np.where(few, "few", "ordinary")))
    for item, _, domain in _ITEMS:
        pos, pos_p, neg, neg_p, missing = _SCALES[domain]
        lo_v = klass.map({k: r[domain][0] for k, r in _RATES.items()}).to_numpy()
        hi_v = klass.map({k: r[domain][1] for k, r in _RATES.items()}).to_numpy()
        rate_v = rng.uniform(lo_v, hi_v)
        no_answer = (rng.random(n) < 0.03) if missing else np.zeros(n, dtype=bool)
        answered = np.bincount(vcode, weights=~no_answer, minlength=len(ids))
        k_v = np.round(rate_v * answered).astype(int)
        weight = np.array(_AGE_PROPENSITY)[age] * ~no_answer
        positive = _top_k(vcode, k_v[vcode], weight, rng)
        answer = np.where(positive, _pick(np.array(pos), pos_p, n, rng),
                          _pick(np.array(neg), neg_p, n, rng))
        if missing:
            answer = np.where(no_answer, missing, answer)
        resp[item] = answer
    start = pd.Timestamp(start)
    seconds = np.sort(rng.integers(0, 29 * 86400 + 12 * 3600, n))
    when = (start + pd.to_timedelta(seconds, unit="s")).astype("datetime64[us]")
    resp = resp.iloc[rng.permutation(n)].reset_index(drop=True)  # answers not sorted by village
    resp["date"] = when.to_numpy()
    resp["village_id"] = ids[resp["v"]]
    resp["village_name"] = names[resp["v"]]
    resp["response_id"] = np.arange(1, n + 1).astype(str)
    resp["source_file"] = source
    resp["source_row"] = np.arange(n) + 2
    truth = resp.drop(columns="v").assign(weight=1.0)
    truth = schema.coerce(truth, "responses")
    truth = truth[[*schema.RESPONSES.columns, *[i for i, _, _ in _ITEMS]]]
    # as written: the village as people type it, metadata and a phone number now and then
    written = resp.copy()
    bare = pd.Series(names[resp["v"]]).str.replace(r"(村|社区)$", "", regex=True)
    suffix = np.where(resp["village_id"].isin(villages.loc[villages["kind"] == "community",
                                                           "village_id"]), "居委会", "村委会")
    u = rng.random(n)
    written["village_cell"] = np.where(u < 0.85, names[resp["v"]],
                                       np.where(u < 0.95, bare, bare + suffix))
    written["seconds"] = pd.Series(rng.integers(60, 420, n)).astype("str") + "秒"
    src = rng.random(n) < 0.55
    written["source"] = np.where(src, "微信", "手机提交")
    written["source_detail"] = np.where(src, "微信群", "直接访问")
    city = np.where(rng.random(n) < 0.9, "广东-梅州", "广东-深圳")
    ip = ("113.96." + pd.Series(rng.integers(0, 256, n)).astype("str") + "."
          + pd.Series(rng.integers(1, 255, n)).astype("str"))
    written["ip"] = ip + "(" + city + ")"
    phone = (pd.Series(_pick(np.array(["13", "15", "18"]), None, n, rng)).astype("str")
             + pd.Series(rng.integers(0, 10**9, n)).astype("str").str.zfill(9))
    written["phone"] = phone.where(rng.random(n) < 0.08, "")
    return truth, written


def _codebook() -> pd.DataFrame:
    """The codebook the analyst keeps next to the survey."""
    rows = []
    for item, text, domain in _ITEMS:
        pos, _, _, _, missing = _SCALES[domain]
        rows.append({
            "item": item,
            "text": text,
            "domain": domain,
            "positive": tuple(pos),
            "missing": (missing,) if missing else (),
            "correct": pos[0] if domain == "knowledge" else np.nan,
        })
    return schema.coerce(pd.DataFrame(rows), "codebook")


def _cadres(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cadre law-study records 2020–2025 (truth) and the same with names, as written."""
    units = pd.DataFrame(_CADRE_UNITS, columns=["department", "staff", "enforcing"])
    extra = rng.poisson(1.2, len(units))  # people who join later
    per_unit = units["staff"].to_numpy() + extra
    people = pd.DataFrame({
        "department": np.repeat(units["department"].to_numpy(), per_unit),
        "enforcing": np.repeat(units["enforcing"].to_numpy(), per_unit),
    })
    m = len(people)
    # names: unique within a department
    cand = pd.DataFrame({
        "department": np.repeat(people["department"].to_numpy(), 3),
        "name": (pd.Series(_pick(np.array(_SURNAMES), None, 3 * m, rng)).astype("str")
                 + pd.Series(_pick(np.array(_GIVEN), None, 3 * m, rng)).astype("str")
                 + pd.Series(np.where(rng.random(3 * m) < 0.6,
                                      _pick(np.array(_GIVEN), None, 3 * m, rng), "")).astype(
                     "str")),
    }).drop_duplicates(["department", "name"])
    cand["k"] = cand.groupby("department").cumcount()
    people["k"] = people.groupby("department").cumcount()
    people = people.merge(cand, on=["department", "k"], how="left", validate="1:1")
    if people["name"].isna().any():  # pragma: no cover - 3 candidates per person is plenty
        raise AssertionError("ran out of synthetic names")
    # who works when: most from before 2020 to 2025; some join or leave
    is_new = people.groupby("department").cumcount().to_numpy() >= np.repeat(
        units["staff"].to_numpy(), per_unit)
    first = np.where(is_new, rng.integers(2021, 2026, m), 2020)
    last = np.where(rng.random(m) < 0.12, rng.integers(2020, 2025, m), 2025)
    last = np.maximum(first, last)
    people["first"], people["last"] = first, last
    leader_p = np.where(people["department"] == "镇党政办", 0.45, 0.2)
    people["is_leader"] = rng.random(m) < leader_p
    pos_leader = np.where(people["department"] == "镇党政办",
                          _pick(np.array(["党委书记", "镇长", "副镇长", "党委委员"]), None, m, rng),
                          _pick(np.array(["所长", "主任", "副所长", "副主任"]), None, m, rng))
    pos_staff = np.where(people["enforcing"],
                         _pick(np.array(["执法队员", "科员", "办事员"]), None, m, rng),
                         _pick(np.array(["科员", "办事员"]), None, m, rng))
    pos_staff = np.where(people["department"] == "派出所", "民警", pos_staff)
    people["position"] = np.where(people["is_leader"], pos_leader, pos_staff)
    active20 = (people["first"] <= 2020) & (people["last"] >= 2020)
    active21 = (people["first"] <= 2021) & (people["last"] >= 2021)
    # 49 people hold a certificate in 2021: enforcing staff working in 2021
    eligible21 = (people["enforcing"] & active21).to_numpy()
    holders21 = _top_k(np.zeros(m, dtype=int), np.full(m, 49), eligible21 * 1.0, rng)
    issued = np.where(holders21, rng.integers(2013, 2022, m),
                      np.where(people["enforcing"] & (rng.random(m) < 0.6),
                               np.maximum(first, rng.integers(2022, 2026, m)), 9999))
    people["cert_year"] = issued
    seq = pd.Series(issued).groupby(issued).cumcount().to_numpy() + 1
    people["cert_no"] = np.where(
        issued < 9999,
        "441424" + pd.Series(issued).astype("str") + pd.Series(seq).astype("str").str.zfill(4), "")
    # 41 distinct people examined in 2020–2021
    eligible_ex = (active20 | active21).to_numpy()
    examined = _top_k(np.zeros(m, dtype=int), np.full(m, 41), eligible_ex * 1.0, rng)
    e20 = examined & active20.to_numpy() & (rng.random(m) < 0.75)
    e21 = examined & active21.to_numpy() & (rng.random(m) < 0.75)
    none = examined & ~e20 & ~e21
    e20 |= none & active20.to_numpy()
    e21 |= none & ~active20.to_numpy()
    people["e2020"], people["e2021"] = e20, e21
    # one row per person and year worked
    span = people["last"] - people["first"] + 1
    rows = people.loc[people.index.repeat(span)].copy()
    rows["year"] = rows["first"] + rows.groupby(level=0).cumcount()
    rows = rows.reset_index(drop=True)
    n = len(rows)
    taken = np.where(rows["year"] == 2020, rows["e2020"],
                     np.where(rows["year"] == 2021, rows["e2021"], rng.random(n) < 0.85))
    score = np.clip(np.round(rng.normal(86, 7, n)), 55, 100)
    hours = np.clip(np.round(rng.normal(45, 8, n) * 2) / 2, 20, 80)
    cert = rows["cert_year"].to_numpy() <= rows["year"].to_numpy()
    order = {d: i for i, d in enumerate(units["department"])}
    rows["dept_order"] = rows["department"].map(order)
    rows = rows.assign(taken=taken, score=np.where(taken, score, np.nan), hours=hours, cert=cert)
    rows = rows.sort_values(["year", "dept_order", "name"], kind="stable").reset_index(drop=True)
    rows["file"] = "学法用法台账_" + rows["year"].astype("str") + ".xlsx"
    rows["row"] = rows.groupby("year").cumcount() + 3  # title row, header row
    passed = pd.array(rows["score"] >= 80, dtype="boolean")
    passed[~rows["taken"].to_numpy()] = pd.NA
    truth = pd.DataFrame({
        "person_id": _person_id(rows["department"], rows["name"]),
        "department": rows["department"],
        "year": rows["year"],
        "position": rows["position"],
        "is_leader": rows["is_leader"].astype("boolean"),
        "online_hours": rows["hours"],
        "exam_taken": rows["taken"].astype("boolean"),
        "exam_score": rows["score"],
        "exam_passed": passed,
        "enforcement_cert": rows["cert"].astype("boolean"),
        "source_file": rows["file"],
        "source_row": rows["row"],
    })
    return schema.coerce(truth, "cadres"), rows


# --------------------------------------------------------------------------------------------
# Standing services: the 法律明白人 roster and the village legal adviser's log
# --------------------------------------------------------------------------------------------

#: The 10 priority groups (schema.LEGAL_LITERATE_GROUPS) as a roster writes them, and their
#: shares; a few cells name two groups, and 村两委干部 is an alias the reader keeps as written.
_LITERATE_GROUPS: tuple[tuple[str, float], ...] = (
    ("村干部", 0.22), ("党员", 0.14), ("人民调解员", 0.12), ("网格员", 0.12),
    ("村民小组长", 0.12), ("妇联执委", 0.06), ("五老", 0.07), ("驻村辅警", 0.03),
    ("其他", 0.04), ("儿童主任", 0.02), ("妇联执委、儿童主任", 0.03), ("村两委干部", 0.03),
)
_ADVISERS = ("钟律师", "陈律师", "李律师", "曾律师", "古律师", "温律师")
_ADVISER_START = pd.Timestamp("2024-01-01")


def _names(n: int, rng) -> pd.Series:
    """``n`` synthetic names (two or three characters)."""
    surname = pd.Series(_pick(np.array(_SURNAMES), None, n, rng)).astype("str")
    given = pd.Series(_pick(np.array(_GIVEN), None, n, rng)).astype("str")
    second = np.where(rng.random(n) < 0.6, _pick(np.array(_GIVEN), None, n, rng), "")
    return surname + given + pd.Series(second).astype("str")


def _legal_literates(villages: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 法律明白人 roster (truth) and the same with names, as written."""
    names = villages["village_name"].to_numpy()
    is_village = (villages["kind"] == "village").to_numpy()
    few = SAMPLE_TRUTH["few_legal_literates"]
    size = 3 + np.minimum(rng.poisson(1.4, len(villages)), 4)
    trained_few = pd.Series(names).map(few)
    size = np.where(trained_few.notna(), trained_few.fillna(0).astype(int), size)
    untrained = names == "上坝村"  # one nominee not yet trained (0 hours)
    size = size + untrained
    people = pd.DataFrame({
        "village_id": np.repeat(villages["village_id"].to_numpy(), size),
        "village_name": np.repeat(names, size),
        "is_village": np.repeat(is_village, size),
        "groups": np.repeat(villages["villager_groups"].fillna(0).to_numpy(dtype=int), size),
    })
    m = len(people)
    people["k"] = people.groupby("village_id").cumcount()
    # names unique within a village (the reader hashes village + name into person_id)
    cand = pd.DataFrame({"village_id": np.repeat(people["village_id"].to_numpy(), 3),
                         "name": _names(3 * m, rng).to_numpy()}).drop_duplicates()
    cand["k"] = cand.groupby("village_id").cumcount()
    people = people.merge(cand, on=["village_id", "k"], how="left", validate="1:1")
    if people["name"].isna().any():  # pragma: no cover - 3 candidates per person is plenty
        raise AssertionError("ran out of synthetic names")
    labels = np.array([g for g, _ in _LITERATE_GROUPS], dtype=object)
    shares = np.array([p for _, p in _LITERATE_GROUPS])
    group = _pick(labels, shares / shares.sum(), m, rng)
    # every village's first person is a village cadre (the usual first nominee)
    group = np.where(people["k"].to_numpy() == 0, "村干部", group)
    female = np.isin(group, ["妇联执委", "儿童主任", "妇联执委、儿童主任"]) | (rng.random(m) < 0.3)
    hours = np.clip(np.round(rng.normal(24, 8, m) * 2) / 2, 8, 48)
    last = people.groupby("village_id")["k"].transform("max").to_numpy() == people["k"].to_numpy()
    nominee = np.repeat(untrained, size) & last
    hours = np.where(nominee, 0.0, hours)
    year = np.where(nominee, 2025, rng.choice([2021, 2022, 2023, 2024, 2025], m,
                                              p=[0.15, 0.25, 0.25, 0.2, 0.15]))
    team = np.floor(rng.random(m) * np.maximum(people["groups"].to_numpy(), 1)).astype(int) + 1
    villager_group = pd.Series(pd.Series(team).astype("str") + "组").where(
        people["is_village"].to_numpy()
    )
    people = people.assign(gender=np.where(female, "女", "男"), group=group, hours=hours,
                           year=year, villager_group=villager_group.to_numpy())
    people["row"] = np.arange(m) + 3  # title row, header row
    truth = pd.DataFrame({
        "person_id": _person_id(people["village_id"], people["name"]),
        "village_id": people["village_id"],
        "village_name": people["village_name"],
        "villager_group": people["villager_group"],
        "gender": people["gender"],
        "group": people["group"],
        "trained_hours": people["hours"],
        "year": people["year"],
        "source_file": F_LITERATES,
        "source_row": people["row"],
    })
    return schema.coerce(truth, "legal_literates"), people


def _adviser_visits(villages: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The village legal advisers' service log 2024–2025 (truth) and the same as written.

    Every village sees its adviser 1–3 days a month (the planted absent village: none after
    its last visit); a visit is one row listing what was done (咨询, 讲座, 调解, 法律意见), and
    now and then a mediation gets a row of its own on the same day.
    """
    v = len(villages)
    ids = villages["village_id"].to_numpy()
    names = villages["village_name"].to_numpy()
    absent = np.isin(names, SAMPLE_TRUTH["adviser_absent"])
    last_absent = pd.Timestamp(SAMPLE_TRUTH["adviser_absent_last_visit"])
    adviser = np.array(_ADVISERS, dtype=object)[rng.permutation(np.arange(v) % len(_ADVISERS))]
    months = pd.date_range(_ADVISER_START, _END, freq="MS")
    p_day = rng.uniform(0.3, 0.8, v)  # chance of each of two extra days a month
    p_lecture = rng.uniform(0.10, 0.30, v)  # a lecture on a visit day
    cell_v = np.repeat(np.arange(v), len(months))
    cell_m = np.tile(np.arange(len(months)), v)
    k = 1 + rng.binomial(2, p_day[cell_v])
    month_start = months.to_numpy()[cell_m]
    k = np.where(absent[cell_v] & (month_start >= last_absent.to_period("M").start_time.to_numpy()),
                 0, k)
    rep_v = np.repeat(cell_v, k)
    rep_start = pd.Series(np.repeat(month_start, k))
    length = rep_start.dt.days_in_month.to_numpy()
    day = np.floor(rng.random(len(rep_v)) * length).astype(int)
    dates = (rep_start + pd.to_timedelta(day, unit="D")).astype("datetime64[us]")
    visits = pd.DataFrame({"v": rep_v, "date": dates}).drop_duplicates()
    # the absent village: the last visit on the planted day
    last_row = pd.DataFrame({"v": np.flatnonzero(absent),
                             "date": pd.Series([last_absent] * int(absent.sum()),
                                               dtype="datetime64[us]")})
    visits = pd.concat([visits, last_row], ignore_index=True).drop_duplicates()
    visits = visits.sort_values(["date", "v"], kind="stable").reset_index(drop=True)
    n = len(visits)
    vi = visits["v"].to_numpy()
    lecture = rng.random(n) < p_lecture[vi]
    consult = rng.poisson(4, n) + np.where(lecture, 0, 1)
    mediation = rng.random(n) < 0.12
    own_row = mediation & (rng.random(n) < 0.4)  # the mediation written on a row of its own
    opinion = rng.random(n) < 0.05
    parts = pd.DataFrame({
        "a": np.where(consult > 0, "法律咨询", None),
        "b": np.where(lecture, "法治讲座", None),
        "c": np.where(mediation & ~own_row, "矛盾纠纷调解", None),
        "d": np.where(opinion, "出具法律意见", None),
    })
    service = parts["a"].fillna("")
    for col in ("b", "c", "d"):  # four columns
        service = service.str.cat(parts[col], sep="、", na_rep="").str.strip("、")
    service = service.str.replace("、、", "、", regex=False)
    main = pd.DataFrame({
        "v": vi, "date": visits["date"], "service": service,
        "consultations": np.where(consult > 0, consult, -1),
        "lectures": np.where(lecture, 1, -1),
        "mediations": np.where(mediation & ~own_row, rng.integers(1, 3, n), -1),
        "opinions": np.where(opinion, 1, -1),
    })
    extra = pd.DataFrame({
        "v": vi[own_row], "date": visits["date"][own_row].to_numpy(),
        "service": "矛盾纠纷调解", "consultations": -1, "lectures": -1,
        "mediations": rng.integers(1, 3, int(own_row.sum())), "opinions": -1,
    })
    rows = pd.concat([main, extra], ignore_index=True)
    rows = rows.sort_values(["date", "v"], kind="stable").reset_index(drop=True)
    m = len(rows)
    # a lecture now and then written without its 讲座场次 (the service column names it)
    blank_lecture = (rows["lectures"] == 1).to_numpy() & (rng.random(m) < 0.15)
    rows.loc[blank_lecture, "lectures"] = -1
    rows["village_id"] = ids[rows["v"]]
    rows["village_name"] = names[rows["v"]]
    rows["adviser"] = adviser[rows["v"]]
    u = rng.random(m)
    bare = rows["village_name"].str.replace(r"(村|社区)$", "", regex=True)
    suffix = np.where(rows["village_name"].str.endswith("社区"), "居委会", "村委会")
    rows["village_cell"] = np.where(u < 0.8, rows["village_name"], bare + suffix)
    text = rng.random(m) < 0.2
    d = rows["date"]
    rows["date_cell"] = pd.Series(d.dt.date, dtype=object).where(
        ~text, d.dt.year.astype("str") + "年" + d.dt.month.astype("str") + "月"
        + d.dt.day.astype("str") + "日")
    rows["row"] = np.arange(m) + 3  # title row, header row
    counts = {}
    for col in ("consultations", "lectures", "mediations", "opinions"):  # four columns
        arr = pd.array(rows[col].to_numpy(dtype=np.int64), dtype="Int64")
        arr[rows[col].to_numpy() < 0] = pd.NA
        counts[col] = arr
        rows[col] = pd.Series(arr, index=rows.index)
    truth = pd.DataFrame({
        "date": rows["date"],
        "village_id": rows["village_id"],
        "village_name": rows["village_name"],
        "adviser": rows["adviser"],
        "service": rows["service"],
        **counts,
        "source_file": F_ADVISER,
        "source_row": rows["row"],
    })
    return schema.coerce(truth, "adviser_visits"), rows


def _build(seed: int) -> _Built:
    """Build the truth frames and the written rows from one seed."""
    # streams 7, 8 and 9 were added later; spawn() children depend only on their index, so
    # the first seven (and everything drawn from them) are unchanged
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]
    villages = _villages(streams[0])
    geometry, lon, lat = _geometry(villages, streams[1])
    villages["lon"], villages["lat"] = lon, lat
    villages = villages.drop(columns=["ring", "angle"])
    villages["source_file"] = F_VILLAGES
    villages["source_row"] = np.arange(len(villages)) + 3  # title row, header row
    villages = schema.coerce(villages, "villages")
    ev = _events(villages, streams[2])
    rows = _layout(ev)
    events, event_topics = _truth_events(rows, villages)
    rows = _dress_events(rows, streams[6])
    sites = _sites(villages, streams[3])
    responses, survey_written = _survey(villages, streams[4])
    cadres, cadre_rows = _cadres(streams[5])
    literates, literate_rows = _legal_literates(villages, streams[7])
    adviser, adviser_rows = _adviser_visits(villages, streams[8])
    wave = SAMPLE_TRUTH["survey_2024"]
    responses_2024, survey_2024 = _survey(
        villages, streams[9], low_names=[*wave["low_both_years"], *wave["improved"]],
        skip=wave["not_surveyed"], start="2024-11-01 08:00:00", source=F_SURVEY_2024)
    truth = {
        "villages": villages,
        "events": events,
        "event_topics": event_topics,
        "sites": sites,
        "responses": responses,
        "responses_2024": responses_2024,
        "codebook": _codebook(),
        "cadres": cadres,
        "legal_literates": literates,
        "adviser_visits": adviser,
        "geometry": geometry,
    }
    return _Built(truth=truth, event_rows=rows, survey=survey_written,
                  survey_2024=survey_2024, cadres=cadre_rows,
                  literates=literate_rows, adviser=adviser_rows)


def make_sample(*, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Build the sample town's clean truth frames in canonical columns.

    These are the frames a correct reader loads from the files :func:`write_sample` writes:
    same ids, values and ``source_file`` / ``source_row``. The bad rows and the second copy of
    the duplicated event (:data:`SAMPLE_TRUTH`) are not in them.

    Parameters
    ----------
    seed : int, default 20210909
        Seed of ``numpy.random.default_rng``; the same seed gives the same frames.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``villages``, ``events``, ``event_topics``, ``sites``, ``responses`` (the 2025 survey
        wave, with item columns ``q4`` … ``q10``), ``responses_2024`` (the 2024 wave, same
        items; :data:`SAMPLE_TRUTH` ``["survey_2024"]`` names its planted changes; the reader
        loads both waves into one ``responses`` table, the 2025 answers' ids prefixed
        ``普法知晓率问卷_2025:`` because they repeat the 2024 file's), ``codebook``,
        ``cadres`` (``person_id`` as the reader derives it with its default salt),
        ``legal_literates`` (the 法律明白人 roster, ``person_id`` the same way from village and
        name), ``adviser_visits`` (the village legal advisers'
        service log 2024–2025) and ``geometry`` (a GeoDataFrame, EPSG:4326).

    Raises
    ------
    TypeError
        When ``seed`` is not an int.
    ValueError
        When ``seed`` is negative.

    Examples
    --------
    >>> s = make_sample()
    >>> int(s["villages"]["registered_population"].sum()), len(s["villages"])
    (167046, 28)
    >>> s["sites"]["level"].value_counts().sort_index().to_dict()
    {'town': 2, 'village': 28}
    >>> window = s["events"]["date"].between("2020-01-01", "2021-09-09")
    >>> ids = s["events"].loc[window, "event_id"]
    >>> topics = s["event_topics"][s["event_topics"]["event_id"].isin(ids)]
    >>> n_drug_fraud = topics.loc[topics["topic"].isin(["禁毒", "反电信网络诈骗"]),
    ...                           "event_id"].nunique()
    >>> n_drug_fraud, len(ids) - n_drug_fraud
    (24, 55)
    """
    return dict(_build(_check_seed(seed)).truth)


# --------------------------------------------------------------------------------------------
# Writing the ledgers
# --------------------------------------------------------------------------------------------


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of Python values for openpyxl: NA and empty strings become empty cells."""
    obj = frame.astype(object)
    obj = obj.where(frame.notna() & (frame.astype("str") != ""), None)
    return obj.to_numpy().tolist()


def _workbook():
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "pufa_metrics sample"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    return wb


def _sheet(wb, title: str, rows: list[list[Any]], *, widths: dict[str, float] | None = None):
    ws = wb.create_sheet(title)
    for row in rows:
        ws.append(row)
    for col, width in (widths or {}).items():
        ws.column_dimensions[col].width = width
    return ws


def _save(wb, path: Path) -> None:
    wb.save(path)


def _write_register(built: _Built, path: Path) -> None:
    v = built.truth["villages"]
    body = pd.DataFrame({
        "序号": np.arange(1, len(v) + 1),
        "村（社区）": v["village_name"],
        "村居编码": v["village_id"],
        "类型": np.where(v["kind"] == "village", "村", "社区"),
        "户籍人口": v["registered_population"],
        "常住人口": v["population"],
        "户数": v["households"],
        "村民小组数": v["villager_groups"],
        "经度": v["lon"],
        "纬度": v["lat"],
        "所属镇": TOWN,
        "所属县": COUNTY,
    })
    total = ["合计", None, None, None, int(v["registered_population"].sum()),
             int(v["population"].sum()), int(v["households"].sum()),
             int(v["villager_groups"].sum()), None, None, None, None]
    wb = _workbook()
    title = ["水寨镇村（社区）基本情况表（2021年）"]
    ws = _sheet(wb, "村居基本信息", [title, list(body.columns), *_cells(body), total],
                widths={"B": 12, "C": 10})
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(body.columns))
    _save(wb, path)


def _write_geometry(built: _Built, path: Path) -> None:
    import shapely

    g = built.truth["geometry"]
    features = [
        {"type": "Feature",
         "properties": {"village_id": vid, "village_name": name},
         "geometry": json.loads(shapely.to_geojson(geom))}
        for vid, name, geom in zip(g["village_id"], g["village_name"], g.geometry, strict=True)
    ]
    doc = {"type": "FeatureCollection", "name": "村界",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
           "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sites(built: _Built, path: Path) -> None:
    s = built.truth["sites"]
    body = pd.DataFrame({
        "阵地编号": s["site_id"],
        "阵地名称": s["site_name"],
        "类型": s["site_type"],
        "级别": np.where(s["level"] == "town", "镇级", "村级"),
        "所属村": s["village_name"],
        "建成时间": s["opened"].dt.date,
        "最近更新时间": s["last_updated"].dt.date,
        "经度": s["lon"],
        "纬度": s["lat"],
    })
    wb = _workbook()
    _sheet(wb, "普法阵地", [list(body.columns), *_cells(body)], widths={"B": 24})
    _save(wb, path)


def _event_frame(rows: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Written cells of one ledger: Chinese header → column of ``rows``."""
    return pd.DataFrame({header: rows[col].to_numpy() for header, col in columns.items()})


def _write_sfs(rows: pd.DataFrame, path: Path) -> None:
    r = rows[rows["file"] == F_SFS].sort_values("row")
    body = _event_frame(r, {
        "序号": "seq", "日期": "date_obj", "村（社区）": "place_cell", "活动名称": "title",
        "宣传内容": "topic_cell", "活动形式": "form_cell", "参加对象": "audience_cell",
        "参加人数（人次）": "count_obj", "发放资料（份）": "materials_obj", "主办单位": "organizer",
        "备注": "notes",
    })
    cells = _cells(body)
    gap = int((r["date"] < pd.Timestamp("2022-01-01")).sum())
    cells = [*cells[:gap], [None] * len(body.columns), *cells[gap:]]
    exact = pd.to_numeric(r["attendees_cell"], errors="coerce")
    total = ["合计", None, None, f"共{len(r)}场", None, None, None, int(exact.sum()), None, None,
             None]
    note = ["注：参加人数单位为人次；标“约”“余”的为估计数。"]
    wb = _workbook()
    ws = _sheet(wb, "普法活动台账",
                [["水寨镇司法所2020-2025年普法活动台账"], ["填报单位：水寨镇司法所"],
                 list(body.columns), *cells, total, note],
                widths={"B": 12, "C": 12, "D": 30, "E": 22})
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(body.columns))
    _save(wb, path)


def _write_pcs(rows: pd.DataFrame, path: Path) -> None:
    r = rows[rows["file"] == F_PCS].sort_values("row")
    body = _event_frame(r, {
        "序号": "seq", "日期": "date_text", "地点": "place_cell", "活动主题": "title",
        "宣传内容": "topic_cell", "宣传方式": "form_cell", "受众": "audience_cell",
        "参与人数": "count_obj", "承办单位": "organizer", "备注": "notes",
    })
    top = ["序号", "活动情况", None, "活动主题", "宣传内容", "宣传方式", "受众", "参与人数",
           "承办单位", "备注"]
    sub = [None, "日期", "地点", None, None, None, None, None, None, None]
    wb = _workbook()
    ws = _sheet(wb, "法治宣传登记", [["水寨派出所法治宣传活动登记表"], top, sub, *_cells(body)],
                widths={"B": 14, "C": 12, "D": 30, "E": 18})
    ws.merge_cells("A1:J1")
    ws.merge_cells("B2:C2")
    for col in "ADEFGHIJ":
        ws.merge_cells(f"{col}2:{col}3")
    _save(wb, path)


def _write_zzb(rows: pd.DataFrame, path: Path) -> None:
    r = rows[rows["file"] == F_ZZB].sort_values("row")
    body = _event_frame(r, {
        "序号": "seq", "开展时间": "date_text", "村居": "place_cell", "宣传主题": "title",
        "宣传重点": "topic_cell", "宣传形式": "form_cell", "宣传对象": "audience_cell",
        "参与人数": "attendees_cell", "派发资料": "materials_cell", "牵头单位": "organizer",
        "备注": "notes",
    })
    text = body.to_csv(index=False, lineterminator="\r\n")
    path.write_bytes(text.encode("gbk"))


def _write_fl(rows: pd.DataFrame, path: Path) -> None:
    r = rows[rows["file"] == F_FL].sort_values(["sheet", "row"])
    wb = _workbook()
    for sheet, part in r.groupby("sheet", sort=True):
        body = _event_frame(part, {
            "编号": "written_id", "时间": "date_text", "活动地点": "place_cell",
            "活动主题": "title", "内容": "topic_cell", "形式": "form_cell",
            "对象": "audience_cell", "参加人数": "count_obj", "组织单位": "organizer",
            "备注": "notes",
        })
        year = sheet.rstrip("年")
        _sheet(wb, sheet, [[f"水寨镇妇联{year}年普法宣传活动记录"], list(body.columns),
                           *_cells(body)], widths={"D": 30, "E": 22})
    per_year = r.groupby("sheet").agg(n=("seq", "size"))
    summary = pd.DataFrame({"年度": per_year.index.str.rstrip("年"), "活动场次": per_year["n"]})
    _sheet(wb, "汇总", [list(summary.columns), *_cells(summary)])
    _save(wb, path)


def _write_zf(rows: pd.DataFrame, path: Path) -> None:
    r = rows[rows["file"] == F_ZF].sort_values("row")
    body = _event_frame(r, {
        "活动编号": "written_id", "开展日期": "date_serial", "地点": "place_cell",
        "活动主题": "title", "涉及法律法规": "topic_cell", "宣传方式": "form_cell",
        "参加对象": "audience_cell", "覆盖人数": "count_obj", "宣传品（份）": "materials_obj",
        "责任单位": "organizer", "备注": "notes",
    })
    wb = _workbook()
    _sheet(wb, "镇普法活动", [list(body.columns), *_cells(body)], widths={"D": 30, "E": 24})
    _save(wb, path)


def _dress_events(rows: pd.DataFrame, rng) -> pd.DataFrame:
    """Date and count cells in each ledger's own way."""
    r = rows.copy()
    d = r["date"]
    y, m, day = d.dt.year.astype("str"), d.dt.month.astype("str"), d.dt.day.astype("str")
    r["date_obj"] = pd.Series(d.dt.date, index=r.index, dtype=object)
    dotted = rng.random(len(r)) < 0.4
    r["date_text"] = np.where(dotted, y + "." + m + "." + day, y + "年" + m + "月" + day + "日")
    zzb, fl = r["dept"] == "综治办", r["dept"] == "妇联"
    r.loc[zzb, "date_text"] = (y + "/" + m + "/" + day)[zzb]
    r.loc[fl, "date_text"] = (m + "月" + day + "日")[fl]
    r["date_serial"] = (d - pd.Timestamp("1899-12-30")).dt.days
    # Excel ledgers hold exact counts as numbers and estimates ("约50", "50人") as text
    num = pd.to_numeric(r["attendees_cell"], errors="coerce")
    r["count_obj"] = pd.Series(num.astype("Int64").astype(object), index=r.index).where(
        num.notna(), r["attendees_cell"])
    mnum = pd.to_numeric(r["materials_cell"], errors="coerce")
    r["materials_obj"] = pd.Series(mnum.astype("Int64").astype(object), index=r.index).where(
        mnum.notna(), r["materials_cell"])
    # the 派出所 writes villages as 大岭村委会 or with a full-width space
    pcs = (r["dept"] == "派出所") & r["village_id"].notna()
    u = rng.random(len(r))
    bare = r["place_cell"].str.replace(r"(村|社区)$", "", regex=True)
    suffix = np.where(r["place_cell"].str.endswith("社区"), "居委会", "村委会")
    spaced = bare + "\u3000" + r["place_cell"].str.slice(start=-1).where(
        ~r["place_cell"].str.endswith("社区"), "社区")
    r.loc[pcs & (u < 0.4), "place_cell"] = (bare + suffix)[pcs & (u < 0.4)]
    r.loc[pcs & (u >= 0.4) & (u < 0.6), "place_cell"] = spaced[pcs & (u >= 0.4) & (u < 0.6)]
    # the 综治办 writes bare names now and then
    zv = zzb & r["village_id"].notna() & (u < 0.3)
    r.loc[zv, "place_cell"] = bare[zv]
    dup = r["copy"].astype(bool)
    r.loc[dup, "place_cell"] = (bare + suffix)[dup]
    return r


def _write_survey(w: pd.DataFrame, path: Path) -> None:
    body = pd.DataFrame({
        "序号": w["response_id"].astype(int),
        "提交答卷时间": w["date"].dt.strftime("%Y/%m/%d %H:%M:%S"),
        "所用时间": w["seconds"],
        "来源": w["source"],
        "来源详情": w["source_detail"],
        "来自IP": w["ip"],
        "1、您所在的村（社区）：": w["village_cell"],
        "2、您的性别：": w["gender"],
        "3、您的年龄段：": w["age_group"],
    })
    for number, (item, text, _) in enumerate(_ITEMS, start=4):
        body[f"{number}、{text}"] = w[item]
    body["11、您的联系电话（选填）："] = w["phone"]
    wb = _workbook()
    _sheet(wb, "Sheet1", [list(body.columns), *_cells(body)])
    _save(wb, path)


def _write_codebook(built: _Built, path: Path) -> None:
    c = built.truth["codebook"]
    body = pd.DataFrame({
        "题号": c["item"],
        "题目": c["text"],
        "类别": c["domain"],
        "肯定答案": c["positive"].map("、".join),
        "无效答案": c["missing"].map("、".join),
        "正确答案": c["correct"],
    })
    wb = _workbook()
    _sheet(wb, "编码表", [list(body.columns), *_cells(body)], widths={"B": 50, "D": 16})
    _save(wb, path)


def _write_cadres(built: _Built, year: int, path: Path) -> None:
    r = built.cadres[built.cadres["year"] == year]
    yes_no = {True: "是", False: "否"}
    passed = pd.Series(np.where(r["score"] >= 80, "合格", "不合格"), index=r.index)
    body = pd.DataFrame({
        "姓名": r["name"],
        "单位": r["department"],
        "职务": r["position"],
        "是否领导干部": r["is_leader"].map(yes_no),
        "年度": r["year"],
        "学习时长（学时）": r["hours"],
        "是否参加考试": r["taken"].astype(bool).map(yes_no),
        "考试成绩": r["score"].astype("Int64"),
        "是否合格": passed.where(r["taken"].astype(bool), ""),
        "执法证号": r["cert_no"].where(r["cert"], ""),
    })
    wb = _workbook()
    ws = _sheet(wb, f"{year}年", [[f"水寨镇{year}年国家工作人员学法用法情况登记表"],
                                  list(body.columns), *_cells(body)],
                widths={"B": 12, "J": 18})
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(body.columns))
    _save(wb, path)


def _write_literates(built: _Built, path: Path) -> None:
    r = built.literates
    body = pd.DataFrame({
        "序号": np.arange(1, len(r) + 1),
        "姓名": r["name"],
        "性别": r["gender"],
        "所属村": r["village_name"],
        "村民小组": r["villager_group"],
        "身份类别": r["group"],
        "培训学时": r["hours"],
        "年度": r["year"],
    })
    wb = _workbook()
    ws = _sheet(wb, "法律明白人", [["水寨镇乡村“法律明白人”名册"], list(body.columns),
                                 *_cells(body)], widths={"D": 12, "F": 20})
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(body.columns))
    # 0 training hours is written as 0, not left blank
    for i, hours in enumerate(r["hours"].to_numpy(), start=3):
        if hours == 0:  # the one nominee
            ws.cell(row=i, column=7, value=0)
    _save(wb, path)


def _write_adviser(built: _Built, path: Path) -> None:
    r = built.adviser
    body = pd.DataFrame({
        "序号": np.arange(1, len(r) + 1),
        "日期": r["date_cell"],
        "村（社区）": r["village_cell"],
        "法律顾问": r["adviser"],
        "服务事项": r["service"],
        "咨询人次": r["consultations"],
        "讲座场次": r["lectures"],
        "调解件数": r["mediations"],
        "法律意见书件数": r["opinions"],
    })
    wb = _workbook()
    ws = _sheet(wb, "服务台账", [["水寨镇村（社区）法律顾问服务台账（2024—2025年）"],
                               list(body.columns), *_cells(body)],
                widths={"B": 14, "C": 12, "E": 30})
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(body.columns))
    _save(wb, path)


#: README file table: file, what it holds, what it exercises in the reader.
_FILE_NOTES: tuple[tuple[str, str, str], ...] = (
    (F_VILLAGES, "28个村（社区）登记表 / register", "标题行、合计行、村居编码、户籍/常住人口"),
    (F_GEOMETRY, "村界多边形（合成）/ village polygons (synthetic Voronoi cells), EPSG:4326",
     "GeoJSON, village_id / village_name"),
    (F_SITES, "2个镇级 + 28个村级阵地 / sites", "镇级/村级、Excel 日期"),
    (F_SFS, "司法所台账", "标题行、“填报单位”行、Excel 日期、“约50”“30余人”“400余份”、"
     "一格多主题、空行、合计行、“注：”行、外镇村名"),
    (F_PCS, "派出所台账", "两级合并表头（活动情况/日期、地点）、“2021年9月9日”“2021.9.9”、"
     "“50人”、全角数字、“大岭村委会”、全角空格、重复活动"),
    (F_ZZB, "综治办台账（GBK 编码 CSV）", "GBK、“2021/9/9”、平安宣传/扫黑除恶/社会治安、"
     "未知主题“反邪教”、村名不带“村”、负数人数"),
    (F_FL, "妇联台账，每年一个工作表 / one sheet per year",
     "无年份的“9月9日”（年份取自工作表名）、“汇总”表、编号"),
    (F_ZF, "镇政府台账", "活动编号、Excel 序列号日期、“1.2万”“千余”、全镇性活动、未来日期"),
    (F_SURVEY, "问卷星“按选项文本”导出，2025年11月 / 问卷星 export, November 2025",
     "元数据列、题号“N、”、村名写法、电话与 IP（须丢弃）"),
    (F_SURVEY_2024, "同一问卷的2024年11月一轮 / the same survey's November 2024 wave",
     "第二个问卷文件、序号与2025年重复（读取时加文件名前缀）、两轮比较"),
    (F_CODEBOOK, "问卷编码表 / codebook", "肯定答案、无效答案、正确答案"),
    (F_LITERATES, "法律明白人名册 / roster of legally literate persons",
     "标题行、姓名（须哈希后丢弃）、一格两个身份类别、别名“村两委干部”、培训学时为0的待培训人员"),
    (F_ADVISER, "村（社区）法律顾问服务台账 2024–2025 / village legal advisers' log",
     "Excel 日期与“2025年3月2日”、“大沙村委会”、服务事项多项、讲座场次空白但服务事项含讲座"),
    ("学法用法台账_2020.xlsx … _2025.xlsx", "干部学法用法 / cadre law study",
     "姓名（须哈希后丢弃）、是/否、合格/不合格、执法证号"),
)


def _readme() -> str:
    t = SAMPLE_TRUTH
    c = t["calibration"]
    w = t["survey_2024"]
    d = t["duplicate_event"]
    zh = "、".join
    missing = "；".join(f"{v}：{zh(ts)}" for v, ts in t["missing_topics"].items())
    missing_en = "; ".join(f"{v}: {', '.join(ts)}" for v, ts in t["missing_topics"].items())
    bad = [f"- `{b['file']}`：{b['value']}（{b['reason']}）" for b in t["bad_rows"]]
    files = [f"| `{f}` | {what} | {tests} |" for f, what, tests in _FILE_NOTES]
    figures = [
        ("2020-01-01 至 2021-09-09 禁毒、反电信网络诈骗活动 / anti-drug & anti-fraud events",
         c["drug_fraud_events"]),
        ("同期其他普法活动（民法典讲座、平安宣传等）/ other events in that period",
         c["other_events"]),
        ("2020–2021年参加学法考试的干部（人）/ cadres examined 2020–2021", c["examined_cadres"]),
        ("2021年持行政执法证人数 / enforcement certificate holders 2021", c["cert_holders_2021"]),
        ("镇级 / 村级普法阵地 / town-level / village-level sites",
         f"{c['town_sites']} / {c['village_sites']}"),
        ("户籍人口 / 户数 / 村民小组 / registered residents, households, villager groups",
         f"{c['registered_population']:,} / {c['households']:,} / {c['villager_groups']}"),
        ("村委会 + 社区 / villages + communities", "24 + 4"),
    ]
    lines = [
        "# 示例镇数据 / The sample town (synthetic)",
        "",
        "**本文件夹中的数据全部是合成的（虚构的）**：人名、电话、IP、活动、问卷答案、人口数和村界",
        f"都由 `pufa sample`（`pufa_metrics.sample.write_sample`，种子 {t['seed']}）随机生成，",
        "不对应任何真实的人或事件。村名取自公开资料中的水寨镇（五华县）村名；第24个村未能查明，",
        f"用占位名“{PLACEHOLDER_VILLAGE}”代替。",
        "",
        "**All data in this folder is synthetic.** Names, phone numbers, IP addresses, events,",
        "survey answers, populations and village boundaries were generated at random by",
        f"`pufa sample` (`pufa_metrics.sample.write_sample`, seed {t['seed']}); they are not real",
        "people or real events. Village names are the published names of 水寨镇 (Shuizhai town,",
        "Wuhua county); the 24th village could not be identified, so the placeholder",
        f"“{PLACEHOLDER_VILLAGE}” stands for it. Regenerate with `pufa sample --out data/raw`",
        "(same seed, same content).",
        "",
        "## 校准依据 / What it is calibrated to",
        "",
        "水寨镇2021年9月9日报道《普法宣传提质效，为民服务促和谐》（见 docs/domain.md）/ the town's",
        "2021-09-09 report:",
        "",
        "| 指标 / figure | 示例数据 / sample |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in figures),
        "",
        "常住人口按五华县 常住/户籍 ≈ 0.61 设定（各村 55%–75%，社区更高）。禁毒、反诈活动按",
        "“任一主题为禁毒或反电信网络诈骗”计（台账写法 禁毒/全民禁毒/反诈/反电信诈骗/防诈骗",
        "按 schema 别名归并），含全镇性活动。",
        "Resident population is 55–75% of registered per village (Wuhua county: 921,912 /",
        "1,523,442 ≈ 0.61), higher in communities. An event counts as anti-drug/anti-fraud when",
        "any of its topics is 禁毒 or 反电信网络诈骗 after alias mapping; town-wide events count.",
        "",
        "## 预设的盲区 / Planted blind spots (`pufa_metrics.sample.SAMPLE_TRUTH`)",
        "",
        f"- 超过一年无活动 / no event for over a year before 2025-12-31: {zh(t['stale'])}",
        f"- 必讲主题从未覆盖（2020–2025）/ required topics never covered: {missing}",
        f"  ({missing_en})",
        "- 知晓率低（真实值约 0.52–0.64，每题 ≥ 30 份有效答卷）/ low awareness: "
        + zh(t["low_awareness"]),
        f"- 问卷样本不足（< 10 份）/ fewer than 10 answers: {zh(t['few_answers'])}",
        f"- 东北角相连的覆盖冷点 / contiguous cold spot (north-east): {zh(t['cold_spot'])}",
        f"- 超过12个月未更新的阵地 / sites not updated for 12 months: {zh(t['stale_sites'])}",
        "- 法律明白人不足3名（已培训）/ fewer than 3 trained legally literate persons: "
        + "；".join(f"{v}：{k}名" for v, k in t["few_legal_literates"].items()),
        f"- 法律顾问半年未到村 / legal adviser absent for half a year: {zh(t['adviser_absent'])}"
        f"（最近一次 last visit {t['adviser_absent_last_visit']}）",
        "",
        "问卷样本中女性和60岁以上者偏多（总体边际见 `SAMPLE_TRUTH[\"margins\"]`），",
        "加权（raking）会改变估计。",
        "The survey over-represents women and people aged 60+ (population margins in",
        "`SAMPLE_TRUTH[\"margins\"]`), so raking changes the estimates.",
        "",
        "问卷模拟的是镇里自行组织的问卷星调查（经村微信群自愿填写），不是独立学术调查。",
        "The survey imitates a town-run 问卷星 poll (answered through village WeChat groups),",
        "not an independent academic survey; label charts accordingly (docs/domain.md).",
        "",
        "## 两轮问卷 / Two survey waves",
        "",
        f"问卷每年11月做一轮：`{F_SURVEY_2024}`（2024年）和 `{F_SURVEY}`（2025年），同一问卷、",
        "同一编码表。镇级分析（报告、简报中的知晓率、跟进名单）只用最新一轮（2025年，按提交答卷",
        "时间判定轮次）；两轮之间的变化由 `compare_periods` 计算（简报“比上年”一列）。",
        "预设的变化（汇总知晓率，2024→2025）：",
        f"- 明显改善 / clearly better in 2025: {zh(w['improved'])}（2024年真实值约 0.52–0.64）",
        f"- 明显变差 / clearly worse in 2025: {zh(w['worse'])}（2024年约 0.92–0.98）",
        f"- 2024年未调查 / not surveyed in 2024: {zh(w['not_surveyed'])}（保留并注明）",
        f"- 两年都低 / low in both years: {zh(w['low_both_years'])}；其余村两年取自同一分布。",
        "The survey runs every November, one export per wave (same questionnaire, same",
        "codebook). The town analysis (the report's and the brief's awareness, the follow-up",
        "list) uses the latest wave only (2025; the wave is the year of the submit time);",
        "`compare_periods` compares the waves (the brief's 比上年 column). The 2025 figures are",
        "those of the one-wave sample before the 2024 wave was added. Both exports number",
        "their answers from 1, so the reader prefixes the later file's numbers with its name.",
        "",
        "2020年至2021年9月全镇仅79场活动（按报道校准），之后每年约70–100场，因此期初的活动间隔",
        "普遍较长。Only 79 events before 2021-09-09 (the report's count) and about 70–100 a year",
        "afterwards, so long gaps early in the period are common, not planted.",
        "",
        "## 读取时应拒绝的行 / Rows a reader must reject",
        "",
        *bad,
        f"- 同一联合活动记在两本台账 / one joint event in two ledgers: {d['date']} {d['village']}",
        f"  “{d['title']}”（`{d['files'][0]}`、`{d['files'][1]}`）；",
        "  按文件名顺序保留前者，后者作为重复拒绝 / the second one is rejected as a duplicate.",
        "",
        "## 文件 / Files (and what each exercises in the reader)",
        "",
        "| 文件 / file | 内容 / content | 考验读取的 / exercises |",
        "|---|---|---|",
        *files,
        "",
    ]
    return "\n".join(lines)


def write_sample(path: str | os.PathLike = config.RAW_DIR, *,
                 seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample town's ledgers, survey, register, sites, cadres and polygons.

    Files are first written into a temporary folder next to ``path`` and then moved into place
    one by one, so an error while generating leaves ``path`` as it was. Other files already in
    ``path`` are left alone.

    Parameters
    ----------
    path : str or os.PathLike, default ``config.RAW_DIR``
        Folder to write into; created when missing.
    seed : int, default 20210909
        Seed of ``numpy.random.default_rng``; the same seed gives the same content.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`SAMPLE_FILES`.

    Raises
    ------
    TypeError
        When ``path`` is not a path or ``seed`` is not an int.
    ValueError
        When ``path`` exists and is not a folder, or ``seed`` is negative.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(tmp)
    ...     [p.name for p in paths][:3], len(paths)
    (['村居基本信息.xlsx', '村界.geojson', '普法阵地.xlsx'], 21)
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path should be a folder path (str or Path), got {type(path).__name__}")
    seed = _check_seed(seed)
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"path should be a folder, got the file {out}（路径应为文件夹）")
    built = _build(seed)
    rows = built.event_rows
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".pufa-sample-", dir=out.parent))
    try:
        writers = {
            F_VILLAGES: lambda p: _write_register(built, p),
            F_GEOMETRY: lambda p: _write_geometry(built, p),
            F_SITES: lambda p: _write_sites(built, p),
            F_SFS: lambda p: _write_sfs(rows, p),
            F_PCS: lambda p: _write_pcs(rows, p),
            F_ZZB: lambda p: _write_zzb(rows, p),
            F_FL: lambda p: _write_fl(rows, p),
            F_ZF: lambda p: _write_zf(rows, p),
            F_SURVEY_2024: lambda p: _write_survey(built.survey_2024, p),
            F_SURVEY: lambda p: _write_survey(built.survey, p),
            F_CODEBOOK: lambda p: _write_codebook(built, p),
            F_LITERATES: lambda p: _write_literates(built, p),
            F_ADVISER: lambda p: _write_adviser(built, p),
            **{f"学法用法台账_{y}.xlsx": (lambda p, y=y: _write_cadres(built, y, p))
               for y in _CADRE_YEARS},
            F_README: lambda p: p.write_text(_readme(), encoding="utf-8"),
            # marker read by load_dataset: charts from this folder say "示例数据（合成）"
            ".synthetic": lambda p: p.write_text(
                "synthetic sample town written by `pufa sample`\n", encoding="utf-8"
            ),
        }
        for name in SAMPLE_FILES:
            writers[name](tmp / name)
        paths = []
        for name in SAMPLE_FILES:
            os.replace(tmp / name, out / name)
            paths.append(out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return paths
