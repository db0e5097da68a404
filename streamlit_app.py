"""Corridor Atlas: the Streamlit app. Wiring only: widgets and state in, functions from layers/ and geo/ out."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import CorridorAtlasError
from geo.summary import feature_table, investments, km_by_country
from layers.catalog import CATALOG_PATH, DATA_DIR, GROUPS, Catalog, CatalogError, LayerSpec, load_catalog
from layers.load import load_basemap_part, load_layer
from layers.payload import PageJSON
from layers.popup import FIELD_LABELS, format_value, safe_url
from layers.render import MapView, basemap_payloads, build_map, layer_payload
from layers.snapshot import ALL_FORMATS, SnapshotData, SnapshotRequest, make_snapshot
from layers.standalone import embed_snippet

st.set_page_config(page_title="Corridor Atlas", page_icon="🗺️", layout="wide")

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape Markdown so that Streamlit shows text (file names, ids, titles) literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


DATA_CREDIT = "Corridor data: see each feature's sources; some routes © OpenStreetMap contributors (ODbL)"
MAP_KEY = "map"


# --- the catalog and its data, cached by layer id ----------------------------------------------
# The catalog file and data folder can be pointed elsewhere with CORRIDOR_ATLAS_CATALOG and
# CORRIDOR_ATLAS_DATA; every cached function takes them as its arguments.

CATALOG_FILE = os.environ.get("CORRIDOR_ATLAS_CATALOG", str(CATALOG_PATH))
DATA_FOLDER = os.environ.get("CORRIDOR_ATLAS_DATA", str(DATA_DIR))


@st.cache_resource(show_spinner=False)
def catalog(catalog_file: str, data_folder: str) -> Catalog:
    """The layer catalog (immutable, shared by every session)."""
    return load_catalog(Path(catalog_file), data_dir=Path(data_folder))


try:
    CATALOG = catalog(CATALOG_FILE, DATA_FOLDER)
except CatalogError as err:
    st.error(plain(f"The layer catalog cannot be used: {err}"))
    st.stop()


@st.cache_data(show_spinner=False)
def layer_frame(layer_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """A catalog layer's validated features (read once per server process)."""
    return load_layer(catalog(catalog_file, data_folder).get(layer_id))


@st.cache_data(show_spinner=False)
def layer_page_data(layer_id: str, catalog_file: str, data_folder: str) -> PageJSON:
    """A catalog layer's page payload (serialised once)."""
    spec = catalog(catalog_file, data_folder).get(layer_id)
    return layer_payload(spec, layer_frame(layer_id, catalog_file, data_folder))


@st.cache_data(show_spinner=False)
def basemap_frame(part_id: str, catalog_file: str, data_folder: str) -> gpd.GeoDataFrame:
    """One part of the offline basemap."""
    parts = catalog(catalog_file, data_folder).basemap.parts
    return load_basemap_part(next(p for p in parts if p.id == part_id))


@st.cache_data(show_spinner=False)
def basemap_page_data(catalog_file: str, data_folder: str) -> tuple[dict[str, PageJSON], list[str]]:
    """Payloads of every basemap part that loads, and messages for those that do not."""
    cat = catalog(catalog_file, data_folder)
    frames, problems = {}, []
    for part in cat.basemap.parts:
        try:
            frames[part.id] = basemap_frame(part.id, catalog_file, data_folder)
        except CorridorAtlasError as err:
            problems.append(str(err))
    return basemap_payloads(cat.basemap, frames), problems


def data_bounds(frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """Bounds of every loaded layer together, to open the map on when the URL names no view."""
    if not frames:
        return None
    bounds = pd.DataFrame([gdf.total_bounds for gdf in frames.values()], columns=["x0", "y0", "x1", "y1"])
    return (bounds.x0.min(), bounds.y0.min(), bounds.x1.max(), bounds.y1.max())


def loaded_layers() -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """Frames of the layers that load, and the error message of each that does not."""
    frames, errors = {}, {}
    for spec in CATALOG.layers:
        try:
            frames[spec.id] = layer_frame(spec.id, CATALOG_FILE, DATA_FOLDER)
        except CorridorAtlasError as err:
            errors[spec.id] = str(err)
    return frames, errors


# --- session and URL state: the one accessor ----------------------------------------------------


@dataclass(frozen=True)
class AppState:
    """What the URL holds: visible layers, map view and selected feature."""

    visible: tuple[str, ...]
    view: MapView | None
    feature: str | None


class UrlState:
    """Reads the URL once per session into session state, and writes session state back to the URL."""

    LAYERS, VIEW, FEATURE = "layers", "view", "feature"

    @staticmethod
    def seed() -> None:
        """On a session's first run, set each toggle and the view from the URL (or the defaults)."""
        if st.session_state.get("_seeded"):
            return
        params = st.query_params
        requested = params.get(UrlState.LAYERS)
        wanted = set(requested.split(",")) if requested is not None else None
        for spec in CATALOG.layers:
            st.session_state[spec.widget_key] = spec.visible if wanted is None else spec.id in wanted
        view = UrlState._parse_view(params.get(UrlState.VIEW))  # None: open on all the data
        st.session_state["view"] = view
        st.session_state["opening_view"] = view
        st.session_state["feature"] = params.get(UrlState.FEATURE)
        st.session_state["_seeded"] = True

    @staticmethod
    def _parse_view(text: str | None) -> MapView | None:
        if not text:
            return None
        try:
            lat, lon, zoom = (float(v) for v in text.split(","))
        except ValueError:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= zoom <= 18):
            return None
        return MapView(lat=lat, lon=lon, zoom=zoom)

    @staticmethod
    def current() -> AppState:
        """The state as the widgets and the map last left it."""
        visible = tuple(spec.id for spec in CATALOG.layers if st.session_state.get(spec.widget_key))
        return AppState(visible=visible, view=st.session_state["view"], feature=st.session_state.get("feature"))

    @staticmethod
    def write(state: AppState) -> None:
        """Mirror the state into the URL, touching only parameters that changed."""
        wanted = {UrlState.LAYERS: ",".join(state.visible)}
        if state.view is not None:
            wanted[UrlState.VIEW] = f"{state.view.lat:.4f},{state.view.lon:.4f},{state.view.zoom:g}"
        if state.feature:
            wanted[UrlState.FEATURE] = state.feature
        elif UrlState.FEATURE in st.query_params:
            del st.query_params[UrlState.FEATURE]
        for key, value in wanted.items():
            if st.query_params.get(key) != value:
                st.query_params[key] = value


def keep_view_on_toggle() -> None:
    """A toggle rebuilds the map: reopen it where the user was looking."""
    st.session_state["opening_view"] = st.session_state["view"]


def read_map_events(result: dict | None) -> None:
    """Take the view and the clicked feature from what the map returned."""
    if not result:
        return
    bounds = result.get("bounds") or {}
    south_west, north_east = bounds.get("_southWest") or {}, bounds.get("_northEast") or {}
    if south_west.get("lat") is not None and north_east.get("lat") is not None:
        west, east = max(-180.0, float(south_west["lng"])), min(180.0, float(north_east["lng"]))
        south, north = max(-85.0, float(south_west["lat"])), min(85.0, float(north_east["lat"]))
        if west < east and south < north:
            st.session_state["bounds"] = (west, south, east, north)
    center, zoom = result.get("center"), result.get("zoom")
    if center and zoom:
        st.session_state["view"] = MapView(lat=float(center["lat"]), lon=float(center["lng"]), zoom=float(zoom))
    drawing = result.get("last_active_drawing") or {}
    feature_id = (drawing.get("properties") or {}).get("id")
    if isinstance(feature_id, str) and feature_id != st.session_state.get("last_clicked"):
        st.session_state["last_clicked"] = feature_id
        st.session_state["feature"] = feature_id


# --- page sections ------------------------------------------------------------------------------


def sidebar(errors: dict[str, str]) -> None:
    """Layer toggles by group; a layer whose file is broken is shown disabled with its error."""
    st.sidebar.title("Corridor Atlas")
    st.sidebar.caption("Kazakhstan–China infrastructure corridors")
    for group in GROUPS:
        specs = CATALOG.in_group(group)
        if not specs:
            continue
        st.sidebar.subheader(group)
        for spec in specs:
            st.sidebar.checkbox(
                plain(spec.title),
                key=spec.widget_key,
                on_change=keep_view_on_toggle,
                disabled=spec.id in errors,
                help=errors.get(spec.id),
            )
    st.sidebar.divider()
    st.sidebar.caption(
        "Basemap: Natural Earth 1:10m (works offline). Online base layers: © OpenStreetMap "
        "contributors; Esri World Imagery. " + DATA_CREDIT
    )


def find_feature(frames: dict[str, gpd.GeoDataFrame], feature_id: str) -> tuple[LayerSpec, pd.Series] | None:
    """The catalog layer and row of a feature id, if any layer has it."""
    for layer_id, gdf in frames.items():
        if feature_id in gdf.index:
            return CATALOG.get(layer_id), gdf.loc[feature_id]
    return None


def details_panel(frames: dict[str, gpd.GeoDataFrame], feature_id: str | None) -> None:
    """Every attribute and source of the selected feature."""
    st.subheader("Details")
    found = find_feature(frames, feature_id) if feature_id else None
    if found is None:
        st.caption(
            "Click a pipeline, rail line or facility on the map to see what it is and where the facts come from."
        )
        return
    spec, row = found
    st.caption(plain(f"Selected in: {spec.title}"))
    rows = []
    for field in row.index:
        if field in {"geometry", "sources"}:
            continue
        text = format_value(field, row[field])
        if text is not None:
            rows.append({"field": FIELD_LABELS.get(field, field), "value": text})
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "field": st.column_config.TextColumn(width="small"),
            "value": st.column_config.TextColumn(width="large"),
        },
    )
    sources = pd.DataFrame(
        [
            {
                "source": str(s.get("title", "")),
                "publisher": str(s.get("publisher") or ""),
                "link": safe_url(s.get("url")),
            }
            for s in row["sources"]
            if isinstance(s, dict)
        ]
    )
    st.markdown("**Sources**")
    st.dataframe(
        sources,
        hide_index=True,
        width="stretch",
        column_config={"link": st.column_config.LinkColumn("link")},
    )


@st.cache_data(show_spinner=False)
def pipeline_km(catalog_file: str, data_folder: str) -> pd.DataFrame:
    """Geodesic km of oil and gas pipeline per country (computed once)."""
    ids = {"oil": "oil_pipelines", "gas": "gas_pipelines"}
    lines = {label: layer_frame(lid, catalog_file, data_folder) for label, lid in ids.items()}
    countries = basemap_frame("countries", catalog_file, data_folder)
    return km_by_country(lines, countries, country_field="sovereign")


def metrics_section(frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Pipeline km by country, facility counts and investment figures with their sources."""
    table = None
    try:
        table = pipeline_km(CATALOG_FILE, DATA_FOLDER)
    except CorridorAtlasError as err:
        st.error(plain(f"Pipeline lengths by country are unavailable: {err}"))
    cols = st.columns(4)
    if table is not None:
        for col, label in zip(cols[:2], ("oil", "gas"), strict=True):
            col.metric(f"{label.capitalize()} pipeline, km", f"{table[f'{label} length_km'].sum():,.0f}")
    facility_ids = [lid for lid in ("khorgos", "lianyungang", "almaty_plant") if lid in frames]
    cols[2].metric("Facilities", sum(len(frames[lid]) for lid in facility_ids))
    invest = investments({CATALOG.get(lid).title: gdf for lid, gdf in frames.items()})
    cols[3].metric("Published investment, US$", f"{invest['investment_usd'].sum() / 1e9:,.2f} bn")
    left, right = st.columns(2)
    with left:
        st.markdown("**Pipeline length by country (geodesic, km)**")
        if table is not None:
            st.dataframe(table.round(1), width="stretch")
            st.caption("Each line split by Natural Earth 1:10m borders and measured on the WGS84 ellipsoid.")
    with right:
        st.markdown("**Investment figures and their sources**")
        st.dataframe(
            invest.assign(investment_usd=invest["investment_usd"].map(lambda v: format_value("investment_usd", v))),
            hide_index=True,
            width="stretch",
        )


def visible_table(frames: dict[str, gpd.GeoDataFrame], visible: tuple[str, ...]) -> None:
    """The features of the layers that are switched on."""
    shown = {CATALOG.get(lid).title: frames[lid] for lid in visible if lid in frames}
    table = feature_table(shown)
    st.markdown(f"**Visible features** ({len(table)})")
    columns = [
        c
        for c in (
            "layer",
            "name",
            "kind",
            "status",
            "year",
            "operator",
            "capacity",
            "length_km",
            "length_km_reported",
            "investment_usd",
            "location_precision",
            "sources",
        )
        if c in table.columns
    ]
    st.dataframe(
        table[columns],
        hide_index=True,
        width="stretch",
        column_config={"length_km": st.column_config.NumberColumn("length_km (geodesic)", format="%.0f")},
    )


EXPORT_SIZES = ("1920x1080", "1280x720", "3840x2160", "1080x1080", "1200x1600")


def export_panel(frames: dict[str, gpd.GeoDataFrame], visible: tuple[str, ...]) -> None:
    """Export the view on screen (extent and visible layers) as PNG, SVG, PDF or HTML."""
    st.markdown("**Export the view on screen**: the map's current extent and the layers that are on.")
    left, right = st.columns(2)
    title = left.text_input("Title", value="Kazakhstan–China infrastructure corridors", key="export_title")
    subtitle = right.text_input("Subtitle", value="", key="export_subtitle")
    fmt_col, size_col, dpi_col, tiles_col = st.columns(4)
    fmt = fmt_col.selectbox("Format", ALL_FORMATS, format_func=str.upper, key="export_format")
    size = size_col.selectbox("Size (pixels)", EXPORT_SIZES, key="export_size")
    dpi = dpi_col.selectbox("DPI (text and line size)", (150, 96, 200, 300), key="export_dpi")
    tiles = tiles_col.selectbox(
        "Background",
        (None, "osm", "imagery"),
        format_func=lambda v: {
            None: "Offline basemap",
            "osm": "OpenStreetMap (online)",
            "imagery": "Esri imagery (online)",
        }[v],
        key="export_tiles",
        help="Online backgrounds need the internet; PNG, SVG and PDF only.",
    )
    if st.button("Prepare export", key="export_go", disabled=not visible):
        width, height = (int(v) for v in size.split("x"))
        request = SnapshotRequest(
            layers=visible,
            format=fmt,
            bbox=st.session_state.get("bounds") or data_bounds({lid: frames[lid] for lid in visible}),
            width_px=width,
            height_px=height,
            dpi=dpi,
            title=title,
            subtitle=subtitle,
            tiles=tiles if fmt != "html" else None,
        )
        data = SnapshotData(
            catalog=CATALOG,
            frames=frames,
            basemap_frames={p.id: basemap_frame(p.id, CATALOG_FILE, DATA_FOLDER) for p in CATALOG.basemap.parts},
        )
        try:
            snapshot = make_snapshot(request, data)
        except CorridorAtlasError as err:
            st.session_state.pop("export", None)
            st.error(plain(str(err)))
        else:
            name = f"corridor-atlas.{fmt}"
            embed = embed_snippet(name, title=title, width_px=width, height_px=height) if fmt == "html" else ""
            st.session_state["export"] = (name, snapshot.content, snapshot.mime, snapshot.caption, embed)
    if "export" in st.session_state:
        name, content, mime, caption, embed = st.session_state["export"]
        st.download_button(
            f"Download {name}", content, file_name=name, mime=mime, key="export_download", on_click="ignore"
        )
        st.markdown("Alt text (caption):")
        st.code(caption, language=None, wrap_lines=True)
        if embed:
            st.markdown("Embed snippet for web pages and slide tools:")
            st.code(embed, language="html")


def main() -> None:
    """Lay out the page and wire widgets to the map and tables."""
    UrlState.seed()
    frames, errors = loaded_layers()
    sidebar(errors)
    for message in errors.values():
        st.error(plain(message))
    base, base_problems = basemap_page_data(CATALOG_FILE, DATA_FOLDER)
    for message in base_problems:
        st.warning(plain(message))

    state = UrlState.current()
    visible = tuple(lid for lid in state.visible if lid in frames)
    payloads = [
        (spec, layer_page_data(spec.id, CATALOG_FILE, DATA_FOLDER)) for spec in CATALOG.layers if spec.id in frames
    ]
    fmap = build_map(
        payloads,
        basemap=CATALOG.basemap,
        basemap_parts=base,
        visible=visible,
        view=st.session_state["opening_view"],
        fit=data_bounds(frames),
        attribution=DATA_CREDIT,
    )
    map_col, detail_col = st.columns([5, 2])
    with map_col:
        result = st_folium(
            fmap,
            key=MAP_KEY,
            height=620,
            use_container_width=True,
            returned_objects=["last_active_drawing", "center", "zoom", "bounds"],
        )
    read_map_events(result)
    state = UrlState.current()
    with detail_col:
        details_panel(frames, state.feature)
    UrlState.write(state)

    tab_metrics, tab_table, tab_export = st.tabs(["Metrics", "Visible features", "Export"])
    with tab_metrics:
        metrics_section(frames)
    with tab_table:
        visible_table(frames, visible)
    with tab_export:
        export_panel(frames, visible)


main()
