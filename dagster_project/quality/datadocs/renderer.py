"""GX's validation results table, with the suite's severity and description under each rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from great_expectations.render.components import RenderedStringTemplateContent
from great_expectations.render.renderer.content_block import (
    ValidationResultsTableContentBlockRenderer,
)


class DescribedResultsTableRenderer(ValidationResultsTableContentBlockRenderer):
    """GX's validation results table, with each expectation's suite `meta.severity` and
    `meta.description` shown under GX's own wording of the rule.

    Plugged in through GX's `column_section_renderer` / `table_renderer` configuration. GX's
    built-in `meta_properties_to_render` would add columns instead, but in GX 1.x it breaks the
    expectation's validation (it is passed on as an unknown expectation argument).
    """

    @classmethod
    def _get_content_block_fn(cls, expectation_type: str, expectation_config: Any = None) -> Any:
        row_fn = super()._get_content_block_fn(expectation_type=expectation_type, expectation_config=expectation_config)
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
