"""The village register and village-name matching (one copy, used by every reader).

A cell is matched to the register by id, by full name, by name without its 村/村委会/社区/居委会
suffix, after a leading town name (水寨镇七都村), or by the start of the name; cells that name
the town rather than a village, several villages, or an unknown or ambiguous name get a status
the readers turn into a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cells import SEPARATORS, norm_text, nospace

_VILLAGE_SUFFIX = re.compile(r"(?:村民委员会|村委会|居民委员会|居委会|委员会|社区|村)+$")

#: A leading town name in a village cell: 水寨镇七都村 → 七都村 (at least one character before
#: 镇/乡/街道 and one after, so 镇文化广场 stays as it is).
_TOWN_PREFIX = re.compile(r"^.+?(?:镇|乡|街道)(?=.)")

#: Words of a place cell that name the town, a town venue or every village rather than one
#: village: such an event is town-wide (village_id empty), never an unknown village. The rule
#: (data contract): the town itself (全镇, 镇区, 镇级, 圩镇, the town's name), its offices and
#: venues (镇政府, 镇文化站, 司法所, 派出所, 法庭, 学校, 广场, 公园, 集市/圩日), and cells naming
#: all villages (各村, 各村（社区）, 全镇各村, 各社区).
_TOWN_WORDS = ("全镇", "镇区", "镇政府", "镇级", "街道", "圩镇", "文化站", "镇文化", "司法所",
               "派出所", "法庭", "镇中心", "各村", "各社区", "各村居", "村（社区）", "村(社区)",
               "集市", "圩日", "中学", "小学", "学校", "幼儿园")

_TOWN_END = re.compile(r"(?:镇|乡|广场|公园|市场|车站|医院|卫生院)$")


def _strip_suffix(s: pd.Series) -> pd.Series:
    out = s.str.replace(_VILLAGE_SUFFIX.pattern, "", regex=True)
    return out.where(out != "")


@dataclass
class Register:
    """Lookups of a village register: by id, full name, name without suffix; town words."""

    ids: dict[str, str]
    names: dict[str, str]
    keys: dict[str, str]
    ambiguous: frozenset[str]
    name_of: dict[str, str]
    town_words: tuple[str, ...]
    prefix: re.Pattern | None


def check_villages(villages: object, argument: str = "villages") -> pd.DataFrame:
    """``villages`` itself when it is a register frame (village_id, village_name), else raise."""
    if not isinstance(villages, pd.DataFrame):
        raise TypeError(
            f"{argument!r} should be a pandas DataFrame (the village register), "
            f"got {type(villages).__name__}"
        )
    missing = [c for c in ("village_id", "village_name") if c not in villages.columns]
    if missing:
        raise ValueError(
            f"{argument!r} has no column {missing[0]!r}; expected the register's village_id and "
            f"village_name, got columns {list(villages.columns)}"
        )
    return villages


def build_register(villages: pd.DataFrame) -> Register:
    """The lookups of a register frame, built once per file read."""
    ids = villages["village_id"].astype("str")
    names = villages["village_name"].astype("str")
    nid = nospace(ids)
    nname = nospace(names)
    key = _strip_suffix(nname)
    counts = key.value_counts()
    ambiguous = frozenset(counts.index[counts > 1])
    ok = key.notna() & ~key.isin(ambiguous)
    towns: list[str] = []
    if "town" in villages.columns:
        for t in nospace(villages["town"].astype("str")).dropna().unique():
            towns.append(t)
            short = re.sub(r"(?:镇|乡|街道)$", "", t)
            if len(short) >= 2:
                towns.append(short)
    full = sorted(set(nname.dropna()), key=len, reverse=True)
    prefix = None
    if full and len(full) <= 5000:
        prefix = re.compile("^(" + "|".join(re.escape(n) for n in full) + ")")
    valid = nid.notna()
    return Register(
        ids=dict(zip(nid[valid], ids[valid], strict=True)),
        names=dict(zip(nname[nname.notna()], ids[nname.notna()], strict=True)),
        keys=dict(zip(key[ok], ids[ok], strict=True)),
        ambiguous=ambiguous,
        name_of=dict(zip(ids, names, strict=True)),
        town_words=tuple(_TOWN_WORDS) + tuple(towns),
        prefix=prefix,
    )


def match_villages(
    names: pd.Series | None, ids: pd.Series | None, reg: Register | None, index: pd.Index
) -> pd.DataFrame:
    """Match village cells to the register.

    Returns a frame (same index) with ``village_id``, ``village_name`` and ``status`` in
    {blank, matched, prefix, town, unknown, unknown_id, several, ambiguous, unmatched}
    (``unmatched``: no register given).
    """
    out = pd.DataFrame(
        {
            "village_id": pd.Series(np.nan, index=index, dtype="str"),
            "village_name": pd.Series(np.nan, index=index, dtype="str"),
            "status": pd.Series("blank", index=index, dtype="str"),
        }
    )
    nothing = pd.Series(np.nan, index=index, dtype="str")
    written = norm_text(names) if names is not None else nothing
    nn = nospace(names) if names is not None else nothing
    if ids is not None:
        nid = nospace(ids)
        if reg is None:
            out["village_id"] = nid
            out.loc[nid.notna(), "status"] = "matched"
        else:
            hit = nid.map(reg.ids)
            out["village_id"] = hit
            out.loc[hit.notna(), "status"] = "matched"
            out.loc[nid.notna() & hit.isna(), "status"] = "unknown_id"
    out["village_name"] = written
    todo = out["status"].eq("blank") & nn.notna()
    if reg is None:
        out.loc[todo, "status"] = "unmatched"
        return out
    sub = nn[todo]
    key = _strip_suffix(sub)
    hit = sub.map(reg.ids).fillna(sub.map(reg.names)).fillna(key.map(reg.keys))
    if hit.isna().any():  # 水寨镇七都村: the village after a leading town name
        free = sub[hit.isna()].str.replace(_TOWN_PREFIX.pattern, "", regex=True)
        hit = hit.fillna(free.map(reg.names)).fillna(_strip_suffix(free).map(reg.keys))
    found = hit[hit.notna()]
    out.loc[found.index, "village_id"] = found
    out.loc[found.index, "status"] = "matched"
    rest = sub[hit.isna()]
    amb = rest[_strip_suffix(rest).isin(reg.ambiguous)]
    out.loc[amb.index, "status"] = "ambiguous"
    rest = rest.drop(amb.index)
    if len(rest):
        parts = rest.str.split(SEPARATORS, regex=True).explode()
        parts = parts[parts.notna() & (parts != "")]
        pk = _strip_suffix(parts)
        pmatch = parts.map(reg.names).fillna(pk.map(reg.keys)).fillna(parts.map(reg.ids))
        n_parts = parts.groupby(level=0).size()
        n_hit = pmatch.notna().groupby(level=0).sum()
        several = n_parts.index[(n_parts >= 2) & (n_hit == n_parts)]
        out.loc[several, "status"] = "several"
        rest = rest.drop(several)
    if reg.prefix is not None and len(rest):
        pre = rest.str.extract(reg.prefix)[0]
        pid = pre.map(reg.names)
        pid = pid[pid.notna()]
        out.loc[pid.index, "village_id"] = pid
        out.loc[pid.index, "status"] = "prefix"
        rest = rest.drop(pid.index)
    if len(rest):
        town = pd.Series(False, index=rest.index)
        for word in reg.town_words:  # a handful of words
            town |= rest.str.contains(word, regex=False)
        town |= rest.str.contains(_TOWN_END, regex=True)
        out.loc[town.index[town], "status"] = "town"
        out.loc[town.index[~town], "status"] = "unknown"
    matched = out["status"].isin(["matched", "prefix"])
    out.loc[matched, "village_name"] = out.loc[matched, "village_id"].map(reg.name_of)
    return out


#: A place cell naming every village: 各村, 各社区, 各村（社区）, 全镇各村, 所有村居 …
ALL_VILLAGES = re.compile(
    r"^(?:全镇|全乡|全街道|本镇)?(?:各|所有|全部|全体)(?:行政村|自然村|村居|村|社区|居委会)"
    r"(?:[（(](?:社区|居|村居)[)）])?$"
)


def names_all_villages(place: pd.Series) -> pd.Series:
    """Whether each place cell names every village (各村, 全镇各村, 各村（社区）…), as booleans.

    Examples
    --------
    >>> cells = pd.Series(["各村（社区）", "全镇各村", "各社区", "大布村", "镇政府", None])
    >>> names_all_villages(cells).tolist()
    [True, True, True, False, False, False]
    """
    text = nospace(place)
    return text.str.match(ALL_VILLAGES).fillna(False).astype(bool)


def spread_all_villages(
    events: pd.DataFrame, event_topics: pd.DataFrame, villages: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Count each town-wide event whose place names every village once for every village.

    The ``pufa.toml`` option ``[events] all_villages = "every"``: an event held at 各村 or
    全镇各村 (``village_id`` empty, ``village_name`` naming all villages) becomes one event per
    village of the register, ``event_id`` ``<id>@<village_id>``, with the same topics. Every
    other event is kept as it is.

    Returns
    -------
    events, event_topics : pandas.DataFrame
        The new tables (inputs are not modified).
    spread : pandas.Series
        How many events of each source file were spread (index ``source_file``).

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["e1", "e2"], "village_id": [None, "V1"],
    ...                    "village_name": ["各村（社区）", "大布村"],
    ...                    "source_file": ["a.xlsx"] * 2})
    >>> et = pd.DataFrame({"event_id": ["e1", "e2"], "topic": ["禁毒", "宪法"]})
    >>> vil = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["大布村", "小布村"]})
    >>> e, t, n = spread_all_villages(ev, et, vil)
    >>> e[["event_id", "village_id", "village_name"]]
      event_id village_id village_name
    0       e2         V1          大布村
    1    e1@V1         V1          大布村
    2    e1@V2         V2          小布村
    >>> t["event_id"].tolist(), n.to_dict()
    (['e2', 'e1@V1', 'e1@V2'], {'a.xlsx': 1})
    """
    every = events["village_id"].isna() & names_all_villages(events["village_name"])
    spread = events.loc[every, "source_file"].value_counts(sort=False)
    if not every.any() or villages.empty:
        return events, event_topics, spread.iloc[0:0] if villages.empty else spread
    many = events[every].merge(
        villages[["village_id", "village_name"]], how="cross", suffixes=("_town", "")
    )
    new_ids = many["event_id"].astype("str") + "@" + many["village_id"].astype("str")
    pairs = pd.DataFrame({"event_id": many["event_id"].to_numpy(), "new": new_ids.to_numpy()})
    many = many.assign(event_id=new_ids.to_numpy()).drop(columns=["village_id_town",
                                                                   "village_name_town"])
    out = pd.concat([events[~every], many[list(events.columns)]], ignore_index=True)
    spread_topics = (event_topics.merge(pairs, on="event_id")
                     .drop(columns="event_id").rename(columns={"new": "event_id"}))
    topics = pd.concat([event_topics[~event_topics["event_id"].isin(pairs["event_id"])],
                        spread_topics[list(event_topics.columns)]], ignore_index=True)
    return out.astype(events.dtypes.to_dict()), topics.astype(event_topics.dtypes.to_dict()), spread
