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


@dataclass(frozen=True)
class LabelCandidate:
    """A label to place at a point (in the axes' data coordinates), higher ``rank`` first."""

    text: str
    x: float
    y: float
    rank: float


def place_labels(
    ax: Axes,
    renderer: RendererBase,
    candidates: Sequence[LabelCandidate],
    *,
    obstacles: Sequence[Bbox] = (),
    fontsize: float = 8.0,
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
        Label size in points.

    Returns
    -------
    list of str
        The texts that were placed, in placement order.
    """
    taken: list[Bbox] = list(obstacles)
    frame = ax.get_window_extent(renderer)
    placed: list[str] = []
    for cand in sorted(candidates, key=lambda c: (-c.rank, c.text)):
        for dx, dy, ha, va in _POSITIONS:
            text = ax.annotate(
                cand.text,
                (cand.x, cand.y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                fontweight="bold",
                color="#222222",
                zorder=40,
            )
            box = text.get_window_extent(renderer).expanded(1.06, 1.15)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in taken):
                text.set_path_effects(_halo())
                taken.append(box)
                placed.append(cand.text)
                break
            text.remove()
    return placed


def _halo() -> list:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]
