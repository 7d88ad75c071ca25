"""What the offline pages inline instead of fetching: the vendored front-end libraries, GX's own
stylesheet and images (read from the installed package), and the small HTML helpers that put
them in a page safely."""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
_GX_STATIC = ("render", "view", "static")

# Font Awesome is not vendored (its web fonts would more than double the page). GX uses five
# icons; these rules draw them as plain Unicode symbols in the same colours.
PAGE_CSS = """
.fas, .fa { font-style: normal; font-weight: 700; display: inline-block; line-height: 1; }
.fa-check-circle::before { content: "\\2714"; }
.fa-times::before { content: "\\2716"; }
.fa-exclamation-triangle::before { content: "\\26A0"; }
.fa-question-circle::before { content: "?"; }
.fa-comment::before { content: "\\2139"; }
.veru-offline-note { color: #6c757d; font-size: 0.85rem; }
"""

_CSS_URL_REMOTE = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//[^)]*\)""", re.IGNORECASE)


def offline_css(css: str) -> str:
    """GX's stylesheet without its dark-mode block (which expects a dark Bootstrap theme and a
    remote logo) and without any remote url()."""
    css = _remove_at_rule(css, "@media (prefers-color-scheme: dark)")
    return _CSS_URL_REMOTE.sub("none", css)


def _remove_at_rule(css: str, prelude: str) -> str:
    while (start := css.find(prelude)) >= 0:
        opening = css.find("{", start)
        if opening < 0:
            break
        depth, position = 0, opening
        for position in range(opening, len(css)):
            if css[position] == "{":
                depth += 1
            elif css[position] == "}":
                depth -= 1
                if depth == 0:
                    break
        css = css[:start] + css[position + 1 :]
    return css


@cache
def vendor_text(relative: str) -> str:
    return (VENDOR_DIR / relative).read_text(encoding="utf-8")


@cache
def gx_default_css() -> str:
    path = resources.files("great_expectations").joinpath(*_GX_STATIC, "styles", "data_docs_default_styles.css")
    return offline_css(path.read_text(encoding="utf-8"))


@cache
def gx_image_data_uri(name: str) -> str:
    path = resources.files("great_expectations").joinpath(*_GX_STATIC, "images", name)
    data = path.read_bytes()
    if data.startswith(b"\x89PNG"):  # GX's favicon.ico is a PNG
        mime = "image/png"
    else:
        mime = {"ico": "image/x-icon", "svg": "image/svg+xml"}.get(name.rsplit(".", 1)[-1], "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def style_tag(css: str) -> str:
    """`css` as an inline <style> element whose text cannot close the element early."""
    return "<style>" + css.replace("</style", "<\\/style") + "</style>"


def script_tag(js: str) -> str:
    """`js` as an inline <script> element whose text cannot close the element early."""
    return "<script>" + js.replace("</script", "<\\/script") + "</script>"


def checked_href(href: str) -> str:
    """A relative link, or ValueError: the pages must work from disk and link nowhere else."""
    stripped = href.strip()
    if not stripped or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", stripped) or stripped.startswith(("/", "\\")):
        raise ValueError(f"Data Docs links must be relative paths. Supplied value {href!r}.")
    return stripped


def escaped(value: Any) -> str:
    """`value` as HTML text or attribute value."""
    return html.escape(str(value), quote=True)
