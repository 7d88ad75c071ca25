"""Statistical disclosure control (SDC) for published count tables.

What this does, in plain words
------------------------------
A table of counts (for example victims by council and age band) can identify people when a
number is small: "2 victims aged 10-17 in Dover" may be enough for a reader who knows one of
them to learn the rest. `protect` takes the full table of true counts, adds the totals, and
hides ("suppresses") numbers so that no small count can be read off or worked out.

How it chooses what to hide (primary, secondary and combined-line suppression) and why zeros
are published: `disclosure.suppression`.

What is published
-----------------
Only whether an entry is hidden (`suppressed`), never why. A label saying "primary" tells the
reader the hidden number is 1 to 4, and with the totals that pinned hidden cells exactly
(issue 10, finding 5). The status stays inside `SuppressedTable` for the audit
(`dagster_project.publication.audit`), which is never written.

Limits, honestly
----------------
This is a greedy method for one table. It guarantees that no hidden number can be recovered
exactly from this one table by subtraction along rows and columns, or by sums and differences
of its lines. It is not optimal: it may hide more than the minimum needed. On its own it does
not guarantee a wide protection interval (a hidden 3 paired with a hidden 0 is known to be
between 0 and 3), nor protection against linear programming across several linked tables
published from the same data, nor against a reader who knows that a label a table lists occurs
(its row or margin is at least 1) or that a hidden count is not 0 (zeros are published). These
are the job of `dagster_project.publication.audit`, which audits all tables together, as those
readers too, and hides more cells until every small count's protection interval runs from its
structural minimum to at least the threshold.

Where each part lives
---------------------
- `table`: the full table with its margins (`_Grid`) and each entry's status (`SuppressedTable`).
- `suppression`: choosing what to hide (`suppress`).
- `publishing`: the publishable frame with rates (`publish`), and both steps at once (`protect`).
- `checks`: input checks, whose errors name the column, value and remedy.
"""

from dagster_project.publication.disclosure.publishing import protect, publish
from dagster_project.publication.disclosure.suppression import suppress
from dagster_project.publication.disclosure.table import PRIMARY, SECONDARY, SuppressedTable

__all__ = ["PRIMARY", "SECONDARY", "SuppressedTable", "protect", "publish", "suppress"]
