"""Personal data: find it, remove it, and keep small groups out of published figures.

Ledgers and survey exports name real people. Everything that finds or removes personal data lives
here, so that the ledger reader (:mod:`pufa_metrics.io`), the survey reader
(:mod:`pufa_metrics.io.survey`) and :meth:`~pufa_metrics.io.Dataset.to_parquet` apply the same
rules:

- **Detectors** (vectorised, run once per distinct value): mainland mobile numbers
  (``1[3-9]`` + 9 digits, optionally after ``+86``; spaces or hyphens between digits allowed),
  18-digit resident ID numbers with a plausible birth date and a valid GB 11643-1999 check digit
  (ISO 7064 MOD 11-2), IPv4 addresses, GPS points written ``"lat lon [alt [acc]]"``, street
  addresses (``…路8号``, ``…街12号``, ``…村3组12号``, ``3栋2单元501室``) and names written after
  a label (``联系人李四``, ``姓名：张三``).
- **Personal headers**: a column whose header is one of ``schema.PERSONAL_HEADERS`` (姓名, 手机号,
  身份证号, 住址, IP …) never leaves a reader; survey questions that *ask for* personal data
  (您的联系电话, 姓名) are recognised by :func:`asks_for_personal_data`.
- **Salted hash**: :func:`salted_hash` replaces an identifier by the first 12 hex digits of
  ``sha256(salt + value)``; the salt comes from ``PUFA_SALT`` or ``pufa.toml`` ``[privacy] salt``.
- **Removal records**: every removal is written to the ``warnings`` table with a reason made by
  :func:`removal_reason` (file, column, kind and number of cells; never the value), which ends in a
  tag ``[pii:<kind>:<action>:<cells>]``; :func:`removal_summary` reads them back.
- **Small cells**: :func:`suppress_small` blanks every count and rate of a group with fewer than
  ``k`` respondents (``pufa.toml`` ``[privacy] suppress_below``, default 5), optionally with
  complementary suppression so a blanked cell cannot be recovered from a published total.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .config import Settings
from .schema import PERSONAL_HEADERS, normalize_header

__all__ = [
    "KINDS",
    "MASK",
    "PII_TAG",
    "asks_for_personal_data",
    "find_personal_data",
    "format_count",
    "is_personal_header",
    "mask_personal_data",
    "mask_text",
    "personal_masks",
    "removal_reason",
    "removal_summary",
    "salt_of",
    "salted_hash",
    "scrub",
    "suppress_small",
    "valid_id_numbers",
]

#: What replaces personal data inside a kept text cell.
MASK = "[已隐去]"

#: Kinds of personal data → (English, Chinese) labels. ``header``: a whole column dropped by its
#: header; ``fill_in``: text typed into a survey's "其他〖…〗" box.
KINDS: dict[str, tuple[str, str]] = {
    "id_number": ("ID number", "身份证号"),
    "mobile": ("mobile number", "手机号"),
    "ipv4": ("IP address", "IP地址"),
    "geopoint": ("GPS point", "GPS坐标"),
    "address": ("street address", "住址"),
    "name": ("name", "姓名"),
    "header": ("personal-data column", "个人信息列"),
    "fill_in": ("text typed in 其他", "“其他”填写内容"),
}
#: What was done → (English, Chinese).
ACTIONS: dict[str, tuple[str, str]] = {
    "dropped": ("dropped", "已删除"),
    "masked": ("masked", "已隐去"),
    "hashed": ("replaced by a salted hash", "已替换为加盐哈希"),
    "emptied": ("emptied", "已清空"),
}
#: The machine-readable tag at the end of a removal reason.
PII_TAG = re.compile(r"\[pii:(?P<kind>[a-z_0-9]+):(?P<action>[a-z]+):(?P<cells>\d+)\]$")

# --------------------------------------------------------------------------------------------
# Patterns (applied to NFKC text)
# --------------------------------------------------------------------------------------------

_SEP = r"[ \t\-]?"  # one space or hyphen allowed between digits: 138-0013-8000, 139 1234 5678
_MOBILE = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)")
_ID_CANDIDATE = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{16}}{_SEP}[\dXx](?!\d)")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.])")
_GEOPOINT = re.compile(r"^\s*-?\d{1,3}\.\d+\s+-?\d{1,3}\.\d+(?:\s+-?\d+(?:\.\d+)?){0,2}\s*$")
_HAN = r"[\u3400-\u9fff]"
_CN_NUM = r"(?:\d+|[一二三四五六七八九十百]+)"
_ADDRESS = re.compile(
    rf"{_HAN}{{1,8}}(?:路|街|大道|大街|巷|弄|胡同|里)\s*\d+(?:[-之]\d+)?\s*号"
    rf"(?:\s*\d+\s*(?:栋|幢|座|楼))?(?:\s*\d+\s*单元)?(?:\s*\d+\s*(?:室|房|号))?"
    rf"|{_HAN}{{1,8}}村\s*{_CN_NUM}\s*(?:组|队|社)\s*\d+\s*号"
    r"|(?<!\d)\d+\s*(?:栋|幢|座)\s*(?:\d+\s*单元\s*)?\d+\s*(?:室|房|号)"
)
_NAME_LABEL = r"(?:姓名|联系人|户主|(?:当事人|申请人|监护人)(?=\s*[:：]))"
_NAME = re.compile(rf"({_NAME_LABEL}\s*[:：]?\s*)({_HAN}{{2,4}})")
_NAME_ANY = re.compile(rf"{_NAME_LABEL}\s*[:：]?\s*{_HAN}{{2,4}}")
#: Cheap pre-filter (plain regex, no look-around, so pyarrow can run it on a whole column): a
#: value can hold personal data only if it has a long run of digits, a dotted quad, a digit
#: before 号/室/房, a decimal pair (GPS) or a name label.
_MAYBE = (r"[0-9][0-9 \t\-]{9,}[0-9Xx]|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
          r"|[0-9][ \t]*(?:号|室|房)|[0-9]\.[0-9]+[ \t]+-?[0-9]"
          r"|姓名|联系人|户主|当事人|申请人|监护人")
#: GB 11643-1999 weights 2^(17-i) mod 11 for the 17 body digits of an ID number.
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_DETECT_ORDER = ("id_number", "mobile", "ipv4", "geopoint", "address", "name")


def valid_id_numbers(candidates: pd.Series) -> np.ndarray:
    """Which 18-character candidates are resident ID numbers (GB 11643-1999).

    A candidate is 17 digits and a check character (a digit or ``X``); it is an ID number when its
    birth date (characters 7–14) is plausible (year 1800–2099, month 1–12, day 1–31) and its check
    character equals ``(12 − Σ dᵢ·2¹⁷⁻ⁱ mod 11) mod 11`` with 10 written ``X``.

    Parameters
    ----------
    candidates : pandas.Series
        Strings of exactly 18 characters (digits, then a digit or ``X``/``x``).

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> valid_id_numbers(pd.Series(["11010519491231002X", "110105194912310021"])).tolist()
    [True, False]
    """
    if not isinstance(candidates, pd.Series):
        raise TypeError(f"'candidates' should be a pandas Series, got {type(candidates).__name__}")
    if candidates.empty:
        return np.zeros(0, dtype=bool)
    text = candidates.astype("str").str.upper()
    ok = text.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(text), dtype=bool)
    if not ok.any():
        return out
    raw = "".join(text[ok].tolist()).encode("ascii")
    chars = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    digits = chars[:, :17].astype(np.int64) - 48
    check = (12 - (digits @ _ID_WEIGHTS) % 11) % 11
    expected = np.where(check == 10, ord("X"), check + 48)
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    plausible = (year >= 1800) & (year <= 2099) & (month >= 1) & (month <= 12)
    plausible &= (day >= 1) & (day <= 31)
    out[ok] = (chars[:, 17] == expected) & plausible
    return out


def _fold(values: pd.Series) -> pd.Series:
    """NFKC (full-width digits and letters to half-width)."""
    return values.astype("str").str.normalize("NFKC")


#: The pre-filter before folding: full-width digits and separators count too.
_D = "[0-9０-９]"
_MAYBE_WIDE = (
    rf"{_D}[0-9０-９ \t\-　－]{{9,}}[0-9０-９XxＸｘ]|{_D}{{1,3}}(?:[.．]{_D}{{1,3}}){{3}}"
    rf"|{_D}[ \t　]*(?:号|室|房)|{_D}[.．]{_D}+[ \t　]+[-－]?{_D}"
    r"|姓名|联系人|户主|当事人|申请人|监护人"
)


def _candidates(text: pd.Series) -> pd.Series:
    """The values (folded to half-width) that may hold personal data; the rest left out."""
    if text.empty:
        return text
    maybe = text.str.contains(_MAYBE_WIDE, regex=True).fillna(False).to_numpy(dtype=bool)
    folded = _fold(text[maybe])
    return folded[folded.str.contains(_MAYBE, regex=True).fillna(False).to_numpy(dtype=bool)]


def _id_spans(text: pd.Series) -> pd.DataFrame:
    """Valid ID numbers inside each text: one row per hit with ``start``/``end`` (same index)."""
    found = text.str.extractall(f"({_ID_CANDIDATE.pattern})")
    if found.empty:
        return pd.DataFrame({"row": [], "body": []})
    body = found[0].str.replace(r"[ \t\-]", "", regex=True)
    keep = valid_id_numbers(body)
    return pd.DataFrame({"row": found.index.get_level_values(0)[keep],
                         "body": found[0].to_numpy()[keep]})


def personal_masks(values: pd.Series) -> dict[str, pd.Series]:
    """Per kind of personal data, which values contain it.

    Parameters
    ----------
    values : pandas.Series
        Values of any dtype; missing values are never personal data.

    Returns
    -------
    dict of str to pandas.Series of bool
        Keys ``id_number``, ``mobile``, ``ipv4``, ``geopoint``, ``address``, ``name``; each mask
        has the index of ``values``.

    Examples
    --------
    >>> masks = personal_masks(pd.Series(["知道", "府前路8号", "联系人李四", None]))
    >>> masks["address"].tolist(), masks["name"].tolist()
    ([False, True, False, False], [False, False, True, False])
    """
    if not isinstance(values, pd.Series):
        raise TypeError(f"'values' should be a pandas Series, got {type(values).__name__}")
    positions = values.reset_index(drop=True)  # labels may repeat; work by position
    none = pd.Series(False, index=values.index)
    text = _candidates(positions.dropna().astype("str"))
    if text.empty:
        return {kind: none.copy() for kind in _DETECT_ORDER}
    ids = _id_spans(text)
    masks = {
        "id_number": pd.Series(text.index.isin(ids["row"]), index=text.index),
        "mobile": text.str.contains(_MOBILE),
        "ipv4": text.str.contains(_IPV4),
        "geopoint": text.str.contains(_GEOPOINT),
        "address": text.str.contains(_ADDRESS),
        "name": text.str.contains(_NAME_ANY),
    }
    return {
        kind: pd.Series(mask.reindex(positions.index, fill_value=False).to_numpy(dtype=bool),
                        index=values.index)
        for kind, mask in masks.items()
    }


def find_personal_data(series: pd.Series) -> str | None:
    """The kind of personal data found in any value of ``series``, or None.

    Values are folded to half-width first, and a space or hyphen between digits is allowed, so
    ``"138-0013-8000"`` counts. Checked in this order:

    - ``"id_number"``: an 18-digit resident ID number (GB 11643-1999) with a plausible birth date
      and a valid check digit (ISO 7064 MOD 11-2; ``X`` for 10);
    - ``"mobile"``: a mainland mobile number ``1[3-9]`` + 9 digits, optionally after ``+86``;
    - ``"ipv4"``: a dotted IPv4 address such as ``113.96.1.23``;
    - ``"geopoint"``: a GPS point written ``"lat lon [alt [accuracy]]"`` (ODK / Kobo geopoint);
    - ``"address"``: a street address (``府前路8号``, ``大岭村3组12号``, ``3栋2单元501室``);
    - ``"name"``: a name after a label (``联系人李四``, ``姓名：张三``).

    Parameters
    ----------
    series : pandas.Series
        Values of any dtype; missing values are ignored.

    Returns
    -------
    str or None

    Examples
    --------
    >>> find_personal_data(pd.Series(["知道", "电话 138-0013-8000"]))
    'mobile'
    >>> find_personal_data(pd.Series(["11010519491231002X"]))  # GB 11643-1999's example
    'id_number'
    >>> find_personal_data(pd.Series(["110105194912310021"])) is None  # wrong check digit
    True
    >>> find_personal_data(pd.Series(["113.96.1.23(广东-梅州)", None]))
    'ipv4'
    >>> find_personal_data(pd.Series(["18-29岁", "60岁及以上", "2025/11/03 10:21:33"])) is None
    True
    """
    if not isinstance(series, pd.Series):
        raise TypeError(f"'series' should be a pandas Series, got {type(series).__name__}")
    values = series.dropna().astype("str").drop_duplicates()  # answers repeat: scan each once
    masks = personal_masks(values)
    return next((kind for kind in _DETECT_ORDER if masks[kind].any()), None)


def _mask_one(text: str, kinds: frozenset[str]) -> tuple[str, dict[str, int]]:
    """Mask personal data inside one (NFKC) text; count the hits per kind."""
    counts: dict[str, int] = {}

    def sub(pattern: re.Pattern, kind: str, value: str, keep_label: bool = False) -> str:
        def repl(m: re.Match) -> str:
            counts[kind] = counts.get(kind, 0) + 1
            return m.group(1) + MASK if keep_label else MASK

        return pattern.sub(repl, value)

    if "id_number" in kinds:
        def id_repl(m: re.Match) -> str:
            body = re.sub(r"[ \t\-]", "", m.group(0))
            if valid_id_numbers(pd.Series([body]))[0]:
                counts["id_number"] = counts.get("id_number", 0) + 1
                return MASK
            return m.group(0)

        text = _ID_CANDIDATE.sub(id_repl, text)
    for kind, pattern in (("mobile", _MOBILE), ("ipv4", _IPV4), ("address", _ADDRESS)):
        if kind in kinds:
            text = sub(pattern, kind, text)
    if "geopoint" in kinds and _GEOPOINT.search(text):
        counts["geopoint"] = counts.get("geopoint", 0) + 1
        text = MASK
    if "name" in kinds:
        text = sub(_NAME, "name", text, keep_label=True)
    return text, counts


def mask_personal_data(
    values: pd.Series,
    *,
    kinds: Sequence[str] | None = None,
) -> tuple[pd.Series, dict[str, int]]:
    """Replace personal data inside text values by ``[已隐去]``; count the cells per kind.

    Values are folded to half-width (NFKC) where something is masked; other values are returned
    unchanged. The work is done once per distinct value, so a column of a million rows with a
    few hundred distinct texts costs a few hundred regex passes.

    Parameters
    ----------
    values : pandas.Series
        Text values (any dtype is turned into ``str``; missing stays missing).
    kinds : sequence of str, optional
        Which kinds to mask (default: all of ``id_number, mobile, ipv4, geopoint, address,
        name``).

    Returns
    -------
    masked : pandas.Series
        Same index; ``str`` dtype.
    cells : dict of str to int
        Kind → number of cells (rows) where that kind was masked; kinds not found are absent.

    Examples
    --------
    >>> out, cells = mask_personal_data(pd.Series(["联系人李四13800138000", "府前路8号", "宪法"]))
    >>> out.tolist()
    ['联系人[已隐去][已隐去]', '[已隐去]', '宪法']
    >>> dict(sorted(cells.items()))
    {'address': 1, 'mobile': 1, 'name': 1}
    """
    if not isinstance(values, pd.Series):
        raise TypeError(f"'values' should be a pandas Series, got {type(values).__name__}")
    wanted = frozenset(_DETECT_ORDER if kinds is None else kinds)
    unknown = wanted - set(_DETECT_ORDER)
    if unknown:
        raise ValueError(
            f"'kinds' should be among {list(_DETECT_ORDER)}, got {sorted(unknown)}"
        )
    text = values.astype("str")
    if text.isna().all():
        return text, {}
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    folded = _candidates(distinct)
    if folded.empty:
        return text, {}
    replaced = distinct.copy()
    hits: dict[str, np.ndarray] = {}
    for pos, value in zip(folded.index, folded, strict=True):  # distinct candidates only
        new, counts = _mask_one(value, wanted)
        if counts:
            replaced.iloc[pos] = new
            for kind in counts:
                hits.setdefault(kind, np.zeros(len(distinct), dtype=bool))[pos] = True
    if not hits:
        return text, {}
    valid = codes >= 0
    out = pd.Series(np.nan, index=text.index, dtype="str")
    out[valid] = replaced.to_numpy()[codes[valid]]
    cells = {}
    for kind in _DETECT_ORDER:
        if kind in hits:
            per_code = np.bincount(codes[valid], minlength=len(distinct))
            cells[kind] = int(per_code[hits[kind]].sum())
    return out, cells


def mask_text(text: object) -> str:
    """Mask personal data inside one message (for error texts shown to users).

    Examples
    --------
    >>> mask_text("cells seen: 姓名、张三、13800138000")
    'cells seen: 姓名、张三、[已隐去]'
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    folded = unicodedata.normalize("NFKC", text)
    if not re.search(_MAYBE, folded):
        return text
    masked, counts = _mask_one(folded, frozenset(_DETECT_ORDER))
    return masked if counts else text


def _is_text(series: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return True
    if series.dtype == object:
        return pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")
    return False


def scrub(
    frame: pd.DataFrame,
    *,
    ids: Sequence[Hashable] = (),
    skip: Sequence[Hashable] = (),
    salt: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove personal data from every text column of a frame.

    Text columns get :func:`mask_personal_data` (the personal part of a cell becomes
    ``[已隐去]``); identifier columns (``ids``) keep their other values but a value holding
    personal data is replaced by its :func:`salted_hash`, so that joins on the identifier still
    work. Columns in ``skip`` and columns that are not text (numbers, dates, tuples) are left
    alone. The input is not modified.

    Parameters
    ----------
    frame : pandas.DataFrame
    ids : sequence of column labels
        Identifier columns (hashed, not masked).
    skip : sequence of column labels
        Columns never touched (e.g. ``source_file``).
    salt : str, optional
        Salt of the hash (default :func:`salt_of` without settings: ``PUFA_SALT`` or built in).

    Returns
    -------
    frame : pandas.DataFrame
        The cleaned copy.
    removed : pandas.DataFrame
        ``[column, kind, action, cells]``: one row per column and kind of personal data found
        (``action`` ``masked`` or ``hashed``). Never a value.

    Examples
    --------
    >>> raw = pd.DataFrame({"event_id": ["E1", "13800138000"], "notes": ["府前路8号", "好"]})
    >>> clean, removed = scrub(raw, ids=["event_id"], salt="s")
    >>> clean["notes"].tolist(), clean["event_id"].str.len().tolist()
    (['[已隐去]', '好'], [2, 12])
    >>> removed.values.tolist()
    [['event_id', 'mobile', 'hashed', 1], ['notes', 'address', 'masked', 1]]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"'frame' should be a DataFrame, got {type(frame).__name__}")
    salt = salt_of() if salt is None else salt
    out = frame.copy()
    records: list[tuple[Any, str, str, int]] = []
    for column in frame.columns:  # loop over columns (a handful)
        if column in skip or not _is_text(frame[column]):
            continue
        series = frame[column]
        if column in ids:
            masks = personal_masks(series)
            hit = np.logical_or.reduce([m.to_numpy() for m in masks.values()])
            if hit.any():
                text = series.astype("str")
                values = text.to_numpy(dtype=object, na_value=None)
                values[hit] = salted_hash(text[hit], salt=salt).to_numpy(dtype=object)
                out[column] = pd.Series(values, index=text.index, dtype="str")
                records += [(column, kind, "hashed", int(masks[kind].sum()))
                            for kind in _DETECT_ORDER if masks[kind].any()]
            continue
        masked, cells = mask_personal_data(series)
        if cells:
            out[column] = masked
            records += [(column, kind, "masked", n) for kind, n in cells.items()]
    removed = pd.DataFrame(records, columns=["column", "kind", "action", "cells"])
    return out, removed.astype({"kind": "str", "action": "str", "cells": "int64"})


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------

#: Headers of personal-data columns (normalised): schema's list plus a few more spellings.
PERSONAL_EXACT: frozenset[str] = frozenset(normalize_header(h) for h in PERSONAL_HEADERS) | {
    "ip", "来自ip", "ip地址", "微信昵称", "昵称", "微信", "openid", "qq号", "邮箱", "email",
    "phonenumber", "simserial", "subscriberid", "deviceid", "imei", "username",
    "_submitted_by", "submitterid", "submittername", "_geolocation", "身份证号码", "公民身份号码",
    "户籍地址", "现住址", "居住地址", "家庭地址", "联系地址", "通讯地址", "联系方式", "手机号码",
    "电话号码", "固定电话", "座机", "email地址", "电子邮箱",
}
_PERSONAL_WORDS = re.compile(
    r"姓名|名字|联系人|联系电话|联系方式|电话号码|手机|电话|身份证|证件号|住址|地址|微信|qq|"
    r"邮箱|e-?mail|昵称|^ip$|ip地址|来自ip"
)
#: A question asking *for* personal data ("您的联系电话", "姓名"), as opposed to one that only
#: mentions a phone ("接到自称公检法的电话，应该怎么做？").
_PERSONAL_QUESTION = re.compile(
    r"联系电话|联系方式|电话号码|手机号|您的(?:电话|手机|姓名|名字|身份证|住址|地址|微信|qq|邮箱)"
    r"|姓名|名字|身份证|证件号|住址|详细地址|通讯地址|微信号|qq号|邮箱|e-?mail|^(?:电话|手机|地址)$"
)
GPS_PART = re.compile(r"(latitude|longitude|altitude|accuracy|precision)$")
#: Wording of an opinion or awareness question: "您是否知道12348热线电话" is not a phone field.
OPINION_WORDS = re.compile(r"是否|知道|了解|听说|知晓|满意|支持|通过|有没有|吗")
VILLAGE_WORDS = re.compile(
    r"(所在|居住|户籍|来自|属于|哪个)的?(村|社区|村居|村委会|居委会)"
    r"|^(村|社区|村居|村\(社区\)|村\(居\)|村/社区|村/居)$|^village(_?name)?$|^cun$"
)


def is_personal_header(name: object) -> bool:
    """Whether a ledger header names a personal-data column (exact list, units ignored).

    The list is ``schema.PERSONAL_HEADERS`` plus common spellings (身份证号码, 家庭地址,
    联系方式 …). Headers that only *contain* a word such as 地址 are not matched: in a
    ledger 活动地址 is the place of an event.

    Examples
    --------
    >>> is_personal_header("身份证号码"), is_personal_header("联系电话（手机）")
    (True, True)
    >>> is_personal_header("活动地址"), is_personal_header(None)
    (False, False)
    """
    if not isinstance(name, str):
        return False
    text = normalize_header(name)
    stripped = re.sub(r"\([^()]*\)$", "", text)
    return text in PERSONAL_EXACT or stripped in PERSONAL_EXACT


def asks_for_personal_data(text: object, *, question: bool = True) -> bool:
    """Whether a survey header asks for (or names) personal data.

    With ``question=True`` a header counts when it asks for a phone, name, ID number, address,
    WeChat or e-mail (您的联系电话, 姓名, 详细地址 …) unless it is worded as an opinion or awareness
    question (是否知道12348热线电话); with ``question=False`` any header mentioning such a word
    counts. A village question (您所在的村（社区）地址) never counts.

    Examples
    --------
    >>> asks_for_personal_data("11、您的联系电话（选填）：")
    True
    >>> asks_for_personal_data("接到自称公检法的电话，应该怎么做？")
    False
    >>> asks_for_personal_data("您是否知道12348公共法律服务热线电话？")
    False
    """
    if not isinstance(text, str):
        return False
    norm = normalize_header(text).rstrip(":：?？")
    if norm in PERSONAL_EXACT or GPS_PART.search(norm):
        return True
    if not (_PERSONAL_QUESTION if question else _PERSONAL_WORDS).search(norm):
        return False
    if question and OPINION_WORDS.search(norm):
        return False
    if "地址" in norm and VILLAGE_WORDS.search(norm):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Salted hash
# --------------------------------------------------------------------------------------------

_DEFAULT_SALT = "pufa-metrics"


def salt_of(settings: Settings | None = None) -> str:
    """The salt for hashing identifiers: ``PUFA_SALT``, else ``[privacy] salt``, else built in.

    The built-in salt is fine for the synthetic sample town, not for real data: anyone can
    recompute the hash of a name with it.

    Examples
    --------
    >>> import os
    >>> salt_of(Settings.from_dict({"privacy": {"salt": "s3cret"}})) == (
    ...     os.environ.get("PUFA_SALT") or "s3cret")
    True
    """
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings object, got {type(settings).__name__}")
    configured = settings.privacy.get("salt") if settings is not None else ""
    return os.environ.get("PUFA_SALT") or configured or _DEFAULT_SALT


def salted_hash(values: pd.Series, *, salt: str, length: int = 12) -> pd.Series:
    """Replace each value by the first ``length`` hex digits of ``sha256(salt + value)``.

    Missing values stay missing. Each distinct value is hashed once.

    Parameters
    ----------
    values : pandas.Series
        Identifiers (turned into ``str``).
    salt : str
        Keep it secret: with the salt, anyone can test whether a given name hashes to a value.
    length : int
        Hex digits kept (4–64).

    Returns
    -------
    pandas.Series
        ``str`` dtype, same index.

    Examples
    --------
    >>> import hashlib
    >>> out = salted_hash(pd.Series(["张三", None]), salt="s")
    >>> out.iloc[0] == hashlib.sha256("s张三".encode("utf-8")).hexdigest()[:12], out.isna().tolist()
    (True, [False, True])
    """
    if not isinstance(values, pd.Series):
        raise TypeError(f"'values' should be a pandas Series, got {type(values).__name__}")
    if not isinstance(salt, str):
        raise TypeError(f"'salt' should be text, got {type(salt).__name__}")
    if isinstance(length, bool) or not isinstance(length, int) or not 4 <= length <= 64:
        raise ValueError(f"'length' should be an integer from 4 to 64, got {length!r}")
    text = values.astype("str")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    digests = np.array(
        [hashlib.sha256((salt + str(u)).encode("utf-8")).hexdigest()[:length] for u in uniques],
        dtype=object,
    )  # one hash per distinct value
    out = pd.Series(np.nan, index=text.index, dtype="str")
    valid = codes >= 0
    if valid.any():
        out[valid] = digests[codes[valid]]
    return out


# --------------------------------------------------------------------------------------------
# Removal records
# --------------------------------------------------------------------------------------------


def removal_reason(kind: str, action: str, cells: int, *, why: str = "") -> str:
    """The ``reason`` text of a removal record (kind, what was done, how many cells; no value).

    The text ends in the tag ``[pii:<kind>:<action>:<cells>]`` that :func:`removal_summary`
    reads; ``why`` (optional) is inserted before it.

    Examples
    --------
    >>> removal_reason("mobile", "masked", 3)
    'personal data removed 已移除个人信息: mobile number 手机号,
     3 cells masked 已隐去 [pii:mobile:masked:3]'
    """
    if kind not in KINDS:
        raise ValueError(f"'kind' should be one of {list(KINDS)}, got {kind!r}")
    if action not in ACTIONS:
        raise ValueError(f"'action' should be one of {list(ACTIONS)}, got {action!r}")
    if isinstance(cells, bool) or not isinstance(cells, (int, np.integer)) or cells < 0:
        raise ValueError(f"'cells' should be a count (an integer ≥ 0), got {cells!r}")
    en, zh = KINDS[kind]
    act_en, act_zh = ACTIONS[action]
    unit = "cell" if cells == 1 else "cells"
    extra = f"; {why}" if why else ""
    return (
        f"personal data removed 已移除个人信息: {en} {zh}, {int(cells)} {unit} {act_en} {act_zh}"
        f"{extra} [pii:{kind}:{action}:{int(cells)}]"
    )


def removal_summary(warnings: pd.DataFrame) -> pd.DataFrame:
    """What personal data was removed, per file and column, from a ``warnings`` table.

    Parameters
    ----------
    warnings : pandas.DataFrame
        A warnings table (columns of ``schema.REJECTED``), e.g. ``Dataset.warnings``.

    Returns
    -------
    pandas.DataFrame
        ``[table, source_file, column, kind, action, cells, kind_zh, action_zh]``, one row per
        removal record, sorted by file and column; ``cells`` is ``int64``. Never a value.

    Examples
    --------
    >>> w = pd.DataFrame({"table": ["events"], "source_file": ["a.xlsx"], "column": ["备注"],
    ...                   "reason": [removal_reason("mobile", "masked", 2)]})
    >>> removal_summary(w)[["source_file", "column", "kind", "action", "cells"]].values.tolist()
    [['a.xlsx', '备注', 'mobile', 'masked', 2]]
    """
    if not isinstance(warnings, pd.DataFrame):
        raise TypeError(f"'warnings' should be a DataFrame, got {type(warnings).__name__}")
    missing = [c for c in ("source_file", "column", "reason") if c not in warnings.columns]
    if missing:
        raise ValueError(
            f"'warnings' has no column {missing[0]!r}; expected the columns of a warnings table, "
            f"got {list(warnings.columns)}"
        )
    tags = warnings["reason"].astype("str").str.extract(PII_TAG)
    hit = tags["kind"].notna()
    table = (warnings["table"] if "table" in warnings.columns
             else pd.Series(np.nan, index=warnings.index))
    out = pd.DataFrame({
        "table": table[hit].astype("str"),
        "source_file": warnings.loc[hit, "source_file"].astype("str"),
        "column": warnings.loc[hit, "column"].astype("str"),
        "kind": tags.loc[hit, "kind"].astype("str"),
        "action": tags.loc[hit, "action"].astype("str"),
        "cells": tags.loc[hit, "cells"].astype("int64"),
    })
    out["kind_zh"] = out["kind"].map({k: v[1] for k, v in KINDS.items()}).astype("str")
    out["action_zh"] = out["action"].map({k: v[1] for k, v in ACTIONS.items()}).astype("str")
    return out.sort_values(["source_file", "column"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Small-cell suppression
# --------------------------------------------------------------------------------------------


def _check_k(k: object, settings: Settings | None) -> int:
    if k is None:
        if settings is not None and not isinstance(settings, Settings):
            raise TypeError(
                f"'settings' should be a Settings object, got {type(settings).__name__}"
            )
        return (settings or Settings.load()).suppress_below
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"'k' should be an integer ≥ 1 (the smallest group shown), got {k!r}")
    return int(k)


def suppress_small(
    frame: pd.DataFrame,
    *,
    k: int | None = None,
    n: Hashable = "n",
    columns: Sequence[Hashable] | None = None,
    secondary_by: Hashable | Sequence[Hashable] | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Blank every published count and rate of a group with fewer than ``k`` respondents.

    A row whose ``n`` is below ``k`` (or unknown) is *suppressed*: its ``columns`` become missing
    (NaN / ``<NA>``) and ``suppressed`` is True. Show such a row as "<k" (see
    :func:`format_count`), never as a number.

    With ``secondary_by`` (complementary suppression), rows are grouped by those columns (for
    example ``"item"`` when the town total of each item is also published); in a group where
    exactly one row is suppressed, the unsuppressed row with the smallest ``n`` is suppressed too,
    so that the hidden row cannot be recovered as total minus the others.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per group, with a count of respondents in column ``n``.
    k : int, optional
        Smallest group shown; default ``pufa.toml`` ``[privacy] suppress_below`` (5).
    n : column label
        The column with the number of respondents.
    columns : sequence of column labels, optional
        Columns blanked in suppressed rows; default every numeric column, ``n`` included.
    secondary_by : column label or list, optional
        Groups for complementary suppression (see above).
    settings : Settings, optional
        Where ``k`` comes from when not given (default ``Settings.load()``).

    Returns
    -------
    pandas.DataFrame
        A copy with the ``columns`` blanked and a ``suppressed`` bool column added (replaced if
        present). The input is not modified.

    Examples
    --------
    >>> rates = pd.DataFrame({"village_id": ["A", "B", "C"], "n": [12, 3, 40],
    ...                       "rate": [0.75, 1.0, 0.9]})
    >>> out = suppress_small(rates, k=5)
    >>> out["rate"].tolist(), out["n"].tolist(), out["suppressed"].tolist()
    ([0.75, nan, 0.9], [12, <NA>, 40], [False, True, False])
    >>> suppress_small(rates, k=5, secondary_by=[])["suppressed"].tolist()
    [True, True, False]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"'frame' should be a DataFrame, got {type(frame).__name__}")
    k = _check_k(k, settings)
    if n not in frame.columns:
        raise ValueError(
            f"'frame' has no column {n!r} (the number of respondents); columns are "
            f"{list(frame.columns)}"
        )
    sizes = pd.to_numeric(frame[n], errors="coerce").astype("float64")
    if columns is None:
        columns = [c for c in frame.columns
                   if c != "suppressed" and (pd.api.types.is_numeric_dtype(frame[c])
                                             and not pd.api.types.is_bool_dtype(frame[c]))]
        if n not in columns:
            columns = [n, *columns]
    else:
        columns = list(columns)
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ValueError(
                f"'columns' names {absent}, which 'frame' does not have; columns are "
                f"{list(frame.columns)}"
            )
    small = ~(sizes >= k).to_numpy()  # NaN is small: an unknown group size is never published
    if secondary_by is not None:
        keys = [secondary_by] if isinstance(secondary_by, str) or not isinstance(
            secondary_by, Sequence) else list(secondary_by)
        absent = [c for c in keys if c not in frame.columns]
        if absent:
            raise ValueError(
                f"'secondary_by' names {absent}, which 'frame' does not have; columns are "
                f"{list(frame.columns)}"
            )
        group = (np.zeros(len(frame), dtype=np.int64) if not keys
                 else frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy())
        n_small = np.bincount(group, weights=small, minlength=group.max(initial=-1) + 1)
        lone = np.flatnonzero((n_small[group] == 1) & ~small)
        if len(lone):
            # per group, the unsuppressed row with the smallest n (first on ties)
            order = lone[np.lexsort((sizes.to_numpy()[lone], group[lone]))]
            first = np.r_[True, group[order][1:] != group[order][:-1]]
            small = small.copy()
            small[order[first]] = True
    out = frame.copy()
    hide = pd.Series(small, index=frame.index)
    for column in columns:  # a handful of columns
        series = out[column]
        if pd.api.types.is_bool_dtype(series):
            series = series.astype("boolean")
        elif series.dtype.kind in "iu":
            series = series.astype("Int64")
        out[column] = series.mask(hide)
    out["suppressed"] = small
    return out


def format_count(values: Any, *, k: int | None = None, settings: Settings | None = None
                 ) -> pd.Series:
    """Counts as text for publication: ``12`` → ``"12"``, ``3`` → ``"<5"``, missing → ``"<5"``.

    Examples
    --------
    >>> format_count(pd.Series([12, 3, None]), k=5).tolist()
    ['12', '<5', '<5']
    """
    k = _check_k(k, settings)
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    num = pd.to_numeric(series, errors="coerce").astype("float64")
    text = num.round().astype("Int64").astype("str")
    return text.where(num >= k, f"<{k}").astype("str")
