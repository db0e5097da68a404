"""The iframe snippet: any file name becomes a relative URL that names that file, any title stays text."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import unquote, urljoin

import pytest

from layers.standalone import embed_snippet


class _Iframes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.found.append(dict(attrs))


def _iframe(snippet: str) -> dict[str, str | None]:
    parser = _Iframes()
    parser.feed(snippet)
    parser.close()
    assert len(parser.found) == 1
    return parser.found[0]


@pytest.mark.parametrize(
    ("name", "src"),
    [
        ("corridor-atlas.html", "corridor-atlas.html"),
        ("my map.html", "my%20map.html"),
        ("a#b.html", "a%23b.html"),
        ("a?b=1.html", "a%3Fb%3D1.html"),
        ('say "hi".html', "say%20%22hi%22.html"),
        ("<script>.html", "%3Cscript%3E.html"),
        ("a&amp;b.html", "a%26amp%3Bb.html"),
        ("Хоргос 100%.html", "%D0%A5%D0%BE%D1%80%D0%B3%D0%BE%D1%81%20100%25.html"),
        ("javascript:alert(1).html", "javascript%3Aalert%281%29.html"),
        ("//evil.example/x.html", "%2F%2Fevil.example%2Fx.html"),
    ],
)
def test_embed_snippet__src_is_the_percent_encoded_file_name(name, src):
    snippet = embed_snippet(name, title="Map", width_px=800, height_px=600)
    attrs = _iframe(snippet)
    assert attrs["src"] == src
    assert snippet.startswith(f'<iframe src="{src}" title="Map"')
    assert unquote(attrs["src"]) == name
    # a relative URL: resolved against the page, it stays a file beside the page
    assert urljoin("https://site.example/deck/page.html", attrs["src"]).startswith("https://site.example/deck/")


@pytest.mark.parametrize("title", ['"><script>alert(1)</script>', "a & b < c", "Хоргос 'gate'", ""])
def test_embed_snippet__title_is_escaped_text(title):
    snippet = embed_snippet("m.html", title=title, width_px=640, height_px=360)
    attrs = _iframe(snippet)
    assert attrs["title"] == (title or "Corridor Atlas map")
    assert "<script" not in snippet
    assert (attrs["width"], attrs["height"]) == ("640", "360")
