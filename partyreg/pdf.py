"""The one place that turns a template into PDF bytes.

Every printed sheet extends templates/pdf/document.html (the official layout of Guidance
36-HD/VPTW) and is styled by static/pdf/party.css, which loads the Liberation Serif shipped in
static/fonts. Both the font configuration and the parsed stylesheet are built once per process and
reused by every render: building them costs more than laying out a one-page sheet, and a fresh
font configuration per render leaves memory growing (bench/pdf_render.py measures both).

A template may load only the project's own static files (addressed by the static URL, or
relative to it) and data: URIs; anything else is refused and logged, so user-controlled text that
slipped into a src or href can never make the server read a local file or call a URL.
"""

import copy
import logging
import mimetypes
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import cssselect2
import lxml.html
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.html import UA, UA_COUNTER_STYLE, UA_FORM_STYLESHEET
from weasyprint.text import ffi as weasyprint_ffi
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger("partyreg.pdf")

# The origin templates are rendered under. It is never contacted: the fetcher maps URLs under it
# onto files in the static directories. ".invalid" is reserved and resolves nowhere (RFC 2606).
PDF_ORIGIN = "https://partyreg.invalid/"
SHARED_STYLESHEET = "pdf/party.css"
# What to install when WeasyPrint has to subset fonts with fontTools (about 2.5 times slower).
HARFBUZZ_SUBSET_PACKAGE = "libharfbuzz-subset0 (Debian/Ubuntu) or harfbuzz >= 4.1 (elsewhere)"


class FetchRefused(ValueError):
    """A template asked for something other than the project's static files or a data: URI.

    WeasyPrint treats any exception from the fetcher as a failed fetch: the image or font is
    left out and the rest of the document renders.
    """


# --- Dates on official documents -------------------------------------------------------------


def vn_date(value: date | datetime) -> str:
    """ "ngày 05 tháng 01 năm 2026": day 1-9 and months 1-2 carry a leading zero.

    That is how the guidance dates itself ("ngày 03 tháng 4 năm 2018", 36-HD/VPTW) and the rule
    Decree 30/2020 spells out, so that no digit can be put in front of the day or month later.
    """
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def vn_place_date(place: str, value: date | datetime) -> str:
    """ "Đà Lạt, ngày 20 tháng 11 năm 2026", the place and date line under the Party title."""
    line = vn_date(value)
    return f"{place}, {line}" if place else line[:1].upper() + line[1:]


# --- Fetching: the project's static files and data: URIs, nothing else ----------------------


def _static_url_prefixes() -> list[str]:
    prefixes = [urljoin(PDF_ORIGIN, settings.STATIC_URL)]
    if urlsplit(settings.STATIC_URL).scheme in {"http", "https"}:
        prefixes.append(settings.STATIC_URL)
    return [p if p.endswith("/") else p + "/" for p in prefixes]


def _static_roots() -> list[Path]:
    roots = [Path(d[1] if isinstance(d, list | tuple) else d) for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


def static_file_for_url(url: str) -> Path | None:
    """The file under STATICFILES_DIRS or STATIC_ROOT that `url` names, or None."""
    address = url.split("#", 1)[0].split("?", 1)[0]
    for prefix in _static_url_prefixes():
        if address.startswith(prefix):
            relative = unquote(address[len(prefix) :])
            break
    else:
        return None
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    for root in _static_roots():
        # resolve() follows symlinks and "..", so the containment test sees the real file.
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves static files and data: URIs and refuses the rest."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = static_file_for_url(url)
        if path is None:
            logger.warning("PDF rendering refused to load %.200s: not a project static file", url)
            raise FetchRefused(f"Only the project's static files may be loaded, not {url:.200}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


# --- Font configuration and stylesheet, once per process ------------------------------------


@dataclass(frozen=True)
class PdfResources:
    font_config: FontConfiguration
    stylesheet: CSS
    pid: int
    # A document's own stylesheets (static paths such as "pdf/sheet.css"), parsed at first use.
    extra: dict[str, CSS] = field(default_factory=dict)

    def stylesheets(self, names=()) -> list[CSS]:
        """The shared stylesheet, then each of ``names`` parsed once into this configuration."""
        sheets = [self.stylesheet]
        for name in names:
            sheet = self.extra.get(name)
            if sheet is None:
                with _shared_lock:
                    sheet = self.extra.get(name) or _parse_static_css(name, self.font_config)
                    self.extra[name] = sheet
            sheets.append(sheet)
        return sheets


def _parse_static_css(name: str, font_config: FontConfiguration) -> CSS:
    return CSS(
        url=urljoin(_static_url_prefixes()[0], name),
        url_fetcher=StaticOnlyFetcher(),
        font_config=font_config,
    )


def load_resources() -> PdfResources:
    """A new font configuration and the shared stylesheet parsed into it, with its fonts."""
    font_config = FontConfiguration()
    stylesheet = _parse_static_css(SHARED_STYLESHEET, font_config)
    return PdfResources(font_config=font_config, stylesheet=stylesheet, pid=os.getpid())


_shared: PdfResources | None = None
_shared_lock = threading.Lock()
# Pango's font map is not thread-safe; renders sharing one configuration take turns. Workers are
# processes (gunicorn sync, Celery prefork), so this only matters in a threaded server.
_render_lock = threading.RLock()


def shared_resources() -> PdfResources:
    """This process's font configuration and stylesheet, built at the first render.

    Keyed by process id: a worker forked from a parent that had already rendered builds its own
    (the configuration owns a temporary font folder the parent deletes when it lets go of it).
    """
    global _shared
    resources = _shared
    if resources is not None and resources.pid == os.getpid():
        return resources
    with _shared_lock:
        if _shared is None or _shared.pid != os.getpid():
            _warn_if_no_harfbuzz_subset()
            install_line_cache()
            _shared = load_resources()
        return _shared


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz rather than its slow fontTools fallback.

    WeasyPrint 70 loads libharfbuzz-subset at import (weasyprint.text.ffi.harfbuzz_subset, None
    when missing) and uses it when HarfBuzz is at least 4.1.0 (weasyprint.pdf.fonts.Font.subset).
    """
    if weasyprint_ffi.harfbuzz_subset is None:
        return False
    return bool(weasyprint_ffi.harfbuzz.hb_version_atleast(4, 1, 0))


def _warn_if_no_harfbuzz_subset() -> None:
    if not harfbuzz_subset_available():
        logger.warning(
            "HarfBuzz-Subset is not available: WeasyPrint falls back to fontTools and renders "
            "PDFs about 2.5 times slower. Install %s.",
            HARFBUZZ_SUBSET_PACKAGE,
        )


# --- Lines of text laid out once per process ------------------------------------------------

# Most lines of a comment sheet are the same on every sheet: the criteria and their levels, the
# headings, the signature blocks. WeasyPrint asks Pango to lay out each line of each document
# afresh (split_first_line: shape the text, find where the line breaks, measure it); 85% of those
# calls on the bloc's sheets repeat one already made. The result depends only on the text, the
# width, the arguments and the style properties below (those split_first_line, Layout.setup and
# first_line_metrics read), so it is kept per font configuration, the least recently used
# forgotten first. Each caller gets its own copy of the (deactivated) Layout, which holds only
# the text and its metrics: drawing re-creates the Pango layout from them, as it always does.
LINE_CACHE_SIZE = 4096
# WeasyPrint versions whose split_first_line this cache was checked against.
LINE_CACHE_VERSIONS = ("70.",)
LINE_STYLE_PROPERTIES = (
    "direction",
    "font_family",
    "font_feature_settings",
    "font_kerning",
    "font_language_override",
    "font_size",
    "font_stretch",
    "font_style",
    "font_variant_alternates",
    "font_variant_caps",
    "font_variant_east_asian",
    "font_variant_ligatures",
    "font_variant_numeric",
    "font_variant_position",
    "font_variation_settings",
    "font_weight",
    "hyphenate_character",
    "hyphenate_limit_chars",
    "hyphenate_limit_zone",
    "hyphens",
    "lang",
    "letter_spacing",
    "line_height",
    "overflow_wrap",
    "tab_size",
    "text_decoration_line",
    "white_space",
    "word_break",
    "word_spacing",
)


def _line_style_key(style) -> tuple:
    # Computed once per style object (one per element and per anonymous box).
    key = style.__dict__.get("_partyreg_line_key")
    if key is None:
        key = tuple(repr(style[name]) for name in LINE_STYLE_PROPERTIES)
        style.__dict__["_partyreg_line_key"] = key
    return key


def cached_split_first_line(split_first_line):
    """``split_first_line`` with its results kept per font configuration (see above)."""

    def split(text, style, context, max_width, justification_spacing, *args, **kwargs):
        lines = style.font_config.__dict__.setdefault("_partyreg_lines", OrderedDict())
        key = (text, max_width, justification_spacing, args, tuple(kwargs.items()))
        key += _line_style_key(style)
        result = lines.get(key)
        if result is None:
            result = split_first_line(
                text, style, context, max_width, justification_spacing, *args, **kwargs
            )
            lines[key] = result
            if len(lines) > LINE_CACHE_SIZE:
                lines.popitem(last=False)
        else:
            lines.move_to_end(key)
        layout, *metrics = result
        return (copy.copy(layout), *metrics)

    split.partyreg_cached = True
    return split


def install_line_cache() -> bool:
    """Route WeasyPrint's layout of text lines through the cache; False when this WeasyPrint
    version was not checked (its own function is then left in place)."""
    import weasyprint
    import weasyprint.layout.inline as inline
    import weasyprint.layout.preferred as preferred
    from weasyprint.text import line_break

    if not weasyprint.__version__.startswith(LINE_CACHE_VERSIONS):
        logger.warning(
            "WeasyPrint %s: line layout cache not installed (checked against %s).",
            weasyprint.__version__,
            ", ".join(LINE_CACHE_VERSIONS),
        )
        return False
    if getattr(inline.split_first_line, "partyreg_cached", False):
        return True
    split = cached_split_first_line(line_break.split_first_line)
    inline.split_first_line = split
    preferred.split_first_line = split
    return True


# --- The user-agent stylesheet, without rules that match every element for nothing -----------

# WeasyPrint's HTML5 stylesheet gives every element a ::marker and five footnote / note pseudo-
# elements (selectors with no element name), so each element of a document had six pseudo-element
# styles computed: about 15 ms of a 160 ms comment sheet. Markers only exist on list items (li,
# summary); the documents here use no CSS footnotes or notes (float: footnote), so those rules
# are left out.
_UNIVERSAL_MARKER = re.compile(r"^::marker \{", re.MULTILINE)
_COUNTER_STYLE_RULES = re.compile(r"^@counter-style [^\n]*\n", re.MULTILINE)
_NOTE_RULES = re.compile(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", re.MULTILINE)


def print_ua_css() -> str:
    text, markers = _UNIVERSAL_MARKER.subn("li::marker, summary::marker {", UA)
    text, notes = _NOTE_RULES.subn("", text)
    # The counter styles are in UA_COUNTER_STYLE already (WeasyPrint's own parse of UA, passed
    # below); parsed a second time, 'disc' and 'decimal' are refused with a warning in the log.
    text = _COUNTER_STYLE_RULES.sub("", text)
    if (markers, notes) != (1, 5):
        # A WeasyPrint upgrade changed its stylesheet: keep it whole rather than guess.
        logger.warning("WeasyPrint's user-agent stylesheet changed; using it unmodified.")
        return UA
    return text


_ua_stylesheet: CSS | None = None


def print_ua_stylesheet() -> CSS:
    global _ua_stylesheet
    if _ua_stylesheet is None:
        _ua_stylesheet = CSS(string=print_ua_css(), counter_style=UA_COUNTER_STYLE)
    return _ua_stylesheet


class PrintHTML(HTML):
    """An HTML document parsed by libxml2 and styled by the trimmed user-agent stylesheet above.

    WeasyPrint parses with tinyhtml5, in pure Python: 18 ms for a 9 kB comment sheet, against
    0.3 ms for lxml's parser, with the same pages drawn. The markup parsed here is the project's
    own templates (autoescaped), not arbitrary web pages, so an HTML5 parser's error recovery is
    not needed.
    """

    def __init__(self, *, string: str, base_url: str, url_fetcher, media_type: str = "print"):
        root = lxml.html.document_fromstring(string)
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = media_type
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        return [print_ua_stylesheet(), UA_FORM_STYLESHEET] if forms else [print_ua_stylesheet()]


# --- Rendering --------------------------------------------------------------------------------


def _document(html: str, resources: PdfResources, stylesheets=()):
    return PrintHTML(string=html, base_url=PDF_ORIGIN, url_fetcher=StaticOnlyFetcher()).render(
        stylesheets=resources.stylesheets(stylesheets), font_config=resources.font_config
    )


def render_pdf(
    template_name: str,
    context: dict,
    *,
    request=None,
    resources: PdfResources | None = None,
    stylesheets=(),
) -> bytes:
    """Render a template extending pdf/document.html to PDF bytes.

    ``stylesheets``: the document's own static stylesheets, applied after party.css and parsed
    once per process (a <style> element in the template is parsed again at every render).
    `resources` is for benchmarks comparing fresh configurations; callers leave it out.
    """
    html = render_to_string(template_name, context, request=request)
    resources = resources or shared_resources()
    with _render_lock:
        return _document(html, resources, stylesheets).write_pdf()


# WeasyPrint lays pages out in CSS pixels (96 per inch); PDF counts points (72 per inch).
POINTS_PER_PX = 0.75


def render_pdf_with_boxes(
    template_name: str, context: dict, *, element_ids, stylesheets=()
) -> tuple[bytes, dict[str, tuple[int, float, float, float, float]]]:
    """``render_pdf``, and where each element of ``element_ids`` was laid out: (page index,
    x1, y1, x2, y2) of its border box in points from the page's lower left corner, the way a
    PDF (and pyHanko's signature box) counts. An element laid out over two pages is given by
    its first part; one the document does not have is left out."""
    html = render_to_string(template_name, context)
    resources = shared_resources()
    with _render_lock:
        document = _document(html, resources, stylesheets)
        return document.write_pdf(), _element_boxes(document, set(element_ids))


def _element_boxes(document, element_ids: set[str]) -> dict:
    boxes = {}
    for index, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            name = element.get("id") if element is not None else None
            if name not in element_ids or name in boxes:
                continue
            left, top = box.border_box_x(), box.border_box_y()
            right, bottom = left + box.border_width(), top + box.border_height()
            boxes[name] = (
                index,
                *(round(v * POINTS_PER_PX, 2) for v in (left, page.height - bottom)),
                *(round(v * POINTS_PER_PX, 2) for v in (right, page.height - top)),
            )
    return boxes


def render_pdf_many(
    template_name: str,
    contexts,
    *,
    request=None,
    resources: PdfResources | None = None,
    stylesheets=(),
) -> bytes:
    """One PDF of many sheets, each starting on a new page, with its own page numbering.

    Each sheet is laid out as its own document and the pages are joined before writing, so the
    fonts are embedded once for the whole batch (bench/pdf_render.py compares this with one
    long HTML document and with merging per-sheet PDFs).
    """
    resources = resources or shared_resources()
    first, pages = None, []
    with _render_lock:
        for context in contexts:
            document = _document(
                render_to_string(template_name, context, request=request), resources, stylesheets
            )
            first = first or document
            pages.extend(document.pages)
        if first is None:
            raise ValueError("render_pdf_many needs at least one sheet to print.")
        return first.copy(pages).write_pdf()
