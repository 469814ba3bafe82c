"""Request forms built from the spec, with standard ipywidgets only.

Imported on first use (``ck.composer()``), so ``import connect_kit`` does not load ipywidgets.
No secret ever goes into a widget: secret fields name an environment variable instead.
"""

from __future__ import annotations

from .panel import ComparePanel, compare_panel
from .request_form import Composer, composer

__all__ = ["ComparePanel", "Composer", "compare_panel", "composer"]
