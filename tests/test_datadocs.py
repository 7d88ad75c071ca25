"""Offline, privacy-safe Great Expectations Data Docs pages (dagster_project.quality.datadocs)."""

from __future__ import annotations

import re
import shutil
import warnings

import great_expectations as gx
import polars as pl
import pytest
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.view import DefaultJinjaPageView

from dagster_project.quality import datadocs
from dagster_project.quality.datadocs import render_index_page, render_validation_page, write_page
from dagster_project.quality.gx_runtime import VALIDATION_LOCK, gx_runtime
from dagster_project.quality.suites import RESULT_FORMAT

PLANTED = "ZQXWYLEBOTTOM"  # a fake surname: must never reach a page
SUITE = "datadocs_demo"
FAILING_DESCRIPTION = "Surnames are at most eight capital letters."
PASSING_DESCRIPTION = "Every record has an identifier."

# A reference to anything that is not in the page itself: src/href/srcset attributes, CSS url()
# and @import, with a scheme or protocol-relative.
REMOTE = re.compile(
    r"""(?:\b(?:src|href|srcset)\s*=\s*["']?\s*|url\(\s*["']?\s*|@import\s+["']?\s*)(?:https?:)?//""",
    re.IGNORECASE,
)


def _validate(frame: pl.DataFrame, expectations: list) -> ExpectationSuiteValidationResult:
    """Validate like `suites.validate_frame` does (shared runtime, counts-only result format)."""
    suite = gx.ExpectationSuite(name=SUITE, expectations=expectations)
    runtime = gx_runtime()
    with VALIDATION_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = runtime.batch_definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()})
        return batch.validate(suite, result_format=dict(RESULT_FORMAT))


@pytest.fixture(scope="module")
def result() -> ExpectationSuiteValidationResult:
    frame = pl.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "surname": ["SMITH", PLANTED, "KHAN", "NOWAK"],
        }
    )
    return _validate(
        frame,
        [
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column="record_id", meta={"severity": "blocking", "description": PASSING_DESCRIPTION}
            ),
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="surname",
                regex="^[A-Z]{1,8}$",
                meta={"severity": "warning", "description": FAILING_DESCRIPTION},
            ),
        ],
    )


@pytest.fixture(scope="module")
def page(result) -> str:
    return render_validation_page(result, title=f"{SUITE} on police_2024-05-01.csv", index_href="../index.html")


def test_fixture_has_one_passing_and_one_failing_expectation(result):
    assert [r.success for r in result.results] == [True, False]


def test_page_shows_the_suite_and_the_failing_expectation(page):
    assert SUITE in page
    assert "police_2024-05-01.csv" in page  # the title
    assert FAILING_DESCRIPTION in page and PASSING_DESCRIPTION in page
    assert "values must match this regular expression" in page  # GX's own wording of the rule
    assert "^[A-Z]{1,8}$" in page
    assert "1 unexpected values found" in page  # a count, not a value
    assert "Failed" in page
    assert 'href="../index.html"' in page


def test_page_references_nothing_remote(page):
    assert REMOTE.search(page) is None, REMOTE.search(page)
    assert re.search(r"<script\b[^>]*\bsrc\s*=", page, re.IGNORECASE) is None
    assert re.search(r"<link\b[^>]*stylesheet", page, re.IGNORECASE) is None
    for host in ("greatexpectations.io", "amazonaws.com", "cdn.jsdelivr", "unpkg.com", "cdnjs", "bootstrapcdn"):
        assert host not in page
    assert "newsletter" not in page.lower()


def test_page_inlines_the_vendored_front_end(page):
    assert "Bootstrap v4.3.1" in page and ".btn-primary{" in page  # bootstrap css
    assert "jQuery v3.7.1" in page
    assert "bootstrap-table" in page and "fixed-table-toolbar" in page  # bootstrap-table css/js
    assert ".ge-section" in page  # GX's own data_docs_default_styles.css
    assert 'src="data:image/png;base64,' in page  # the GX logo
    for path in datadocs.VENDOR_DIR.glob("*/*.min.*"):
        assert path.read_text(encoding="utf-8") in page, path


def test_page_never_shows_data(page):
    assert PLANTED not in page
    for name in ("SMITH", "KHAN", "NOWAK"):
        assert name not in page
    # Nothing about the batch: no data fingerprint, spec, markers or batch definition.
    for text in ("pandas_data_fingerprint", "Batch Spec", "Batch Markers", "Batch Definition", "DATAFRAME"):
        assert text not in page
    assert "Unexpected Value" not in page and "Sample" not in page


def test_values_in_a_result_are_stripped_before_rendering():
    """Values GX would show (sample unexpected values, a non-numeric observed value, an exception
    message, the batch spec, an unexpected header name) are removed before GX renders the page."""
    config = ExpectationConfiguration(
        type="expect_column_values_to_match_regex",
        kwargs={"column": "surname", "regex": "^[A-Z]+$"},
        meta={"severity": "warning", "description": FAILING_DESCRIPTION},
    )
    leaky = ExpectationValidationResult(
        success=False,
        expectation_config=config,
        result={
            "element_count": 3,
            "unexpected_count": 1,
            "unexpected_percent": 33.3,
            "partial_unexpected_list": [PLANTED],
            "partial_unexpected_counts": [{"value": PLANTED, "count": 1}],
            "partial_unexpected_index_list": [1],
            "unexpected_list": [PLANTED],
            "observed_value": PLANTED,
        },
        exception_info={"raised_exception": False, "exception_message": None, "exception_traceback": None},
    )
    broken = ExpectationValidationResult(
        success=False,
        expectation_config=ExpectationConfiguration(
            type="expect_column_values_to_be_in_set", kwargs={"column": "sex", "value_set": ["F", "M"]}
        ),
        result={},
        exception_info={
            "raised_exception": True,
            "exception_message": f"could not convert {PLANTED!r}",
            "exception_traceback": f'Traceback ...\nValueError: could not convert "{PLANTED}"',
        },
    )
    columns = ExpectationValidationResult(
        success=False,
        expectation_config=ExpectationConfiguration(
            type="expect_table_columns_to_match_set",
            kwargs={"column_set": ["surname", "sex", "dob"], "exact_match": True},
        ),
        result={
            "observed_value": [PLANTED, "sex", "surname"],
            "details": {"mismatched": {"unexpected": [PLANTED], "missing": ["dob"]}},
        },
        exception_info={"raised_exception": False, "exception_message": None, "exception_traceback": None},
    )
    result = ExpectationSuiteValidationResult(
        success=False,
        results=[leaky, broken, columns],
        suite_name=SUITE,
        statistics={
            "evaluated_expectations": 3,
            "successful_expectations": 0,
            "unsuccessful_expectations": 3,
            "success_percent": 0.0,
        },
        meta={
            "great_expectations_version": gx.__version__,
            "batch_spec": {"batch_data": f"DataFrame surname {PLANTED}"},
            "batch_markers": {"ge_load_time": "20240501T100000.000000Z", "pandas_data_fingerprint": "abc"},
            "active_batch_definition": {"batch_identifiers": {"dataframe": PLANTED}},
        },
    )
    # GX on its own would show the value: this test guards something real.
    raw = DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(result))
    assert PLANTED in raw

    page = render_validation_page(result, title="stripped")
    assert PLANTED not in page
    assert "ValueError" in page  # the exception's type only
    assert "traceback withheld" in page
    assert "2024-05-01T10:00:00Z" in page  # run time from the batch's load time
    assert "dob" in page and "sex" in page  # suite-defined column names remain
    assert REMOTE.search(page) is None


def test_index_page_links_to_the_validation_pages(tmp_path, page):
    entries = [
        {
            "href": "pages/police_2024-05-01.html",
            "suite": SUITE,
            "label": "police_2024-05-01.csv",
            "validated_at": "2024-05-01 10:00",
            "success": False,
            "evaluated": 2,
            "failed": 1,
        },
        {
            "href": "pages/health_2024-05-01.html",
            "suite": "health",
            "label": "health <2024>.csv",
            "validated_at": "2024-05-01 10:05",
            "success": True,
            "evaluated": 40,
            "failed": 0,
        },
    ]
    index = render_index_page(entries, title="Data quality")
    assert 'href="pages/police_2024-05-01.html"' in index
    assert 'href="pages/health_2024-05-01.html"' in index
    assert "police_2024-05-01.csv" in index and SUITE in index
    assert "health &lt;2024&gt;.csv" in index  # escaped
    assert "Bootstrap v4.3.1" in index and "jQuery v3.7.1" in index
    assert REMOTE.search(index) is None

    write_page(tmp_path / "site" / "index.html", index)
    write_page(tmp_path / "site" / "pages" / "police_2024-05-01.html", page)
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == index
    linked = re.findall(r'<a href="([^"#]+)"', index)
    assert (tmp_path / "site" / linked[0]).is_file()


@pytest.mark.parametrize(
    "href", ["https://example.org/page.html", "//example.org/x", "/etc/page.html", "javascript:alert(1)", ""]
)
def test_index_rejects_links_that_are_not_relative(href):
    entry = {
        "href": href,
        "suite": SUITE,
        "label": "x.csv",
        "validated_at": "now",
        "success": True,
        "evaluated": 1,
        "failed": 0,
    }
    with pytest.raises(ValueError):
        render_index_page([entry], title="Data quality")


def test_write_page_is_atomic_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "page.html"
    write_page(target, "<p>one</p>")
    write_page(target, "<p>two</p>")
    assert target.read_text(encoding="utf-8") == "<p>two</p>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.html"]  # no temporary left


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="Chromium is not installed (`make test` installs it)",
)
def test_page_is_styled_and_scripted_in_a_browser_with_no_network(tmp_path, page):
    from browser import not_blank, open_offline

    path = tmp_path / "page.html"
    write_page(path, page)
    shot = tmp_path / "page.png"
    dom = open_offline(path, shot, tmp_path / "profile")
    colours, inked = not_blank(shot)
    assert colours >= 12 and inked >= 0.03, (colours, inked)
    assert "bootstrap-table bootstrap4" in dom  # jQuery, Bootstrap and bootstrap-table all ran
    assert PLANTED not in dom
