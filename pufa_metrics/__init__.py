"""pufa_metrics: how well legal-education (普法) work reaches every village, and where it doesn't.

Data first, options keyword-only, new frames returned, nothing mutated. See the README for the
workflow and DESIGN.md (the team's shared contract) for every table and definition.

Examples
--------
>>> import pufa_metrics as pm
>>> lo, hi = pm.proportion_ci(4, 20)
>>> round(float(lo), 4), round(float(hi), 4)
(0.0807, 0.416)
"""

from importlib.metadata import PackageNotFoundError, version

from . import distributed, ingest, national, plots, privacy
from .assessed import NotAssessed, not_assessed
from .blindspots import find_blind_spots, group_gaps
from .brief import brief, headline_figures
from .config import Settings
from .coverage import (
    organizer_summary,
    topic_matrix,
    town_events,
    unrecorded_fields,
    village_coverage,
)
from .excel import export_follow_up
from .frequency import campaign_calendar, campaign_share, event_counts
from .io import (
    Dataset,
    LedgerError,
    load_dataset,
    read_codebook,
    read_ledger,
    read_survey,
    write_codebook,
)
from .privacy import suppress_small
from .report import run_report
from .sample import SAMPLE_TRUTH, make_sample, write_sample
from .schema import TABLES, canonical_topic, split_audiences, split_topics
from .services import service_coverage, service_window
from .spatial import spatial_clusters, spatial_weights
from .survey import (
    LQASRule,
    awareness_rates,
    kish_effective_n,
    lqas_classify,
    lqas_decision_rule,
    pooled_rates,
    proportion_ci,
    rake_weights,
    shrink_rates,
    unclassified_answers,
)
from .training import collective_study, training_compliance
from .validation import validation_report, write_data_quality
from .workflow import (
    Analysis,
    NotebookContext,
    Period,
    Summary,
    analyse,
    find_town_name,
    is_synthetic,
    notebook_context,
    open_dataset,
    readable_table,
    resolve_period,
    summary,
    town_name,
    town_report_figures,
    village_rates,
)

try:
    __version__ = version("pufa_metrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Analysis",
    "Dataset",
    "LQASRule",
    "LedgerError",
    "NotAssessed",
    "Period",
    "SAMPLE_TRUTH",
    "Settings",
    "TABLES",
    "__version__",
    "analyse",
    "awareness_rates",
    "brief",
    "campaign_calendar",
    "campaign_share",
    "canonical_topic",
    "collective_study",
    "distributed",
    "ingest",
    "national",
    "not_assessed",
    "event_counts",
    "export_follow_up",
    "find_blind_spots",
    "group_gaps",
    "headline_figures",
    "is_synthetic",
    "kish_effective_n",
    "load_dataset",
    "lqas_classify",
    "lqas_decision_rule",
    "make_sample",
    "open_dataset",
    "organizer_summary",
    "plots",
    "pooled_rates",
    "privacy",
    "proportion_ci",
    "rake_weights",
    "service_coverage",
    "service_window",
    "read_codebook",
    "read_ledger",
    "read_survey",
    "resolve_period",
    "run_report",
    "shrink_rates",
    "spatial_clusters",
    "spatial_weights",
    "split_audiences",
    "split_topics",
    "suppress_small",
    "topic_matrix",
    "town_events",
    "town_name",
    "find_town_name",
    "validation_report",
    "town_report_figures",
    "training_compliance",
    "unrecorded_fields",
    "unclassified_answers",
    "village_coverage",
    "village_rates",
    "write_codebook",
    "write_data_quality",
    "write_sample",
    "NotebookContext",
    "Summary",
    "notebook_context",
    "readable_table",
    "summary",
]
