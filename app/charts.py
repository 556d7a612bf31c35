"""Chart geometry for the server-rendered SVG charts: scales, round ticks, bars, lines, shaded weeks.

Pure: numbers and label strings in, coordinates out; the templates in ``templates/charts/`` draw
them, and CSS colours them. The drawing is in SVG user units of a viewBox ``WIDTH`` wide, which
the page shows at about that many pixels on a 360 px phone, so the ``FONT``-unit labels stay
legible (about 12 px there) and grow with the screen. The rules:

- **Weeks** are bands of equal width, oldest left; a bar sits in the middle `BAR_SHARE` of its band.
- **The value axis** starts at 0 and ends at the last of `nice_ticks`: round steps of 1, 2, 2.5 or
  5 × 10ⁿ (whole numbers only for counts), about `TICKS` of them; a percent axis is 0–100.
- **Labels under the weeks** are thinned to every *k*-th week so that none overlaps the next
  (`label_stride`, from a rough character width); the latest week is always labelled.
- **Shaded weeks** (a crisis) are drawn as one band per run of consecutive weeks, labelled above
  the plot from its left edge (from its right edge when the label would leave the viewBox).
- **A partial week** (the current one, "so far") is flagged on its bar and point; a line reaches
  it with a separate, dashed segment.
- **Gaps**: a week without a value (``None``: nothing to measure) breaks a line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 320
HEIGHT = 168
FONT = 13
CHAR = 0.6 * FONT  # a rough width of one label character, for spacing
TICKS = 4
BAR_SHARE = 0.7
TOP = 22  # room above the plot for the shaded runs' labels
BOTTOM = 24  # room below it for the week labels
RIGHT = 6
TICK_GAP = 6  # between a tick label and the plot
EDGE = 8  # room left of the widest tick label (the character width is only an estimate)
SPARK_WIDTH = 96
SPARK_HEIGHT = 28


@dataclass(frozen=True)
class Tick:
    """A value on the vertical axis: its height and its label."""

    value: float
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    """A week's label under the plot, centred at *x* (``anchor`` "middle"), or ending at the
    viewBox's right edge ("end") when centring would push it out."""

    index: int
    x: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Bar:
    """One week's bar."""

    index: int
    x: float
    y: float
    width: float
    height: float
    value: float
    partial: bool


@dataclass(frozen=True)
class Point:
    """One week's point of a line."""

    index: int
    x: float
    y: float
    value: float
    partial: bool


@dataclass(frozen=True)
class Band:
    """A run of shaded weeks, ``first``..``last`` (indexes), as a rectangle over the plot's height.

    Its label goes above it, starting at ``label_x`` (``anchor`` "start"), or ending there
    ("end") when it would run out of the viewBox on the right.
    """

    first: int
    last: int
    x: float
    y: float
    width: float
    height: float
    label_x: float = 0
    anchor: str = "start"


@dataclass(frozen=True)
class Chart:
    """Everything a chart template draws, in user units of a ``width`` × ``height`` viewBox."""

    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float
    ticks: tuple[Tick, ...] = ()
    labels: tuple[Label, ...] = ()
    bars: tuple[Bar, ...] = ()
    points: tuple[Point, ...] = ()
    line: str = ""
    partial_line: str = ""
    goal: str = ""
    bands: tuple[Band, ...] = ()

    @property
    def baseline(self) -> float:
        """Return the y of the value 0."""
        return self.bottom


def nice_ticks(high: float, *, count: int = TICKS, whole: bool = True) -> tuple[float, ...]:
    """Return ticks from 0 up to the first round step at or above *high*, about *count* steps.

    The step is 1, 2, 2.5 or 5 × 10ⁿ (2.5 only when fractions are allowed: *whole* False), the
    smallest that covers *high* in at most *count* steps; with *high* at or below 0 the axis is
    0–1 (an empty chart still has a scale). ``nice_ticks(58)`` is ``(0, 20, 40, 60)``.
    """
    if not high > 0:
        return (0, 1)
    raw = high / count
    power = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(s * power for s in steps if s * power >= raw - 1e-12)
    if whole:
        step = max(1, round(step))
    n = math.ceil(high / step - 1e-9)
    return tuple(_clean(step * i) for i in range(n + 1))


def label_stride(texts: Sequence[str], band: float, *, char: float = CHAR, gap: float = 6) -> int:
    """Return *k*: label every *k*-th band so that the widest label (plus *gap*) fits in *k* bands."""
    if not texts or band <= 0:
        return 1
    widest = max(len(t) for t in texts) * char + gap
    return max(1, math.ceil(widest / band - 1e-9))


def runs(flags: Sequence[bool]) -> tuple[tuple[int, int], ...]:
    """Return the ``(first, last)`` indexes of each run of consecutive true *flags*."""
    found: list[tuple[int, int]] = []
    start = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            found.append((start, i - 1))
            start = None
    if start is not None:
        found.append((start, len(flags) - 1))
    return tuple(found)


def bar_chart(
    values: Sequence[float],
    labels: Sequence[str],
    *,
    shaded: Sequence[bool] = (),
    partial_last: bool = False,
    goal: Sequence[float | None] | None = None,
    tick_label: Callable[[float], str] = lambda v: f"{v:g}",
    band_label: str = "",
    width: float = WIDTH,
    height: float = HEIGHT,
) -> Chart:
    """Lay out one bar per week (*values*, oldest first), with *labels* under them.

    *shaded* flags the weeks to shade; *partial_last* marks the last week as partial; *goal*
    (a value per week, or None for a week without one) is drawn as a step line, one level per
    week, and counts for the scale.
    """
    highest = max([*values, *(g for g in (goal or ()) if g is not None), 0])
    ticks = nice_ticks(highest)
    frame = _frame(ticks, tick_label, width, height)
    band = frame.band(len(values))
    bars = frame.bars(values, ticks[-1], partial_last)
    goal_path = ""
    if goal is not None:
        steps = [f"M{_r(frame.left + i * band)} {_r(frame.y(g, ticks[-1]))}h{_r(band)}"
                 for i, g in enumerate(goal) if g is not None]
        goal_path = "".join(steps)
    return frame.chart(ticks, tick_label, labels, shaded, band_label, bars=bars, goal=goal_path)


def line_chart(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    shaded: Sequence[bool] = (),
    partial_last: bool = False,
    high: float | None = None,
    tick_label: Callable[[float], str] = lambda v: f"{v:g}",
    band_label: str = "",
    width: float = WIDTH,
    height: float = HEIGHT,
) -> Chart:
    """Lay out a line through one point per week (*values*, oldest first; None breaks the line).

    *high* fixes the top of the scale (100 for a percentage), else it comes from the values.
    The segment into a partial last week is kept apart (``partial_line``), to draw it dashed.
    """
    known = [v for v in values if v is not None]
    ticks = (0, 25, 50, 75, 100) if high == 100 else nice_ticks(high if high is not None else max(known, default=0))
    frame = _frame(ticks, tick_label, width, height)
    band = frame.band(len(values))
    points = [
        Point(i, _r(frame.left + (i + 0.5) * band), _r(frame.y(v, ticks[-1])), v, partial_last and i == len(values) - 1)
        for i, v in enumerate(values) if v is not None
    ]
    line, previous = [], None
    complete = [p for p in points if not p.partial]
    for p in complete:
        joined = previous is not None and previous.index == p.index - 1
        line.append(f"{'L' if joined else 'M'}{p.x} {p.y}")
        previous = p
    partial = ""
    if points and points[-1].partial and len(points) > 1 and points[-2].index == points[-1].index - 1:
        a, b = points[-2], points[-1]
        partial = f"M{a.x} {a.y}L{b.x} {b.y}"
    return frame.chart(ticks, tick_label, labels, shaded, band_label, points=tuple(points), line="".join(line),
                       partial_line=partial)


def sparkline(values: Sequence[float], *, shaded: Sequence[bool] = (), partial_last: bool = False,
              width: float = SPARK_WIDTH, height: float = SPARK_HEIGHT) -> Chart:
    """Lay out small bars without axes or labels, scaled to the highest value (an empty series: flat)."""
    frame = _Frame(left=0, top=1, right=width, bottom=height - 1, width=width, height=height)
    bars = frame.bars(values, max([*values, 0]) or 1, partial_last)
    return Chart(width, height, 0, 0, width, height, bars=bars, bands=frame.bands(shaded, frame.band(len(values))))


@dataclass(frozen=True)
class Split:
    """Means of a weekly series inside and outside the shaded weeks (None where there is no week)."""

    shaded: float | None
    other: float | None
    shaded_weeks: int
    other_weeks: int


def split_means(values: Sequence[float | None], shaded: Sequence[bool], *, partial_last: bool = False) -> Split:
    """Return the means of *values* over the shaded weeks and over the others.

    A partial last week and weeks without a value (None) are left out of both.
    """
    inside, outside = [], []
    last = len(values) - 1
    for i, value in enumerate(values):
        if value is None or (partial_last and i == last):
            continue
        (inside if i < len(shaded) and shaded[i] else outside).append(value)
    return Split(sum(inside) / len(inside) if inside else None, sum(outside) / len(outside) if outside else None,
                 len(inside), len(outside))


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """The plot's rectangle inside the viewBox."""

    left: float
    top: float
    right: float
    bottom: float
    width: float
    height: float

    def band(self, n: int) -> float:
        return (self.right - self.left) / max(1, n)

    def y(self, value: float, top: float) -> float:
        return self.bottom - (max(0.0, min(value, top)) / top) * (self.bottom - self.top)

    def bars(self, values: Sequence[float], top: float, partial_last: bool) -> tuple[Bar, ...]:
        band = self.band(len(values))
        width = band * BAR_SHARE
        return tuple(
            Bar(i, _r(self.left + i * band + (band - width) / 2), _r(self.y(value, top)), _r(width),
                _r(self.bottom - self.y(value, top)), value, partial_last and i == len(values) - 1)
            for i, value in enumerate(values)
        )

    def bands(self, shaded: Sequence[bool], band: float, label: str = "") -> tuple[Band, ...]:
        found = []
        for first, last in runs(shaded):
            x, width = self.left + first * band, (last - first + 1) * band
            fits = x + len(label) * CHAR <= self.width
            found.append(Band(first, last, _r(x), _r(self.top), _r(width), _r(self.bottom - self.top),
                              _r(x if fits else min(x + width, self.width)), "start" if fits else "end"))
        return tuple(found)

    def label(self, index: int, x: float, text: str) -> Label:
        if x + len(text) * CHAR / 2 > self.width:
            return Label(index, _r(self.width), text, "end")
        return Label(index, _r(x), text)

    def chart(self, ticks, tick_label, labels, shaded, band_label="", **parts) -> Chart:
        n = len(labels)
        band = self.band(n)
        stride = label_stride(labels, band)
        shown = tuple(self.label(i, self.left + (i + 0.5) * band, labels[i]) for i in range(n - 1, -1, -stride))[::-1]
        axis = tuple(Tick(t, _r(self.y(t, ticks[-1])), tick_label(t)) for t in ticks)
        return Chart(self.width, self.height, self.left, self.top, self.right, self.bottom, ticks=axis,
                     labels=shown, bands=self.bands(shaded, band, band_label), **parts)


def _frame(ticks, tick_label, width: float, height: float) -> _Frame:
    """Return the plot's frame: the left margin fits the widest tick label."""
    left = max(len(tick_label(t)) for t in ticks) * CHAR + TICK_GAP + EDGE
    return _Frame(left=_r(left), top=TOP, right=width - RIGHT, bottom=height - BOTTOM, width=width, height=height)


def _clean(value: float) -> float:
    """Return *value* without float noise (0.30000000000000004 → 0.3), as an int when whole."""
    rounded = round(value, 9)
    return int(rounded) if rounded == int(rounded) else rounded


def _r(value: float) -> float:
    """Round a coordinate to one decimal: the SVG stays short and the drawing exact enough."""
    return _clean(round(value, 1))
