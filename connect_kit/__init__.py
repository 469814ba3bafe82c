"""connect-kit: explore the Instacart Connect APIs from a notebook.

Names are loaded on first use, so ``import connect_kit`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> "module:attribute" (or "module" for a submodule)
_LAZY = {
    "operations": "connect_kit.spec:operations",
    "sandbox": "connect_kit.sandbox",
    "spec": "connect_kit.spec",
}

__all__ = ["__version__", "operations", "sandbox", "spec"]

if TYPE_CHECKING:
    from . import sandbox, spec
    from .spec import operations


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'connect_kit' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
