"""Column charts as values: each column's stacked segments in pixels, ready for table cells or SVG.

Email clients draw no SVG and run no scripts (caniemail `html-svg`: not in Outlook or Gmail), so
emails draw the columns as table cells of a given height; the web pages draw the same values as SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SUCCEEDED = "#2da44e"
FAILED = "#cf222e"
OTHER = "#8c959f"
BASELINE = "#d0d7de"
PLOT_HEIGHT = 64  # pixels of the tallest column


@dataclass(frozen=True, slots=True)
class Column:
    """What one column counts: succeeded, failed and other deployments; None when there is no data."""

    label: str
    title: str
    counts: tuple[int, int, int] | None
    strong: bool = False  # the column of the day the page is about


@dataclass(frozen=True, slots=True)
class Bar:
    """One column as drawn: labels, a tooltip, and (height, colour) segments from the top down."""

    label: str
    label_top: str
    title: str
    segments: tuple[tuple[int, str], ...]
    strong: bool = False


def bars(columns: Sequence[Column], height: int = PLOT_HEIGHT) -> list[Bar]:
    """Columns scaled to the tallest; every non-zero part at least one pixel, an empty day a baseline."""
    tallest = max((sum(c.counts) for c in columns if c.counts), default=0) or 1
    drawn = []
    for column in columns:
        if column.counts is None:
            drawn.append(Bar(column.label, "", column.title, (), column.strong))
            continue
        succeeded, failed, other = column.counts
        segments = [
            (max(1, round(part * height / tallest)), colour)
            for part, colour in ((failed, FAILED), (other, OTHER), (succeeded, SUCCEEDED))
            if part
        ]
        total = succeeded + failed + other
        drawn.append(
            Bar(
                column.label,
                str(total) if total else "",
                column.title,
                tuple(segments) or ((1, BASELINE),),
                column.strong,
            )
        )
    return drawn
