"""The front door: each public name stays what it is, whatever has been imported.

Importing a submodule sets it as an attribute of its package: a module called ``compare``
would replace the function ``ck.compare`` as soon as anything imported it (the compare panel
does). So no module carries a public function's name, and every public name resolves to what
``_LAZY`` says after every module of the package has been imported.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import connect_kit as ck


def _every_module() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(ck.__path__, prefix="connect_kit.")
        if not info.name.endswith("__main__")
    ]


def _target(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def _public_functions(package: types.ModuleType) -> set[str]:
    """The names of the package's public functions (not classes, not modules)."""
    names = getattr(package, "__all__", ())
    return {name for name in names if inspect.isfunction(getattr(package, name, None))}


def test_every_public_name_is_what_lazy_says_after_every_module_is_imported():
    for name in _every_module():
        importlib.import_module(name)
    assert set(ck._LAZY) <= set(ck.__all__)
    for name, spec in ck._LAZY.items():
        value = getattr(ck, name)
        assert value is _target(spec), f"ck.{name} is {value!r}, not {spec}"
        if ":" in spec and inspect.isfunction(_target(spec)):
            assert inspect.isfunction(value), f"ck.{name} is no longer a function"
    assert callable(ck.compare) and callable(ck.status) and callable(ck.drive)


def test_no_module_carries_the_name_of_a_public_function():
    public = {name for name, spec in ck._LAZY.items() if inspect.isfunction(_target(spec))}
    assert {"compare", "compare_results", "status", "drive", "composer"} <= public
    assert {"conformance_report", "parity"} <= public
    clashes = [name for name in _every_module() if name.rsplit(".", 1)[-1] in public]
    assert clashes == [], f"modules named like public functions of connect_kit: {clashes}"


def test_no_subpackage_module_carries_the_name_of_its_own_public_function():
    packages = [ck] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(ck.__path__, prefix="connect_kit.")
        if info.ispkg
    ]
    clashes = []
    for package in packages:
        functions = _public_functions(package)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name in functions:
                clashes.append(f"{package.__name__}.{info.name}")
    assert clashes == []


def test_the_compare_function_survives_the_composer_in_a_fresh_interpreter(tmp_path):
    script = (
        "import connect_kit as ck\n"
        "ck.composer()\n"
        "ck.compare_panel()\n"
        "assert callable(ck.compare), ck.compare\n"
        "assert callable(ck.status), ck.status\n"
        "assert callable(ck.drive), ck.drive\n"
        "assert callable(ck.conformance_report), ck.conformance_report\n"
        "assert callable(ck.parity), ck.parity\n"
        "import connect_kit.data._compare, connect_kit.client._status, connect_kit.client._drive\n"
        "assert callable(ck.compare) and callable(ck.status) and callable(ck.drive)\n"
        "print('ok')\n"
    )
    root = str(Path(ck.__file__).parent.parent)  # the same connect_kit as this test's
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
