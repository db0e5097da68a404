"""Headline figures: the file is checked like a layer, and each figure reads the way a reader expects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layers.catalog import CatalogError, load_catalog
from layers.figures import FigureError, load_figures

SOURCE = {"title": "Statistics", "url": "https://example.org/s", "publisher": "Bureau", "date": "2024-05-01"}


def _figure(**changes: object) -> dict[str, object]:
    figure = {"id": "fdi", "label": "FDI stock", "value": 17e9, "unit": "US$", "year": 2015, "scope": "KZ"}
    figure["sources"] = [SOURCE]
    figure.update(changes)
    return figure


def _write(tmp_path: Path, figures: object) -> Path:
    path = tmp_path / "figures.json"
    path.write_text(json.dumps(figures), encoding="utf-8")
    load_figures.cache_clear()
    return path


def test_figures_read_with_sources(tmp_path: Path) -> None:
    path = _write(tmp_path, [_figure(), _figure(id="deals", unit="count", value=33, label="Agreements")])
    fdi, deals = load_figures(path)
    assert (fdi.shown, deals.shown) == ("$17.0 bn", "33")
    assert fdi.sources[0]["publisher"] == "Bureau" and fdi.sources[0]["retrieved_via"] is None


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (477e6, "US$", "$477 million"),
        (2001, "year", "2001"),
        (12.5, "percent", "12.5 %"),
        (1.5e6, "TEU", "1,500,000 TEU"),
    ],
)
def test_values_read_in_their_unit(tmp_path: Path, value: float, unit: str, shown: str) -> None:
    (figure,) = load_figures(_write(tmp_path, [_figure(value=value, unit=unit)]))
    assert figure.shown == shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": "17 billion"}, "fdi): value must be a number"),
        ({"year": "2015"}, "fdi): year must be a whole year"),
        ({"unit": "USD"}, "unit must be one of"),
        ({"sources": []}, "sources must be a non-empty list"),
        ({"sources": [{"url": "https://example.org"}]}, "source #1: each source needs a title"),
        ({"sources": [{"title": "x", "publisher": 5}]}, "source publisher must be text"),
        ({"label": ""}, "label must be non-empty text"),
    ],
)
def test_bad_figure_named_in_message(tmp_path: Path, change: dict[str, object], message: str) -> None:
    with pytest.raises(FigureError, match=r"figures\.json: figure #1") as err:
        load_figures(_write(tmp_path, [_figure(**change)]))
    assert message in str(err.value)


def test_repeated_id_and_wrong_shape_refused(tmp_path: Path) -> None:
    with pytest.raises(FigureError, match="declared twice"):
        load_figures(_write(tmp_path, [_figure(), _figure()]))
    with pytest.raises(FigureError, match="must hold a JSON list"):
        load_figures(_write(tmp_path, {"fdi": 17}))
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    with pytest.raises(FigureError, match=r"broken\.json: the figures file cannot be read"):
        load_figures(tmp_path / "broken.json")


def test_catalog_names_figures_inside_data(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[figures]\nfile = "figures.json"\n', encoding="utf-8")
    assert load_catalog(catalog, data_dir=tmp_path).figures == tmp_path / "figures.json"
    catalog.write_text('[figures]\nfile = "../secret.json"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="outside data"):
        load_catalog(catalog, data_dir=tmp_path)
