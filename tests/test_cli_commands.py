"""``connect-kit ops`` and ``describe`` read the spec from a shell, and ``ck.describe`` gives
the same rows as a DataFrame; the command line speaks its own language, ends quietly when its
reader goes away, and writes JSON as it is."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from test_cli_state import SCRIPT, run_cli

import connect_kit as ck
from connect_kit import spec

SUBCOMMANDS = ("sandbox", "call", "ops", "describe", "token", "env")


def test_ops_lists_every_operation_once(tmp_path):
    done = run_cli(tmp_path, "ops")
    assert done.returncode == 0 and done.stderr == ""
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == list(spec.OPERATIONS)
    line = next(x for x in done.stdout.splitlines() if x.startswith("list_orders "))
    assert "GET" in line and "/v2/fulfillment/users/{user_id}/orders" in line
    assert "(deprecated" in line


def test_ops_of_one_area_and_as_json(tmp_path):
    done = run_cli(tmp_path, "ops", "--area", "sandbox", "--json")
    assert done.returncode == 0
    rows = json.loads(done.stdout)
    wanted = [op.name for op in spec.OPERATIONS.values() if op.area == "sandbox"]
    assert [row["name"] for row in rows] == wanted and wanted
    assert {row["area"] for row in rows} == {"sandbox"}
    assert "\\/" not in done.stdout and '"/v2/fulfillment_sandbox/' in done.stdout


def test_an_unknown_area_answers_did_you_mean(tmp_path):
    done = run_cli(tmp_path, "ops", "--area", "fulfilment")
    assert done.returncode == 1 and done.stdout == ""
    assert "Did you mean fulfillment?" in done.stderr and "Traceback" not in done.stderr


def test_describe_shows_fields_types_required_marks_and_examples(tmp_path):
    done = run_cli(tmp_path, "describe", "create_user")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "create_user: POST /v2/fulfillment/users"
    user_id = next(x for x in lines if x.startswith("request") and " user_id " in x)
    assert re.search(r"\*\s+user_id\s+string\s+\"kamalsingh1234\"", user_id)
    last_name = next(x for x in lines if x.startswith("request") and " last_name " in x)
    assert "*" not in last_name  # optional: no mark
    assert "E.164" in done.stdout  # the field's description from the spec
    assert lines[-1] == "* required"


def test_describe_shows_deprecation_of_operations_and_fields(tmp_path):
    done = run_cli(tmp_path, "describe", "reserve_service_option_with_cart")
    assert "Deprecated. Use reserve_service_option instead." in done.stdout
    done = run_cli(tmp_path, "describe", "get_user_link")
    line = next(x for x in done.stdout.splitlines() if " express_member " in x)
    assert "deprecated: use instacartplus_member" in line


def test_describe_as_json_is_the_same_rows_as_ck_describe(tmp_path):
    done = run_cli(tmp_path, "describe", "create_delivery_order", "--json")
    assert done.returncode == 0
    card = json.loads(done.stdout)
    assert card["method"] == "POST" and card["docs"].startswith("https://docs.instacart.com/")
    assert "\\/" not in done.stdout
    frame = ck.describe("create_delivery_order")
    assert [(f["part"], f["field"]) for f in card["fields"]] == list(
        zip(frame["part"], frame["field"], strict=True)
    )


def test_an_unknown_operation_answers_did_you_mean(tmp_path):
    done = run_cli(tmp_path, "describe", "find_delivery_store")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("connect-kit describe: UnknownOperationError: ")
    assert "Did you mean find_delivery_stores" in done.stderr
    assert "connect-kit ops lists them all" in done.stderr  # not connect_kit.operations()


def test_ck_describe_is_a_frame_of_the_readers_answers():
    frame = ck.describe("find_delivery_stores")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[:4]) == ["part", "field", "type", "required"]
    request = frame[frame["part"] == "request"]
    assert list(request["field"]) == [
        f.path for f in spec.fields("find_delivery_stores", "request")
    ]
    postal = frame[frame["field"] == "find_by.postal_code"].iloc[0]
    shape = spec.field("find_delivery_stores", "request", "find_by.postal_code")
    example = None if pd.isna(postal["example"]) else postal["example"]  # missing: <NA>
    assert (postal["type"], example) == (shape.type, shape.example)
    assert str(request["description"].dtype) == "string"  # missing shows <NA>, as in every frame
    path = ck.describe("get_order")
    assert list(path.loc[path["part"] == "path", "field"]) == ["user_id", "order_id"]
    assert path.loc[path["part"] == "path", "required"].all()


def test_ck_describe_has_an_html_view_with_the_operation_above_the_table():
    shown = ck.describe("list_orders")._repr_html_()
    assert "list_orders: GET /v2/fulfillment/users/{user_id}/orders" in shown
    assert "Deprecated" in shown and "<table" in shown
    assert shown.index("Deprecated") < shown.index("<table")
    part = ck.describe("list_orders").head(2)  # a slice is a plain frame
    assert "Deprecated" not in part._repr_html_()


def test_ck_describe_of_an_unknown_operation_answers_did_you_mean():
    with pytest.raises(spec.UnknownOperationError, match="Did you mean find_delivery_stores"):
        ck.describe("find_delivery_store")


def test_a_closed_pipe_ends_quietly(tmp_path):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "connect_kit.cli"]
    process = subprocess.Popen(
        [*command, "describe", "create_delivery_order"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader goes away before a line is written, as `| head` does
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert error == ""


def test_a_closed_pipe_ends_quietly_in_a_shell(tmp_path):
    command = f"{SCRIPT} ops | head -1" if SCRIPT.exists() else None
    if command is None:
        pytest.skip("the connect-kit script is not installed beside this interpreter")
    done = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.stdout.startswith("create_token ") and done.stderr == ""


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_is_plain_prose(tmp_path, command):
    done = run_cli(tmp_path, command, "--help")
    assert done.returncode == 0
    text = done.stdout
    for code in ("``", "connect_kit.", "=True", "()", "(s)"):
        assert code not in text, f"{command} --help shows {code!r}"
    options = re.findall(r"^  (-[^\n]*?)  +(\S[^\n]*)$", text, re.MULTILINE)
    assert options  # each option's help starts with a capital
    assert all(help_[0].isupper() for _, help_ in options), options


def test_top_level_help_names_every_command(tmp_path):
    done = run_cli(tmp_path, "--help")
    assert all(command in done.stdout for command in SUBCOMMANDS)
    assert ".connect-kit" in done.stdout  # where the sandbox keeps its state


def test_the_prod_write_refusal_speaks_of_flags(tmp_path):
    done = run_cli(tmp_path, "call", "prod", "create_user", "--user_id", "u", "--first_name", "A")
    assert done.returncode == 1
    assert "pass --allow-writes" in done.stderr
    assert "allow_writes=True" not in done.stderr and "connect()" not in done.stderr


def test_json_files_keep_slashes(tmp_path):
    target = tmp_path / "stores.json"
    done = run_cli(
        tmp_path,
        "call",
        "dev",
        "find_delivery_stores",
        "--find_by.address_line_1",
        "50 Beale St",
        "--find_by.postal_code",
        "94105",
        "-o",
        str(target),
    )
    assert done.returncode == 0, done.stderr
    text = target.read_text()
    assert '"America/Los_Angeles"' in text and "\\/" not in text
    assert json.loads(text)[0]["location_code"] == "000-3801"
