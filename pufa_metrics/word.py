"""The yearly report draft a 司法所 edits in Word or WPS: ``汇报.docx`` (``yearly_report.docx``).

:func:`yearly_report` writes the town's 普法工作情况汇报 in the shape of the 2021 水寨镇 report
(docs/domain.md): a title with the town and the period, 一、基本情况 (the year's figures in that
report's words, the key-indicator table of the leader brief, four charts), 二、主要做法
(organizers, forms, topics, sites and services, from the ledgers), 三、存在问题 (the follow-up
list's reasons and the awareness verdicts, villages named), 四、下步工作 (the rules' suggested
actions, villages named) and a data-source note. Every figure comes from the library's own
results: :func:`~pufa_metrics.workflow.town_report_figures` (events, anti-drug/anti-fraud events,
sites, cadres), :func:`~pufa_metrics.brief.headline_figures` (coverage, awareness, tiers),
:func:`~pufa_metrics.frequency.event_counts` (forms, topics) and the follow-up list; nothing is
recomputed here.

The layout follows GB/T 9704-2012 (党政机关公文格式): A4, margins top 37 mm, bottom 35 mm,
left 28 mm, right 26 mm; title 方正小标宋简体 二号 (22 pt), headings 黑体 三号 (16 pt), body
仿宋_GB2312 三号 (16 pt) at 22 lines a page, tables 四号 (14 pt), page numbers "— 1 —" in
宋体 四号. The East-Asian font of every style is set (``w:eastAsia``) and the font table names a
fallback for each (``w:altName``: 黑体, 仿宋, 宋体), so Word and WPS substitute sensibly on a
machine without the 方正/GB2312 fonts. The file is written atomically.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import plots
from ._common import atomic_path as _atomic
from ._common import check_frame as _check_frame
from ._common import check_lang as _check_lang
from ._common import fmt_one as _fmt_one
from ._common import optional_date as _date
from ._common import pct as _pct
from ._common import resolve_settings as _settings
from .brief import headline_figures, headline_text
from .compare import headline_changes
from .config import Settings
from .frequency import event_counts
from .rules import RULES
from .schema import label
from .survey import awareness_verdict

__all__ = ["REPORT_FONTS", "REPORT_NAMES", "yearly_report"]

#: File name per language.
REPORT_NAMES: dict[str, str] = {"zh": "汇报.docx", "en": "yearly_report.docx"}

#: Fonts of a Chinese official document (GB/T 9704): role → (East-Asian font, its fallback
#: written as ``w:altName`` in the font table, Latin font, size in pt).
REPORT_FONTS: dict[str, tuple[str, str, str, float]] = {
    "title": ("方正小标宋简体", "黑体", "Times New Roman", 22.0),  # 二号
    "heading": ("黑体", "SimHei", "Times New Roman", 16.0),  # 三号
    "subheading": ("楷体_GB2312", "楷体", "Times New Roman", 16.0),  # 三号
    "body": ("仿宋_GB2312", "仿宋", "Times New Roman", 16.0),  # 三号
    "table": ("仿宋_GB2312", "仿宋", "Times New Roman", 14.0),  # 四号
    "page": ("宋体", "SimSun", "Times New Roman", 14.0),  # 四号, page numbers
}

_MARGINS_MM = {"top": 37.0, "bottom": 35.0, "left": 28.0, "right": 26.0}
_LINE_PT = 28.95  # 22 lines in the 225 mm text block (GB/T 9704 7.1)
_TEXT_WIDTH_MM = 210.0 - _MARGINS_MM["left"] - _MARGINS_MM["right"]  # 156 mm
_MAX_IMAGE_MM = 200.0  # a chart never takes more than a page
_NUMERALS = "一二三四五六七八九十"


def _zh_number(n: int) -> str:
    """1 → 一, 11 → 十一, 20 → 二十 (1–99).

    Examples
    --------
    >>> [_zh_number(n) for n in (1, 10, 11, 20, 34)]
    ['一', '十', '十一', '二十', '三十四']
    """
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _NUMERALS[tens - 1] + "十"
    return head + (_NUMERALS[ones - 1] if ones else "")


def _w(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _names(names: Sequence[str] | pd.Series, lang: str, limit: int = 12) -> str:
    """Village names joined (、), the rest as "等N个"."""
    names = [str(n) for n in names]
    shown = _w(lang, "、", ", ").join(names[:limit])
    if len(names) > limit:
        shown += _w(lang, f"等{len(names)}个", f" and {len(names) - limit} more")
    return shown


def _count_text(counts: pd.Series, lang: str, unit_zh: str = "场", limit: int = 8) -> str:
    """"讲座128场、摆摊设点104场" from a Series of counts (largest first)."""
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable").head(limit)
    if lang == "zh":
        return "、".join(f"{k}{v}{unit_zh}" for k, v in counts.items())
    return ", ".join(f"{label(str(k))} ({v})" for k, v in counts.items())


def _period_of(period: Any, settings: Settings) -> tuple[pd.Timestamp, pd.Timestamp, tuple]:
    """(start, end, notes) of a Period, a (start, end) pair or None (the settings' period)."""
    if period is None:
        start, end, notes = settings.start, settings.end, ()
    elif hasattr(period, "start") and hasattr(period, "end"):  # a workflow.Period
        start, end, notes = period.start, period.end, tuple(getattr(period, "notes", ()))
    elif isinstance(period, (tuple, list)) and len(period) == 2:
        start, end, notes = _date(period[0], "period[0]"), _date(period[1], "period[1]"), ()
    else:
        raise TypeError(f"period should be a Period or a (start, end) pair, got {period!r}")
    if start is None or end is None:
        raise ValueError("the report needs a period: pass period=(start, end) or set [period] in "
                         "pufa.toml（汇报需要统计期：请指定 period 或在 pufa.toml 中设置）")
    return pd.Timestamp(start), pd.Timestamp(end), notes


def _period_words(start: pd.Timestamp, end: pd.Timestamp, lang: str) -> tuple[str, str]:
    """(title words, sentence words): "2025年度" / "2025年1月1日至12月31日"."""
    whole_years = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    if lang == "en":
        span = f"{start:%d %B %Y} to {end:%d %B %Y}"
        if whole_years:
            return (str(start.year) if start.year == end.year
                    else f"{start.year}–{end.year}"), span
        return f"{start:%B %Y} to {end:%B %Y}", span
    sentence = f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
    if whole_years:
        return (f"{start.year}年度" if start.year == end.year
                else f"{start.year}—{end.year}年"), sentence
    return f"{start.year}年{start.month}月至{end.year}年{end.month}月", sentence


# --------------------------------------------------------------------------------------------
# The text: a list of blocks (kind, content) the writer lays out
# --------------------------------------------------------------------------------------------


def _figures_paragraph(h: pd.DataFrame, figures: pd.Series | None, *, town: str,
                       period_text: str, max_days: int, lang: str) -> list[str]:
    """基本情况 in the seed report's words, every number from ``figures`` and ``h``."""
    cov_n, cov_d = h.loc["covered", "numerator"], h.loc["covered", "denominator"]
    recent = h.loc["recent", "numerator"]
    out = []
    parts_zh = [f"{period_text}，{town or '全镇'}"]
    parts_en = [f"From {period_text}, {town or 'the town'}"]
    if figures is not None:
        total = int(figures["topic_events"]) + int(figures["other_events"])
        parts_zh.append(f"共开展普法活动{total}场（其中禁毒、反诈宣传{int(figures['topic_events'])}场），")
        parts_en.append(f" held {total} legal-education events ({int(figures['topic_events'])} "
                        "of them on drugs or telecom fraud),")
    parts_zh.append(f"覆盖全镇{cov_d:.0f}个村（社区）中的{cov_n:.0f}个")
    parts_en.append(f" reaching {cov_n:.0f} of its {cov_d:.0f} villages")
    if np.isfinite(recent):
        within = "近12个月" if max_days == 365 else f"近{max_days}天"
        parts_zh.append(f"，其中{recent:.0f}个{within}内开展过活动")
        parts_en.append(f"; {recent:.0f} had an event in the last {max_days} days")
    median = h.loc["events_per_1000", "value"]
    if np.isfinite(median):
        parts_zh.append(f"；各村每千名常住人口活动场次中位数为{_fmt_one(median, 2)}场")
        parts_en.append(f"; the median village had {_fmt_one(median, 2)} events per 1,000 "
                        "residents")
    out.append(_w(lang, "".join(parts_zh) + "。", "".join(parts_en) + "."))

    extra_zh, extra_en = [], []
    if figures is not None and int(figures["town_sites"]) + int(figures["village_sites"]) > 0:
        extra_zh.append(f"全镇建有镇级普法阵地{int(figures['town_sites'])}个、村级宣讲阵地"
                        f"{int(figures['village_sites'])}个")
        extra_en.append(f"The town has {int(figures['town_sites'])} town-level and "
                        f"{int(figures['village_sites'])} village-level publicity sites")
    if figures is not None and not pd.isna(figures["examined_cadres"]):
        extra_zh.append(f"{int(figures['examined_cadres'])}名干部参加学法考试，"
                        f"{int(figures['cert_holders'])}人持有行政执法证")
        extra_en.append(f"{int(figures['examined_cadres'])} cadres sat the law exam and "
                        f"{int(figures['cert_holders'])} hold an enforcement certificate")
    if extra_zh:
        out.append(_w(lang, "；".join(extra_zh) + "。", "; ".join(extra_en) + "."))

    rate, target = h.loc["awareness", "value"], h.loc["awareness", "target"]
    if np.isfinite(rate):
        low, high = h.loc["awareness", "ci_low"], h.loc["awareness", "ci_high"]
        met = None if pd.isna(h.loc["awareness", "met"]) else bool(h.loc["awareness", "met"])
        verdict_zh = ("已达到" if met is True else "低于" if met is False
                      else "尚不能确定是否达到")
        verdict_en = ("meets" if met is True else "is below" if met is False
                      else "cannot yet be said to meet")
        out.append(_w(
            lang,
            f"问卷调查显示，全镇群众法律知晓率为{_pct(rate)}（95%置信区间{_pct(low)}–{_pct(high)}，"
            f"按村整群估计），{verdict_zh}{_pct(target)}的目标。",
            f"The survey puts the town's awareness at {_pct(rate)} (95% CI {_pct(low)}–"
            f"{_pct(high)}, villages as clusters), which {verdict_en} the {_pct(target)} target.",
        ))
    return out


def _practice(organizers: pd.DataFrame | None, forms: pd.Series | None,
              topics: pd.Series | None, campaign: pd.DataFrame | None,
              services: pd.DataFrame | None, lang: str) -> list[tuple[str, str]]:
    """主要做法: (subheading, paragraph) pairs, each from one result."""
    items = []
    if organizers is not None and len(organizers) and "n_events" in organizers.columns:
        org = organizers[organizers["n_events"] > 0].sort_values("n_events", ascending=False,
                                                                  kind="stable")
        text = _count_text(org["n_events"], lang)
        lead = org.head(3)
        focus = "；".join(f"{name}侧重{'、'.join(t[:3])}" for name, t in lead["topics"].items()
                         if isinstance(t, tuple) and t) if "topics" in org.columns else ""
        focus_en = "; ".join(
            f"{name}: {', '.join(label(x) for x in t[:3])}"
            for name, t in lead["topics"].items() if isinstance(t, tuple) and t
        ) if "topics" in org.columns else ""
        items.append((
            _w(lang, "落实“谁执法谁普法”责任制，多部门协同开展普法。",
               "Each department publicises its own field (谁执法谁普法)."),
            _w(lang, f"{len(org)}个单位组织开展普法活动：{text}。"
               + (f"{focus}。" if focus else ""),
               f"{len(org)} departments held events: {text}." + (
                   f" Main topics — {focus_en}." if focus_en else "")),
        ))
    if forms is not None and forms.sum() > 0:
        items.append((
            _w(lang, "创新宣传形式，贴近群众需求。", "Varied forms, close to residents."),
            _w(lang, f"按活动形式统计：{_count_text(forms, lang)}。",
               f"Events by form: {_count_text(forms, lang)}."),
        ))
    if topics is not None and topics.sum() > 0:
        share = np.nan
        if campaign is not None and {"n_events", "n_in_campaign"} <= set(campaign.columns):
            total = campaign[["n_events", "n_in_campaign"]].sum()
            share = total["n_in_campaign"] / total["n_events"] if total["n_events"] else np.nan
        campaign_zh = (f"结合国家宪法日、民法典宣传月、国际禁毒日等节点集中宣传，{_pct(share)}"
                       "的活动在宣传日（周、月）期间开展。" if np.isfinite(share) else "")
        campaign_en = (f" {_pct(share)} of events fell in campaign days, weeks or months "
                       "(Constitution Day, Civil Code month, anti-drug day …)."
                       if np.isfinite(share) else "")
        items.append((
            _w(lang, "突出宣传重点，围绕群众关心的法律开展宣传。",
               "Focus on the laws that matter."),
            _w(lang, f"按宣传主题统计（一场活动可含多个主题）：{_count_text(topics, lang)}。"
                     + campaign_zh,
               f"Events by topic (an event may have several): {_count_text(topics, lang)}."
               + campaign_en),
        ))
    if services is not None and len(services):
        parts_zh, parts_en = [], []
        if "n_legal_literates" in services.columns:
            n_lit = int(pd.to_numeric(services["n_legal_literates"], errors="coerce").sum())
            met = services["literates_met"].astype("boolean") if "literates_met" in services \
                else pd.Series(dtype="boolean")
            parts_zh.append(f"培养“法律明白人”{n_lit}名，{int(met.sum())}个村（社区）达到每村3名以上")
            parts_en.append(f"{n_lit} legally literate persons (法律明白人) trained; "
                            f"{int(met.sum())} villages have at least 3")
        if "adviser_days" in services.columns:
            days = int(pd.to_numeric(services["adviser_days"], errors="coerce").sum())
            lectures = int(pd.to_numeric(services.get("lectures"), errors="coerce").sum()) \
                if "lectures" in services.columns else 0
            parts_zh.append(f"村（居）法律顾问近12个月到村服务{days}天、开展法治讲座{lectures}场")
            parts_en.append(f"village legal advisers served {days} days and gave {lectures} "
                            "lectures in the last 12 months")
        if parts_zh:
            items.append((
                _w(lang, "建强普法阵地和队伍。", "Sites and people."),
                _w(lang, "；".join(parts_zh) + "。", "; ".join(parts_en) + "."),
            ))
    return items


def _reason_villages(follow_up: pd.DataFrame) -> pd.Series:
    """Reason code → village names (priority order), codes in the order of RULES."""
    if "reasons" not in follow_up.columns or not len(follow_up):
        return pd.Series(dtype="object")
    rows = follow_up.sort_values("priority", kind="stable") if "priority" in follow_up \
        else follow_up
    codes = rows["reasons"].explode().dropna()
    pairs = pd.DataFrame({"code": codes.to_numpy(),
                          "name": rows.loc[codes.index, "village_name"].astype("str").to_numpy()})
    grouped = pairs.groupby("code", sort=False)["name"].agg(list)
    return grouped.reindex([r.code for r in RULES if r.code in grouped.index])


def _problems(h: pd.DataFrame, follow_up: pd.DataFrame, verdicts: pd.DataFrame | None,
              lang: str) -> list[tuple[str, str]]:
    items = []
    urgent = h.loc["blind_spots"] if "blind_spots" in h.index else None
    if urgent is not None and np.isfinite(urgent["value"]):
        tiers = [(h.loc[k, "label_zh"].removeprefix("重点关注村："),
                  h.loc[k, "label_en"].removeprefix("Villages to visit: "), h.loc[k, "value"],
                  h.loc[k, "villages"]) for k in h.index
                 if k == "blind_spots" or k.startswith("tier_")]
        text_zh = "；".join(f"{zh}{v:.0f}个" + (f"：{names}" if names else "")
                           for zh, _, v, names in tiers)
        text_en = "; ".join(f"{en}: {v:.0f}" + (f" ({names})" if names else "")
                            for _, en, v, names in tiers)
        items.append((
            _w(lang, "普法覆盖面还不够广，部分村（社区）存在普法盲区。",
               "Coverage is not yet wide enough: some villages are blind spots."),
            _w(lang, f"按盲区规则评估，列入重点关注名单的村（社区）：{text_zh}。",
               f"Villages on the follow-up list by tier — {text_en}."),
        ))
    by_reason = _reason_villages(follow_up)
    lines_zh = [f"{r.zh}{len(by_reason[r.code])}个（{_names(by_reason[r.code], 'zh')}）"
                for r in RULES if r.code in by_reason.index and r.code != "low_awareness"]
    lines_en = [f"{r.en.lower()}: {len(by_reason[r.code])} ({_names(by_reason[r.code], 'en')})"
                for r in RULES if r.code in by_reason.index and r.code != "low_awareness"]
    if lines_zh:
        items.append((
            _w(lang, "活动开展不够均衡，部分村（社区）存在短板。",
               "Work is uneven between villages."),
            _w(lang, "；".join(lines_zh) + "。", "; ".join(lines_en).capitalize() + "."),
        ))
    if verdicts is not None and len(verdicts):
        counts = verdicts[f"verdict_{lang}"].value_counts(sort=False)
        tally = _w(lang, "、", ", ").join(f"{k}{v}个" if lang == "zh" else f"{k} {v}"
                                         for k, v in counts.items())
        low = by_reason.get("low_awareness", [])
        low_zh = f"确定低于目标的村（社区）：{_names(low, 'zh')}。" if len(low) else ""
        low_en = f" Confidently below the target: {_names(low, 'en')}." if len(low) else ""
        items.append((
            _w(lang, "群众法律知晓率有待提高。", "Awareness needs to rise."),
            _w(lang, f"各村（社区）知晓率判定：{tally}。{low_zh}",
               f"Village verdicts: {tally}.{low_en}"),
        ))
    return items


def _next_steps(follow_up: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    by_reason = _reason_villages(follow_up)
    items = []
    for r in RULES:  # one item per reason on the list, in the rules' order
        if r.code in by_reason.index:
            names = by_reason[r.code]
            items.append((
                _w(lang, f"{r.action_zh}。", f"{r.action_en}."),
                _w(lang, f"针对{r.zh}，重点在{_names(names, 'zh')}落实。",
                   f"For {r.en.lower()}: {_names(names, 'en')}."),
            ))
    return items


# --------------------------------------------------------------------------------------------
# Writing the .docx
# --------------------------------------------------------------------------------------------


def _docx():  # python-docx is an optional dependency (the notebooks extra)
    try:
        import docx  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "writing the Word report needs python-docx: pip install 'pufa_metrics[notebooks]'"
            "（生成 Word 汇报需要 python-docx）"
        ) from exc
    return docx


def _set_fonts(font_parent: Any, role: str, *, bold: bool = False) -> None:
    """Latin and East-Asian font, size, colour of a style or a run (theme fonts removed)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    east, _alt, latin, size = REPORT_FONTS[role]
    font = font_parent.font
    font.name, font.size, font.bold = latin, Pt(size), bold
    font.color.rgb = RGBColor(0, 0, 0)
    rfonts = font_parent.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)


def _styles(doc: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    _set_fonts(normal, "body")
    pf = normal.paragraph_format
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(_LINE_PT)
    pf.space_before = pf.space_after = Pt(0)
    pf.first_line_indent = Pt(32)  # two characters of 三号
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    for name, role, align in (("Title", "title", WD_ALIGN_PARAGRAPH.CENTER),
                              ("Heading 1", "heading", None), ("Heading 2", "subheading", None)):
        style = doc.styles[name]
        _set_fonts(style, role)
        ppr = style.element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):  # the template's rule under the title
            ppr.remove(border)
        spf = style.paragraph_format
        spf.line_spacing_rule, spf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(
            _LINE_PT if role != "title" else 36)
        spf.space_before, spf.space_after = Pt(0), Pt(0)
        spf.first_line_indent = Pt(32) if role != "title" else Pt(0)
        spf.keep_with_next = True
        if align is not None:
            spf.alignment = align


def _page_setup(doc: Any, *, synthetic: bool, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(_MARGINS_MM["top"]), Mm(_MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(_MARGINS_MM["left"]), Mm(_MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(25)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    _set_fonts(footer.add_run("— "), "page")
    field = OxmlElement("w:fldSimple")  # the page number, updated by Word, WPS and LibreOffice
    field.set(qn("w:instr"), "PAGE")
    footer._p.append(field)
    number = footer.add_run("1")
    field.append(number._r)
    _set_fonts(number, "page")
    _set_fonts(footer.add_run(" —"), "page")
    if synthetic:
        head = section.header.paragraphs[0]
        head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = head.add_run(_w(lang, "示例数据（合成）", "Sample data (synthetic)"))
        _set_fonts(run, "table")
        run.font.color.rgb = RGBColor(0xD5, 0x5E, 0x00)


def _table(doc: Any, rows: pd.DataFrame, header: Sequence[str], widths_mm: Sequence[float]):
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Mm, Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    texts = [list(header), *rows.astype("str").to_numpy().tolist()]
    for _ in range(len(rows)):  # the headline rows: a handful
        table.add_row()
    for i, (row, values) in enumerate(zip(table.rows, texts, strict=True)):  # a handful
        for cell, text in zip(row.cells, values, strict=True):  # four cells
            para = cell.paragraphs[0]
            para.paragraph_format.first_line_indent = Pt(0)
            para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            para.paragraph_format.space_before = para.paragraph_format.space_after = Pt(2)
            _set_fonts(para.add_run(text), "table", bold=i == 0)
    for column, width in zip(table.columns, widths_mm, strict=True):
        for cell in column.cells:
            cell.width = Mm(width)
    return table


def _picture(doc: Any, png: Path, caption: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt
    from PIL import Image

    with Image.open(png) as im:
        w, h = im.size
    size = {"width": Mm(_TEXT_WIDTH_MM)}
    if _TEXT_WIDTH_MM * h / w > _MAX_IMAGE_MM:  # a tall chart: fit the page height
        size = {"height": Mm(_MAX_IMAGE_MM)}
    para = doc.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.paragraph_format.first_line_indent = Pt(0)
    para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    para.paragraph_format.keep_with_next = True
    para.add_run().add_picture(str(png), **size)
    cap = doc.add_paragraph()
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.first_line_indent = Pt(0)
    _set_fonts(cap.add_run(caption), "table")


def _font_table(data: bytes) -> bytes:
    """The .docx with every report font in its font table, each with its fallback (altName)."""
    from lxml import etree

    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    src = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(src.read("word/fontTable.xml"))
    known = {f.get(f"{{{ns}}}name") for f in root.findall(f"{{{ns}}}font")}
    for east, alt, _latin, _size in dict.fromkeys(REPORT_FONTS.values()):  # six fonts
        if east in known:
            continue
        known.add(east)
        font = etree.SubElement(root, f"{{{ns}}}font", {f"{{{ns}}}name": east})
        etree.SubElement(font, f"{{{ns}}}altName", {f"{{{ns}}}val": alt})
        etree.SubElement(font, f"{{{ns}}}charset", {f"{{{ns}}}val": "86"})  # GB2312
        family = "swiss" if east in ("黑体", "方正小标宋简体") else "modern" \
            if "仿宋" in east else "roman"
        etree.SubElement(font, f"{{{ns}}}family", {f"{{{ns}}}val": family})
        etree.SubElement(font, f"{{{ns}}}pitch", {f"{{{ns}}}val": "variable"})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # a dozen parts
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                  standalone=True) if info.filename == "word/fontTable.xml" \
                else src.read(info.filename)
            dst.writestr(info, body)
    return out.getvalue()


def yearly_report(
    path_dir: str | os.PathLike[str],
    *,
    coverage: pd.DataFrame,
    follow_up: pd.DataFrame,
    figures: pd.Series | None = None,
    rates: pd.DataFrame | None = None,
    pooled: pd.DataFrame | None = None,
    services: pd.DataFrame | None = None,
    organizers: pd.DataFrame | None = None,
    campaign: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    event_topics: pd.DataFrame | None = None,
    calendar: pd.DataFrame | None = None,
    settings: Settings | None = None,
    period: Any = None,
    town: str | None = None,
    survey_kind: str | None = None,
    synthetic: bool = False,
    comparison: pd.DataFrame | None = None,
    lang: str = "zh",
) -> Path:
    """Write the yearly report draft ``汇报.docx`` (``yearly_report.docx`` with ``lang="en"``).

    The 司法所's 普法工作情况汇报 as an editable Word file: title (town, period, 普法工作情况汇报),
    一、基本情况 (the figures paragraph, the key-indicator table of the brief and four charts:
    attendance by village, events per month, required topics, awareness by village),
    二、主要做法 (organizers, forms, topics and campaign days, sites and services),
    三、存在问题 (tiers of the follow-up list, its reasons with the villages named, the awareness
    verdicts), 四、下步工作 (each reason's suggested action, villages named) and a data-source
    note. A section whose input is missing is left out; synthetic data is marked at the top and
    in every page header. Fonts, sizes and margins are those of GB/T 9704 (:data:`REPORT_FONTS`).

    Parameters
    ----------
    path_dir : str or path-like
        Folder to write into (created when missing), usually ``reports/``.
    coverage : pandas.DataFrame
        ``village_coverage`` output (``village_name``, ``events_per_1000`` …).
    follow_up : pandas.DataFrame
        ``find_blind_spots`` output (``village_name``, ``priority``, ``score``, ``reasons``).
    figures : pandas.Series, optional
        :func:`~pufa_metrics.workflow.town_report_figures` over the same period: the events,
        anti-drug/anti-fraud events, sites and cadres of the figures paragraph.
    rates, pooled : pandas.DataFrame, optional
        Village rates (``Analysis.rates``) and, optionally, the area's pooled rate, as
        :func:`~pufa_metrics.brief.brief` takes them.
    services, organizers, campaign : pandas.DataFrame, optional
        ``Analysis.services``, ``Analysis.organizers`` and ``Analysis.campaign`` for 主要做法.
    events, event_topics, calendar : pandas.DataFrame, optional
        The event ledger (forms and topics counted by
        :func:`~pufa_metrics.frequency.event_counts`, the trend chart).
    settings : Settings, optional
        Targets; default ``pufa.toml``.
    period : Period or (start, end), optional
        The reporting period; default the settings' period.
    town : str, optional
        Default: ``coverage["town"]`` when it holds one value.
    survey_kind : str, optional
        Who ran the survey (named in the data-source note).
    synthetic : bool
        Mark the document as made from synthetic sample data.
    comparison : pandas.DataFrame, optional
        ``Analysis.comparison`` (:func:`~pufa_metrics.compare.compare_periods`): 基本情况 then
        says, per headline, how it changed since the year before and whether the change is
        clear (:func:`~pufa_metrics.compare.headline_changes`, the brief's sentences).
    lang : {"zh", "en"}

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, docx
    >>> cov = pd.DataFrame({"village_name": ["河尾村", "罗湖村"], "town": "水寨镇",
    ...                     "n_events": [3, 0], "covered": [True, False],
    ...                     "attendance_per_100": [12.0, 0.0], "events_per_1000": [1.5, 0.0],
    ...                     "days_since_last": [40.0, np.nan],
    ...                     "missing_topics": [(), ("宪法", "民法典", "反电信网络诈骗", "禁毒")]},
    ...                    index=pd.Index(["V1", "V2"], name="village_id"))
    >>> fu = pd.DataFrame({"village_name": ["罗湖村"], "priority": [1], "score": [9.0],
    ...                    "reasons": [("no_events",)]}, index=pd.Index(["V2"], name="village_id"))
    >>> path = yearly_report(tempfile.mkdtemp(), coverage=cov, follow_up=fu,
    ...                      period=("2025-01-01", "2025-12-31"), synthetic=True)
    >>> path.name, docx.Document(path).paragraphs[1].text
    ('汇报.docx', '水寨镇2025年度普法工作情况汇报')
    >>> [p.text for p in docx.Document(path).paragraphs if p.style.name == "Heading 1"]
    ['一、基本情况', '二、主要做法', '三、存在问题', '四、下步工作', '五、数据来源说明']
    """
    _check_lang(lang)
    _check_frame(coverage, "coverage", ("village_name", "events_per_1000"))
    _check_frame(follow_up, "follow_up", ("village_name",))
    if not isinstance(path_dir, (str, os.PathLike)):
        raise TypeError(f"path_dir should be a folder path, got {type(path_dir).__name__}")
    if figures is not None and not isinstance(figures, pd.Series):
        raise TypeError("figures should be town_report_figures(...) output (a Series), got "
                        f"{type(figures).__name__}")
    if town is not None and not isinstance(town, str):
        raise TypeError(f"town should be text or None, got {type(town).__name__}")
    docx = _docx()
    from docx.shared import RGBColor

    settings = _settings(settings)
    start, end, period_notes = _period_of(period, settings)
    if town is None and "town" in coverage.columns:
        towns = coverage["town"].dropna().unique()
        town = str(towns[0]) if len(towns) == 1 else None
    town = town or ""
    has_rates = rates is not None and len(rates) > 0
    h = headline_figures(coverage, follow_up=follow_up, rates=rates if has_rates else None,
                         settings=settings, pooled=pooled)
    shown = headline_text(h, lang=lang)
    max_days = int(settings.targets["max_days_without_event"])
    title_period, sentence_period = _period_words(start, end, lang)
    title = _w(lang, f"{town}{title_period}普法工作情况汇报",
               f"{town + ' ' if town else ''}legal-education work report, {title_period}")

    window = {"start": start, "end": end}
    forms = topics = None
    if events is not None and len(events):
        _check_frame(events, "events", ("date",))
        if "form" in events.columns and events["form"].notna().any():
            forms = event_counts(events, by="form", freq="YS", wide=True, **window).sum(axis=1)
        topics = event_counts(events, by="topic", freq="YS", wide=True,
                              event_topics=event_topics, **window).sum(axis=1)
    verdicts = None
    if has_rates:
        aware = rates[rates["domain"].eq("awareness")] if "domain" in rates.columns else rates
        if len(aware):
            verdicts = awareness_verdict(aware, settings=settings, pool_items=True)

    ledger = _w(lang, f"{town}司法所普法活动台账", f"{town} justice office event ledger".strip())
    cap_events = plots.source_caption(ledger, start=start, end=end, lang=lang)
    cap_survey = plots.source_caption(_w(lang, f"{town}问卷调查", f"{town} survey".strip()),
                                      start=start, end=end, lang=lang)
    common = {"lang": lang, "synthetic": synthetic}
    charts = [
        (_w(lang, "各村（社区）每百人参与人次", "Attendance per 100 residents by village"), True,
         lambda: plots.coverage_bar(
             coverage, settings=settings, caption=cap_events, **common)
         if "attendance_per_100" in coverage.columns else plots.coverage_bar(
             coverage, column="events_per_1000", settings=settings, caption=cap_events,
             **common)),
        (_w(lang, "每月普法活动场次", "Events per month"), events is not None and len(events) > 0,
         lambda: plots.trend(events, event_topics=event_topics, calendar=calendar, **window,
                             caption=cap_events, **common)),
        (_w(lang, "各村（社区）必讲主题覆盖情况", "Required topics by village"),
         "missing_topics" in coverage.columns,
         lambda: plots.topic_matrix(coverage, settings=settings, caption=cap_events, **common)),
        (_w(lang, "各村（社区）群众法律知晓率", "Awareness by village"), verdicts is not None,
         lambda: plots.awareness_dotplot(
             rates, settings=settings, names=coverage, survey_kind=survey_kind,
             caption=cap_survey, **({"domain": "awareness"} if "domain" in rates.columns
                                    else {}), **common)),
    ]

    doc = docx.Document()
    _styles(doc)
    _page_setup(doc, synthetic=synthetic, lang=lang)

    def para(text: str, style: str | None = None) -> None:
        doc.add_paragraph(text, style=style)

    def numbered(items: list[tuple[str, str]]) -> None:
        for i, (head, text) in enumerate(items):  # a handful of items
            p = doc.add_paragraph()
            lead = _w(lang, f"（{_zh_number(i + 1)}）{head}", f"({i + 1}) {head} ")
            _set_fonts(p.add_run(lead), "subheading")
            p.add_run(text)

    mark = doc.add_paragraph()
    if synthetic:
        run = mark.add_run(_w(lang, "示例数据（合成）", "Sample data (synthetic)"))
        _set_fonts(run, "body")
        run.font.color.rgb = RGBColor(0xD5, 0x5E, 0x00)
    doc.add_paragraph(title, style="Title")
    para("")
    headings = _w(lang, "一、基本情况|二、主要做法|三、存在问题|四、下步工作|五、数据来源说明",
                  "1. Overview|2. What was done|3. Problems|4. Next steps|5. Data sources"
                  ).split("|")

    doc.add_paragraph(headings[0], style="Heading 1")
    for text in _figures_paragraph(h, figures, town=town, period_text=sentence_period,
                                   max_days=max_days, lang=lang):
        para(text)
    if comparison is not None:  # the year before: one sentence per headline, as in the brief
        for sentence in headline_changes(comparison)[f"sentence_{lang}"]:
            para(sentence)
    para(_w(lang, "主要指标如下表。", "The key indicators:"))
    header = [_w(lang, "指标", "Indicator"), _w(lang, "数值", "Value"),
              _w(lang, "目标", "Target"), _w(lang, "判定", "Status")]
    _table(doc, shown[["label", "value", "target", "status"]], header, (46, 74, 18, 18))
    with tempfile.TemporaryDirectory() as tmp, plots.house_style():
        number = 0
        for name, present, draw in charts:  # four charts
            if not present:
                continue
            number += 1
            png = plots.save(draw(), Path(tmp) / f"chart{number}", formats=("png",), dpi=200)[0]
            _picture(doc, png, _w(lang, f"图{number}  {name}", f"Figure {number}. {name}"))

    doc.add_paragraph(headings[1], style="Heading 1")
    practice = _practice(organizers, forms, topics, campaign, services, lang)
    if practice:
        numbered(practice)
    else:
        para(_w(lang, "台账未记录活动的组织单位、形式和主题。",
                "The ledgers record no organizer, form or topic."))
    doc.add_paragraph(headings[2], style="Heading 1")
    problems = _problems(h, follow_up, verdicts, lang)
    if problems:
        numbered(problems)
    else:
        para(_w(lang, "按盲区规则评估，暂无需要重点关注的村（社区）。",
                "No village is on the follow-up list."))
    doc.add_paragraph(headings[3], style="Heading 1")
    steps = _next_steps(follow_up, lang)
    if steps:
        numbered(steps)
    else:
        para(_w(lang, "巩固现有普法工作成效，保持各村（社区）活动常态化。",
                "Keep up the present work in every village."))
    doc.add_paragraph(headings[4], style="Heading 1")
    sources = _w(lang, f"数据来源：{ledger}", f"Sources: {ledger}")
    if has_rates:
        sources += _w(lang, "、问卷调查（", "; the survey (") + plots.survey_kind_text(
            survey_kind, lang) + _w(lang, "）", ")")
    if figures is not None and not pd.isna(figures["examined_cadres"]):
        sources += _w(lang, "、学法用法台账", "; cadre law-study records")
    if services is not None:
        sources += _w(lang, "、法律明白人名册、村法律顾问服务台账、普法阵地台账",
                      "; roster of legally literate persons, adviser log, site register")
    para(sources + _w(lang, f"；统计期间：{sentence_period}。", f". Period: {sentence_period}."))
    para(_w(lang, "本稿由 pufa_metrics 根据台账自动生成，数字与台账、简报和重点关注名单一致；"
                  "知晓率区间按村整群估计，样本不足5份的数字不单独列出。文字请核实修改后使用。",
            "Drafted by pufa_metrics from the ledgers; the figures are those of the brief and "
            "the follow-up list. Awareness intervals treat villages as clusters; counts under 5 "
            "are not shown on their own. Check and edit the text before use."))
    for zh, en in period_notes:
        para(_w(lang, zh, en))
    if synthetic:
        para(_w(lang, "示例数据（合成）：本稿由合成的示例数据生成，不反映任何真实村镇。",
                "Sample data (synthetic): this draft is made from synthetic data and describes "
                "no real place."))
    doc.core_properties.title = title
    doc.core_properties.author = "pufa_metrics"
    doc.core_properties.language = _w(lang, "zh-CN", "en")

    buffer = io.BytesIO()
    doc.save(buffer)
    out_dir = Path(path_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAMES[lang]
    with _atomic(path) as tmp_path:
        tmp_path.write_bytes(_font_table(buffer.getvalue()))
    return path
