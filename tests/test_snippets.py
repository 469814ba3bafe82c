"""connect_kit.snippet: each language's program, run against the sandbox, gets what the session got.

Every program runs as a user would run it: cURL under bash, Python under this venv's interpreter,
Java with ``java Main.java`` and a truststore holding the sandbox's CA, Go with ``go run`` and
``SSL_CERT_FILE``; the token goes in through ``INSTACART_TOKEN``, never through the snippet's
text. ``make test`` installs Go and a JDK from Debian.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import ADDRESS, Api, delivery_order
from IPython.core.formatters import DisplayFormatter
from test_frames import a_dispatch_order, a_linked_user
from test_session import session_for
from tools import need

from connect_kit._redact import REDACTED
from connect_kit.client._result import RequestInfo, Result
from connect_kit.client._session import ConnectSession
from connect_kit.sandbox import Sandbox
from connect_kit.snippets import LANGUAGES, Snippet, snippet

# the sandbox serves deprecated fields on purpose; the session warns about them
pytestmark = pytest.mark.filterwarnings("ignore::connect_kit.errors.DeprecatedWarning")

VOLATILE = ("access_token", "created_at")  # differ from one token to the next
TRICKY_FIRST = 'Zoë O\'Brien "Z" \\ 🛒 \u2028'  # quotes, backslash, non-ASCII, beyond the BMP
TRICKY_LAST = "Back`tick` ```fence```"  # backquotes: spliced into Go's raw string literal


@pytest.fixture(scope="module")
def session(sandbox: Sandbox) -> Iterator[ConnectSession]:
    with session_for(sandbox) as dev:
        yield dev


# -- the toolchains ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def go() -> str:
    """The ``go`` command (Debian's golang-go, which ``make test`` installs)."""
    return need("go", "golang-go")


@pytest.fixture(scope="module")
def truststore(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PKCS12 truststore holding the sandbox's CA, for the JVM."""
    keytool = need("keytool", "default-jdk-headless")
    store = tmp_path_factory.mktemp("java") / "trust.p12"
    command = [keytool, "-importcert", "-noprompt", "-alias", "sandbox"]
    command += ["-file", sandbox.ca_file, "-keystore", str(store)]
    command += ["-storepass", "changeit", "-storetype", "PKCS12"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return store


@dataclass
class Runner:
    """Runs a snippet as its language's users run it and reads what it printed."""

    sandbox: Sandbox
    home: Path
    go: Callable[[], str]  # installs Go on first use only
    truststore: Callable[[], Path]

    def command(self, snip: Snippet) -> tuple[list[str], dict[str, str]]:
        """The command line (run in the snippet's folder) and the environment it adds."""
        ca = self.sandbox.ca_file
        if snip.lang == "curl":
            return ["bash", snip.filename], {"INSTACART_CA_BUNDLE": ca}
        if snip.lang == "python":
            return [sys.executable, snip.filename], {"INSTACART_CA_BUNDLE": ca}
        if snip.lang == "java":
            store = self.truststore()
            return [
                "java",
                f"-Djavax.net.ssl.trustStore={store}",
                "-Djavax.net.ssl.trustStorePassword=changeit",
                snip.filename,
            ], {}
        go = self.go()
        return [go, "run", snip.filename], {
            "SSL_CERT_FILE": ca,
            "GOCACHE": str(self.home / "gocache"),
            "GOPATH": str(self.home / "gopath"),
            "GOPROXY": "off",  # the standard library only
            "GOTOOLCHAIN": "local",
        }

    def run(self, snip: Snippet, folder: Path, secrets: dict[str, str]) -> tuple[int, Any]:
        """(status, parsed body) that the program printed."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / snip.filename).write_text(snip.code, encoding="utf-8")
        command, extra = self.command(snip)
        # a bare environment: no locale, no proxies, nothing of the test process
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home), **extra, **secrets}
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, timeout=300, check=False
        )
        output = done.stdout.decode("utf-8")
        assert done.returncode == 0, f"{snip.lang} failed:\n{done.stderr.decode()}\n{snip}"
        return printed(output)


def printed(output: str) -> tuple[int, Any]:
    """The ``HTTP status: NNN`` line and the JSON body around it."""
    lines = output.split("\n")  # not splitlines(): a JSON string may hold U+2028 as it is
    found = [i for i, line in enumerate(lines) if re.fullmatch(r"HTTP status: \d{3}", line)]
    assert len(found) == 1, output
    status = int(lines[found[0]].split()[-1])
    body = "\n".join(lines[: found[0]] + lines[found[0] + 1 :]).strip()
    return status, json.loads(body) if body else None


@pytest.fixture(scope="module")
def runner(
    request: pytest.FixtureRequest, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Runner:
    return Runner(
        sandbox,
        tmp_path_factory.mktemp("home"),
        go=lambda: request.getfixturevalue("go"),
        truststore=lambda: request.getfixturevalue("truststore"),
    )


# -- the calls -----------------------------------------------------------------------------


@dataclass
class Case:
    """A call made by the session, and what a replay of it must get."""

    source: Result | RequestInfo | requests.PreparedRequest
    status: int
    body: Any
    undo: Callable[[], None] = lambda: None  # puts the sandbox back as it was before the call
    secrets: dict[str, str] = field(default_factory=dict)  # what the snippet reads, by name


def of(result: Result, **kw: Any) -> Case:
    return Case(result, result.status_code, result.json, **kw)


Make = Callable[[ConnectSession, Api, Sandbox, str], Case]


def stores(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    return of(s.call("find_delivery_stores", find_by=ADDRESS))


def new_user(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    user_id = f"u-{u}"
    res = s.call("create_user", user_id=user_id, first_name=TRICKY_FIRST, last_name=TRICKY_LAST)
    return of(res, undo=lambda: sb.instances["dev"].state.delete("user", user_id))


def order(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    delivery_order(dev, f"u-{u}", f"o-{u}")
    return of(s.call("get_order", user_id=f"u-{u}", order_id=f"o-{u}"))


def user_link(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    return of(s.call("get_user_link", **a_linked_user(dev, u)))


def dispatch_order(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    ids = a_dispatch_order(dev, u)
    return of(s.call("get_dispatch_order", order_id=ids["order_id"], user_id=f"u-{u}"))


def token(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    client_id, secret = sb.credentials("dev")
    res = s.call(
        "create_token", client_id=client_id, client_secret=secret, grant_type="client_credentials"
    )
    return of(res, secrets={"INSTACART_CLIENT_SECRET": secret})


def unknown_user(s: ConnectSession, dev: Api, sb: Sandbox, u: str) -> Case:
    """A 400, from the PreparedRequest that the session sent (it carries the real token)."""
    response = s.get(f"/v2/fulfillment/users/nobody-{u}/link")
    return Case(response.request, response.status_code, response.json())


CASES: dict[str, Make] = {
    "find_delivery_stores": stores,
    "create_user": new_user,
    "get_order": order,
    "get_user_link": user_link,
    "get_dispatch_order": dispatch_order,
    "create_token": token,
    "prepared_request_400": unknown_user,
}


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


# -- running each language's program -------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(CASES))
def test_the_program_gets_what_the_session_got(
    name, lang, session, dev, sandbox, unique, runner, tmp_path
):
    case = CASES[name](session, dev, sandbox, unique)
    snip = snippet(case.source, lang)
    token = session.auth.current.value
    assert token not in snip.code
    assert REDACTED not in snip.code

    case.undo()
    secrets = {"INSTACART_TOKEN": token, **case.secrets}
    status, body = runner.run(snip, tmp_path, {k: secrets[k] for k in snip.env_vars})

    assert status == case.status
    assert without_volatile(body) == without_volatile(case.body)
    if name == "create_token":  # a new token of the same kind
        assert body["access_token"] != token
        assert set(body) == set(case.body)


def test_a_create_sends_the_exact_text(session, dev, sandbox, unique, runner, tmp_path):
    """Every language sends the tricky names byte for byte (the sandbox only capitalises)."""
    case = new_user(session, dev, sandbox, unique)
    names = []
    for lang in LANGUAGES:
        case.undo()
        secrets = {"INSTACART_TOKEN": session.auth.current.value}
        _, body = runner.run(snippet(case.source, lang), tmp_path / lang, secrets)
        names.append((body["first_name"], body["last_name"]))
    assert names == [(TRICKY_FIRST.capitalize(), TRICKY_LAST.capitalize())] * len(LANGUAGES)


def test_the_go_program_is_gofmt_clean(session, go, tmp_path, unique, dev, sandbox):
    for make in (stores, new_user, token, order):
        source = make(session, dev, sandbox, unique + make.__name__).source
        (tmp_path / "main.go").write_text(str(snippet(source, "go")), encoding="utf-8")
        gofmt = Path(go).resolve().parent / "gofmt"
        done = subprocess.run(
            [str(gofmt), "-d", "main.go"], cwd=tmp_path, capture_output=True, text=True
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), make.__name__


def test_the_python_program_is_ruff_clean(session, tmp_path, unique, dev, sandbox):
    ruff = Path(sys.executable).parent / "ruff"
    for make in (stores, new_user, token, order):
        source = make(session, dev, sandbox, unique + make.__name__).source
        path = tmp_path / "request.py"
        path.write_text(str(snippet(source, "python")), encoding="utf-8")
        for check in (["format", "--check", "--diff"], ["check"]):
            done = subprocess.run(
                [str(ruff), *check, "--isolated", "--line-length", "100", str(path)],
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, done.stdout + done.stderr


# -- secrets -------------------------------------------------------------------------------

CANARY_TOKEN = "canary-token-7f3a9c"
CANARY_SECRET = "canary-secret-b81e44"


def hand_made() -> RequestInfo:
    """A RequestInfo made by hand, with its secrets left in: the snippet redacts it too."""
    return RequestInfo(
        method="POST",
        url="https://127.0.0.1:1/v2/oauth/token/revoke",
        path="/v2/oauth/token/revoke",
        headers={"Authorization": f"Bearer {CANARY_TOKEN}", "Cookie": f"s={CANARY_SECRET}"},
        body={"client_id": "app", "client_secret": CANARY_SECRET, "token": CANARY_TOKEN},
        env="dev",
    )


def test_no_secret_in_any_snippet(session, sandbox, dev, unique):
    secret = sandbox.credentials("dev")[1]
    sources = [
        stores(session, dev, sandbox, unique).source,
        token(session, dev, sandbox, unique).source,
        unknown_user(session, dev, sandbox, unique).source,
        hand_made(),
    ]
    secrets = [session.auth.current.value, secret, CANARY_TOKEN, CANARY_SECRET, REDACTED]
    for source in sources:
        for lang in LANGUAGES:
            snip = snippet(source, lang)
            shown = [snip.code, repr(snip), snip._repr_markdown_(), str(snip)]
            for text in shown:
                for value in secrets:
                    assert value not in text, (lang, value)


def test_secrets_are_read_from_the_environment(session, sandbox, dev, unique):
    res = token(session, dev, sandbox, unique).source
    for lang in LANGUAGES:
        snip = snippet(res, lang)
        assert snip.env_vars == ("INSTACART_CLIENT_SECRET",)  # the token endpoint takes no token
        assert "INSTACART_CLIENT_SECRET" in snip.code
        assert "Authorization" not in snip.code
    revoke = snippet(hand_made(), "python")
    assert revoke.env_vars == ("INSTACART_CLIENT_SECRET", "INSTACART_TOKEN")
    assert 'os.environ["INSTACART_TOKEN"]' in revoke.code
    assert "Cookie" not in revoke.code
    found = snippet(stores(session, dev, sandbox, unique).source, "go")
    assert found.env_vars == ("INSTACART_TOKEN",)
    assert '"Bearer "+env("INSTACART_TOKEN")' in found.code


# -- the front door ------------------------------------------------------------------------


def test_unknown_language_names_the_four(session, dev, sandbox, unique):
    res = stores(session, dev, sandbox, unique).source
    with pytest.raises(ValueError, match="unknown language 'rust'") as raised:
        snippet(res, "rust")
    for lang in LANGUAGES:
        assert lang in str(raised.value)
    assert snippet(res, " Go ").lang == "go"
    with pytest.raises(TypeError, match=r"Result, a RequestInfo or a requests\.PreparedRequest"):
        snippet(res.json, "go")


def test_a_snippet_shows_as_a_code_block_in_a_notebook(session, dev, sandbox, unique):
    go = snippet(stores(session, dev, sandbox, unique).source, "go")
    data, _ = DisplayFormatter().format(go)
    assert data["text/markdown"] == f"```go\n{go.code}\n```\n"
    assert data["text/plain"] == go.code  # IPython's plain text shows the code too
    assert repr(go) == f"<Snippet go: {go.code.count(chr(10)) + 1} lines>"
    assert str(go) == go.code and go.lang == "go" and go.filename == "main.go"
    res = new_user(session, dev, sandbox, unique).source
    curl = snippet(res, "curl")  # its body holds ``` : the fence is longer
    assert "```" in curl.code
    assert DisplayFormatter().format(curl)[0]["text/markdown"].startswith("````bash\n")
