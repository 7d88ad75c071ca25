"""The one Great Expectations context this process uses: ephemeral, quiet and offline.

Creating a GX context and its pandas data source is slow, so both are built once per process
and reused. Analytics are off, progress bars are off, and GX's own loggers are silenced: GX logs
exception messages, and those can quote the data being validated.
"""

from __future__ import annotations

import builtins
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import great_expectations as gx  # analytics off: dagster_project/__init__.py
from great_expectations import exceptions as gx_exceptions
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

_DATASOURCE = "veru_quality"
_ASSET = "frame"
_BATCH_DEFINITION = "whole_frame"

# Serialises validations: the shared context is not documented as thread-safe, and
# `warnings.catch_warnings` (used around each validation) is process-global.
VALIDATION_LOCK = threading.Lock()


def silence_gx_logging() -> None:
    """Raise GX's loggers above CRITICAL so none of its messages (which may quote data) are emitted.

    A few GX modules set their own level; those are reset so they inherit the silenced one.
    """
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL + 10)
    for name, gx_logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith("great_expectations.") and isinstance(gx_logger, logging.Logger):
            gx_logger.setLevel(logging.NOTSET)


silence_gx_logging()


@dataclass(frozen=True)
class GxRuntime:
    context: Any
    batch_definition: Any


@lru_cache(maxsize=1)
def gx_runtime() -> GxRuntime:
    """The process-wide ephemeral context with one pandas asset that takes a whole dataframe."""
    silence_gx_logging()
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    asset = context.data_sources.add_pandas(_DATASOURCE).add_dataframe_asset(_ASSET)
    batch_definition = asset.add_batch_definition_whole_dataframe(_BATCH_DEFINITION)
    return GxRuntime(context=context, batch_definition=batch_definition)


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(?::|$)")
_EXCEPTION_NAMESPACES = (builtins, gx_exceptions)


def exception_type_name(exception_info: Any) -> str | None:
    """The name of the exception GX caught for an expectation, or None if it raised none.

    GX reports `{"raised_exception", "exception_message", "exception_traceback"}`, either
    directly or keyed by the metric that failed. Only a name that is a real exception class of
    Python or GX is returned; the message and traceback text are never looked at beyond that.
    """
    infos = _exception_infos(exception_info)
    raised = [info for info in infos if info.get("raised_exception")]
    if not raised:
        return None
    for info in raised:
        traceback = info.get("exception_traceback")
        if isinstance(traceback, str):
            for line in reversed(traceback.splitlines()):
                match = _EXCEPTION_LINE.match(line)
                if match and (name := _known_exception(match.group(1))):
                    return name
    return "Error"


def _exception_infos(exception_info: Any) -> list[dict]:
    if not isinstance(exception_info, dict):
        return []
    if "raised_exception" in exception_info:
        return [exception_info]
    return [v for v in exception_info.values() if isinstance(v, dict)]


def _known_exception(qualified_name: str) -> str | None:
    name = qualified_name.rsplit(".", 1)[-1]
    for namespace in _EXCEPTION_NAMESPACES:
        candidate = getattr(namespace, name, None)
        if isinstance(candidate, type) and issubclass(candidate, BaseException):
            return name
    return None
