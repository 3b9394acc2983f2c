"""CSV for spreadsheets: the one writer every CSV the project answers goes through.

Text in a report comes from case systems (a priority, an account) and admins (a reporting
category, a milestone's name), and a spreadsheet runs a cell that starts like a formula. So, as
OWASP's CSV injection guidance says, a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return (or the full-width forms of the first four, which some spreadsheets read alike)
is prefixed with a single quote, and every text cell is quoted. Numbers are written as numbers:
only text, which a caller may not have written, is neutralised.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
Cell = str | int | float | None


def as_text(value: Cell) -> Cell:
    """The cell as a spreadsheet should show it: text that starts like a formula, as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Cell]]) -> str:
    """A header of `columns`, then each row's values of them (missing ones empty)."""
    out = io.StringIO()
    # QUOTE_NONNUMERIC quotes every text cell (and an empty one) and leaves numbers bare.
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([as_text(row.get(column)) for column in columns])
    return out.getvalue()
