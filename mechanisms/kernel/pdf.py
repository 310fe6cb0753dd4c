"""HTML to PDF with WeasyPrint, sealed off from the network and the disk.

WeasyPrint fetches every URL a document names (images, stylesheets, fonts, `<link rel=attachment>`, SVG
`<image>`s, `url()` in a style attribute). Rendered user text is sanitized before it gets here, but a PDF door that
follows URLs is a server-side request forgery (`http://127.0.0.1:5432/`, a cloud metadata address) and a local-file
door (`file:///etc/passwd` embedded as an image or an attachment) as soon as anything slips through. So the one
fetcher this module gives WeasyPrint (for the HTML *and* for the stylesheets: WeasyPrint makes its own networked
fetcher for any object given none) answers only the `resources` the caller hands over, by URL, and refuses
everything else before any I/O: http, https, ftp, file, and data URLs (a data URL is decoded only when it is a
raster image). Fonts are the system's DejaVu through fontconfig, never fetched.

WeasyPrint is imported lazily: it costs half a second and only the PDF doors need it. This module imports no Django
(`mech wbr build` renders PDFs offline, without a Django set-up); the HTTP response a PDF door answers with is
`kernel.http.download`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes, urlsplit

# Relative URLs in the HTML (`/documents/3/attachments/7`) are resolved against this base, which can never be
# reached (the `.invalid` top-level domain never resolves, RFC 2606) and is only a key into `resources`.
BASE_URL = "https://pdf.invalid/"

# A data: URL is decoded here only for these types (an SVG can name further URLs; everything else is not an image).
DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_DATA_URL_BYTES = 5 * 1024 * 1024
SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})

PRINT_CSS = """
@page {
  size: A4;
  margin: 22mm 20mm 24mm 20mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 8.5pt; color: #555; }
  @top-right { content: string(doctitle); font-size: 8.5pt; color: #555; }
}
html { font-family: "DejaVu Serif", serif; font-size: 10.5pt; line-height: 1.45; color: #111; }
h1, h2, h3, h4, h5, h6, th, .meta, .label { font-family: "DejaVu Sans", sans-serif; }
h1 { font-size: 18pt; margin: 0 0 4mm; string-set: doctitle content(); }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 0.4pt solid #999; padding-bottom: 1mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 1.5mm; }
h2, h3, h4 { break-after: avoid; }
p, li { orphans: 2; widows: 2; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 2mm; }
blockquote { margin: 2mm 0 2mm 4mm; padding-left: 3mm; border-left: 1.2pt solid #999; color: #333; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
th, td { border: 0.4pt solid #999; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
img { max-width: 100%; }
figure { margin: 4mm 0; break-inside: avoid; }
figcaption { font-size: 9pt; color: #444; }
.meta { font-size: 9pt; color: #444; margin-bottom: 6mm; }
.part { margin-bottom: 3mm; }
.empty { color: #777; font-style: italic; }
a { color: #1a4f8b; text-decoration: none; }
"""

log = logging.getLogger(__name__)


class RefusedFetch(ValueError):
    """A URL the PDF renderer may not fetch (WeasyPrint skips the resource with a warning and goes on)."""


def html_to_pdf(html: str, *, resources: Mapping[str, tuple[bytes, str]] | None = None) -> bytes:
    """The PDF of `html` (A4, DejaVu fonts, page numbers), fetching nothing but `resources`.

    `resources` maps a URL as the HTML names it (absolute, or a path such as `/documents/3/attachments/7`, which is
    resolved against BASE_URL) to its bytes and content type. Every other URL is refused without being opened:
    no network, no file read, ever."""
    from weasyprint import CSS, HTML

    fetcher = _sealed_fetcher(resources or {})
    stylesheet = CSS(string=PRINT_CSS, base_url=BASE_URL, url_fetcher=fetcher)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(stylesheets=[stylesheet])
    # Nothing in our PDFs acts: links only to the web (http, https, mailto) or inside the document, no embedded
    # files (`<a rel=attachment>`, `<link rel=attachment>`), no form fields. The HTML is sanitized already; this is
    # the second lock, so a sanitizer slip still cannot put a javascript: URI action or a file into a PDF.
    for page in document.pages:
        page.links = [link for link in page.links if _safe_link(link[0], link[1])]
        page.forms = {}
    document.metadata.attachments = []
    return document.write_pdf()


def _safe_link(kind: str, target: object) -> bool:
    if kind == "internal":
        return True
    if kind != "external" or not isinstance(target, str):
        return False  # attachments and anything a later WeasyPrint adds
    if target.startswith(BASE_URL):
        return False  # a path of this server: meaningless on paper
    return urlsplit(target).scheme.lower() in SAFE_LINK_SCHEMES


def resource_key(url: str) -> str:
    """The key a URL is looked up by in `resources`: a URL under BASE_URL by its path (and query), any other as
    given. Exposed so callers and tests agree on it."""
    if url.startswith(BASE_URL):
        rest = url[len(BASE_URL) :]
        return "/" + rest.split("#", 1)[0]
    return url.split("#", 1)[0]


def _sealed_fetcher(resources: Mapping[str, tuple[bytes, str]]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    table = {resource_key(_absolute(url)): value for url, value in resources.items()}

    class SealedFetcher(URLFetcher):
        """Answers the given resources and data-URL images; refuses every other URL before opening anything."""

        def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
            found = table.get(resource_key(url))
            if found is not None:
                content, content_type = found
                return URLFetcherResponse(url, content, {"Content-Type": content_type})
            if url[:5].lower() == "data:":
                content, content_type = _data_image(url)
                return URLFetcherResponse(url[:40], content, {"Content-Type": content_type})
            log.info("PDF: refused to fetch %s", _safe_for_log(url))
            raise RefusedFetch("the PDF renderer fetches nothing but the document's own attachments")

        def open(self, url, data=None, timeout=None):  # noqa: ARG002 - urllib's OpenerDirector signature
            # URLFetcher inherits urllib's OpenerDirector: make sure no other path into its handlers stays open.
            return self.fetch(url if isinstance(url, str) else url.full_url)

    return SealedFetcher(timeout=1, allow_redirects=False)


def _absolute(url: str) -> str:
    if urlsplit(url).scheme:
        return url
    return BASE_URL + url.lstrip("/")


def _data_image(url: str) -> tuple[bytes, str]:
    """A data: URL's bytes when it is a raster image of a bounded size; RefusedFetch otherwise."""
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise RefusedFetch("a malformed data URL")
    params = [p.strip().lower() for p in header.split(";")]
    content_type = params[0] if params and params[0] else "text/plain"
    if content_type not in DATA_IMAGE_TYPES:
        raise RefusedFetch(f"a data URL of type {content_type!r} is not an image the PDF embeds")
    if len(payload) > MAX_DATA_URL_BYTES * 2:
        raise RefusedFetch("a data URL over the size limit")
    try:
        content = base64.b64decode(payload, validate=False) if "base64" in params[1:] else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise RefusedFetch("a malformed data URL") from None
    if len(content) > MAX_DATA_URL_BYTES:
        raise RefusedFetch("a data URL over the size limit")
    return content, content_type


def _safe_for_log(url: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", url)[:120]
