"""Fuzzing the loader: any generated GeoJSON, valid or broken, ends in a layer or a project error.

Runs ``FUZZ_EXAMPLES`` cases (default 300 in CI). A longer run:
``FUZZ_EXAMPLES=5000 uv run pytest tests/test_ingest_fuzz.py``.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import CorridorAtlasError
from geo.ingest import Ingested, ingest

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))

coordinate = st.one_of(
    st.floats(min_value=-200, max_value=200, allow_nan=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-1000, max_value=1000),
    st.text(max_size=3),
    st.none(),
)
position = st.lists(coordinate, min_size=0, max_size=4)
ring = st.lists(position, min_size=0, max_size=6)
geometry = st.one_of(
    st.none(),
    st.builds(lambda c: {"type": "Point", "coordinates": c}, position),
    st.builds(lambda c: {"type": "LineString", "coordinates": c}, ring),
    st.builds(lambda c: {"type": "Polygon", "coordinates": c}, st.lists(ring, max_size=2)),
    st.builds(lambda c: {"type": "MultiPoint", "coordinates": c}, ring),
    st.builds(lambda t, c: {"type": t, "coordinates": c}, st.text(max_size=12), position),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
properties = st.one_of(st.none(), st.dictionaries(st.text(max_size=12), value, max_size=4), st.text(max_size=5))
feature = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Feature", "feature", "Thing"]),
        "geometry": geometry,
        "properties": properties,
    }
)
document = st.one_of(
    st.builds(lambda fs: {"type": "FeatureCollection", "features": fs}, st.lists(feature, max_size=5)),
    st.builds(lambda f: f, feature),
    st.dictionaries(st.text(max_size=8), value, max_size=3),
    st.lists(value, max_size=3),
)


def _content(doc: object, damage: int) -> bytes:
    text = json.dumps(doc, allow_nan=True).encode()
    return text[: max(0, len(text) - damage)] if damage else text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=document, damage=st.integers(min_value=0, max_value=3))
def test_ingest__never_fails_with_anything_but_a_project_error(doc, damage):
    try:
        layer = ingest("fuzz.geojson", _content(doc, damage))
    except CorridorAtlasError as err:
        assert str(err).startswith("fuzz.geojson")  # every message names the file
    else:
        assert isinstance(layer, Ingested) and len(layer.frame) > 0
        assert layer.frame.geometry.is_valid.all()
        assert layer.frame.crs.to_epsg() == 4326
