"""Folium elements whose data reaches the page as inert JSON, never through a template."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from layers.payload import PageJSON, page_json

__all__ = [
    "BASEMAP_PANE",
    "Background",
    "DataLayer",
    "DataURL",
    "DrawTools",
    "Legend",
    "MetricScale",
    "PageCall",
    "RawHTML",
    "SafeLayerControl",
    "Workspace",
]

#: The map pane the basemap is drawn in, under the layers (the page script makes it when a layer asks for it).
BASEMAP_PANE = "ca-basemap"


class DataURL(str):
    """The URL of a layer's page data (same origin), fetched by the page instead of being embedded in it."""

    __slots__ = ()


class RawHTML(Element):
    """Text placed in the page as it is (a script, a style): never compiled or evaluated as a Jinja template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged."""
        return self._text


class DataLayer(MacroElement):
    """One layer drawn from its page data with one fixed style, by the page script ``CorridorAtlas.layer``.

    Parameters
    ----------
    payload
        Page data made by :func:`layers.payload.layer_data`: geometry, ids and plain property
        values, which the page escapes when it builds a tooltip, popup or label. Or the
        :class:`DataURL` of such data, which the page fetches and draws when it arrives.
    style
        Leaflet path options (colour, weight, dash …).
    radius
        Radius in pixels of point features, drawn as circle markers.
    interactive
        Whether features react to the mouse (basemap parts do not).
    attribution
        Plain-text attribution shown in the map's attribution control.
    canvas
        Draw on a canvas instead of SVG: no DOM node per feature, so large layers paint fast.
    pane
        The map pane to draw in (Leaflet's overlay pane by default).
    selectable
        Its features can be selected (halo, details drawer, chooser) and are styled by status and precision.
    labels
        Draw no features, only their labels, placed where they fit: ``"country"`` or ``"place"``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = CorridorAtlas.{{ this.method }}({{ this.payload }}, {
            style: {{ this.style }},
            radius: {{ this.radius }},
            interactive: {{ this.interactive }},
            canvas: {{ this.canvas }},
            pane: {{ this.pane }},
            selectable: {{ this.selectable }},
            labels: {{ this.labels }},
            attribution: {{ this.attribution }}
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        payload: PageJSON | DataURL,
        *,
        style: dict[str, Any],
        radius: float = 6.0,
        interactive: bool = True,
        attribution: str = "",
        canvas: bool = False,
        pane: str = "overlayPane",
        selectable: bool = False,
        labels: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "DataLayer"
        self.selectable = "true" if selectable else "false"
        self.labels = page_json(labels)
        if isinstance(payload, DataURL):
            self.method, self.payload = "remoteLayer", page_json(str(payload))
        elif isinstance(payload, PageJSON):
            self.method, self.payload = "layer", payload
        else:
            raise TypeError("DataLayer takes page data made by layer_data() or its DataURL, never raw text")
        self.pane = page_json(pane)
        self.style = page_json(style)
        self.radius = float(radius)
        self.interactive = "true" if interactive else "false"
        self.attribution = page_json(escape(attribution))
        self.canvas = "true" if canvas else "false"

    def render(self, **kwargs: Any) -> None:
        """Add this layer's script to the page as text.

        branca's own render wraps every element's rendered script in a new template and renders
        the page through it again; layer data must not take that second pass (nor pay for
        compiling megabytes as a template).
        """
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(RawHTML(script), name=self.get_name())


class PageCall(MacroElement):
    """One call of the page script on the map: ``CorridorAtlas.<function>(map, *args)``, each argument JSON data.

    The function is named by the code, never by a user (checked to be a plain name); the arguments
    go through :func:`layers.payload.page_json`, so no text reaches the page as script or template.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        CorridorAtlas.{{ this.function }}({{ this._parent.get_name() }}
          {%- for arg in this.args %}, {{ arg }}{% endfor %});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, *args: Any) -> None:
        if not function.isidentifier():
            raise ValueError(f"not a page-script function name: {function!r}")
        super().__init__()
        self._name = "PageCall"
        self.function = function
        self.args = [page_json(arg) for arg in args]


class Background(MacroElement):
    """The map's background colour (outside the basemap's extent), set by the page script."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        CorridorAtlas.background({{ this._parent.get_name() }}, {{ this.colour }});
        {% endmacro %}
        """
    )

    def __init__(self, colour: str) -> None:
        super().__init__()
        self._name = "Background"
        self.colour = page_json(colour)


class Workspace(MacroElement):
    """The map as a workspace (see ``layers/js/workspace.js``).

    Selection with a halo, a chooser where features overlap, a details drawer, a count on stacked
    points, labels where they fit, the timeline over ``span`` (first and last year; none without), the
    label-language switch and a fullscreen button.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        CorridorAtlas.workspace({{ this._parent.get_name() }}, {span: {{ this.span }}});
        CorridorAtlas.fullscreen({{ this._parent.get_name() }});
        CorridorAtlas.languages({{ this._parent.get_name() }}, {{ this.languages }});
        CorridorAtlas.fillFrame({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, span: tuple[int, int] | None, languages: Sequence[str]) -> None:
        super().__init__()
        self._name = "Workspace"
        self.span = page_json(list(span) if span else None)
        self.languages = page_json(list(languages))


class DrawTools(MacroElement):
    """Leaflet.draw's toolbar: draw (and so measure) a line, a polygon or a point (``CorridorAtlas.drawTools``).

    What is drawn is kept in ``window.drawnItems``, which the map component sends back to the app.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        CorridorAtlas.drawTools({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "DrawTools"


class MetricScale(MacroElement):
    """Leaflet's scale bar in kilometres only (folium's adds a second bar in miles, which the legend covers)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: "bottomleft"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class Legend(MacroElement):
    """A legend control listing only the overlays currently on the map.

    Parameters
    ----------
    entries
        ``(layer, html)`` pairs: the Folium layer the entry belongs to and the entry's HTML
        (already escaped).
    title
        Heading of the legend (plain text).
    position
        Leaflet control corner (``bottomleft`` keeps it off the eastern end of the corridor).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        CorridorAtlas.legend({{ this._parent.get_name() }}, [
            {%- for layer, html in this.entries %}
            {layer: {{ layer.get_name() }}, html: {{ html }}},
            {%- endfor %}
        ], {{ this.title }}, {{ this.position }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        entries: Sequence[tuple[folium.FeatureGroup, str]],
        *,
        title: str = "Legend",
        position: str = "bottomleft",
    ) -> None:
        super().__init__()
        self.position = page_json(position)
        self._name = "Legend"
        self.entries = [(layer, page_json(html)) for layer, html in entries]
        self.title = page_json(title)


class SafeLayerControl(MacroElement):
    """Leaflet's layer control over the layers it is given, their names escaped for HTML and passed as inert JSON.

    Parameters
    ----------
    base_layers, overlays
        The map's base layers (one shown at a time) and overlays, in the order the control lists them.
    collapsed
        Whether the control starts folded into its button.
    position
        Leaflet control corner.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, layer in this.base_layers %}
                    {{ key }} : {{ layer.get_name() }},
                    {%- endfor %}
                },
                overlays : {
                    {%- for key, layer in this.overlays %}
                    {{ key }} : {{ layer.get_name() }},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = CorridorAtlas.layerControl(
                {{ this._parent.get_name() }},
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {{ this.options }}
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        base_layers: Sequence[folium.map.Layer],
        overlays: Sequence[folium.map.Layer],
        *,
        collapsed: bool = True,
        position: str = "topright",
    ) -> None:
        super().__init__()
        self._name = "LayerControl"
        self.base_layers = [(page_json(escape(layer.layer_name)), layer) for layer in base_layers]
        self.overlays = [(page_json(escape(layer.layer_name)), layer) for layer in overlays]
        self.options = page_json({"position": position, "collapsed": collapsed, "autoZIndex": True})
