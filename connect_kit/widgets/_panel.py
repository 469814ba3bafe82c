"""The compare panel: the composer's form, sent to two environments, showing the Comparison."""

from __future__ import annotations

import ipywidgets as w

from ..client import kind_of
from ..data._compare import Comparison, compare
from ._composer import Composer, environment_options


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
        self.children = self._rows([w.HBox([self.env, self.other]), self.search], self.view)

    def _writes_to_prod(self) -> bool:
        """A write where either environment is of the production kind."""
        other = getattr(self, "other", None)
        envs = [self.env.value, *([other.value] if other is not None else [])]
        return self.op.mutating and any(kind_of(env) == "production" for env in envs)

    def _guard(self) -> None:
        """A state-changing operation writes in both environments: confirm it first."""
        risky = self.op.mutating
        self.confirm.description = "I mean it: this changes state in both environments"
        self.confirm.layout.display = None if risky else "none"
        self.send.disabled = risky and not self.confirm.value

    def submit(self) -> Comparison | None:  # type: ignore[override]
        """What the Compare button does; returns the Comparison (None after an error).

        It never raises: every failure becomes a message in the form.
        """
        return self._safely(self._send_comparison)

    def _send_comparison(self) -> Comparison | None:
        if self.env.value == self.other.value:
            self._fail("Pick two different environments.")
            return None
        params = self.params()
        if params is None:
            self._fail("Some fields need attention.")
            return None
        result = compare(
            self.op.name,
            (self.env.value, self.other.value),
            allow_writes=self.op.mutating and self.confirm.value,
            **params,
        )
        self.comparison = result
        self.view.value = self._scrub(result._repr_html_())  # redacted by the Comparison
        return result


def compare_panel(envs: tuple[str, str] = ("dev", "prod"), operation: str | None = None):
    """The composer's form against two environments, showing the Comparison."""
    return ComparePanel(envs, operation)
