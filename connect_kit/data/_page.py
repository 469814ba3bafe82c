"""A notebook rendering saved as a page of its own: what a report becomes to be sent."""

from __future__ import annotations

import html
import os
from pathlib import Path


def save_page(path: str | os.PathLike[str], title: str, body: str) -> Path:
    """Write ``body`` (the HTML a notebook shows) to ``path`` as a standalone UTF-8 page, and
    return the path. The page loads nothing: it opens in any browser, offline."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"a report is saved as .html; got {str(target)!r}")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{html.escape(title)}</title><meta name="generator" content="connect-kit">'
        "</head>\n"
        f"<body>{body}</body></html>\n"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
