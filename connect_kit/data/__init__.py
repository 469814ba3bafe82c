"""The data layer: DataFrames typed by the spec, differences, drift and comparisons.

It reads the spec and results; it knows no screen (its renderings are notebook HTML: a
comparison's, a conformance report's) and sends nothing itself except through the sessions
``compare`` is given or opens. Every module here is private; these are its names.
"""

from __future__ import annotations

from ._compare import Comparison, Side, compare, compare_results
from ._conformance_html import ConformanceReport, conformance_report
from ._diff import MISSING, Difference, diff, matches
from ._frames import Dtypes, inferred_column, nested_frame, records, records_frame, to_frame
from ._parity import Parity, parity

__all__ = [
    "MISSING",
    "Comparison",
    "ConformanceReport",
    "Difference",
    "Dtypes",
    "Parity",
    "Side",
    "compare",
    "compare_results",
    "conformance_report",
    "diff",
    "inferred_column",
    "matches",
    "nested_frame",
    "parity",
    "records",
    "records_frame",
    "to_frame",
]
