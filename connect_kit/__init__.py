"""connect-kit: explore the Instacart Connect APIs from a notebook.

Names are loaded on first use, so ``import connect_kit`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> "module:attribute" (or "module" for a submodule)
_LAZY = {
    "ConnectSession": "connect_kit.session:ConnectSession",
    "Result": "connect_kit.result:Result",
    "RetryPolicy": "connect_kit.retry:RetryPolicy",
    "callbacks": "connect_kit.callbacks",
    "compare": "connect_kit.comparison:compare",
    "compare_panel": "connect_kit.widgets:compare_panel",
    "composer": "connect_kit.widgets:composer",
    "compare_results": "connect_kit.comparison:compare_results",
    "connect": "connect_kit.session:connect",
    "drive": "connect_kit.order_driver:drive",
    "errors": "connect_kit.errors",
    "operations": "connect_kit.spec:operations",
    "snippet": "connect_kit.snippets:snippet",
    "sandbox": "connect_kit.sandbox",
    "spec": "connect_kit.spec",
    "status": "connect_kit.reachability:status",
}

__all__ = [
    "ConnectSession",
    "Result",
    "RetryPolicy",
    "__version__",
    "callbacks",
    "compare",
    "compare_panel",
    "compare_results",
    "composer",
    "connect",
    "drive",
    "errors",
    "operations",
    "sandbox",
    "snippet",
    "spec",
    "status",
]

if TYPE_CHECKING:
    from . import callbacks, errors, sandbox, spec
    from .comparison import compare, compare_results
    from .order_driver import drive
    from .reachability import status
    from .result import Result
    from .retry import RetryPolicy
    from .session import ConnectSession, connect
    from .snippets import snippet
    from .spec import operations
    from .widgets import compare_panel, composer


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
