"""`connect-kit call`: the same pulls from a shell, each output format, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from connect_kit import cli

STORES = [
    "dev",
    "find_delivery_stores",
    "--find_by.address_line_1",
    "50 Beale St",
    "--find_by.postal_code",
    "94105",
]


@pytest.fixture(autouse=True)
def _no_dotenv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env: the embedded sandbox serves


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["call", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_records_as_a_table(capsys):
    code, out, _ = run(capsys, *STORES)
    assert code == 0
    assert "000-3801" in out.splitlines()[1] and "location_code" in out.splitlines()[0]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_writes_each_format(capsys, tmp_path, suffix):
    target = tmp_path / f"stores{suffix}"
    code, _, err = run(capsys, *STORES, "-o", str(target))
    assert code == 0 and "rows ->" in err
    read = {".csv": pd.read_csv, ".json": pd.read_json, ".parquet": pd.read_parquet}[suffix]
    frame = read(target, dtype={"location_code": str}) if suffix == ".csv" else read(target)
    assert frame["location_code"].iloc[0] == "000-3801"
    assert len(frame) >= 5


def test_values_are_typed_by_the_spec(capsys, tmp_path):
    # user_id is text even when it looks like a number; phone_number too
    code, out, _ = run(
        capsys,
        "dev",
        "create_user",
        "--user_id",
        f"{tmp_path.stat().st_ino}",
        "--first_name",
        "bo",
        "--phone_number",
        "+14155550100",
        "--raw",
    )
    assert code == 0
    assert json.loads(out)["first_name"] == "Bo"


def test_a_body_file(capsys, tmp_path):
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"find_by": {"latitude": 37.791, "longitude": -122.394}}))
    code, out, _ = run(capsys, "dev", "find_delivery_stores", "--body", str(body))
    assert code == 0 and "000-3801" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["dev", "find_stores"], "UnknownOperationError: Unknown operation 'find_stores'"),
        (["dev", "find_delivery_stores", "--find_by.postal_code", "94105"], "find_by"),
        (["dev", "get_user_link", "--user_id", "nobody"], "400 User Not Found"),
        (["prod", "create_user", "--user_id", "x", "--first_name", "y"], "ProdWriteRefused"),
        ([*STORES, "-o", "stores.xlsx"], "expected a .csv, .json or .parquet file"),
        (["dev", "find_delivery_stores", "--find_by"], "--find_by needs a value"),
        (["staging", "find_delivery_stores"], "unknown environment 'staging'"),
    ],
)
def test_errors_are_one_line_and_a_non_zero_exit(capsys, argv, expected):
    code, out, err = run(capsys, *argv)
    lines = [line for line in err.splitlines() if line.startswith("connect-kit call:")]
    assert code == 1 and len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in err and out == ""


def test_the_console_script_exits_non_zero_on_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "connect_kit.cli", "call", "dev", "nope"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("connect-kit call: ")
