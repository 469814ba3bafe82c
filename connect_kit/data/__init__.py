"""The data layer: DataFrames typed by the spec, differences, drift and comparisons.

It reads the spec and results; it knows no screen (its one rendering is a comparison's
notebook HTML) and sends nothing itself except through the sessions ``compare`` is given or
opens. Every module here is private; these are its names.
"""

from __future__ import annotations

from ._compare import Comparison, Side, compare, compare_results
from ._diff import MISSING, Difference, diff, matches
from ._frames import Dtypes, inferred_column, nested_frame, records, records_frame, to_frame

__all__ = [
    "MISSING",
    "Comparison",
    "Difference",
    "Dtypes",
    "Side",
    "compare",
    "compare_results",
    "diff",
    "inferred_column",
    "matches",
    "nested_frame",
    "records",
    "records_frame",
    "to_frame",
]
