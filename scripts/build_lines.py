"""Build the traced rail and pipeline lines in ``data/*.geojson`` from the clipped extracts in ``data/sources/``.

Each traced catalog feature is the shortest path, over the graph of the source ways it names, between
the two station points the project's network already uses (so lines keep meeting at their stations).
Gaps in a source (tunnels and bridges missing from an extract) are crossed by straight segments from a
way's end to the nearest vertex of another way within ``MAX_GAP_KM``; those segments, and the short
legs from each station point to the nearest way vertex, are recorded as ``bridged_km``. Nothing is
invented: a line without a source trace is left as it is.

Run from the repository root::

    uv run python scripts/build_lines.py                  # rebuild data/*.geojson from data/sources/
    uv run python scripts/build_lines.py --out /tmp/lines  # write the rebuilt layers elsewhere
    uv run python scripts/build_lines.py --report          # published vs measured, bridged km, the route
    uv run python scripts/build_lines.py --extract /work/shared/sources  # (re)write data/sources/ once
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from geo.crs import GEOD
from geo.network import build_network, shortest_route
from layers.catalog import default_catalog
from layers.load import load_layer

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
SOURCES_DIR = DATA_DIR / "sources"

#: Largest gap in a source crossed by a straight segment, km (the Wushaoling tunnel gap is 20.1 km).
MAX_GAP_KM = 25.0
#: A bridged metre costs this much more than a traced one, so a path follows the source where it can.
BRIDGE_PENALTY = 2.0
#: Simplification tolerance of the written lines, degrees (about 10 m), and decimals kept.
SIMPLIFY_DEG = 0.0001
DECIMALS = 5
#: A line with a straight segment longer than this, km, is marked schematic (as tests/test_catalog_data.py asks).
SCHEMATIC_SEGMENT_KM = 45.0
#: Decimals kept in the extracts (OpenStreetMap stores 7).
EXTRACT_DECIMALS = 7
#: Title prefix of the ``sources`` entry this script writes (replaced, never duplicated, on a rebuild).
GEOMETRY_TITLE = "Route geometry: "

OSM_LICENCE = "ODbL 1.0 (https://opendatacommons.org/licenses/odbl/1-0/)"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
GEM_LICENCE = "CC BY 4.0 (Global Energy Monitor tracker data); the OSM-derived route is also ODbL 1.0"
GEM_ATTRIBUTION = "Global Energy Monitor (CC BY 4.0); © OpenStreetMap contributors (ODbL)"


@dataclass(frozen=True)
class Source:
    """A raw source file and the extract of it the project keeps."""

    key: str
    folder: str
    raw: str
    fmt: str  # "multiline" (one MultiLineString), "topo" (``lines`` list), "gem" (GeoJSON route)
    repo: str
    commit: str
    path: str
    licence: str
    attribution: str
    note: str

    @property
    def extract(self) -> Path:
        """The extract's path under ``data/sources/``."""
        return SOURCES_DIR / self.folder / f"{self.key}.geojson"

    @property
    def url(self) -> str:
        """Where the raw file is published."""
        return f"https://github.com/{self.repo}/blob/{self.commit}/{self.path}"


@dataclass(frozen=True)
class Trace:
    """One catalog feature drawn from source ways: which ways, between which stations."""

    feature_id: str
    layer: str
    ways: tuple[tuple[str, str | None], ...]  # (source key, way name or None for every way)
    start: str
    end: str


RAIL = "osm-china-rail"
GEM = "gem-pipeline-routes"
_RAYMOND = ("Raymond1030/China-High-speed-railway-Mapbox-Visualization", "6a8ec386")
_KINGTMC = ("kingtmc314/east-asia-railway-map", "05f3995")
_GEM = ("GlobalEnergyMonitor/GOIT-GGIT-pipeline-routes", "6bfab45c")
_OSM = (OSM_LICENCE, OSM_ATTRIBUTION)
_GEMLA = (GEM_LICENCE, GEM_ATTRIBUTION)

SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "lanxin-line",
            RAIL,
            "lanxin-line.json",
            "multiline",
            *_RAYMOND,
            "src/shapefile/兰新线.json",
            *_OSM,
            "OSM railway ways named 兰新线 (Geofabrik free schema), one MultiLineString",
        ),
        Source(
            "longhai-line",
            RAIL,
            "longhai-line.json",
            "multiline",
            *_RAYMOND,
            "src/shapefile/陇海线.json",
            *_OSM,
            "OSM railway ways named 陇海线 (Geofabrik free schema), one MultiLineString",
        ),
        Source(
            "xinjiang-railways",
            RAIL,
            "xinjiang-railways.json",
            "topo",
            *_KINGTMC,
            "public/data/clean/china-xinjiang.json",
            *_OSM,
            "Overpass extract of Xinjiang's railways, 5 decimals",
        ),
        Source(
            "gansu-railways",
            RAIL,
            "gansu-railways.json",
            "topo",
            *_KINGTMC,
            "public/data/clean/china-gansu.json",
            *_OSM,
            "Overpass extract of Gansu's railways, 5 decimals",
        ),
        Source(
            "P3273",
            GEM,
            "P3273.geojson",
            "gem",
            *_GEM,
            "data/individual-routes/gas-pipelines/P3273.geojson",
            *_GEMLA,
            "Beineu–Bozoi–Shymkent gas route, OSM relation 10999298 (Overpass, 2024-08-12)",
        ),
        Source(
            "P5197",
            GEM,
            "P5197.geojson",
            "gem",
            *_GEM,
            "data/individual-routes/liquid-pipelines/P5197.geojson",
            GEM_LICENCE.split(";")[0],
            "Global Energy Monitor (CC BY 4.0)",
            "Kenkiyak–Kumkol oil route",
        ),
    )
}

#: Station points the lines end at (lon, lat, snap). Rail ends are the points the network already uses
#: (lines meet there), except Jinghe and Ürümqi, moved to the OSM stations (精河, 乌鲁木齐: nodes in
#: xinjiang-railways.json) from Jinghe South and Ürümqi's city centre, so that no line runs on past the
#: junction: the Jinghe–Yining–Khorgos line leaves the Northern Xinjiang line at Jinghe station. Pipeline
#: ends with ``snap`` stop at the route's nearest vertex (Beineu: the GEM route's start; Bozoi: estimated from
#: chainages, the route passes 22.5 km from the estimate); the Bozoi–Shymkent end is the vertex of the
#: Central Asia–China gas trace nearest the GEM route's terminal (1.2 km), where the two lines meet.
STATIONS: dict[str, tuple[float, float, bool]] = {
    "Alashankou": (82.57028, 45.17028, False),
    "Jinghe": (83.02203, 44.63535, False),
    "Ürümqi": (87.5262, 43.83941, False),
    "Lanzhou": (103.85, 36.03417, False),
    "Lianyungang terminal": (119.4425, 34.73194, False),
    "Khorgos": (80.44, 44.19, False),
    "Beineu": (55.2, 45.3167, True),
    "Bozoi": (58.78, 46.38, True),
    "Shymkent CAGP junction": (69.916, 42.35865, False),
    "Kenkiyak": (57.15467, 48.59002, False),
    "Kumkol": (65.7036, 46.42112, False),
}

_LANXIN = (("lanxin-line", None),)
TRACES: tuple[Trace, ...] = (
    Trace("rail-alashankou-jinghe", "rail_corridors.geojson", _LANXIN, "Alashankou", "Jinghe"),
    Trace("rail-land-bridge-jinghe-urumqi", "rail_corridors.geojson", _LANXIN, "Jinghe", "Ürümqi"),
    Trace(
        "rail-land-bridge-urumqi-lanzhou",
        "rail_corridors.geojson",
        (*_LANXIN, ("gansu-railways", "陇海线")),
        "Ürümqi",
        "Lanzhou",
    ),
    Trace(
        "rail-land-bridge-lanzhou-lianyungang",
        "rail_corridors.geojson",
        (("longhai-line", None), ("gansu-railways", "陇海线")),
        "Lanzhou",
        "Lianyungang terminal",
    ),
    Trace("rail-khorgos-jinghe", "rail_corridors.geojson", (("xinjiang-railways", "精霍线"),), "Khorgos", "Jinghe"),
    Trace("gas-beineu-bozoi", "gas_pipelines.geojson", (("P3273", None),), "Beineu", "Bozoi"),
    Trace("gas-bozoi-shymkent", "gas_pipelines.geojson", (("P3273", None),), "Bozoi", "Shymkent CAGP junction"),
    Trace("oil-kenkiyak-kumkol", "oil_pipelines.geojson", (("P5197", None),), "Kenkiyak", "Kumkol"),
)


@dataclass(frozen=True)
class Way:
    """One source way: where it comes from, its name and its vertices (lon, lat)."""

    source: str
    ref: str
    name: str
    coords: tuple[tuple[float, float], ...]


# --- reading -------------------------------------------------------------------------------------


def _parts(geometry: dict) -> list[list[list[float]]]:
    return geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]


def _way(source: str, ref: str, name: str, coords: Iterable[Sequence[float]]) -> Way:
    return Way(
        source, ref, name, tuple((round(x, EXTRACT_DECIMALS), round(y, EXTRACT_DECIMALS)) for x, y, *_ in coords)
    )


def read_raw(source: Source, raw_dir: Path) -> list[Way]:
    """Every way of a raw source file, in file order."""
    doc = json.loads((raw_dir / source.folder / source.raw).read_text(encoding="utf-8"))
    if source.fmt == "topo":
        return [
            _way(
                source.key,
                f"way/{f['properties']['osm_id']}",
                f["properties"].get("name") or "",
                f["geometry"]["coordinates"],
            )
            for f in doc["lines"]
            if f["geometry"]["type"] == "LineString"
        ]
    ways = []
    for f in doc["features"]:
        name = f["properties"].get("name") or ""
        ref = f["properties"].get("@id") or f["properties"].get("osm_id") or source.key
        for i, part in enumerate(_parts(f["geometry"])):
            ways.append(_way(source.key, f"part {i}" if source.fmt == "multiline" else str(ref), name, part))
    return ways


def read_extract(source: Source) -> list[Way]:
    """The ways kept in a source's extract under ``data/sources/``."""
    doc = json.loads(source.extract.read_text(encoding="utf-8"))
    return [
        _way(source.key, f["properties"]["ref"], f["properties"]["name"], f["geometry"]["coordinates"])
        for f in doc["features"]
    ]


# --- the graph -----------------------------------------------------------------------------------


def _dist_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(a[..., 0], a[..., 1], b[..., 0], b[..., 1])[2])


def _add_bridges(graph: nx.Graph, ways: Sequence[Way]) -> None:
    """From each way end, a bridge edge to the nearest vertex of every other way within ``MAX_GAP_KM``."""
    owner = np.concatenate([np.full(len(w.coords), wi) for wi, w in enumerate(ways)])
    points = np.concatenate([np.asarray(w.coords) for w in ways])
    tree = shapely.STRtree(shapely.points(points))
    node_ways: dict[tuple[float, float], set[int]] = {}
    for wi, way in enumerate(ways):
        for c in way.coords:
            node_ways.setdefault(c, set()).add(wi)
    for wi, way in enumerate(ways):
        for end in {way.coords[0], way.coords[-1]}:
            radius = MAX_GAP_KM / (111.32 * math.cos(math.radians(abs(end[1]) + 1)))
            hits = tree.query(shapely.Point(end), predicate="dwithin", distance=radius)
            hits = hits[~np.isin(owner[hits], list(node_ways[end]))]
            if hits.size == 0:
                continue
            dist = _dist_m(np.broadcast_to(np.asarray(end), (hits.size, 2)), points[hits])
            for other, (d, h) in _nearest_per_way(owner[hits], hits, dist).items():
                target = tuple(points[h])
                if not graph.has_edge(end, target):
                    graph.add_edge(end, target, weight=d * BRIDGE_PENALTY, length=d, bridge=True, ways=(wi, other))


def _nearest_per_way(owners: np.ndarray, hits: np.ndarray, dist: np.ndarray) -> dict[int, tuple[float, int]]:
    best: dict[int, tuple[float, int]] = {}
    for way, h, d in zip(owners, hits, dist, strict=True):
        if d <= MAX_GAP_KM * 1000 and (int(way) not in best or (d, h) < best[int(way)]):
            best[int(way)] = (float(d), int(h))
    return best


def build_graph(ways: Sequence[Way]) -> nx.Graph:
    """Ways as a graph (nodes are vertices, shared vertices join ways), plus bridges over gaps.

    From each way's two ends, a bridge goes to the nearest vertex of every other way within
    ``MAX_GAP_KM`` that does not already share that end. The rule looks at one pair of ways at a time,
    so an extract holding only the ways a path uses gives the same path.
    """
    graph = nx.Graph()
    for wi, way in enumerate(ways):
        xy = np.asarray(way.coords)
        lengths = _dist_m(xy[:-1], xy[1:])
        for a, b, length in zip(way.coords[:-1], way.coords[1:], lengths, strict=True):
            if a != b:
                graph.add_edge(a, b, weight=float(length), length=float(length), bridge=False, ways=(wi,))
    _add_bridges(graph, ways)
    return graph


@dataclass(frozen=True)
class Traced:
    """A traced line: its vertices, bridged length and the ways it uses."""

    coords: list[tuple[float, float]]
    bridged_km: float
    gaps: int
    ways: frozenset[int]


def _nearest_node(graph: nx.Graph, point: tuple[float, float]) -> tuple[tuple[float, float], float]:
    nodes = np.asarray(list(graph.nodes))
    dist = _dist_m(np.broadcast_to(np.asarray(point), nodes.shape), nodes)
    i = int(np.argmin(dist))
    return tuple(nodes[i]), float(dist[i])


def trace_path(graph: nx.Graph, start: str, end: str) -> Traced:
    """Shortest path from the way vertex nearest station ``start`` to the one nearest ``end``, station to station."""
    (first, lead), (last, tail) = _nearest_node(graph, STATIONS[start][:2]), _nearest_node(graph, STATIONS[end][:2])
    lead, tail = (0.0 if STATIONS[start][2] else lead), (0.0 if STATIONS[end][2] else tail)
    nodes = nx.shortest_path(graph, first, last, weight="weight")
    bridged, gaps, used = lead + tail, int(lead > 0) + int(tail > 0), set()
    for a, b in itertools.pairwise(nodes):
        edge = graph.edges[a, b]
        used.update(edge["ways"])
        if edge["bridge"]:
            bridged += edge["length"]
            gaps += 1
    coords = [
        *([] if STATIONS[start][2] else [STATIONS[start][:2]]),
        *nodes,
        *([] if STATIONS[end][2] else [STATIONS[end][:2]]),
    ]
    return Traced(coords, bridged / 1000, gaps, frozenset(used))


def _graphs(ways_by_source: dict[str, list[Way]]) -> dict[tuple, tuple[list[Way], nx.Graph]]:
    graphs = {}
    for trace in TRACES:
        if trace.ways not in graphs:
            ways = [w for key, name in trace.ways for w in ways_by_source[key] if name is None or w.name == name]
            graphs[trace.ways] = (ways, build_graph(ways))
    return graphs


# --- writing -------------------------------------------------------------------------------------


def _line(path: Traced) -> list[list[float]]:
    simple = LineString(path.coords).simplify(SIMPLIFY_DEG, preserve_topology=False)
    out: list[list[float]] = []
    for x, y in simple.coords:
        xy = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != xy:
            out.append(xy)
    return out


def _end(station: str) -> str:
    if STATIONS[station][2]:
        return f"ends at the route vertex nearest {station}"
    return f"joined straight to the {station} station point"


def _geometry_source(trace: Trace, path: Traced) -> str:
    files = sorted({SOURCES[k].extract.relative_to(REPO_ROOT).as_posix() for k, _ in trace.ways})
    names = ", ".join(sorted({n for _, n in trace.ways if n})) or "the whole route"
    return (
        f"{'; '.join(files)} ({names}): shortest path over the source ways from {trace.start} to {trace.end} "
        f"({_end(trace.start)}; {_end(trace.end)}); {path.bridged_km:.1f} km over {path.gaps} gap(s) and end "
        f"legs drawn as straight segments; simplified to ~10 m, {DECIMALS} decimals. Rebuilt by scripts/build_lines.py."
    )


#: The original publisher of each attribution (the repository the file was read from is "retrieved via").
PUBLISHERS = {
    OSM_ATTRIBUTION: "OpenStreetMap contributors",
    GEM_ATTRIBUTION: "Global Energy Monitor (route derived from OpenStreetMap contributors' data)",
    "Global Energy Monitor (CC BY 4.0)": "Global Energy Monitor",
}


def _source_entry(trace: Trace) -> dict:
    keys = list(dict.fromkeys(k for k, _ in trace.ways))
    first = SOURCES[keys[0]]
    via = "; ".join(dict.fromkeys(f"GitHub {SOURCES[k].repo} (commit {SOURCES[k].commit})" for k in keys))
    return {
        "title": GEOMETRY_TITLE + "; ".join(f"{SOURCES[k].repo} {SOURCES[k].path}" for k in keys),
        "url": first.url,
        "publisher": "; ".join(dict.fromkeys(PUBLISHERS[SOURCES[k].attribution] for k in keys)),
        "date": None,
        "note": (
            f"{'; '.join(SOURCES[k].note for k in keys)}; licence {first.licence}; clipped extract kept in "
            + ", ".join(SOURCES[k].extract.relative_to(REPO_ROOT).as_posix() for k in keys)
        ),
        "retrieved_via": via,
    }


def _dump(doc: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def build(out_dir: Path) -> dict[str, Path]:
    """Rebuild every traced feature from ``data/sources/`` and write its layer to ``out_dir``."""
    graphs = _graphs({key: read_extract(s) for key, s in SOURCES.items()})
    layers = {t.layer: json.loads((DATA_DIR / t.layer).read_text(encoding="utf-8")) for t in TRACES}
    paths = {}
    for trace in TRACES:
        path = trace_path(graphs[trace.ways][1], trace.start, trace.end)
        feature = next(f for f in layers[trace.layer]["features"] if f["properties"]["id"] == trace.feature_id)
        feature["geometry"] = {"type": "LineString", "coordinates": _line(path)}
        props = feature["properties"]
        props["sources"] = [s for s in props["sources"] if not s["title"].startswith(GEOMETRY_TITLE)]
        props["sources"].append(_source_entry(trace))
        longest = float(
            np.max(
                _dist_m(
                    np.asarray(feature["geometry"]["coordinates"])[:-1],
                    np.asarray(feature["geometry"]["coordinates"])[1:],
                )
            )
        )
        props["location_precision"] = "schematic" if longest > SCHEMATIC_SEGMENT_KM * 1000 else "approximate"
        props["geometry_source"] = _geometry_source(trace, path)
        props["bridged_km"] = round(path.bridged_km, 1)
        paths[trace.feature_id] = path
    for name, doc in layers.items():
        _dump(doc, out_dir / name)
        print(f"wrote {out_dir / name}")
    return {name: out_dir / name for name in layers}


def extract(raw_dir: Path) -> None:
    """Write ``data/sources/``: from each raw file, only the ways some traced path uses."""
    raw = {key: read_raw(s, raw_dir) for key, s in SOURCES.items()}
    graphs = _graphs(raw)
    used: dict[str, set[str]] = {key: set() for key in SOURCES}
    for trace in TRACES:
        ways, graph = graphs[trace.ways]
        path = trace_path(graph, trace.start, trace.end)
        for wi in path.ways:
            used[ways[wi].source].add(ways[wi].ref + "\0" + str(ways[wi].coords[0]))
    for key, source in SOURCES.items():
        kept = [w for w in raw[key] if w.ref + "\0" + str(w.coords[0]) in used[key]]
        doc = {
            "type": "FeatureCollection",
            "source": {
                "repo": source.repo,
                "commit": source.commit,
                "path": source.path,
                "url": source.url,
                "licence": source.licence,
                "attribution": source.attribution,
            },
            "features": [
                {
                    "type": "Feature",
                    "properties": {"ref": w.ref, "name": w.name},
                    "geometry": {"type": "LineString", "coordinates": [list(c) for c in w.coords]},
                }
                for w in kept
            ],
        }
        _dump(doc, source.extract)
        print(f"{source.extract.relative_to(REPO_ROOT)}: {len(kept)} of {len(raw[key])} ways")
    _write_readmes()


def _write_readmes() -> None:
    for folder in dict.fromkeys(s.folder for s in SOURCES.values()):
        rows = [s for s in SOURCES.values() if s.folder == folder]
        lines = [
            f"# {folder}: clipped extracts (generated by `scripts/build_lines.py --extract`)",
            "",
            "Only the ways that a traced corridor line uses, copied unchanged (coordinates rounded to "
            f"{EXTRACT_DECIMALS} decimals). `scripts/build_lines.py` rebuilds the lines in `data/*.geojson` "
            "from these files alone.",
            "",
            "| extract | origin (repository, commit, path) | what | licence | attribution |",
            "|---|---|---|---|---|",
            *(
                f"| `{s.key}.geojson` | [{s.repo}@{s.commit}]({s.url}) `{s.path}` | {s.note} | {s.licence} "
                f"| {s.attribution} |"
                for s in rows
            ),
            "",
            "## Licence",
            "",
            "OpenStreetMap data is © OpenStreetMap contributors, available under the Open Database Licence "
            "(ODbL 1.0, https://opendatacommons.org/licenses/odbl/1-0/); these extracts are derived databases "
            "and stay under the ODbL."
            if folder == RAIL
            else "Global Energy Monitor publishes its tracker data under CC BY 4.0 "
            '(attribute "Global Energy Monitor"); '
            "the repository states no licence of its own. P3273 carries OpenStreetMap ids (relation 10999298), so "
            "the ODbL applies to it as well (© OpenStreetMap contributors).",
            "",
        ]
        (SOURCES_DIR / folder / "README.md").write_text("\n".join(lines), encoding="utf-8")


# --- report --------------------------------------------------------------------------------------


def measured_km(coords: Sequence[Sequence[float]]) -> float:
    """Geodesic length of a line on WGS84, km."""
    xy = np.asarray(coords)
    return float(GEOD.line_length(xy[:, 0], xy[:, 1])) / 1000


def report(data_dir: Path = DATA_DIR) -> None:
    """Print published vs measured length and bridged km of every traced line, and the land-bridge route."""
    print(f"{'feature':40} {'published':>9} {'measured':>9} {'diff':>7} {'bridged':>8}")
    for trace in TRACES:
        doc = json.loads((data_dir / trace.layer).read_text(encoding="utf-8"))
        f = next(f for f in doc["features"] if f["properties"]["id"] == trace.feature_id)
        km, pub = measured_km(f["geometry"]["coordinates"]), f["properties"]["length_km_reported"]
        diff = f"{(km / pub - 1) * 100:+.1f}%" if pub else "—"
        print(f"{trace.feature_id:40} {pub or '—':>9} {km:9.1f} {diff:>7} {f['properties'].get('bridged_km', 0):8.1f}")
    catalog = default_catalog()
    rail = load_layer(catalog.get("rail_corridors"))
    gateway = load_layer(catalog.get("khorgos")).loc["khorgos-gateway"].geometry
    terminal = load_layer(catalog.get("lianyungang")).geometry.iloc[0]
    route = shortest_route(
        build_network(rail), ("Khorgos Gateway", gateway.x, gateway.y), ("Lianyungang", terminal.x, terminal.y)
    )
    published = rail.loc[list(route.line_ids), "length_km_reported"].sum()
    print(
        f"Khorgos Gateway → Lianyungang terminal: {route.length_km:,.1f} km "
        f"({route.network_km:,.1f} along the network); published lengths of the lines followed: "
        f"{published:,.1f} km ({(route.network_km / published - 1) * 100:+.1f} %)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, metavar="RAW_DIR", help="write data/sources/ from the raw sources")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder the rebuilt layers are written to")
    parser.add_argument("--report", action="store_true", help="measure the committed data and print the figures")
    args = parser.parse_args(argv)
    if args.report:
        report()
        return 0
    if args.extract:
        extract(args.extract)
    build(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
