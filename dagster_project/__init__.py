"""Linked data platform for violence and exploitation reduction.

Importing the package turns Great Expectations' usage analytics off before anything can import
GX (it reads the setting when first imported, and the platform must not call out): this is
the one place that sets the environment, and nothing here reads it (`settings` does).
"""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
