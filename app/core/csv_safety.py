"""Spreadsheet-safe CSV cells (OWASP "CSV Injection").

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``=cmd|...``), and some also after a leading tab or carriage
return. Course titles and outcomes in job results come from whoever submitted the batch, so
every text cell the service writes into a CSV goes through :func:`neutralise`, which prefixes
such a cell with a single quote: the spreadsheet shows the text and runs nothing. Numbers are
written as numbers (a negative number is not a formula).
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """``cell`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


def safe_row(cells: Iterable[object]) -> list[object]:
    """A CSV row with every cell passed through :func:`neutralise`."""
    return [neutralise(cell) for cell in cells]
