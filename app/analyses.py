"""The corridor and route tabs: analyses with their tables and downloads."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.catalog import source
from app.results import corridor_analysis, network_lines, points, rail_network, route_analysis
from app.state import CORRIDOR_KM, session
from app.text import plain
from geo.errors import CorridorAtlasError
from geo.tables import spreadsheet_safe_csv
from layers.layer import LayerSet


def _download(label: str, data: Callable[[], str | bytes], file_name: str, mime: str, key: str) -> None:
    """A download made when it is clicked, not in every run that shows the button."""
    st.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click="ignore")


def corridor_panel(layers: LayerSet) -> None:
    """Pick a corridor and a distance: facilities inside, km per country, border crossings."""
    from geo.places import label_column

    lines = layers.of_kind("line")
    options: list[str] = [f"layer:{layer.id}" for layer in lines]
    names = {f"layer:{layer.id}": f"All {layer.title.lower()}" for layer in lines}
    for layer in lines:
        for fid, name in layer.frame[label_column(layer.frame)].items():
            options.append(fid)
            names[fid] = str(name)
    left, right = st.columns([3, 1])
    left.selectbox(
        "Corridor",
        options,
        index=None,
        format_func=lambda o: names.get(o, o),
        key="corridor",
        placeholder="Choose a pipeline, a rail line or a whole layer",
    )
    right.number_input(
        "Distance, km",
        min_value=CORRIDOR_KM[0],
        max_value=CORRIDOR_KM[1],
        step=5,
        key="corridor_km",
    )
    corridor = session.get("corridor")
    if not corridor:
        st.caption("The buffer is drawn in an equidistant conic fitted to the region; distances are geodesic.")
        return
    try:
        km = int(session["corridor_km"])
        report = corridor_analysis(layers, corridor, km, source())
    except (CorridorAtlasError, KeyError) as err:
        st.error(plain(f"Corridor analysis failed: {err}"))
        return
    a, b, c = st.columns(3)
    a.metric("Facilities and cities within", len(report.facilities))
    b.metric("Corridor length, km (geodesic)", f"{report.length_by_country['length_km'].sum():,.0f}")
    c.metric("Border crossings", len(report.crossings))
    inside = report.facilities.reset_index()[["feature_id", "name", "layer", "kind", "distance_km", "nearest_line"]]
    st.markdown("**Within the corridor** (distance to the nearest line, geodesic)")
    st.dataframe(inside.round({"distance_km": 1}), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Length per country**")
        st.dataframe(report.length_by_country.round(1), hide_index=True, width="stretch")
    with right:
        st.markdown("**Border crossings**")
        crossings = pd.DataFrame(
            [
                {"line": names.get(lid, lid), "from": c.from_country, "to": c.to_country, "near": c.place}
                for lid, c in report.crossings
            ],
            columns=["line", "from", "to", "near"],
        )
        st.dataframe(crossings, hide_index=True, width="stretch")
    all_points = points(layers)

    def corridor_geojson() -> str:
        geometry = pd.DataFrame({"feature_id": all_points.index, "geometry": all_points.geometry.to_numpy()})
        inside_points = gpd.GeoDataFrame(inside.merge(geometry, on="feature_id"), crs=4326)
        features = pd.concat(
            [report.buffer.assign(name=f"{report.distance_km:g} km buffer"), inside_points], ignore_index=True
        )
        return gpd.GeoDataFrame(features, crs=4326).to_json(drop_id=True)

    d1, d2 = st.columns(2)
    with d1:
        table = partial(spreadsheet_safe_csv, inside)
        _download("Download table (CSV)", table, "corridor.csv", "text/csv", "dl_corridor_csv")
    with d2:
        _download(
            "Download buffer and facilities (GeoJSON)",
            corridor_geojson,
            "corridor.geojson",
            "application/geo+json",
            "dl_corridor_geojson",
        )


def route_panel(layers: LayerSet) -> None:
    """Shortest rail route between two places, with the borders crossed and places passed."""
    places = points(layers)
    names = {
        fid: f"{name} ({layers.get(layer).title})"
        for fid, name, layer in zip(places.index, places["name"], places["layer"], strict=True)
    }
    left, right = st.columns(2)
    for col, key, label in ((left, "route_from", "From"), (right, "route_to", "To")):
        col.selectbox(
            label,
            list(names),
            index=None,
            format_func=lambda fid: names.get(fid, fid),
            key=key,
            placeholder="A station, port, facility or city",
        )
    try:
        network = rail_network(layers)
    except CorridorAtlasError as err:
        st.error(plain(str(err)))
        return
    st.caption(
        f"Rail network: {network.graph.number_of_nodes():,} nodes, {network.graph.number_of_edges():,} segments, "
        f"{len(network.components)} connected component(s), {network.snapped} line end(s) snapped."
    )
    origin, destination = session.get("route_from"), session.get("route_to")
    if not (origin and destination):
        return
    if origin == destination:
        st.warning("Choose two different places.")
        return
    try:
        route, crossings, via = route_analysis(layers, origin, destination, source())
    except (CorridorAtlasError, KeyError) as err:
        st.error(plain(str(err)))
        return
    a, b, c = st.columns(3)
    a.metric("Route length, km", f"{route.length_km:,.0f}")
    b.metric("Along the rail network, km", f"{route.network_km:,.0f}")
    c.metric("Border crossings", len(crossings))
    st.caption(f"Joining legs: {route.access_km[0]:.1f} km at the start, {route.access_km[1]:.1f} km at the end.")
    lines = network_lines(layers)
    sequence = [str(lines.loc[i, "name"]) if i in lines.index else i for i in route.line_ids]
    st.markdown("**Lines followed**")
    st.dataframe(pd.DataFrame({"line": sequence}), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Border crossings**")
        st.dataframe(crossings, hide_index=True, width="stretch")
    with right:
        st.markdown("**Places passed** (within 10 km)")
        st.dataframe(via.round({"distance_km": 1}), hide_index=True, width="stretch")
    path = gpd.GeoDataFrame(
        {"from": [route.origin], "to": [route.destination], "length_km": [round(route.length_km, 1)]},
        geometry=[route.geometry],
        crs=4326,
    )
    _download(
        "Download route (GeoJSON)", partial(path.to_json, drop_id=True), "route.geojson", "application/geo+json",
        "dl_route",
    )  # fmt: skip
