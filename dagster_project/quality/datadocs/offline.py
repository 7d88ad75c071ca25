"""Rewriting GX's Data Docs page so that it opens from disk and requests nothing: every remote
stylesheet, script, image and link is inlined, replaced or removed, and a page that still
references anything remote is refused."""

from __future__ import annotations

import html
import logging
import re

from dagster_project.quality.datadocs.assets import (
    PAGE_CSS,
    escaped,
    gx_image_data_uri,
    offline_css,
    script_tag,
    style_tag,
    vendor_text,
)

logger = logging.getLogger(__package__)  # one logger for the Data Docs, named as before the split

# CDN files GX's templates reference, by a pattern on the URL, and the vendored file that
# replaces each. Any other remote stylesheet or script is dropped.
_VENDORED_STYLESHEETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/bootstrap(?:/|@)4\.[^\"']*/bootstrap\.min\.css$"), "bootstrap-4.3.1/bootstrap.min.css"),
    (
        re.compile(r"/bootstrap-table@[^/]+/dist/bootstrap-table\.min\.css$"),
        "bootstrap-table-1.19.1/bootstrap-table.min.css",
    ),
)
_VENDORED_SCRIPTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/jquery-3\.[0-9.]+(?:\.min)?\.js$"), "jquery-3.7.1/jquery.min.js"),
    (re.compile(r"/bootstrap(?:/|@)4\.[^\"']*/bootstrap(?:\.bundle)?\.min\.js$"), "bootstrap-4.3.1/bootstrap.min.js"),
    (
        re.compile(r"/bootstrap-table@[^/]+/dist/bootstrap-table\.min\.js$"),
        "bootstrap-table-1.19.1/bootstrap-table.min.js",
    ),
)

_REMOTE_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data)\s*=\s*["']?\s*|url\(\s*["']?\s*|@import\s+["']?\s*)"""
    r"(?:https?:)?//",
    re.IGNORECASE,
)

_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_SCRIPT_SRC_TAG = re.compile(r"<script\b[^>]*\bsrc\s*=[^>]*>\s*</script\s*>", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_FOOTER = re.compile(r"<footer\b.*?</footer\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>.*?</title\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_HOME = re.compile(r"^(?:\.\./)*(?:\./)?index\.html$")
_NO_DATA_ASSET = re.compile(r"\s*Data asset:\s*None\s*<br>")
_PLACEHOLDER = re.compile(r"<!--veru-vendored:(style|script):([A-Za-z0-9._/-]+)-->")


def make_offline(page: str, *, title: str, index_href: str | None) -> str:
    """GX's rendered `page` with every remote reference inlined or removed, headed by `title`."""
    # GX's own <style> blocks first (before vendored CSS is added): no dark mode, no remote url().
    page = _STYLE_BLOCK.sub(lambda m: style_tag(offline_css(m.group(1))), page)
    page = _TITLE.sub("", page)
    page = page.replace(
        "<head>",
        f'<head>\n    <meta name="color-scheme" content="light">\n    <title>{escaped(title)}</title>',
        1,
    )
    page = _LINK_TAG.sub(_replace_link, page)
    page = _SCRIPT_SRC_TAG.sub(_replace_script, page)
    page = _INLINE_SCRIPT.sub(_drop_chart_script, page)
    page = _IMG_TAG.sub(_replace_img, page)
    page = _FOOTER.sub("", page)
    page = _ANCHOR.sub(lambda m: _replace_anchor(m, index_href), page)
    page = _NO_DATA_ASSET.sub("", page)
    page = page.replace("</head>", f"{style_tag(PAGE_CSS)}\n  </head>", 1)
    # Vendored files go in last, so none of the rewriting above ever runs over their text.
    page = _PLACEHOLDER.sub(_inline_vendored, page)
    check_offline(page)
    return page


def _placeholder(kind: str, relative: str) -> str:
    return f"<!--veru-vendored:{kind}:{relative}-->"


def _inline_vendored(match: re.Match[str]) -> str:
    kind, relative = match.group(1), match.group(2)
    text = vendor_text(relative)
    return style_tag(text) if kind == "style" else script_tag(text)


def _replace_link(match: re.Match[str]) -> str:
    tag = match.group(0)
    href = _attribute(_HREF, tag)
    rel = (_attribute(_REL, tag) or "").lower()
    if href is None:
        return tag
    if "icon" in rel:
        return f'<link rel="shortcut icon" href="{gx_image_data_uri("favicon.ico")}" type="image/x-icon"/>'
    if "stylesheet" in rel:
        vendored = _vendored(_VENDORED_STYLESHEETS, href)
        if vendored is not None:
            return _placeholder("style", vendored)
    logger.debug("dropped <link> %s", href)
    return ""


def _replace_script(match: re.Match[str]) -> str:
    tag = match.group(0)
    src = _attribute(_SRC, tag) or ""
    vendored = _vendored(_VENDORED_SCRIPTS, src)
    if vendored is not None:
        return _placeholder("script", vendored)
    logger.debug("dropped <script src> %s", src)
    return ""


def _drop_chart_script(match: re.Match[str]) -> str:
    """GX draws a few observed values as Vega charts; Vega is not inlined, so neither are charts."""
    if "vegaEmbed(" in match.group(1):
        logger.info("Data Docs chart left out of the offline page (Vega is not inlined)")
        return '<p class="veru-offline-note">(chart not shown in this offline page)</p>'
    return match.group(0)


def _replace_img(match: re.Match[str]) -> str:
    tag = match.group(0)
    src = _attribute(_SRC, tag) or ""
    if src.startswith("data:"):
        return tag
    name = src.split("?", 1)[0].rsplit("/", 1)[-1]
    if name in ("logo-long.png", "short-logo.png"):
        return _SRC.sub(lambda _: f'src="{gx_image_data_uri(name)}"', tag, count=1)
    logger.debug("dropped <img> %s", src)
    return ""


def _replace_anchor(match: re.Match[str], index_href: str | None) -> str:
    """Keep in-page links (#...); point GX's "home" links at the index; unwrap every other link.

    GX links to its own site layout (the suite's page, `../../index.html`) and to its website;
    none of those exist next to a standalone page.
    """
    attributes, inner = match.group(1), match.group(2)
    href = _attribute(_HREF, f"<a {attributes}>")
    if href is None or href.startswith("#"):
        return match.group(0)
    if _HOME.match(href):
        if index_href is not None:
            return f'<a href="{escaped(index_href)}">{inner}</a>'
        return f"<span>{inner}</span>"
    return f"<span>{inner}</span>"


def check_offline(page: str) -> None:
    """Fail closed: a page that still references anything remote is a bug, not a page to write."""
    remote = _REMOTE_REFERENCE.search(page)
    if remote is not None:
        context = page[max(0, remote.start() - 60) : remote.end() + 60]
        raise RuntimeError(f"Data Docs page still references a remote resource near: {context!r}")


def _vendored(table: tuple[tuple[re.Pattern[str], str], ...], url: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pattern, relative in table:
        if pattern.search(path):
            return relative
    return None


def _attribute(pattern: re.Pattern[str], tag: str) -> str | None:
    match = pattern.search(tag)
    if match is None:
        return None
    return html.unescape(next(group for group in match.groups() if group is not None))
