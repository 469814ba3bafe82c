"""The notebooks: committed without outputs, and executed top to bottom against the sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from connect_kit.sandbox.state import State

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name


TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


def sandbox_secrets(state: Path) -> list[str]:
    """The client secrets of the sandbox that the notebook's kernel ran (kept in ``state``)."""
    secrets = []
    for file in state.glob("*.sqlite3"):
        store = State(file)
        secrets += [client["secret"] for client in store.find("client")]
        store.close()
    return secrets


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    # the kernel's embedded sandbox keeps its state here, so its secrets can be looked for
    monkeypatch.setenv("INSTACART_SANDBOX_STATE", str(tmp_path / "state"))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    # the embedded-sandbox notice is information: a quiet note, never a red stderr box
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [text for text in stderr if "embedded sandbox" in text]
    text = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
    secrets = sandbox_secrets(tmp_path / "state")
    source = "".join(cell.source for cell in notebook.cells)
    if "ck.connect(" in source or "sandbox.start(" in source:
        assert secrets, "the notebook's sandbox left no state to check"
    assert not [secret for secret in secrets if secret in text]
    assert not TOKEN_LIKE.findall(text)  # no access token (43 URL-safe characters) either
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "state")
    assert not left, f"{path.name} left files where it ran (notebooks/ in a checkout): {left}"
