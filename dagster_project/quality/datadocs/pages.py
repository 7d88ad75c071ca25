"""The Data Docs pages themselves: one validation result, an index of several, and writing a
page to disk atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.view import DefaultJinjaPageView

from dagster_project.quality.datadocs.assets import (
    PAGE_CSS,
    checked_href,
    escaped,
    gx_default_css,
    gx_image_data_uri,
    script_tag,
    style_tag,
    vendor_text,
)
from dagster_project.quality.datadocs.offline import check_offline, make_offline
from dagster_project.quality.datadocs.privacy import privacy_safe_result
from dagster_project.quality.datadocs.renderer import DescribedResultsTableRenderer

logger = logging.getLogger(__package__)  # one logger for the Data Docs, named as before the split


def render_validation_page(
    result: ExpectationSuiteValidationResult, *, title: str, index_href: str | None = None
) -> str:
    """GX Data Docs page for one ExpectationSuiteValidationResult, self-contained.

    `title` heads the page (browser title and the navigation bar's breadcrumb); it must not be
    data. `index_href`, a relative link, makes the GX logo and "Home" link back to an index
    page; without it they link nowhere. The page needs no network: styles, scripts and images
    are inlined, and nothing else is referenced.
    """
    safe = privacy_safe_result(result)
    renderer = ValidationResultsPageRenderer(
        column_section_renderer={
            "class_name": "ValidationResultsColumnSectionRenderer",
            "table_renderer": {
                "class_name": DescribedResultsTableRenderer.__name__,
                "module_name": DescribedResultsTableRenderer.__module__,
            },
        }
    )
    document = renderer.render(safe)
    document.page_title = escaped(title)  # GX's templates (.j2) are not autoescaped
    raw = DefaultJinjaPageView().render(document, show_how_to_buttons=False)
    page = make_offline(raw, title=title, index_href=checked_href(index_href) if index_href else None)
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
        href = checked_href(str(entry["href"]))
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
            f"<td>{escaped(entry['suite'])}</td>"
            f'<td><a href="{escaped(href)}">{escaped(entry["label"])}</a></td>'
            f"<td>{escaped(entry['validated_at'])}</td>"
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
        <img src="{gx_image_data_uri("logo-long.png")}" alt="Great Expectations" style="width: auto; height: 50px"/>
      </div>
      <ol class="ge-breadcrumbs breadcrumb d-md-inline-flex bg-light ml-2 mr-0 mt-0 mb-0 pt-0 pb-0 d-none">
        <li class="ge-breadcrumbs-item breadcrumb-item active" aria-current="page">{escaped(title)}</li>
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
            <div class="alert alert-secondary"><h5 class="m-0">{escaped(title)}</h5></div>
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
    <title>{escaped(title)}</title>
    <link rel="shortcut icon" href="{gx_image_data_uri("favicon.ico")}" type="image/x-icon"/>
    {style_tag(vendor_text("bootstrap-table-1.19.1/bootstrap-table.min.css"))}
    {style_tag(vendor_text("bootstrap-4.3.1/bootstrap.min.css"))}
    {style_tag(gx_default_css())}
    {style_tag(PAGE_CSS)}
    {script_tag(vendor_text("jquery-3.7.1/jquery.min.js"))}
    {script_tag(vendor_text("bootstrap-4.3.1/bootstrap.min.js"))}
    {script_tag(vendor_text("bootstrap-table-1.19.1/bootstrap-table.min.js"))}
  </head>
  <body>{body}</body>
</html>
"""
    check_offline(page)
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
