"""The compare panel: the composer's form, sent to two environments, showing the Comparison."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..compare import Comparison, compare
from ..errors import ConnectError, InvalidRequestError
from .composer import Composer, _describe, environment_options


class ComparePanel(Composer):
    """Two environments, one request, the differences."""

    def __init__(
        self, envs: tuple[str, str] = ("dev", "prod"), operation: str | None = None
    ) -> None:
        super().__init__(envs[0], operation)
        self.other = w.Dropdown(options=environment_options(), value=envs[1], description="against")
        self.other.observe(lambda change: self._guard(), names="value")
        self.send.description = "Compare"
        self.view = w.HTML()
        self.comparison: Comparison | None = None
        self.children = [
            w.HBox([self.env, self.other]),
            self.search,
            self.operation,
            self.about,
            self.form,
            self.confirm,
            self.send,
            self.message,
            self.view,
        ]

    def _writes_to_prod(self) -> bool:
        other = getattr(self, "other", None)
        envs = {self.env.value, other.value if other is not None else None}
        return self.op.mutating and "prod" in envs

    def _guard(self) -> None:
        """A state-changing operation writes in both environments: confirm it first."""
        risky = self.op.mutating
        self.confirm.description = "I mean it: this changes state in both environments"
        self.confirm.layout.display = None if risky else "none"
        self.send.disabled = risky and not self.confirm.value

    def submit(self) -> Any:
        """What the Compare button does; returns the Comparison (None after an error)."""
        self.message.value = ""
        if self.env.value == self.other.value:
            self._fail("Pick two different environments.")
            return None
        params = self.params()
        if params is None:
            self._fail("Some fields need attention.")
            return None
        try:
            result = compare(
                self.op.name,
                (self.env.value, self.other.value),
                allow_writes=self.op.mutating and self.confirm.value,
                **params,
            )
        except InvalidRequestError as error:
            self._field_errors(error)
            return None
        except ConnectError as error:
            self._fail(_describe(error))
            return None
        self.comparison = result
        self.view.value = result._repr_html_()
        return result


def compare_panel(envs: tuple[str, str] = ("dev", "prod"), operation: str | None = None):
    """The composer's form against two environments, showing the Comparison."""
    return ComparePanel(envs, operation)
