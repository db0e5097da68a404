"""PowerPoint decks with python-pptx: one slide per scene, the same bytes for the same scenes.

Each slide has the scene's title (a real title placeholder, so the outline and screen readers
see it), its subtitle, the map as a high-resolution picture with alt text (its layers and where), a caption
(where) and the sources under it, and the speaker notes. The file is written without dates
and with fixed zip timestamps, so equal scenes give byte-identical files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

__all__ = ["SLIDE_SIZES_IN", "Slide", "picture_width_in", "pptx_bytes"]

#: Slide sizes in inches by aspect: 16:9 (PowerPoint's widescreen default), 4:3, A4 landscape and portrait.
SLIDE_SIZES_IN: dict[str, tuple[float, float]] = {
    "16:9": (13.333, 7.5),
    "4:3": (10.0, 7.5),
    "A4 landscape": (11.693, 8.268),
    "A4 portrait": (8.268, 11.693),
}
_TITLE_ONLY = 5  # the default template's "Title Only" layout
_MARGIN_IN = 0.4
_MAP_TOP_IN, _SUBTITLE_IN, _FOOTER_IN = 0.95, 0.45, 0.8  # map under the title (and subtitle); words under it
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no time of making in the file
_GREY = RGBColor(0x44, 0x44, 0x44)


@dataclass(frozen=True)
class Slide:
    """One scene as a slide: words, the map picture (PNG) and its pixel size, and speaker notes."""

    title: str
    subtitle: str
    picture: bytes
    width_px: int
    height_px: int
    caption: str
    alt_text: str
    sources: str
    notes: str


def _text_box(slide: object, left: float, top: float, width: float, height: float) -> object:
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))  # type: ignore[attr-defined]
    box.text_frame.word_wrap = True
    return box


def _paragraph(frame: object, text: str, size: float, *, first: bool, italic: bool = False) -> None:
    paragraph = frame.paragraphs[0] if first else frame.add_paragraph()  # type: ignore[attr-defined]
    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.italic = italic
    run.font.color.rgb = _GREY


def _map_box_in(width_in: float, height_in: float, subtitle: bool) -> tuple[float, float, float]:
    """Where a slide's map goes: top, and the width and height it may fill (inches)."""
    top = _MAP_TOP_IN + (_SUBTITLE_IN if subtitle else 0.0)
    return top, width_in - 2 * _MARGIN_IN, height_in - top - _FOOTER_IN - 0.1


def picture_width_in(width_px: int, height_px: int, *, aspect: str = "16:9", subtitle: bool = False) -> float:
    """How wide a map of this pixel size is placed on a slide: a picture made at that width shows true type sizes."""
    _, box_w, box_h = _map_box_in(*SLIDE_SIZES_IN[aspect], subtitle)
    return min(box_w / width_px, box_h / height_px) * width_px


def _add_slide(prs: object, slide: Slide, width_in: float, height_in: float) -> None:
    page = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY])  # type: ignore[attr-defined]
    inner = width_in - 2 * _MARGIN_IN
    title = page.shapes.title
    title.left, title.top, title.width, title.height = Inches(_MARGIN_IN), Inches(0.2), Inches(inner), Inches(0.7)
    title.text = slide.title
    for paragraph in title.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(28)
            run.font.bold = True
    if slide.subtitle:
        _paragraph(_text_box(page, _MARGIN_IN, _MAP_TOP_IN, inner, 0.4).text_frame, slide.subtitle, 16, first=True)
    top, box_w, box_h = _map_box_in(width_in, height_in, bool(slide.subtitle))
    scale = min(box_w / slide.width_px, box_h / slide.height_px)
    pic_w, pic_h = slide.width_px * scale, slide.height_px * scale
    picture = page.shapes.add_picture(
        io.BytesIO(slide.picture),
        Inches(_MARGIN_IN + (box_w - pic_w) / 2),
        Inches(top),
        width=Emu(int(Inches(pic_w))),
        height=Emu(int(Inches(pic_h))),
    )
    picture._element.nvPicPr.cNvPr.set("descr", slide.alt_text)  # alt text: python-pptx has no public setter
    words = _text_box(page, _MARGIN_IN, top + pic_h + 0.08, inner, _FOOTER_IN).text_frame
    _paragraph(words, slide.caption, 11, first=True, italic=True)
    _paragraph(words, slide.sources, 9, first=False)
    if slide.notes:
        page.notes_slide.notes_text_frame.text = slide.notes


def _undated(prs: object, title: str) -> None:
    """Core properties that say what the file is and never when it was made (equal decks, equal bytes)."""
    props = prs.core_properties  # type: ignore[attr-defined]
    props.title = title
    props.author = props.last_modified_by = "Corridor Atlas"
    props.comments = "Made with Corridor Atlas from a deck of scenes"
    props.revision = 1
    element = props._element  # no public way to leave the dates out
    for name in ("created", "modified", "lastPrinted"):
        for node in element.findall(f"{{http://purl.org/dc/terms/}}{name}") + element.findall(
            f"{{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}}{name}"
        ):
            element.remove(node)


def _fixed_zip(content: bytes) -> bytes:
    """The same zip with every entry dated alike and compressed alike, in the same order."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def pptx_bytes(slides: Sequence[Slide], *, title: str, aspect: str = "16:9") -> bytes:
    """A PowerPoint file of the slides, on slides of ``aspect`` (see :data:`SLIDE_SIZES_IN`)."""
    width_in, height_in = SLIDE_SIZES_IN[aspect]
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(width_in), Inches(height_in)
    for slide in slides:
        _add_slide(prs, slide, width_in, height_in)
    _undated(prs, title)
    buffer = io.BytesIO()
    prs.save(buffer)
    return _fixed_zip(buffer.getvalue())
