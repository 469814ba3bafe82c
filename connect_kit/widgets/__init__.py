"""Request forms built from the spec, with standard ipywidgets only.

Imported on first use (``ck.composer()``), so ``import connect_kit`` does not load ipywidgets.
No secret ever goes into a widget: secret fields name an environment variable instead.
"""

from __future__ import annotations

from ._composer import Composer, composer
from ._panel import ComparePanel, compare_panel

__all__ = ["ComparePanel", "Composer", "compare_panel", "composer"]
