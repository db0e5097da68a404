"""Label placement for static maps: greedy, by rank, never overlapping another label or a map element."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.transforms import Bbox

__all__ = ["LabelCandidate", "place_labels"]

#: Tried in order: right, left, above, below the point (offsets in points).
_POSITIONS: tuple[tuple[float, float, str, str], ...] = (
    (5, 0, "left", "center"),
    (-5, 0, "right", "center"),
    (0, 5, "center", "bottom"),
    (0, -5, "center", "top"),
)


#: How each kind of label looks: size (points), colour, weight, style, and whether it sits on its point
#: (names of areas and basemap places) or beside it (a feature's marker is there).
_KINDS: dict[str, tuple[float, str, str, str, bool]] = {
    "feature": (8.0, "#222222", "bold", "normal", False),
    "country": (10.0, "#6F6A60", "normal", "normal", True),
    "place": (7.0, "#555555", "normal", "italic", False),
}
_ON_POINT: tuple[tuple[float, float, str, str], ...] = ((0, 0, "center", "center"),)


@dataclass(frozen=True)
class LabelCandidate:
    """A label to place at a point (in the axes' data coordinates): lower ``tier`` first, then higher ``rank``.

    ``kind`` is ``feature`` (beside a marker), ``country`` or ``place`` (on the point, no marker).
    """

    text: str
    x: float
    y: float
    rank: float
    tier: int = 1
    kind: str = "feature"


def place_labels(
    ax: Axes,
    renderer: RendererBase,
    candidates: Sequence[LabelCandidate],
    *,
    obstacles: Sequence[Bbox] = (),
    fontsize: float | None = None,
) -> list[str]:
    """Draw each label at the first position that collides with nothing; drop it if none fits.

    Parameters
    ----------
    ax
        Axes to draw into.
    renderer
        Renderer used to measure text.
    candidates
        Labels with anchor points; placed in descending ``rank`` (ties by text, so the result is
        deterministic).
    obstacles
        Display-space boxes labels must avoid (legend, title, scale bar …).
    fontsize
        Label size in points (default: by the label's kind).

    Returns
    -------
    list of str
        The texts that were placed, in placement order.
    """
    taken: list[Bbox] = list(obstacles)
    frame = ax.get_window_extent(renderer)
    placed: list[str] = []
    for cand in sorted(candidates, key=lambda c: (c.tier, -c.rank, c.text)):
        size, colour, weight, style, on_point = _KINDS[cand.kind]
        for dx, dy, ha, va in _ON_POINT if on_point else _POSITIONS:
            text = ax.annotate(
                cand.text,
                (cand.x, cand.y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize or size,
                fontweight=weight,
                fontstyle=style,
                color=colour,
                zorder=40,
            )
            box = text.get_window_extent(renderer).expanded(1.06, 1.15)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in taken):
                text.set_path_effects(_halo())
                if cand.kind == "place":  # a basemap place has no marker of its own
                    ax.plot([cand.x], [cand.y], marker="o", markersize=2.5, color="#555555", zorder=39)
                taken.append(box)
                placed.append(cand.text)
                break
            text.remove()
    return placed


def _halo() -> list:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]
