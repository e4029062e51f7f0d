"""HTML from a notebook's markdown made inert for a handout, as JupyterLab sanitises markdown on screen.

JupyterLab never trusts HTML in markdown: it keeps formatting (headings, tables, images, links,
``class``/``id``/harmless ``style``) and drops scripts, event-handler attributes (``onerror=…``),
``javascript:`` URLs and embedded frames and forms. A handout opens from ``file://`` and must also stay
offline, so beyond that an image may only come from the page itself (a ``data:`` image, which is how
nbconvert embeds attachments, or a relative path), never from another host, and no allowed CSS
property can take a ``url(…)``.

Parsing is left to `nh3 <https://nh3.readthedocs.io>`_ (Python bindings of the Rust ``ammonia`` crate,
which parses with the browser-grade ``html5ever``): an allowlist applied to the tree the browser would
build, so tricks that rely on a sanitiser parsing differently from the browser do not get through.
"""

from __future__ import annotations

import re

import nh3  # imported with the module: a missing nh3 fails where the exporter names its extra

__all__ = ["sanitize_html"]

_TAGS = frozenset({"tfoot"})  # added to nh3's defaults (which have headings, tables, images, details, …)
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title", "lang", "dir", "style"},
    "img": {"alt", "width", "height", "src"},
    "a": {"href", "hreflang", "name"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start", "type"},
}
# CSS properties that cannot name a URL (so no background, list-style-image, content, cursor, …)
_STYLE_PROPERTIES = frozenset({
    "color", "background-color", "opacity",
    "font", "font-family", "font-size", "font-style", "font-weight", "line-height", "letter-spacing",
    "text-align", "text-decoration", "text-indent", "text-transform", "vertical-align", "white-space", "word-break",
    "width", "height", "max-width", "max-height", "min-width", "min-height", "display", "float", "clear", "overflow",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style",
    "border-width", "border-radius", "border-collapse", "border-spacing",
})
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "data"})
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_DATA_IMAGE = re.compile(r"^\s*data:image/(png|jpeg|gif|webp|bmp|svg\+xml)[;,]", re.IGNORECASE)


def _local_image(value: str) -> bool:
    """Whether an image ``src`` stays inside the page: a data: image or a path relative to the page's folder."""
    if _DATA_IMAGE.match(value):
        return True
    return _SCHEME.match(value) is None and not value.lstrip().startswith(("//", "\\\\", "/\\", "\\/"))


def _filter(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: drop image sources from elsewhere and data: links (``None`` drops the attribute)."""
    if attribute == "src":
        return value if _local_image(value) else None
    if attribute == "href" and (match := _SCHEME.match(value)) and match.group(1).lower() == "data":
        return None
    return value


def sanitize_html(source: str) -> str:
    """``source`` (an HTML fragment, e.g. rendered markdown) with everything that could run code, load
    from the network or submit anything removed; formatting, tables, images and links stay."""
    return nh3.clean(
        source,
        tags=set(nh3.ALLOWED_TAGS) | _TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter,
        url_schemes=set(_URL_SCHEMES),
        filter_style_properties=set(_STYLE_PROPERTIES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
