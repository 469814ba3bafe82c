"""Flows handed on to other tools, and read back.

:func:`export` writes a recorded flow (a HAR recording, or a list of Results) as HAR 1.2, a
``.http`` file (httpyac, JetBrains, VS Code REST Client), a Postman collection and its
environment, a Hurl file or a pytest module; :func:`load` reads a ``.http`` file, a Postman
collection or a HAR file into a :class:`Collection` that runs again through a session;
:func:`openapi` is the spec as OpenAPI 3.1.

Private modules: ``_collection`` (the requests, variables, captures, and running them),
``_flow`` (from a recording to a collection), one module a format, ``_writers`` the front door.
"""

from ._collection import Collection, Request, Results
from ._writers import FORMATS, export, load, openapi

__all__ = ["FORMATS", "Collection", "Request", "Results", "export", "load", "openapi"]
