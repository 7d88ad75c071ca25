"""Great Expectations Data Docs pages that open from disk, offline, and never show data values.

`render_validation_page` renders one `ExpectationSuiteValidationResult` with GX's own renderer
(`ValidationResultsPageRenderer`) and view (`DefaultJinjaPageView`), so the page has GX's Data
Docs look. GX's templates load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and GX's
logo from CDNs and S3; here every such reference is replaced by the file's text (front-end
libraries vendored under `static/vendor/`, GX's own styles and images read from the installed
package) or removed, so the page makes no network request at all.

Privacy: before rendering, the result is rebuilt from counts and suite-defined names only (see
`privacy.privacy_safe_result`): no unexpected values or rows, no non-numeric observed values,
no batch spec, batch markers or batch definition, and exception text reduced to the
exception's type.

`render_index_page` lists several such pages in the same offline look; `write_page` writes one
atomically.

The package is split by concern: `pages` (the public functions), `renderer` (GX's results table
with each rule's severity and description), `privacy` (the rebuilt result), `offline` (the
rewriting of GX's page) and `assets` (vendored files, GX's styles and images, HTML helpers).
"""

from __future__ import annotations

from dagster_project.quality.datadocs.assets import VENDOR_DIR
from dagster_project.quality.datadocs.pages import render_index_page, render_validation_page, write_page
from dagster_project.quality.datadocs.renderer import DescribedResultsTableRenderer

__all__ = ["VENDOR_DIR", "DescribedResultsTableRenderer", "render_index_page", "render_validation_page", "write_page"]
