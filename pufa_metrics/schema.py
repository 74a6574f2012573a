"""Canonical tables: columns, dtypes, Chinese header aliases and vocabularies.

Column names are English snake_case; values that are Chinese in real ledgers (topics, forms,
village names) stay Chinese, and the vocabularies below carry zh→en labels for English charts.

Every header variant a 司法所 ledger uses (docs/domain.md) is an alias of one canonical column.
Headers are compared after :func:`normalize_header`: full-width characters folded (NFKC), spaces
removed, and a trailing unit in brackets such as ``（人次）`` tried with and without.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

DATE = "datetime64[us]"

# --------------------------------------------------------------------------------------------
# Table specifications
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: column dtypes, required columns, key and header aliases."""

    name: str
    columns: dict[str, str]
    required: tuple[str, ...]
    key: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    label_zh: str = ""

    def accepted_headers(self, column: str) -> tuple[str, ...]:
        """The canonical name and every header variant accepted for ``column``."""
        return (column, *self.aliases.get(column, ()))


PROVENANCE = {"source_file": "str", "source_row": "Int64"}

VILLAGES = TableSpec(
    name="villages",
    label_zh="村（社区）基本信息",
    columns={
        "village_id": "str",
        "village_name": "str",
        "town": "str",
        "county": "str",
        "kind": "str",
        "population": "Int64",
        "registered_population": "Int64",
        "households": "Int64",
        "villager_groups": "Int64",
        "lon": "float64",
        "lat": "float64",
        **PROVENANCE,
    },
    required=("village_id", "village_name", "population"),
    key=("village_id",),
    aliases={
        "village_id": ("村编码", "村居编码", "编码", "代码", "区划代码", "统计用区划代码", "编号"),
        "village_name": (
            "村（社区）",
            "村(社区)",
            "村居",
            "村名",
            "名称",
            "村居名称",
            "村（居）",
            "村（社区）名称",
            "村（居）名称",
            "村（居）委会",
            "村（居）委会名称",
            "村（居）民委员会",
            "村居委会",
            "村委会",
            "村委会名称",
            "村（社区）居委会",
            "社区（村）",
            "村/社区",
            "行政村",
            "行政村名称",
            "单位名称",
        ),
        "town": ("镇", "乡镇", "镇（街道）", "所属镇", "乡镇（街道）"),
        "county": ("县", "县（市、区）", "所属县"),
        "kind": ("类型", "类别", "村居类型"),
        "population": ("常住人口", "常住人口（人）", "人口", "常住人口数"),
        "registered_population": ("户籍人口", "户籍人口（人）", "户籍人口数"),
        "households": ("户数", "总户数", "户籍户数"),
        "villager_groups": ("村民小组", "村民小组数", "村民小组（个）"),
        "lon": ("经度", "longitude"),
        "lat": ("纬度", "latitude"),
    },
)

EVENTS = TableSpec(
    name="events",
    label_zh="普法活动台账",
    columns={
        "event_id": "str",
        "date": DATE,
        "village_id": "str",
        "village_name": "str",
        "topic": "str",
        "form": "str",
        "organizer": "str",
        "audience": "str",
        "attendees": "Int64",
        "attendees_approx": "bool",
        "materials": "Int64",
        "materials_approx": "bool",
        "banners": "Int64",
        "boards": "Int64",
        "consultations": "Int64",
        "title": "str",
        "notes": "str",
        **PROVENANCE,
    },
    required=("date", "topic"),
    key=("event_id",),
    aliases={
        "event_id": ("活动编号", "编号"),
        "date": ("日期", "时间", "活动时间", "开展时间", "活动日期", "开展日期"),
        "village_name": (
            "村（社区）",
            "村(社区)",
            "村居",
            "所属村",
            "地点",
            "活动地点",
            "地址",
            "村（居）",
            "开展地点",
            "村名",
        ),
        "village_id": ("村编码", "村居编码"),
        # 活动主题 / 宣传主题 / 主题 may hold the topic instead: the reader decides by content
        # (io.ledger.SheetReader._choose_topic_column), as it does between two topic columns.
        "title": ("活动名称", "活动主题", "宣传主题", "主题", "标题", "活动标题", "活动名称/标题"),
        "topic": (
            "宣传内容",
            "内容",
            "活动内容",
            "主要内容",
            "宣讲内容",
            "涉及法律法规",
            "普法内容",
            "宣传重点",
        ),
        "form": ("活动形式", "宣传方式", "形式", "宣传形式", "活动方式", "开展形式"),
        "organizer": (
            "主办单位",
            "组织单位",
            "牵头单位",
            "责任单位",
            "承办单位",
            "联合单位",
            "负责单位",
            "开展单位",
        ),
        "audience": ("参加对象", "受众", "宣传对象", "受益对象", "对象", "参与对象", "受众对象"),
        "attendees": (
            "人数",
            "参加人数",
            "参与人数",
            "受众人数",
            "受教育人数",
            "受教育人数（人次）",
            "覆盖人数",
            "参加人次",
            "受益人数",
            "受益人次",
            "参与人次",
        ),
        "materials": (
            "发放资料",
            "发放资料（份）",
            "发放宣传资料",
            "派发资料",
            "宣传册",
            "宣传册（本）",
            "宣传品",
            "宣传品（份）",
        ),
        "banners": ("悬挂横幅", "悬挂横幅（条）", "横幅"),
        "boards": ("展板", "版面", "展板（块）", "版面（块）"),
        "consultations": ("解答咨询", "解答咨询（人次）", "现场咨询", "咨询人次"),
        "notes": ("备注", "开展情况", "活动情况", "活动开展情况"),
    },
)

EVENT_TOPICS = TableSpec(
    name="event_topics",
    label_zh="活动主题",
    columns={"event_id": "str", "topic": "str"},
    required=("event_id", "topic"),
    key=("event_id", "topic"),
)

SITES = TableSpec(
    name="sites",
    label_zh="普法阵地",
    columns={
        "site_id": "str",
        "site_name": "str",
        "village_id": "str",
        "village_name": "str",
        "level": "str",
        "site_type": "str",
        "lon": "float64",
        "lat": "float64",
        "opened": DATE,
        "last_updated": DATE,
        **PROVENANCE,
    },
    required=("site_name", "level"),
    key=("site_id",),
    aliases={
        "site_id": ("阵地编号", "编号"),
        "site_name": ("阵地名称", "名称", "阵地"),
        "village_name": ("所属村", "村（社区）", "村(社区)", "村居", "所在村", "地点"),
        "village_id": ("村编码",),
        "level": ("级别", "层级", "阵地级别"),
        "site_type": ("类型", "阵地类型", "类别"),
        "lon": ("经度",),
        "lat": ("纬度",),
        "opened": ("建成时间", "建成日期", "建设时间"),
        "last_updated": ("最近更新时间", "更新时间", "最近更新", "最后更新时间"),
    },
)

RESPONSES = TableSpec(
    name="responses",
    label_zh="问卷",
    columns={
        "response_id": "str",
        "village_id": "str",
        "village_name": "str",
        "date": DATE,
        "gender": "str",
        "age": "Int64",
        "age_group": "str",
        "weight": "float64",
        **PROVENANCE,
    },
    required=("response_id", "village_id"),
    key=("response_id",),
    aliases={
        "response_id": ("序号", "答卷编号", "编号", "_uuid", "KEY", "_index"),
        "village_name": ("您所在的村", "您所在的村/社区", "所在村", "村（社区）", "村居"),
        "date": ("提交答卷时间", "_submission_time", "SubmissionDate", "日期"),
        "gender": ("性别", "您的性别"),
        "age": ("年龄", "您的年龄"),
        "age_group": ("年龄段", "年龄组"),
        "weight": ("权重",),
    },
)

CODEBOOK = TableSpec(
    name="codebook",
    label_zh="问卷编码表",
    columns={"item": "str", "text": "str", "domain": "str", "positive": "object",
             "negative": "object", "missing": "object", "correct": "str", "options": "object",
             "kind": "str", "topic": "str"},
    required=("item", "text", "domain", "positive"),
    key=("item",),
    aliases={
        "item": ("题号", "变量", "变量名"),
        "text": ("题目", "问题", "题干"),
        "domain": ("类别", "维度"),
        "positive": ("肯定答案", "正向答案", "计为知晓的答案"),
        "negative": ("否定答案", "负向答案", "计为不知晓的答案"),
        "missing": ("无效答案", "缺失答案"),
        "correct": ("正确答案",),
        "options": ("选项",),
        "kind": ("题型",),
        # optional: the law an item asks about (effect.item_topics; else found in the text)
        "topic": ("所涉法律", "法律", "主题"),
    },
)

CADRES = TableSpec(
    name="cadres",
    label_zh="学法用法",
    columns={
        "person_id": "str",
        "department": "str",
        "year": "Int64",
        "position": "str",
        "is_leader": "boolean",
        "required_hours": "float64",
        "online_hours": "float64",
        "exam_taken": "boolean",
        "exam_score": "float64",
        "exam_passed": "boolean",
        "enforcement_cert": "boolean",
        **PROVENANCE,
    },
    required=("person_id", "department", "year"),
    key=("person_id", "year"),
    aliases={
        "person_id": ("人员编号", "工号", "编号"),
        "department": ("单位", "部门", "单位/部门", "所在单位", "工作单位"),
        "year": ("年度", "年份"),
        "position": ("职务",),
        "is_leader": ("是否领导干部",),
        "required_hours": ("必修学时", "应学学时"),
        "online_hours": ("学习时长", "学习时长（学时）", "学时", "学法积分", "在线学时"),
        "exam_taken": ("是否参考", "参加考试", "是否参加考试"),
        "exam_score": ("考试成绩", "成绩"),
        "exam_passed": ("是否合格", "考试是否合格"),
        "enforcement_cert": ("执法证号", "执法证件", "行政执法证", "执法证"),
    },
)

LEGAL_LITERATES = TableSpec(
    name="legal_literates",
    label_zh="法律明白人",
    columns={
        "person_id": "str",
        "village_id": "str",
        "village_name": "str",
        "villager_group": "str",
        "gender": "str",
        "group": "str",
        "trained_hours": "float64",
        "year": "Int64",
        **PROVENANCE,
    },
    required=("person_id", "village_id"),
    key=("person_id", "year"),
    aliases={
        "person_id": ("编号", "人员编号"),
        "village_name": ("所属村", "村（社区）", "村(社区)", "所属村/村民小组"),
        "villager_group": ("村民小组", "所属村民小组"),
        "gender": ("性别",),
        "group": ("身份类别", "类别", "身份"),
        "trained_hours": ("培训学时", "学时"),
        "year": ("年度", "培训年度"),
    },
)

ADVISER_VISITS = TableSpec(
    name="adviser_visits",
    label_zh="法律顾问服务台账",
    columns={
        "date": DATE,
        "village_id": "str",
        "village_name": "str",
        "adviser": "str",
        "service": "str",
        "consultations": "Int64",
        "lectures": "Int64",
        "mediations": "Int64",
        "opinions": "Int64",
        **PROVENANCE,
    },
    required=("date", "village_id"),
    aliases={
        "date": ("日期", "服务日期", "时间"),
        "village_name": ("村（社区）", "村(社区)", "村居", "服务村"),
        "adviser": ("法律顾问", "顾问"),
        "service": ("服务事项", "服务内容"),
        "consultations": ("咨询人次",),
        "lectures": ("讲座场次",),
        "mediations": ("调解件数",),
        "opinions": ("法律意见书件数", "法律意见书"),
    },
)

REJECTED = TableSpec(
    name="rejected",
    label_zh="未导入行",
    columns={
        "table": "str",
        "source_file": "str",
        "sheet": "str",
        "source_row": "Int64",
        "column": "str",
        "value": "str",
        "reason": "str",
    },
    required=("table", "source_file", "reason"),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        VILLAGES,
        EVENTS,
        EVENT_TOPICS,
        SITES,
        RESPONSES,
        CODEBOOK,
        CADRES,
        LEGAL_LITERATES,
        ADVISER_VISITS,
        REJECTED,
    )
}

#: Personal identifiers: headers whose columns never leave the reader (docs/data-contract.md).
PERSONAL_HEADERS: tuple[str, ...] = (
    "姓名",
    "名字",
    "联系人",
    "联系电话",
    "电话",
    "手机",
    "手机号",
    "手机号码",
    "身份证",
    "身份证号",
    "身份证号码",
    "证件号码",
    "家庭住址",
    "住址",
    "详细地址",
    "来自IP",
    "IP",
    "ip地址",
    "微信号",
    "QQ",
    "name",
    "phone",
    "微信昵称",
    "昵称",
    "openid",
    "phonenumber",
    "deviceid",
    "simserial",
    "subscriberid",
    "username",
    "SubmitterID",
    "SubmitterName",
)

# --------------------------------------------------------------------------------------------
# Header normalisation
# --------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_UNIT = re.compile(r"\(([^()]*)\)$")


def normalize_header(value: object) -> str:
    """Fold a header to a comparable form.

    Full-width characters become half-width (NFKC), all white space is removed, letters are
    lower-cased and a leading ``*`` (required-field marker) is dropped.

    Examples
    --------
    >>> normalize_header(" 参加人数（人次） ")
    '参加人数(人次)'
    >>> normalize_header("村（社区）")
    '村(社区)'
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACE.sub("", text).lower().lstrip("*")
    return text


def header_candidates(value: object) -> tuple[str, ...]:
    """A header's normalised form, and the same without a trailing unit in brackets.

    Examples
    --------
    >>> header_candidates("参加人数（人次）")
    ('参加人数(人次)', '参加人数')
    >>> header_candidates("日期")
    ('日期',)
    """
    text = normalize_header(value)
    stripped = _UNIT.sub("", text)
    return (text, stripped) if stripped and stripped != text else (text,)


def alias_map(table: str) -> dict[str, str]:
    """Normalised header → canonical column for one table.

    Examples
    --------
    >>> m = alias_map("events")
    >>> m["活动时间"], m["参与人数"], m["村(社区)"], m["牵头单位"]
    ('date', 'attendees', 'village_name', 'organizer')
    """
    spec = TABLES[table]
    out: dict[str, str] = {}
    for column in spec.columns:
        out.setdefault(normalize_header(column), column)
    for column, variants in spec.aliases.items():
        for variant in variants:
            out.setdefault(normalize_header(variant), column)
    return out


def match_header(value: object, table: str) -> str | None:
    """The canonical column a ledger header stands for, or None.

    Examples
    --------
    >>> match_header("受教育人数（人次）", "events")
    'attendees'
    >>> match_header("发放资料（份）", "events")
    'materials'
    >>> match_header("村（社区）", "events")
    'village_name'
    >>> match_header("照片", "events") is None
    True
    """
    mapping = alias_map(table)
    for cand in header_candidates(value):
        if cand in mapping:
            return mapping[cand]
    return None


def empty_frame(table: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``table``.

    Examples
    --------
    >>> empty_frame("rejected").dtypes.astype(str).to_dict()["source_row"]
    'Int64'
    """
    return _empty_template(table).copy()


@functools.cache
def _empty_template(table: str) -> pd.DataFrame:
    # built once per table: an empty frame of 15 typed columns costs about 25 ms to construct
    # (dtype parsing), its copy 0.3 ms; the reader asks for about 20 of them per file
    spec = TABLES[table]
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in spec.columns.items()})


# --------------------------------------------------------------------------------------------
# Vocabularies (docs/domain.md)
# --------------------------------------------------------------------------------------------

#: Canonical topic → English label.
TOPICS: dict[str, str] = {
    "宪法": "Constitution",
    "习近平法治思想": "Xi Jinping Thought on the Rule of Law",
    "民法典": "Civil Code",
    "婚姻家庭": "Marriage and family",
    "继承": "Inheritance",
    "债权债务": "Debts and private loans",
    "相邻关系": "Neighbour relations",
    "反电信网络诈骗": "Telecom and online fraud",
    "禁毒": "Drug control",
    "扫黑除恶": "Organised crime",
    "社会治安": "Public order and safety",
    "安全生产": "Work safety",
    "消防": "Fire safety",
    "道路交通": "Road traffic",
    "未成年人保护": "Protection of minors",
    "家庭教育": "Family education",
    "妇女权益": "Women's rights",
    "反家庭暴力": "Domestic violence",
    "老年人权益": "Rights of the elderly",
    "乡村振兴": "Rural revitalisation",
    "土地管理": "Land management",
    "劳动与欠薪": "Labour and unpaid wages",
    "法律援助": "Legal aid",
    "人民调解": "People's mediation",
    "国家安全": "National security",
    "网络安全": "Cyber-security",
    "生态环境": "Forests and environment",
    "消费者权益": "Consumer rights",
    "防范非法集资": "Illegal fund-raising",
    "其他": "Other",
}

#: Alias → canonical topic. Canonical names map to themselves via :func:`canonical_topic`.
TOPIC_ALIASES: dict[str, str] = {
    "反诈": "反电信网络诈骗",
    "反电诈": "反电信网络诈骗",
    "反电信诈骗": "反电信网络诈骗",
    "防诈骗": "反电信网络诈骗",
    "防电信诈骗": "反电信网络诈骗",
    "电信诈骗": "反电信网络诈骗",
    "反电信网络诈骗法": "反电信网络诈骗",
    "全民禁毒": "禁毒",
    "禁毒宣传": "禁毒",
    "毒品预防": "禁毒",
    "平安宣传": "社会治安",
    "平安建设": "社会治安",
    "平安创建": "社会治安",
    "《民法典》": "民法典",
    "民法典宣传": "民法典",
    "《宪法》": "宪法",
    "宪法宣传": "宪法",
    "国家宪法日": "宪法",
    "扫黑除恶专项斗争": "扫黑除恶",
    "反有组织犯罪法": "扫黑除恶",
    "婚姻家庭纠纷": "婚姻家庭",
    "民间借贷": "债权债务",
    "债权债务纠纷": "债权债务",
    "未成年人": "未成年人保护",
    "预防未成年人犯罪": "未成年人保护",
    "家庭教育促进法": "家庭教育",
    "反家暴": "反家庭暴力",
    "养老诈骗": "老年人权益",
    "乡村振兴促进法": "乡村振兴",
    "农村土地承包": "土地管理",
    "宅基地": "土地管理",
    "农民工欠薪": "劳动与欠薪",
    "根治欠薪": "劳动与欠薪",
    "法律援助法": "法律援助",
    "国家安全教育": "国家安全",
    "网络安全法": "网络安全",
    "环境保护": "生态环境",
    "森林防火": "生态环境",
    "消费者权益保护": "消费者权益",
    "非法集资": "防范非法集资",
    "交通安全": "道路交通",
    # wording of real ledgers (防范电信网络诈骗专题讲座, 劳动合同、根治欠薪, 预防家庭暴力)
    "电信网络诈骗": "反电信网络诈骗",
    "网络诈骗": "反电信网络诈骗",
    "继承法": "继承",
    "遗产继承": "继承",
    "继承纠纷": "继承",
    "家庭暴力": "反家庭暴力",
    "劳动合同": "劳动与欠薪",
    "劳动法": "劳动与欠薪",
    "劳动争议": "劳动与欠薪",
}

#: Topic words read only as a whole cell (or a whole part of one, between 、,;/), never inside
#: longer text, where they mostly mean something else: 继承优良家风 (carry on), 关爱未成年人成长
#: (an audience), 助力乡村振兴 (a slogan, not the 乡村振兴促进法), 其他. Every other canonical topic
#: and alias is also found inside free text (民法典进乡村宣讲 → 民法典); see :func:`split_topics`.
TOPIC_WHOLE_CELL_ONLY: frozenset[str] = frozenset({"其他", "继承", "未成年人", "乡村振兴"})

FORMS: dict[str, str] = {
    "讲座": "Lecture",
    "摆摊设点": "Street stall / advice desk",
    "律师下村": "Lawyer or adviser visit",
    "以案释法": "Case-based explanation",
    "文艺演出": "Performance",
    "入户走访": "Door-to-door visit",
    "宣传车": "Loudspeaker van / broadcast",
    "新媒体线上": "Online / new media",
    "知识竞赛": "Quiz",
    "送法进校园": "Law in schools / mock trial",
    "展板宣传栏": "Displays and corridors",
    "集中学法": "Group study / training",
    "志愿服务": "Volunteer service",
    "其他": "Other",
}

FORM_ALIASES: dict[str, str] = {
    "法律知识讲座": "讲座",
    "法治讲堂": "讲座",
    "专题讲座": "讲座",
    "普法讲座": "讲座",
    "咨询台": "摆摊设点",
    "现场咨询": "摆摊设点",
    "咨询解答": "摆摊设点",
    "一线问诊": "摆摊设点",
    '一线"问诊"': "摆摊设点",
    "一线“问诊”": "摆摊设点",
    "法律顾问下村": "律师下村",
    "律师进村": "律师下村",
    "每月一案例": "以案释法",
    "快板": "文艺演出",
    "山歌": "文艺演出",
    "木偶戏": "文艺演出",
    "上门走访": "入户走访",
    "小喇叭": "宣传车",
    "村广播": "宣传车",
    "微信群": "新媒体线上",
    "公众号": "新媒体线上",
    "短视频": "新媒体线上",
    "线上": "新媒体线上",
    "有奖问答": "知识竞赛",
    "模拟法庭": "送法进校园",
    "展板": "展板宣传栏",
    "宣传栏": "展板宣传栏",
    "法治长廊": "展板宣传栏",
    "宣传长廊": "展板宣传栏",
    "一条街": "展板宣传栏",
    "培训": "集中学法",
    "志愿者服务": "志愿服务",
}

AUDIENCES: dict[str, str] = {
    "全体村民": "All residents",
    "青少年": "Young people / students",
    "老年人": "Elderly people",
    "妇女": "Women",
    "留守儿童": "Left-behind children",
    "外出务工人员": "Migrant or returning workers",
    "村两委干部": "Village committee cadres",
    "法律明白人": "Legally literate persons",
    "企业个体户": "Businesses",
    "国家工作人员": "State employees",
}

AUDIENCE_ALIASES: dict[str, str] = {
    "村民": "全体村民",
    "群众": "全体村民",
    "居民": "全体村民",
    "学生": "青少年",
    "中小学生": "青少年",
    "未成年人": "青少年",
    "老人": "老年人",
    "妇女儿童": "妇女",
    "外出务工": "外出务工人员",
    "返乡人员": "外出务工人员",
    "外来务工者": "外出务工人员",
    "农民工": "外出务工人员",
    '村"两委"干部': "村两委干部",
    "村“两委”干部": "村两委干部",
    "村干部": "村两委干部",
    "企业": "企业个体户",
    "个体户": "企业个体户",
    "公职人员": "国家工作人员",
    # wording of real ledgers' 参加对象 (found inside free text too, see split_audiences):
    # 外出务工返乡人员, 返乡务工人员, 留守老人, 空巢老人, 老年群体, 在校学生, 妇女群众, 村（居）民
    "村(居)民": "全体村民",
    "村居民": "全体村民",
    "老年": "老年人",
    "长者": "老年人",
    "在校生": "青少年",
    "儿童": "青少年",
    "女性": "妇女",
    "务工人员": "外出务工人员",
    "返乡务工": "外出务工人员",
    "外来务工": "外出务工人员",
    "两委干部": "村两委干部",
    "村组干部": "村两委干部",
    "个体工商户": "企业个体户",
    "商户": "企业个体户",
}

#: Audience groups that say "everybody": inside longer text they count only when the text names
#: no particular group (妇女群众 → 妇女, not also 全体村民; 辖区群众 → 全体村民).
AUDIENCE_GENERAL: frozenset[str] = frozenset({"全体村民"})

#: The 10 priority groups of the 法律明白人 programme (规范(试行) 2021, docs/domain.md).
LEGAL_LITERATE_GROUPS: dict[str, str] = {
    "村干部": "Village cadres",
    "妇联执委": "Women's federation officers",
    "儿童主任": "Children's officers",
    "人民调解员": "People's mediators",
    "驻村辅警": "Auxiliary police",
    "网格员": "Grid workers",
    "村民小组长": "Villager group heads",
    "党员": "Party members",
    "五老": "Five kinds of retirees",
    "其他": "Others",
}

#: Values of a multiple-choice option item of a survey (one column per option).
SELECTED = "选中"
NOT_SELECTED = "未选中"

# --------------------------------------------------------------------------------------------
# Words for results: the one zh/en vocabulary of charts, the brief, the workbook and reasons
# --------------------------------------------------------------------------------------------

#: The rate of each survey domain (codebook ``domain``) → (Chinese, English), in docs/domain.md
#: wording (§1.7: 知晓率, 满意率, 支持度; the knowledge items' share of correct answers is
#: 知识正确率). Charts capitalise the English word for titles.
DOMAIN_LABELS: dict[str, tuple[str, str]] = {
    "awareness": ("知晓率", "awareness"),
    "support": ("支持度", "support"),
    "satisfaction": ("满意率", "satisfaction"),
    "knowledge": ("知识正确率", "knowledge (correct answers)"),
}

#: Coverage metrics (columns of :func:`pufa_metrics.village_coverage`) → (Chinese, English).
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "events_per_1000": ("每千人活动场次", "events per 1,000 residents"),
    "attendance_per_100": ("每百人参与人次", "attendance per 100 residents (person-times)"),
    "n_events": ("活动场次", "events"),
    "attendance": ("参与人次", "attendance (person-times)"),
    "n_topics": ("涉及主题数", "topics covered"),
    "days_since_last": ("距最近一次活动天数", "days since the last event"),
    "longest_gap_days": ("最长间隔天数", "longest gap (days)"),
}

_SPLIT_TOPICS = re.compile(r"[、,，;；/／|]+")
_QUOTES = str.maketrans("", "", "《》〈〉\"“”'‘’")


def _canonical(value: object, canon: dict[str, str], aliases: dict[str, str]) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = _SPACE.sub("", unicodedata.normalize("NFKC", str(value)))
    if not text:
        return None
    for cand in (text, text.translate(_QUOTES)):
        if cand in canon:
            return cand
        if cand in aliases:
            return aliases[cand]
    return text


def canonical_topic(value: object) -> str | None:
    """Map a topic as written to its canonical name; unknown topics are returned as written.

    Examples
    --------
    >>> [canonical_topic(t) for t in ["反诈", "防诈骗", "全民禁毒", "平安建设", "《民法典》"]]
    ['反电信网络诈骗', '反电信网络诈骗', '禁毒', '社会治安', '民法典']
    >>> canonical_topic("垃圾分类")
    '垃圾分类'
    """
    return _canonical(value, TOPICS, TOPIC_ALIASES)


def canonical_form(value: object) -> str | None:
    """Map a form of activity to its canonical name; unknown forms are returned as written.

    Examples
    --------
    >>> canonical_form("法律知识讲座"), canonical_form("律师进村")
    ('讲座', '律师下村')
    """
    return _canonical(value, FORMS, FORM_ALIASES)


def canonical_audience(value: object) -> str | None:
    """Map an audience group to its canonical name; unknown groups are returned as written.

    Examples
    --------
    >>> canonical_audience("学生"), canonical_audience("外来务工者")
    ('青少年', '外出务工人员')
    """
    return _canonical(value, AUDIENCES, AUDIENCE_ALIASES)


def _topic_key(text: str) -> str:
    """The form topic words are compared in: NFKC, white space and quotes removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).translate(_QUOTES)


@dataclass(frozen=True)
class Vocabulary:
    """Words of one vocabulary (topics or audiences) and how a ledger cell is read.

    The words are the canonical names, the built-in aliases and an analyst's own aliases.

    Build it with :func:`topic_vocabulary` or :func:`audience_vocabulary`; :meth:`split` reads
    one cell. Topics and audiences share this one rule (:func:`split_topics`,
    :func:`split_audiences`); only their words differ.
    """

    exact: dict[str, str]  # word (compared form) -> canonical name
    in_text: dict[str, str]  # the words also found inside longer text
    pattern: re.Pattern[str] | None  # the in-text words, longest first
    general: frozenset[str] = frozenset()  # found in text only when nothing more particular is

    def part_topics(self, part: str) -> list[str]:
        """Canonical names of one part of a cell (between 、,，;；/).

        The part itself if it is a word of the vocabulary, else every in-text word it contains
        (in order, leftmost-longest; a :attr:`general` name only when the part names nothing
        else), else the part as written (NFKC, no spaces).
        """
        text = _SPACE.sub("", unicodedata.normalize("NFKC", part))
        key = text.translate(_QUOTES)
        if not key:
            return []
        if key in self.exact:
            return [self.exact[key]]
        if self.pattern is not None:
            found = list(dict.fromkeys(self.in_text[m.group()]
                                       for m in self.pattern.finditer(key)))
            particular = [f for f in found if f not in self.general]
            if found:
                return particular or found
        return [text]

    #: The same as :meth:`part_topics`, named for any vocabulary.
    part_words = part_topics

    def split(self, value: object) -> list[str]:
        """Every name a cell gives (see :func:`split_topics`); duplicates dropped."""
        if value is None or (isinstance(value, float) and value != value):
            return []
        out: list[str] = []
        for part in _SPLIT_TOPICS.split(unicodedata.normalize("NFKC", str(value))):
            for topic in self.part_topics(part):
                if topic not in out:
                    out.append(topic)
        return out


#: The topic vocabulary's type (the shared :class:`Vocabulary`).
TopicVocabulary = Vocabulary


@dataclass(frozen=True)
class _VocabularySpec:
    """What differs between vocabularies: their words and how their messages name them."""

    canon: dict[str, str]
    aliases: dict[str, str]
    whole_cell_only: frozenset[str]
    general: frozenset[str]
    what: str  # "topic", "audience"
    error_zh: str


_VOCABULARY_SPECS: dict[str, _VocabularySpec] = {
    "topics": _VocabularySpec(TOPICS, TOPIC_ALIASES, TOPIC_WHOLE_CELL_ONLY, frozenset(),
                              "topic", "别名须对应 schema.TOPICS 中的宣传内容"),
    "audiences": _VocabularySpec(AUDIENCES, AUDIENCE_ALIASES, frozenset(), AUDIENCE_GENERAL,
                                 "audience", "别名须对应 schema.AUDIENCES 中的宣传对象"),
}


def _alias_items(
    aliases: Mapping[str, str] | None, what: str = "topic"
) -> tuple[tuple[str, str], ...]:
    if aliases is None:
        return ()
    if not isinstance(aliases, Mapping):
        raise TypeError(
            f"'aliases' should be a mapping alias → canonical {what}, got "
            f"{type(aliases).__name__}"
        )
    return tuple(sorted((str(k), str(v)) for k, v in aliases.items()))


@functools.lru_cache(maxsize=64)
def _vocabulary(extra: tuple[tuple[str, str], ...], kind: str = "topics") -> Vocabulary:
    spec = _VOCABULARY_SPECS[kind]
    exact = {_topic_key(k): v for k, v in spec.aliases.items()}
    in_text = {k: v for k, v in exact.items() if k not in spec.whole_cell_only}
    for alias, name in extra:  # an analyst's aliases: exact and in text, over the built-in
        if name not in spec.canon:
            raise ValueError(
                f"{spec.what} alias {alias!r} maps to {name!r}, which is not a canonical "
                f"{spec.what}; expected one of {list(spec.canon)}（{spec.error_zh}）"
            )
        key = _topic_key(alias)
        if key:
            exact[key] = in_text[key] = name
    for name in spec.canon:  # canonical names always mean themselves
        exact[name] = name
        if name not in spec.whole_cell_only:
            in_text[name] = name
    words = sorted(in_text, key=lambda w: (-len(w), w))
    pattern = re.compile("|".join(re.escape(w) for w in words)) if words else None
    return Vocabulary(exact, in_text, pattern, spec.general)


def topic_vocabulary(aliases: Mapping[str, str] | None = None) -> TopicVocabulary:
    """The topic words, with an analyst's ``aliases`` (pufa.toml ``[topics] aliases``) added.

    Examples
    --------
    >>> v = topic_vocabulary({"普法赶集": "其他"})
    >>> v.split("普法赶集、禁毒"), "继承" in v.in_text, "民法典" in v.in_text
    (['其他', '禁毒'], False, True)
    """
    return _vocabulary(_alias_items(aliases))


def split_topics(
    value: object,
    *,
    title: object = None,
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """Every topic a ledger cell names, as canonical names (the reader's rule, one cell).

    The cell is split on 、,，;；/ (as written in ledgers); a part that is a topic or an alias is
    that topic; any other part gives every topic word found inside it (民法典进乡村宣讲 →
    民法典; 扫黑除恶暨反诈宣传 → 扫黑除恶, 反电信网络诈骗), except the words of
    :data:`TOPIC_WHOLE_CELL_ONLY`; a part naming no topic is kept as written (NFKC, no spaces).
    When the cell names no known topic and ``title`` (the event's 活动名称) does, the title's
    topics are the event's. Duplicates are dropped, order is kept.

    :func:`pufa_metrics.io.read_ledger` gives every event exactly these topics (its
    ``event_topics``; ``events.topic`` is the first), with ``aliases`` from pufa.toml
    ``[topics] aliases``: pass the same ``aliases`` to get the same topics.

    Examples
    --------
    >>> split_topics("禁毒、反诈；《民法典》/禁毒")
    ['禁毒', '反电信网络诈骗', '民法典']
    >>> split_topics("扫黑除恶暨反诈宣传"), split_topics("宪法宣传周活动")
    (['扫黑除恶', '反电信网络诈骗'], ['宪法'])
    >>> split_topics("文明新风宣传"), split_topics("文明新风宣传", title="民法典进乡村")
    (['文明新风宣传'], ['民法典'])
    >>> split_topics("继承优良家风"), split_topics("继承")
    (['继承优良家风'], ['继承'])
    >>> split_topics(None)
    []
    """
    vocab = topic_vocabulary(aliases)
    topics = vocab.split(value)
    if title is not None and not any(t in TOPICS for t in topics):
        from_title = [t for t in vocab.split(title) if t in TOPICS]
        if from_title:
            return from_title
    return topics


def audience_vocabulary(aliases: Mapping[str, str] | None = None) -> Vocabulary:
    """The audience words, with an analyst's ``aliases`` (pufa.toml ``[audiences] aliases``).

    Examples
    --------
    >>> v = audience_vocabulary({"五老": "老年人"})
    >>> v.split("五老、妇女"), "群众" in v.in_text, sorted(v.general)
    (['老年人', '妇女'], True, ['全体村民'])
    """
    return _vocabulary(_alias_items(aliases, "audience"), "audiences")


def split_audiences(value: object, *, aliases: Mapping[str, str] | None = None) -> list[str]:
    """Every audience group a ledger cell names, as canonical names (the reader's rule).

    The rule of :func:`split_topics` with the audience words (:data:`AUDIENCES`,
    :data:`AUDIENCE_ALIASES` and ``aliases``): the cell is split on 、,，;；/; a part that is
    a group or an alias is that group; any other part gives every group word found inside it
    (外出务工返乡人员 → 外出务工人员, 留守老人 → 老年人, 在校学生 → 青少年); a word for everybody
    (群众, 村民, 居民 → 全体村民, :data:`AUDIENCE_GENERAL`) counts inside longer text only when
    the text names no particular group (妇女群众 → 妇女); a part naming no group is kept as
    written (NFKC, no spaces). Duplicates are dropped, order is kept.

    :func:`pufa_metrics.io.read_ledger` gives every event these groups, joined with 、 in
    ``events.audience``, with ``aliases`` from pufa.toml ``[audiences] aliases``.

    Examples
    --------
    >>> split_audiences("外出务工返乡人员"), split_audiences("留守老人")
    (['外出务工人员'], ['老年人'])
    >>> split_audiences("中小学生"), split_audiences("在校学生"), split_audiences("妇女群众")
    (['青少年'], ['青少年'], ['妇女'])
    >>> split_audiences("村民、留守老人及返乡务工人员")
    ['全体村民', '老年人', '外出务工人员']
    >>> split_audiences("辖区群众"), split_audiences("党员"), split_audiences(None)
    (['全体村民'], ['党员'], [])
    >>> split_audiences("党员", aliases={"党员": "村两委干部"})
    ['村两委干部']
    """
    return audience_vocabulary(aliases).split(value)


def is_known_topic(value: str) -> bool:
    """True when ``value`` is a canonical topic."""
    return value in TOPICS


def label(value: str, *, lang: str = "en") -> str:
    """English (or Chinese) label of a topic, form, audience or priority group.

    Examples
    --------
    >>> label("禁毒"), label("禁毒", lang="zh"), label("未知")
    ('Drug control', '禁毒', '未知')
    """
    if lang == "zh":
        return value
    for vocab in (TOPICS, FORMS, AUDIENCES, LEGAL_LITERATE_GROUPS):
        if value in vocab:
            return vocab[value]
    return value


def coerce(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``frame`` with the canonical columns of ``table`` in canonical dtypes.

    Missing canonical columns are added empty; extra columns (e.g. survey items) are kept after
    them. The input is not modified.

    Examples
    --------
    >>> out = coerce(pd.DataFrame({"table": ["events"], "source_file": ["a.xlsx"],
    ...                            "reason": ["x"]}), "rejected")
    >>> list(out.columns)
    ['table', 'source_file', 'sheet', 'source_row', 'column', 'value', 'reason']
    """
    spec = TABLES[table]
    out = pd.DataFrame(index=frame.index)
    for column, dtype in spec.columns.items():
        if column in frame.columns:
            series = frame[column]
            if dtype == DATE:
                series = pd.to_datetime(series, errors="coerce").astype(DATE)
            elif dtype == "object":
                series = series.astype("object")
            else:
                series = series.astype(dtype)
        else:
            series = pd.Series(
                pd.array([None] * len(frame), dtype=dtype if dtype != "bool" else "boolean"),
                index=frame.index,
            )
            if dtype == "bool":
                series = series.fillna(False).astype("bool")
        out[column] = series
    extra = [c for c in frame.columns if c not in spec.columns]
    for column in extra:
        out[column] = frame[column]
    return out
