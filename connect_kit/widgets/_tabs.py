"""The composer's answer: Table, JSON, Headers, Code (one language at a time) and History
(each row can be loaded back into the form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as w

from ..client import RequestInfo
from ..snippets import LANGUAGES
from ._answers import code, sent_summary
from ._memory import Sent

Scrub = Callable[[str], str]


class Tabs:
    """The tabs under the form, and what fills and clears them."""

    def __init__(self, names: Sequence[str], load: Callable[[Sent], None]) -> None:
        self.outputs = {name: w.HTML() for name in names}
        self.language = w.ToggleButtons(
            options=list(LANGUAGES), value=LANGUAGES[0], description="language"
        )
        self.language.style.button_width = "80px"
        self.language.observe(lambda change: self._code(), names="value")
        self.rows = w.VBox()
        self._load = load
        self._request: RequestInfo | None = None
        self._env: tuple[str, str | None] = ("", None)
        self._scrub: Scrub = str
        pages = {
            **self.outputs,
            "Code": w.VBox([self.language, self.outputs["Code"]]),
            "History": w.VBox([self.outputs["History"], self.rows]),
        }
        self.tabs = w.Tab(children=[pages[name] for name in names], titles=list(names))

    def show(
        self,
        tabs: dict[str, str],
        request: RequestInfo | None,
        env: tuple[str, str | None],
        scrub: Scrub,
    ) -> None:
        """Fill Table, JSON and Headers from ``tabs`` and Code from ``request``."""
        self._request, self._env, self._scrub = request, env, scrub
        for name, text in tabs.items():
            self.outputs[name].value = scrub(text)
        self._code()

    def _code(self) -> None:
        if self._request is None:
            self.outputs["Code"].value = ""
            return
        name, ca = self._env
        text = code(self._request, self.language.value, name, ca)
        self.outputs["Code"].value = self._scrub(text)

    def clear(self) -> None:
        """Empty every tab but History: what they showed belongs to another request."""
        self._request = None
        for name, output in self.outputs.items():
            if name != "History":
                output.value = ""

    def history(self, sent: Sequence[Sent], scrub: Scrub) -> None:
        """One row per request sent, newest first, each with a button to load it back."""
        rows = []
        for entry in sent:
            button = w.Button(description="into form", icon="undo", layout=w.Layout(width="110px"))
            button.on_click(lambda _, entry=entry: self._load(entry))
            button.add_class("ck-load")
            rows.append(w.HBox([button, w.HTML(scrub(sent_summary(entry)))]))
        self.rows.children = rows
        self.outputs["History"].value = (
            '<div style="font-size:12px;color:#57606a">Newest first; "into form" puts a request '
            "back into the form, to change and send again.</div>"
        )
