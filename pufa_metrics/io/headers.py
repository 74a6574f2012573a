"""Finding and naming headers: which row is the header, and which canonical column each header is.

Headers are matched through the aliases of :mod:`pufa_metrics.schema` (full-width brackets,
units and spaces tolerated); the header row is the one among the first 30 that names most
canonical columns, flattened when it has a second (merged) line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from .. import privacy, schema

HEADER_SCAN_ROWS = 30

#: Header variants not (yet) in schema.py; see the report to the lead.
_EXTRA_ALIASES: dict[str, dict[str, str]] = {}

#: Headers of a plain sequence-number column (not data: a row holding only it is blank).
_SEQ_HEADERS = frozenset({"序号", "序", "no", "no.", "序列号"})

_DATA_LIKE = re.compile(r"^[\d\s.\-/:年月日]+$")


#: An analyst's headers (pufa.toml ``[columns]``, :meth:`Settings.header_aliases`):
#: (normalised header, canonical column) pairs, hashable so that matches stay cached.
HeaderAliases = tuple[tuple[str, str], ...]


def canonical_column(name: object, table: str, aliases: HeaderAliases = ()) -> str | None:
    """Canonical column for a header (schema aliases plus this module's extras).

    ``aliases`` (pufa.toml ``[columns]``) come first: an analyst may name a header the schema
    knows too (``title = ["活动主题"]`` fixes 活动主题 as the title).

    Examples
    --------
    >>> canonical_column("宣讲篇目", "events"), canonical_column("主要内容", "events")
    (None, 'topic')
    >>> canonical_column("宣讲篇目（篇）", "events", (("宣讲篇目", "topic"),))
    'topic'
    """
    if not isinstance(name, str) or not name.strip():
        return None
    return _match_cached(name, table, aliases)


@functools.lru_cache(maxsize=4096)
def _match_cached(name: str, table: str, aliases: HeaderAliases = ()) -> str | None:
    mapping = _alias_map(table, aliases)
    for cand in schema.header_candidates(name):
        if cand in mapping:
            return mapping[cand]
    return None


@functools.lru_cache(maxsize=64)
def _alias_map(table: str, aliases: HeaderAliases = ()) -> dict[str, str]:
    mapping = dict(_EXTRA_ALIASES.get(table, {}))
    mapping.update(schema.alias_map(table))  # schema's aliases win over the extras
    mapping.update(aliases)  # and the analyst's over both
    return mapping


@functools.lru_cache(maxsize=4096)
def is_personal(name: object) -> bool:
    """Whether a header names personal data (cached :func:`privacy.is_personal_header`)."""
    return privacy.is_personal_header(name)


def _is_seq(name: object) -> bool:
    return isinstance(name, str) and schema.normalize_header(name) in _SEQ_HEADERS


@dataclass
class Header:
    """A header found in a sheet: its row, depth, and flattened names per column."""

    row: int  # Excel row of the (first) header line
    depth: int  # 1 or 2 header lines
    names: list[str | None]  # flattened header text per column, as written
    parents: list[str | None]
    children: list[str | None]
    score: int
    aliases: HeaderAliases = ()  # pufa.toml [columns] headers used to find it (choose_columns)


def _cell(x: object) -> str | None:
    return x if isinstance(x, str) else None


def _numeric_columns(table: str) -> set[str]:
    return {c for c, d in schema.TABLES[table].columns.items() if d in ("Int64", "float64")}


def _score(
    names: list[str | None],
    table: str,
    parents: list[str | None] | None = None,
    children: list[str | None] | None = None,
    aliases: HeaderAliases = (),
) -> int:
    """Distinct canonical columns a header names (sub-columns of a count count once)."""
    numeric = _numeric_columns(table)
    cols = set()
    for j, name in enumerate(names):
        col = canonical_column(name, table, aliases)
        if col is None and parents is not None and children[j] is not None:
            parent = canonical_column(parents[j], table, aliases)
            col = parent if parent in numeric else None
        if col is not None:
            cols.add(col)
    return len(cols)


def _flatten(top: list[str | None], sub: list[str | None], table: str,
             aliases: HeaderAliases = ()):
    """Flatten a two-line header, or None when ``sub`` is not a sub-header line."""
    n = len(top)
    tf = list(top)
    for j in range(1, n):  # implicit spans (no merge information): parent spreads right
        if tf[j] is None and sub[j] is not None:
            tf[j] = tf[j - 1]
    diff = [j for j in range(n) if sub[j] is not None and sub[j] != tf[j]]
    if not diff:
        return None
    for j in diff:
        if _DATA_LIKE.match(sub[j]):
            return None
        p = tf[j]
        if p is None:
            continue
        spans = (j > 0 and tf[j - 1] == p) or (j + 1 < n and tf[j + 1] == p)
        if not spans:
            return None
    names, parents, children = [], [], []
    for j in range(n):
        p, c = tf[j], sub[j]
        if c is None or c == p:
            name, c = p, None
        elif p is None:
            name = c
        else:
            name = c if canonical_column(c, table, aliases) is not None else p + c
        names.append(name)
        parents.append(p)
        children.append(c)
    return names, parents, children


def find_header(grid: pd.DataFrame, table: str, *, aliases: HeaderAliases = ()
                ) -> Header | None:
    """The header of ``table`` among the first rows of a grid (None below two known columns).

    ``aliases``: an analyst's headers (pufa.toml ``[columns]``), known as well; the header found
    keeps them for :func:`choose_columns`.
    """
    best: Header | None = None
    rows = grid.index[:HEADER_SCAN_ROWS]
    values = grid.iloc[: len(rows) + 1].to_numpy(dtype=object)
    for pos, r in enumerate(rows):  # ≤ 30 rows
        top = [_cell(x) for x in values[pos]]
        s1 = _score(top, table, aliases=aliases)
        cands = [Header(int(r), 1, top, top, [None] * len(top), s1, aliases)]
        if pos + 1 < len(values):
            sub = [_cell(x) for x in values[pos + 1]]
            flat = _flatten(top, sub, table, aliases)
            if flat is not None:
                s2 = _score(flat[0], table, flat[1], flat[2], aliases)
                if s2 >= s1 and s2 > 0 and (s2 > _score(sub, table, aliases=aliases) or s1 >= 1):
                    cands.insert(0, Header(int(r), 2, flat[0], flat[1], flat[2], s2, aliases))
        for cand in cands:
            if best is None or cand.score > best.score:
                best = cand
    if best is None or best.score < 2:
        return None
    return best


#: A sub-column holding its parent's total (户籍人口 / 合计).
_TOTAL_CHILD = re.compile(r"^(?:合计|小计|总计|共计|计|总数|小计数|合计数)$")


def choose_columns(header: Header, table: str):
    """Map header columns to canonical columns.

    Returns (primary: canonical → [positions], groups: canonical → [positions] to be summed,
    personal positions, unused (position, name, reason) triples, seq position or None).

    Under a two-level header whose parent names a count (户籍人口 over 合计/男/女), the sub-column
    that is the total (合计, 小计, 总计, 计) is the column; the others are not used (adding them
    to it would count people twice). Sub-columns without a total are summed.
    """
    primary: dict[str, list[int]] = {}
    groups: dict[str, list[int]] = {}
    personal: list[int] = []
    unused: list[tuple[int, str, str]] = []
    seq = None
    numeric = _numeric_columns(table)
    for j, name in enumerate(header.names):  # loop over columns
        if name is None:
            continue
        child = header.children[j]
        if is_personal(name) or (child is not None and is_personal(child)):
            personal.append(j)
            continue
        if _is_seq(name):
            seq = j if seq is None else seq
            continue
        col = canonical_column(name, table, header.aliases)
        if col is None and header.depth == 2 and child is not None:
            parent_col = canonical_column(header.parents[j], table, header.aliases)
            if parent_col in numeric:
                groups.setdefault(parent_col, []).append(j)
                continue
        if col is None:
            unused.append((j, name, "unknown header 无法识别的表头"))
            continue
        primary.setdefault(col, []).append(j)
    for col in list(groups):
        if col in primary:  # a plain column wins over summed sub-columns
            unused += [(j, header.names[j], f"{col} taken from {header.names[primary[col][0]]} "
                        f"已用{header.names[primary[col][0]]}")
                       for j in groups.pop(col)]
            continue
        totals = [j for j in groups[col]
                  if _TOTAL_CHILD.match(schema.normalize_header(header.children[j]))]
        if totals:  # 户籍人口 / 合计 + 男 + 女: the total is the figure, the parts are not added
            positions = groups.pop(col)
            primary[col] = [totals[0]]
            unused += [(j, header.names[j], f"part of {header.parents[j]}: its total "
                        f"{header.children[totals[0]]} is used 为{header.parents[j]}的分项，"
                        f"已用其{header.children[totals[0]]}")
                       for j in positions if j != totals[0]]
    return primary, groups, personal, unused, seq
