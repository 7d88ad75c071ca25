"""Great Expectations Data Docs pages that open from disk, offline, and never show data values.

`render_validation_page` renders one `ExpectationSuiteValidationResult` with GX's own renderer
(`ValidationResultsPageRenderer`) and view (`DefaultJinjaPageView`), so the page has GX's Data
Docs look. GX's templates load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and GX's
logo from CDNs and S3; here every such reference is replaced by the file's text (front-end
libraries vendored under `static/vendor/`, GX's own styles and images read from the installed
package) or removed, so the page makes no network request at all.

Privacy: before rendering, the result is rebuilt from counts and suite-defined names only (see
`_privacy_safe_result`): no unexpected values or rows, no non-numeric observed values, no batch
spec, batch markers or batch definition, and exception text reduced to the exception's type.

`render_index_page` lists several such pages in the same offline look; `write_page` writes one
atomically.
"""

from __future__ import annotations

import base64
import copy
import html
import logging
import numbers
import os
import re
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from dagster_project.quality.gx_runtime import exception_type_name

from great_expectations.core import (  # noqa: E402,I001  (imported after gx_runtime set the environment)
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.render.components import RenderedStringTemplateContent  # noqa: E402
from great_expectations.render.renderer import ValidationResultsPageRenderer  # noqa: E402
from great_expectations.render.renderer.content_block import (  # noqa: E402
    ValidationResultsTableContentBlockRenderer,
)
from great_expectations.render.view import DefaultJinjaPageView  # noqa: E402

logger = logging.getLogger(__name__)

__all__ = ["render_index_page", "render_validation_page", "write_page"]

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
_GX_STATIC = ("render", "view", "static")

# CDN files GX's templates reference, by a pattern on the URL, and the vendored file that
# replaces each. Any other remote stylesheet or script is dropped.
_VENDORED_STYLESHEETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/bootstrap(?:/|@)4\.[^\"']*/bootstrap\.min\.css$"), "bootstrap-4.3.1/bootstrap.min.css"),
    (re.compile(r"/bootstrap-table@[^/]+/dist/bootstrap-table\.min\.css$"),
     "bootstrap-table-1.19.1/bootstrap-table.min.css"),
)
_VENDORED_SCRIPTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/jquery-3\.[0-9.]+(?:\.min)?\.js$"), "jquery-3.7.1/jquery.min.js"),
    (re.compile(r"/bootstrap(?:/|@)4\.[^\"']*/bootstrap(?:\.bundle)?\.min\.js$"), "bootstrap-4.3.1/bootstrap.min.js"),
    (re.compile(r"/bootstrap-table@[^/]+/dist/bootstrap-table\.min\.js$"),
     "bootstrap-table-1.19.1/bootstrap-table.min.js"),
)

# Font Awesome is not vendored (its web fonts would more than double the page). GX uses five
# icons; these rules draw them as plain Unicode symbols in the same colours.
_PAGE_CSS = """
.fas, .fa { font-style: normal; font-weight: 700; display: inline-block; line-height: 1; }
.fa-check-circle::before { content: "\\2714"; }
.fa-times::before { content: "\\2716"; }
.fa-exclamation-triangle::before { content: "\\26A0"; }
.fa-question-circle::before { content: "?"; }
.fa-comment::before { content: "\\2139"; }
.veru-offline-note { color: #6c757d; font-size: 0.85rem; }
"""

# Result keys that are counts or rates of the whole column, never values from it.
_COUNT_KEYS = (
    "element_count",
    "missing_count",
    "missing_percent",
    "unexpected_count",
    "unexpected_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
)
_COLUMN_SET_TYPES = ("expect_table_columns_to_match_set",)
_WITHHELD_TRACEBACK = "(traceback withheld from this page: it may quote the data)"

_REMOTE_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data)\s*=\s*["']?\s*|url\(\s*["']?\s*|@import\s+["']?\s*)"""
    r"(?:https?:)?//",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def render_validation_page(
    result: ExpectationSuiteValidationResult, *, title: str, index_href: str | None = None
) -> str:
    """GX Data Docs page for one ExpectationSuiteValidationResult, self-contained.

    `title` heads the page (browser title and the navigation bar's breadcrumb); it must not be
    data. `index_href`, a relative link, makes the GX logo and "Home" link back to an index
    page; without it they link nowhere. The page needs no network: styles, scripts and images
    are inlined, and nothing else is referenced.
    """
    safe = _privacy_safe_result(result)
    renderer = ValidationResultsPageRenderer(
        column_section_renderer={
            "class_name": "ValidationResultsColumnSectionRenderer",
            "table_renderer": {"class_name": "DescribedResultsTableRenderer", "module_name": __name__},
        }
    )
    document = renderer.render(safe)
    document.page_title = _e(title)  # GX's templates (.j2) are not autoescaped
    raw = DefaultJinjaPageView().render(document, show_how_to_buttons=False)
    page = _make_offline(raw, title=title, index_href=_checked_href(index_href) if index_href else None)
    logger.info(
        "rendered Data Docs page for suite %s (%d expectations, %d bytes)",
        safe.suite_name,
        len(safe.results),
        len(page),
    )
    return page


def render_index_page(entries: list[dict], *, title: str) -> str:
    """An index of validation pages, in the same offline GX look (vendored Bootstrap).

    Each entry has keys 'href' (relative path), 'suite', 'label' (e.g. delivery file),
    'validated_at' (str), 'success' (bool), 'evaluated' (int), 'failed' (int). Hrefs must be
    relative links; an absolute or scheme URL raises `ValueError`.
    """
    rows = []
    for entry in entries:
        href = _checked_href(str(entry["href"]))
        success = bool(entry["success"])
        icon = (
            '<i class="fas fa-check-circle text-success" aria-hidden="true"></i>'
            if success
            else '<i class="fas fa-times text-danger" aria-hidden="true"></i>'
        )
        status = "Succeeded" if success else "Failed"
        failed = int(entry["failed"])
        rows.append(
            "<tr>"
            f'<td class="text-nowrap">{icon} {status}</td>'
            f"<td>{_e(entry['suite'])}</td>"
            f'<td><a href="{_e(href)}">{_e(entry["label"])}</a></td>'
            f"<td>{_e(entry['validated_at'])}</td>"
            f"<td>{int(entry['evaluated'])}</td>"
            f'<td class="{"text-danger font-weight-bold" if failed else ""}">{failed}</td>'
            "</tr>"
        )
    passed = sum(1 for entry in entries if entry["success"])
    body = f"""
<nav class="navbar navbar-expand-md sticky-top border-bottom" style="height: 70px">
  <div class="mr-auto">
    <nav class="d-flex align-items-center">
      <div class="float-left navbar-brand m-0 h-100">
        <img src="{_gx_image_data_uri('logo-long.png')}" alt="Great Expectations" style="width: auto; height: 50px"/>
      </div>
      <ol class="ge-breadcrumbs breadcrumb d-md-inline-flex bg-light ml-2 mr-0 mt-0 mb-0 pt-0 pb-0 d-none">
        <li class="ge-breadcrumbs-item breadcrumb-item active" aria-current="page">{_e(title)}</li>
      </ol>
    </nav>
  </div>
</nav>
<div class="container-fluid pt-4 pb-4 pl-5 pr-5">
  <div class="row">
    <div class="col-lg-2 col-md-2 col-sm-12 d-sm-block px-0">
      <div class="mb-4">
        <div class="col-12 p-0">
          <h4>Validation Results</h4>
          <p class="lead">Each delivery checked against its expectation suite.</p>
        </div>
      </div>
      <div class="card mb-3">
        <div class="card-header p-2"><strong>Summary</strong></div>
        <div class="card-body p-3">
          <p class="card-text mb-1">{len(entries)} validation{"" if len(entries) == 1 else "s"}</p>
          <p class="card-text mb-1 text-success">{passed} succeeded</p>
          <p class="card-text mb-0 text-danger">{len(entries) - passed} failed</p>
        </div>
      </div>
    </div>
    <div class="col-md-10 col-lg-10 col-xs-12 pl-md-4 pr-md-3">
      <div class="ge-section container-fluid mb-1 pb-1 pl-sm-3 px-0">
        <div class="row">
          <div class="col-12 p-0">
            <div class="alert alert-secondary"><h5 class="m-0">{_e(title)}</h5></div>
          </div>
          <div class="col-12 p-0">
            <table class="table table-sm" data-toggle="table" data-search="true" data-sort-name="validated_at" data-sort-order="desc">
              <thead>
                <tr>
                  <th data-field="status" data-sortable="true">Status</th>
                  <th data-field="suite" data-sortable="true">Expectation Suite</th>
                  <th data-field="label" data-sortable="true">Delivery</th>
                  <th data-field="validated_at" data-sortable="true">Validated at</th>
                  <th data-field="evaluated" data-sortable="true">Expectations</th>
                  <th data-field="failed" data-sortable="true">Failed</th>
                </tr>
              </thead>
              <tbody>
                {"".join(rows)}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </div>
  </div>
</div>
"""
    page = f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <meta name="color-scheme" content="light">
    <title>{_e(title)}</title>
    <link rel="shortcut icon" href="{_gx_image_data_uri('favicon.ico')}" type="image/x-icon"/>
    {_style(_vendor_text("bootstrap-table-1.19.1/bootstrap-table.min.css"))}
    {_style(_vendor_text("bootstrap-4.3.1/bootstrap.min.css"))}
    {_style(_gx_default_css())}
    {_style(_PAGE_CSS)}
    {_script(_vendor_text("jquery-3.7.1/jquery.min.js"))}
    {_script(_vendor_text("bootstrap-4.3.1/bootstrap.min.js"))}
    {_script(_vendor_text("bootstrap-table-1.19.1/bootstrap-table.min.js"))}
  </head>
  <body>{body}</body>
</html>
"""
    _check_offline(page)
    logger.info("rendered Data Docs index with %d entries", len(entries))
    return page


def write_page(path: Path, html: str) -> None:
    """Write `html` to `path` atomically (a temporary file beside it, then `os.replace`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    logger.debug("wrote %s (%d characters)", path, len(html))


# --------------------------------------------------------------------------------------------
# Renderer: GX's validation table, with the suite's description and severity under each rule
# --------------------------------------------------------------------------------------------


class DescribedResultsTableRenderer(ValidationResultsTableContentBlockRenderer):
    """GX's validation results table, with each expectation's suite `meta.severity` and
    `meta.description` shown under GX's own wording of the rule.

    Plugged in through GX's `column_section_renderer` / `table_renderer` configuration. GX's
    built-in `meta_properties_to_render` would add columns instead, but in GX 1.x it breaks the
    expectation's validation (it is passed on as an unknown expectation argument).
    """

    @classmethod
    def _get_content_block_fn(cls, expectation_type: str, expectation_config: Any = None) -> Any:
        row_fn = super()._get_content_block_fn(
            expectation_type=expectation_type, expectation_config=expectation_config
        )
        if row_fn is None:
            return None

        def described_row_fn(configuration=None, result=None, runtime_configuration=None, **kwargs):
            rows = row_fn(
                configuration=configuration,
                result=result,
                runtime_configuration=runtime_configuration,
                **kwargs,
            )
            config = getattr(result, "expectation_config", None) or configuration
            block = _description_block(getattr(config, "meta", None) or {})
            if block is not None and rows and isinstance(rows[0], list) and len(rows[0]) > 1:
                cell = rows[0][1]
                rows[0][1] = [*cell, block] if isinstance(cell, list) else [cell, block]
            return rows

        return described_row_fn


def _description_block(meta: Mapping[str, Any]) -> RenderedStringTemplateContent | None:
    description = meta.get("description")
    severity = meta.get("severity")
    params: dict[str, str] = {}
    parts = []
    styling: dict[str, Any] = {}
    if isinstance(severity, str) and severity.strip():
        params["severity"] = severity.strip()
        parts.append("$severity")
        badge = "badge-danger" if severity.strip() == "blocking" else "badge-warning"
        styling["severity"] = {"classes": ["badge", badge, "mr-1"]}
    if isinstance(description, str) and description.strip():
        params["description"] = description.strip()
        parts.append("$description")
        styling["description"] = {"classes": ["text-muted"]}
    if not parts:
        return None
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={
            "template": " ".join(parts),
            "params": params,
            "tag": "div",
            "styling": {"classes": ["mt-2", "small"], "params": styling},
        },
    )


# --------------------------------------------------------------------------------------------
# Privacy: rebuild the result from counts and suite-defined names only
# --------------------------------------------------------------------------------------------


def _privacy_safe_result(result: ExpectationSuiteValidationResult) -> ExpectationSuiteValidationResult:
    """A copy of `result` that holds no data value.

    Kept: suite name, success, statistics, suite parameters, each expectation's configuration
    (written in the suite), its success, and its counts and rates. Dropped: unexpected values,
    rows, indices and queries; non-numeric observed values (a min, a set of distinct values or a
    header can be data); `details`; exception messages and tracebacks (only the exception's type
    remains); and the run metadata except the GX version and the run name and time. In
    particular the batch spec, batch markers (including the data fingerprint) and batch
    definition are left out, as they can describe or embed the dataframe.
    """
    results = [_safe_expectation_result(evr) for evr in result.results]
    return ExpectationSuiteValidationResult(
        success=bool(result.success),
        results=results,
        suite_name=str(result.suite_name),
        suite_parameters=copy.deepcopy(dict(result.suite_parameters or {})),
        statistics=_numbers_only(result.statistics or {}),
        meta=_safe_meta(result.meta or {}),
        batch_id=None,
    )


def _safe_expectation_result(evr: ExpectationValidationResult) -> ExpectationValidationResult:
    config = copy.deepcopy(evr.expectation_config)
    raw = evr.result if isinstance(evr.result, Mapping) else {}
    safe: dict[str, Any] = {key: raw[key] for key in _COUNT_KEYS if _is_number(raw.get(key))}
    if _is_number(raw.get("observed_value")):
        safe["observed_value"] = raw["observed_value"]
    if config is not None and config.type in _COLUMN_SET_TYPES:
        safe.update(_safe_column_set(config.kwargs.get("column_set") or [], raw))

    error = exception_type_name(evr.exception_info)
    exception_info = {
        "raised_exception": error is not None,
        "exception_message": error,
        "exception_traceback": _WITHHELD_TRACEBACK if error is not None else None,
    }
    return ExpectationValidationResult(
        success=bool(evr.success),
        expectation_config=config,
        result=safe,
        meta={},
        exception_info=exception_info,
    )


def _safe_column_set(column_set: list[str], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Observed and missing columns by their names in the suite; unexpected columns left out.

    An unexpected column name comes from the file's header, and a file delivered without a
    header has a data row there.
    """
    observed = raw.get("observed_value")
    observed_names = {str(name) for name in observed} if isinstance(observed, list) else set()
    details = raw.get("details")
    mismatched = details.get("mismatched") if isinstance(details, Mapping) else None
    reported_missing = (mismatched or {}).get("missing") if isinstance(mismatched, Mapping) else None
    missing = [name for name in column_set if name in (reported_missing or [])]
    out: dict[str, Any] = {"observed_value": [name for name in column_set if name in observed_names]}
    if missing:
        out["details"] = {"mismatched": {"missing": missing}}
    return out


def _safe_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    version = meta.get("great_expectations_version")
    if isinstance(version, str):
        safe["great_expectations_version"] = version
    run_name = run_time = None
    run_id = meta.get("run_id")
    if run_id is not None:
        if isinstance(run_id, Mapping):
            run_name, run_time = run_id.get("run_name"), run_id.get("run_time")
        else:
            run_name = getattr(run_id, "run_name", None)
            run_time = getattr(run_id, "run_time", None)
    if run_time is None:
        markers = meta.get("batch_markers")
        if isinstance(markers, Mapping):
            run_time = markers.get("ge_load_time")
    if run_name is not None or run_time is not None:
        safe["run_id"] = {
            "run_name": str(run_name) if run_name is not None else None,
            "run_time": run_time.isoformat() if hasattr(run_time, "isoformat") else (
                str(run_time) if run_time is not None else None
            ),
        }
    return safe


def _numbers_only(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): value for key, value in mapping.items() if _is_number(value)}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Offline: inline or drop every remote reference in GX's page
# --------------------------------------------------------------------------------------------

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
_CSS_URL_REMOTE = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//[^)]*\)""", re.IGNORECASE)


def _make_offline(page: str, *, title: str, index_href: str | None) -> str:
    # GX's own <style> blocks first (before vendored CSS is added): no dark mode, no remote url().
    page = _STYLE_BLOCK.sub(lambda m: _style(_offline_css(m.group(1))), page)
    page = _TITLE.sub("", page)
    page = page.replace(
        "<head>",
        f'<head>\n    <meta name="color-scheme" content="light">\n    <title>{_e(title)}</title>',
        1,
    )
    page = _LINK_TAG.sub(_replace_link, page)
    page = _SCRIPT_SRC_TAG.sub(_replace_script, page)
    page = _INLINE_SCRIPT.sub(_drop_chart_script, page)
    page = _IMG_TAG.sub(_replace_img, page)
    page = _FOOTER.sub("", page)
    page = _ANCHOR.sub(lambda m: _replace_anchor(m, index_href), page)
    page = _NO_DATA_ASSET.sub("", page)
    page = page.replace("</head>", f"{_style(_PAGE_CSS)}\n  </head>", 1)
    # Vendored files go in last, so none of the rewriting above ever runs over their text.
    page = _PLACEHOLDER.sub(_inline_vendored, page)
    _check_offline(page)
    return page


def _placeholder(kind: str, relative: str) -> str:
    return f"<!--veru-vendored:{kind}:{relative}-->"


def _inline_vendored(match: re.Match[str]) -> str:
    kind, relative = match.group(1), match.group(2)
    text = _vendor_text(relative)
    return _style(text) if kind == "style" else _script(text)


def _replace_link(match: re.Match[str]) -> str:
    tag = match.group(0)
    href = _attribute(_HREF, tag)
    rel = (_attribute(_REL, tag) or "").lower()
    if href is None:
        return tag
    if "icon" in rel:
        return f'<link rel="shortcut icon" href="{_gx_image_data_uri("favicon.ico")}" type="image/x-icon"/>'
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
        return _SRC.sub(lambda _: f'src="{_gx_image_data_uri(name)}"', tag, count=1)
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
            return f'<a href="{_e(index_href)}">{inner}</a>'
        return f"<span>{inner}</span>"
    return f"<span>{inner}</span>"


def _offline_css(css: str) -> str:
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


def _check_offline(page: str) -> None:
    """Fail closed: a page that still references anything remote is a bug, not a page to write."""
    remote = _REMOTE_REFERENCE.search(page)
    if remote is not None:
        context = page[max(0, remote.start() - 60) : remote.end() + 60]
        raise RuntimeError(f"Data Docs page still references a remote resource near: {context!r}")


# --------------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _vendor_text(relative: str) -> str:
    return (VENDOR_DIR / relative).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _gx_default_css() -> str:
    path = resources.files("great_expectations").joinpath(*_GX_STATIC, "styles", "data_docs_default_styles.css")
    return _offline_css(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _gx_image_data_uri(name: str) -> str:
    path = resources.files("great_expectations").joinpath(*_GX_STATIC, "images", name)
    data = path.read_bytes()
    if data.startswith(b"\x89PNG"):  # GX's favicon.ico is a PNG
        mime = "image/png"
    else:
        mime = {"ico": "image/x-icon", "svg": "image/svg+xml"}.get(name.rsplit(".", 1)[-1], "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _vendored(table: tuple[tuple[re.Pattern[str], str], ...], url: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pattern, relative in table:
        if pattern.search(path):
            return relative
    return None


def _style(css: str) -> str:
    return "<style>" + css.replace("</style", "<\\/style") + "</style>"


def _script(js: str) -> str:
    return "<script>" + js.replace("</script", "<\\/script") + "</script>"


def _attribute(pattern: re.Pattern[str], tag: str) -> str | None:
    match = pattern.search(tag)
    if match is None:
        return None
    return html.unescape(next(group for group in match.groups() if group is not None))


def _checked_href(href: str) -> str:
    """A relative link, or ValueError: the pages must work from disk and link nowhere else."""
    stripped = href.strip()
    if not stripped or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", stripped) or stripped.startswith(("/", "\\")):
        raise ValueError(f"Data Docs links must be relative paths. Supplied value {href!r}.")
    return stripped


def _e(value: Any) -> str:
    """`value` as HTML text or attribute value."""
    return html.escape(str(value), quote=True)
