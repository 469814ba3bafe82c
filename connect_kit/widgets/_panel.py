"""The compare panel: the composer's form, sent to two environments, showing the Comparison."""

from __future__ import annotations

import ipywidgets as w

from ..client import kind_of
from ..data._compare import Comparison, compare
from ._choices import check_choice, environment_options
from ._composer import HEAD, Composer


class ComparePanel(Composer):
    """Two environments, one request, the differences."""

    def __init__(
        self, envs: tuple[str, str] = ("dev", "prod"), operation: str | None = None
    ) -> None:
        super().__init__(envs[0], operation)
        check_choice(envs[1], None, environment_options())
        self.other = w.Dropdown(
            options=environment_options(), value=envs[1], description="against", style=HEAD
        )
        self.other.observe(lambda change: self._switched(), names="value")
        self.send.description = "Compare"
        self.view = w.HTML()
        self.comparison: Comparison | None = None
        head = [w.HBox([self.env, self.other]), self.unusable, self.search]
        self.children = self._rows(head, self.view)

    def _writes_to_prod(self) -> bool:
        """A write where either environment is of the production kind."""
        other = getattr(self, "other", None)
        envs = [self.env.value, *([other.value] if other is not None else [])]
        return self.op.mutating and any(kind_of(env) == "production" for env in envs)

    def _switched(self) -> None:
        """Another operation or environment: the comparison shown belongs to neither."""
        view = getattr(self, "view", None)
        if view is not None:
            view.value = ""
        super()._switched()

    def _guard(self) -> None:
        """A state-changing operation writes in both environments: confirm it first."""
        risky = self.op.mutating
        self.confirm.description = "I mean it: this changes state in both environments"
        self.confirm.layout.display = None if risky else "none"
        self.send.disabled = risky and not self.confirm.value

    def submit(self) -> Comparison | None:  # type: ignore[override]
        """What the Compare button does; returns the Comparison (None after an error).

        It never raises: every failure becomes a message in the form. A ticked
        confirmation covers this Compare only.
        """
        try:
            return self._safely(self._send_comparison)
        finally:
            if self.confirm.value:  # a confirmation covers one Compare
                self.confirm.value = False

    def _send_comparison(self) -> Comparison | None:
        if self.env.value == self.other.value:
            self._fail("Pick two different environments.")
            return None
        params = self.params()
        if params is None:
            self._fail("Some fields need attention.")
            return None
        user = self.as_user.value.strip() if self.op.user_token else ""
        if self.op.user_token and not user:
            self._fail(f"{self.op.name} speaks for one user: fill in 'as user'.")
            return None
        self.memory.carry(self.values())
        result = compare(
            self.op.name,
            (self.env.value, self.other.value),
            allow_writes=self.op.mutating and self.confirm.value,
            as_user=user or None,
            **params,
        )
        self.comparison = result
        self.view.value = self._scrub(result._repr_html_())  # redacted by the Comparison
        return result


def compare_panel(
    envs: tuple[str, str] = ("dev", "prod"), operation: str | None = None
) -> ComparePanel:
    """The composer's form against two environments, showing the Comparison.

    Raises:
        UnknownOperationError: ``operation`` is not in the spec (the closest names are given).
        ConfigurationError: an environment this form cannot send to (and why).
    """
    return ComparePanel(envs, operation)
