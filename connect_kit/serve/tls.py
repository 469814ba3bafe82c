"""The sandbox's own certificate authority and server certificate (made with trustme).

The CA is kept in the state directory when there is one, so that a ``--cacert`` path in a
user's shell history stays valid across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # PEM of the CA: what clients trust
    cert_file: Path  # server certificate chain
    key_file: Path  # server private key


def make_certificates(directory: Path) -> Certificates:
    """Write (or reuse) a CA and a loopback server certificate in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, ca_key = directory / "ca.pem", directory / "ca-key.pem"
    if ca_file.exists() and ca_key.exists():
        ca = trustme.CA.from_pem(ca_file.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="connect-kit sandbox")
        ca.cert_pem.write_to_path(str(ca_file))
        ca.private_key_pem.write_to_path(str(ca_key))
        ca_key.chmod(0o600)
    server = ca.issue_cert(*HOSTS)
    cert_file, key_file = directory / "server.pem", directory / "server-key.pem"
    with cert_file.open("wb") as out:
        for blob in server.cert_chain_pems:
            out.write(blob.bytes())
    server.private_key_pem.write_to_path(str(key_file))
    key_file.chmod(0o600)
    return Certificates(ca_file, cert_file, key_file)
