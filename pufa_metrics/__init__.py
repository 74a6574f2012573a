"""pufa_metrics: how well legal-education (普法) work reaches every village, and where it doesn't.

The public API is re-exported here; see DESIGN.md for the contract.
"""

from importlib.metadata import PackageNotFoundError, version

from .config import Settings
from .schema import TABLES, canonical_topic, split_topics

try:
    __version__ = version("pufa_metrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["Settings", "TABLES", "canonical_topic", "split_topics", "__version__"]
