"""The transformers made from PROJ pipelines give the numbers of pyproj's CRS-to-CRS transformers."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from geo.crs import REGION_CRS, WEB_MERCATOR, WGS84, from_mercator, from_region, to_mercator, to_region


@pytest.mark.parametrize(
    ("forward", "inverse", "crs", "lat_range"),
    [(to_mercator, from_mercator, WEB_MERCATOR, (-85, 85)), (to_region, from_region, REGION_CRS, (20, 60))],
)
def test_the_transformers_give_what_pyproj_gives_from_the_crs(forward, inverse, crs, lat_range) -> None:
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(10, 160, 2_000), rng.uniform(*lat_range, 2_000)
    x, y = forward().transform(lon, lat)
    want_x, want_y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(x, want_x, rtol=0, atol=1e-6)  # metres
    np.testing.assert_allclose(y, want_y, rtol=0, atol=1e-6)
    back_lon, back_lat = inverse().transform(x, y)
    np.testing.assert_allclose(back_lon, lon, rtol=0, atol=1e-9)  # degrees
    np.testing.assert_allclose(back_lat, lat, rtol=0, atol=1e-9)
