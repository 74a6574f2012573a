"""The blind-spot rules (one object per reason) and the urgency tiers.

Every output that sorts villages into tiers — the follow-up workbook, the leader brief, the maps,
the notebooks and the county report — takes them from here, so a tier means the same everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TIERS", "URGENT_SCORE", "tier_of"]

#: Priority tiers: (minimum score, zh, en, fill colour). A score at or above the minimum is in
#: the tier (the last tier takes every score above 0).
TIERS: tuple[tuple[float, str, str, str], ...] = (
    (8.0, "紧急", "urgent", "F4A6A6"),
    (4.0, "较高", "high", "FCD5A5"),
    (0.0, "一般", "normal", "FFF2B3"),
)

#: A village with this score or more is urgent (重点关注村): the first tier.
URGENT_SCORE: float = TIERS[0][0]


def tier_of(score: pd.Series, *, lang: str = "zh") -> pd.Series:
    """The tier name of each score ("" for a score of 0 or missing: no reason, no tier).

    Parameters
    ----------
    score : pandas.Series
        Scores of :func:`~pufa_metrics.blindspots.find_blind_spots`.
    lang : {"zh", "en"}, default "zh"

    Returns
    -------
    pandas.Series
        Same index, string dtype.

    Examples
    --------
    >>> tier_of(pd.Series([9.0, 8.0, 5.5, 0.5, 0.0])).tolist()
    ['紧急', '紧急', '较高', '一般', '']
    >>> tier_of(pd.Series([4.0]), lang="en").tolist()
    ['high']
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"'lang' should be 'zh' or 'en', got {lang!r}")
    s = pd.to_numeric(pd.Series(score), errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    names = [zh if lang == "zh" else en for _low, zh, en, _c in TIERS]
    conditions = [s >= low if low > 0 else s > low for low, *_ in TIERS]
    return pd.Series(np.select(conditions, names, default=""), index=pd.Series(score).index,
                     dtype="str")
