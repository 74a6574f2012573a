"""Ledgers in, :class:`Dataset` out: the readers of every file a 司法所 keeps.

The package reads files in one direction, each module using only the ones above it:

- :mod:`~pufa_metrics.io.problems` — :class:`LedgerError` and the ``rejected``/``warnings`` tables;
- :mod:`~pufa_metrics.io.cells` — dates, counts, yes/no cells, topics found in free text;
- :mod:`~pufa_metrics.io.workbook` — files → grids of text cells (.xlsx, .xls, CSV encodings);
- :mod:`~pufa_metrics.io.headers` — finding the header row and naming its columns;
- :mod:`~pufa_metrics.io.villages` — the register and village-name matching;
- :mod:`~pufa_metrics.io.ledger` — one ledger file → one canonical table (:func:`read_ledger`);
- :mod:`~pufa_metrics.io.survey` — 问卷星 / KoboToolbox / ODK exports and codebooks;
- :mod:`~pufa_metrics.io.dataset` — a folder → :class:`Dataset` (:func:`load_dataset`).

Nothing here computes a metric. The public names are re-exported by :mod:`pufa_metrics`.
"""

from .dataset import Dataset, load_dataset
from .ledger import LEDGER_TABLES, ReadResult, read_ledger
from .problems import LedgerError
from .survey import SurveyResult, read_codebook, read_survey, score_knowledge, write_codebook

__all__ = [
    "LEDGER_TABLES",
    "Dataset",
    "LedgerError",
    "ReadResult",
    "SurveyResult",
    "load_dataset",
    "read_codebook",
    "read_ledger",
    "read_survey",
    "score_knowledge",
    "write_codebook",
]
