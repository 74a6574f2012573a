"""pufa_metrics: how well legal-education (普法) work reaches every village, and where it doesn't.

Data first, options keyword-only, new frames returned, nothing mutated. See the README for the
workflow and the docs (``make docs``: the data contract, the indicator definitions) for every
table and definition.

Examples
--------
>>> import pufa_metrics as pm
>>> lo, hi = pm.proportion_ci(4, 20)
>>> round(float(lo), 4), round(float(hi), 4)
(0.0807, 0.416)
"""

import importlib
import importlib.util
import sys
import types
from importlib.metadata import PackageNotFoundError, version

# `import pufa_metrics` stays cheap: each public name is imported from its module on first use
# (PEP 562 ``__getattr__``), so a notebook kernel, `pufa --help` or a worker that needs the
# coverage functions does not pay for scipy.stats, statsmodels, dask or matplotlib. ``pm.name``,
# ``from pufa_metrics import name``, ``__all__`` and ``dir(pm)`` work as with eager imports.

#: Public name → the module (relative to the package) that defines it.
_FROM: dict[str, str] = {
    **dict.fromkeys(("NotAssessed", "not_assessed"), "assessed"),
    **dict.fromkeys(("find_blind_spots", "group_gaps"), "blindspots"),
    **dict.fromkeys(("brief", "headline_figures"), "brief"),
    "yearly_report": "word",
    "Settings": "config",
    **dict.fromkeys(("organizer_summary", "topic_matrix", "town_events", "unrecorded_fields",
                     "village_coverage"), "coverage"),
    "export_follow_up": "excel",
    **dict.fromkeys(("compare_periods", "latest_wave", "mark_worse", "newcombe_difference",
                     "survey_waves"),
                    "compare"),
    **dict.fromkeys(("effect_sentences", "exposure_answers", "exposure_effect", "item_topics"),
                    "effect"),
    **dict.fromkeys(("campaign_calendar", "campaign_share", "event_counts"), "frequency"),
    **dict.fromkeys(("Dataset", "LedgerError", "load_dataset", "read_codebook", "read_ledger",
                     "read_survey", "write_codebook"), "io"),
    "write_templates": "io.template",
    "suppress_small": "privacy",
    "run_report": "report",
    **dict.fromkeys(("SAMPLE_TRUTH", "make_sample", "write_sample"), "sample"),
    **dict.fromkeys(("TABLES", "canonical_topic", "split_audiences", "split_topics"), "schema"),
    **dict.fromkeys(("service_coverage", "service_window"), "services"),
    **dict.fromkeys(("spatial_clusters", "spatial_weights"), "spatial"),
    **dict.fromkeys(("LQASRule", "awareness_rates", "kish_effective_n", "lqas_classify",
                     "lqas_decision_rule", "pooled_rates", "proportion_ci", "rake_weights",
                     "shrink_rates", "unclassified_answers"), "survey"),
    **dict.fromkeys(("collective_study", "training_compliance"), "training"),
    **dict.fromkeys(("validation_report", "write_data_quality"), "validation"),
    **dict.fromkeys(("Analysis", "NotebookContext", "Period", "Summary", "analyse",
                     "find_town_name", "is_synthetic", "notebook_context", "open_dataset",
                     "readable_table", "resolve_period", "summary", "town_name",
                     "town_report_figures", "village_rates"), "workflow"),
}


def __getattr__(name: str):
    """Import a public name (or a submodule, ``pm.plots``) on first use and keep it."""
    if name in _FROM:
        value = getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package module; importing the submodule ``brief`` keeps ``pm.brief`` the function.

    Python binds an imported submodule on its package (``setattr(pufa_metrics, "brief",
    <module>)``); where a public name is also the name of its module, the name is bound instead.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if (isinstance(value, types.ModuleType) and name in _FROM
                and value.__name__ == f"{__name__}.{_FROM[name]}"):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
    "compare_periods",
    "latest_wave",
    "mark_worse",
    "newcombe_difference",
    "survey_waves",
    "distributed",
    "effect_sentences",
    "ingest",
    "national",
    "not_assessed",
    "event_counts",
    "export_follow_up",
    "exposure_answers",
    "exposure_effect",
    "find_blind_spots",
    "group_gaps",
    "headline_figures",
    "is_synthetic",
    "item_topics",
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
    "yearly_report",
    "write_templates",
    "NotebookContext",
    "Summary",
    "notebook_context",
    "readable_table",
    "summary",
]
