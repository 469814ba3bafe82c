"""The ``connect-kit`` command's arguments, and its help in plain words."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .._version import __version__
from . import _browse, _call, _exports, _keys, _sandbox

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

ABOUT = (
    "Explore the Instacart Connect APIs from a shell: run the local sandbox, call "
    "operations, read the spec, and get tokens and settings for scripts."
)
STATE = (
    "Environments without credentials are served by the local sandbox. Its users, orders "
    "and credentials are kept between commands in the .connect-kit folder of the working "
    "directory (or the folder that INSTACART_SANDBOX_STATE names), and while connect-kit "
    "sandbox runs for that folder, every command uses it."
)
ENV_HELP = (
    "The environment: dev, prod, another one declared in .env, or sandbox:dev and "
    "sandbox:prod for the local sandbox whatever .env holds."
)


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per task."""
    top = _helped(
        argparse.ArgumentParser(prog="connect-kit", description=ABOUT, epilog=STATE, add_help=False)
    )
    top.add_argument(
        "--version",
        action="version",
        version=f"connect-kit {__version__}",
        help="Show the version and exit.",
    )
    top.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="Log each request on stderr (method, path and status; never a secret).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _sandbox_parser(commands)
    _call_parser(commands)
    listing = _command(
        commands,
        "ops",
        help="List the operations of the API.",
        description="List every operation with its method, path and summary.",
    )
    listing.add_argument(
        "--area", help="Only the operations of this area, for example fulfillment."
    )
    listing.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    listing.set_defaults(run=_browse.ops)
    card = _command(
        commands,
        "describe",
        help="Show the fields of one operation.",
        description="Show the fields an operation takes and gives: where each goes, its type, "
        "whether it is required (marked with a star), an example, the values it takes and "
        "whether it is deprecated.",
    )
    card.add_argument("operation", help="The operation's name, for example create_user.")
    card.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    card.set_defaults(run=_browse.describe)
    token = _command(
        commands,
        "token",
        help="Print a bearer token for scripts.",
        description="Print a bearer token for an environment on stdout, and nothing else "
        "there, for a script or a snippet to use. It is a secret: keep it out of logs and "
        "shared files.",
        epilog=STATE,
    )
    token.add_argument("env", help=ENV_HELP)
    token.add_argument(
        "--as-user",
        metavar="USER_ID",
        help="A token that speaks for this Connect user, as the Post-checkout API needs.",
    )
    token.set_defaults(run=_keys.token)
    env = _command(
        commands,
        "env",
        help="Print .env settings for the running sandbox.",
        description="Print a block of .env settings (URL, client id and secret, CA file and "
        "kind of dev and prod) for the connect-kit sandbox running for this folder, so that "
        "other tools and notebooks can use it.",
    )
    env.add_argument("target", choices=["sandbox"], help="What to describe: sandbox.")
    env.set_defaults(run=_keys.env)
    _exports_parsers(commands)
    return top


def _helped(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` with its -h option explained in a sentence like the others."""
    parser.add_argument("-h", "--help", action="help", help="Show this help and exit.")
    return parser


def _command(commands: Commands, name: str, **options: Any) -> argparse.ArgumentParser:
    return _helped(commands.add_parser(name, add_help=False, **options))


def _sandbox_parser(commands: Commands) -> None:
    sb = _command(
        commands,
        "sandbox",
        help="Run the local Connect simulator (dev and prod) in the foreground.",
        description="Run the local Connect simulator, a dev and a prod instance, until "
        "Ctrl-C. It prints their URLs, credentials and the CA file to trust. By default it "
        "keeps its state in the .connect-kit folder (or the folder that "
        "INSTACART_SANDBOX_STATE names) and comes back on the same ports when they are free; "
        "other connect-kit commands run from this folder use it while it runs.",
    )
    where = sb.add_mutually_exclusive_group()
    where.add_argument("--state", metavar="DIR", help="Keep state and the CA in this folder.")
    where.add_argument("--memory", action="store_true", help="Keep state in memory only.")
    sb.add_argument("--dev-port", type=int, default=0, metavar="N", help="Serve dev on this port.")
    sb.add_argument(
        "--prod-port", type=int, default=0, metavar="N", help="Serve prod on this port."
    )
    sb.add_argument(
        "--token-ttl",
        type=int,
        default=86400,
        metavar="SECONDS",
        help="How long access tokens last (a day by default, as Connect's do).",
    )
    sb.add_argument(
        "--no-latency", action="store_true", help="Answer without the small simulated delays."
    )
    faults = sb.add_argument_group("faults, on both instances and off by default")
    faults.add_argument(
        "--latency-ms", type=float, metavar="MS", help="Milliseconds added to every answer."
    )
    faults.add_argument(
        "--rate-limit", type=float, metavar="N", help="Requests allowed per second per client."
    )
    faults.add_argument(
        "--error-rate",
        type=float,
        metavar="SHARE",
        help="Share of requests answered with 503, from 0 to 1.",
    )
    faults.add_argument(
        "--drop-rate",
        type=float,
        metavar="SHARE",
        help="Share of connections dropped, from 0 to 1.",
    )
    faults.add_argument(
        "--token-lifetime", type=float, metavar="SECONDS", help="Seconds a token really lives."
    )
    sb.set_defaults(run=_sandbox.run)


def _call_parser(commands: Commands) -> None:
    call = _command(
        commands,
        "call",
        help="Call one operation and print its records.",
        description="Call one operation and print its records. Give fields as --name value: "
        "the value is read as JSON where the spec wants a number, a list or an object, and "
        "--a.b value fills a nested field. For example: connect-kit call dev "
        "find_delivery_stores --find_by.address_line_1 '50 Beale St' --find_by.postal_code "
        "94105",
        epilog=STATE,
    )
    call.add_argument("env", help=ENV_HELP)
    call.add_argument("operation", help="The operation's name (connect-kit ops lists them).")
    call.add_argument(
        "--body", metavar="FILE", help="Read the request body from this JSON file (- for stdin)."
    )
    call.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="Write the records to a .csv, .json or .parquet file.",
    )
    call.add_argument("--raw", action="store_true", help="Print the answer's JSON, secrets hidden.")
    call.add_argument(
        "--allow-writes",
        action="store_true",
        help="Let a call that changes state reach a production environment.",
    )
    call.add_argument(
        "--as-user",
        metavar="USER_ID",
        help="Call as this Connect user, as the Post-checkout API needs.",
    )
    call.set_defaults(run=_call.run)


def _exports_parsers(commands: Commands) -> None:
    spec = _command(
        commands,
        "openapi",
        help="Write the API as an OpenAPI 3.1 file.",
        description="Write every operation of the API as an OpenAPI 3.1 document (JSON), "
        "to import into Postman, Bruno, Insomnia or a code generator. No server is needed.",
    )
    spec.add_argument(
        "-o", "--output", metavar="FILE", help="Write it to this file (default: print it)."
    )
    spec.add_argument(
        "--server",
        default=_exports.SERVER,
        metavar="URL",
        help=f"The server the document names (default: {_exports.SERVER}).",
    )
    spec.add_argument(
        "--sandbox", action="store_true", help="Include the sandbox's own API (its test hooks)."
    )
    spec.set_defaults(run=_exports.openapi)
    flow = _command(
        commands,
        "export",
        help="Export a recorded flow for another tool.",
        description="Export a recording (a HAR file made with record=, or a .http file or "
        "Postman collection) to the format the output's name tells: .har, .http (httpyac, "
        "JetBrains, VS Code REST Client), NAME.postman_collection.json (with "
        "NAME.postman_environment.json beside it), .hurl, or .py (a pytest module). No secret "
        "is written: the client id and secret are variables for you to supply.",
    )
    flow.add_argument("recording", help="The recording: a .har file (or .http, or Postman).")
    flow.add_argument("output", help="The file to write; its name tells the format.")
    flow.add_argument(
        "--format",
        choices=["har", "http", "postman", "hurl", "pytest"],
        help="The format, whatever the output's name.",
    )
    flow.set_defaults(run=_exports.export)
