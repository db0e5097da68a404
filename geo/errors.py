"""Error types raised by the geoprocessing package, one per failure family."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CRSError", "CorridorAtlasError", "LayerReadError", "LayerValidationError", "Problem"]


class CorridorAtlasError(Exception):
    """Base class of every error the project raises on purpose."""


class LayerReadError(CorridorAtlasError):
    """A layer file could not be read at all (missing, not a geo file, malformed)."""


class CRSError(CorridorAtlasError):
    """A layer has no CRS, or one the operation cannot work in."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature of a layer file.

    ``feature`` is the feature's ``id`` when it has one, else ``#<index>``; ``field`` names the
    property (or ``geometry``) at fault.
    """

    path: str
    feature: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: feature {self.feature}: {self.field}: {self.message}"


class LayerValidationError(CorridorAtlasError):
    """A layer file was read but breaks the rules; carries every problem found, not just the first."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) found:\n{lines}")
