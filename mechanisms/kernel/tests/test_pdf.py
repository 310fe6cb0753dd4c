"""kernel.pdf: HTML to PDF that fetches nothing but the resources it is given (no network, no file reads: the PDF
door must not be a server-side request forgery or a local-file read), and whose PDFs never act (no scripts, no
launch or auto actions, no embedded files, links only to the web)."""

from __future__ import annotations

import base64
import http.server
import io
import threading

import pytest

from mechanisms.kernel.pdf import BASE_URL, html_to_pdf, resource_key
from mechanisms.kernel.testing import pdf_opened, pdf_threats


def _png(color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def listener():
    """A local HTTP server that records every request it gets (and would serve an image to anyone asking)."""
    seen: list[str] = []
    png = _png()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _images(pdf: bytes) -> int:
    """How many image XObjects the PDF holds."""
    return pdf_opened(pdf).count(b"/Subtype /Image")


def test_a_pdf_is_produced_in_a4_with_page_numbers():
    pdf = html_to_pdf("<h1>Quarterly plan</h1>" + "<p>Some words of the plan.</p>" * 200)
    assert pdf.startswith(b"%PDF-")
    opened = pdf_opened(pdf)
    assert b"/MediaBox [0 0 595.2" in opened  # A4: 210 mm = 595.28 pt
    assert opened.count(b"/Type /Page/") >= 2  # long enough for two pages
    assert b"DejaVu" in opened  # the fonts are the system's DejaVu
    assert pdf_threats(pdf) == []


def test_a_given_resource_is_embedded_by_its_path():
    pdf = html_to_pdf(
        '<p><img src="/documents/3/attachments/7" alt="mockup"></p>',
        resources={"/documents/3/attachments/7": (_png(), "image/png")},
    )
    assert _images(pdf) == 1


def test_no_url_is_fetched_from_the_network(listener):
    base, seen = listener
    html = f"""
    <link rel="stylesheet" href="{base}/style.css">
    <style>@import url("{base}/import.css"); @font-face {{ font-family: X; src: url("{base}/font.woff"); }}
      body {{ background: url("{base}/background.png"); }}</style>
    <h1>Probe</h1>
    <img src="{base}/img.png"> <img srcset="{base}/set.png 2x">
    <div style="background-image: url({base}/inline.png)">inline</div>
    <object data="{base}/object.png" type="image/png"></object> <embed src="{base}/embed.png">
    <iframe src="{base}/iframe"></iframe> <video poster="{base}/poster.png"></video>
    <svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg.png" width="4" height="4"/></svg>
    <a rel="attachment" href="{base}/attached.bin">file</a> <link rel="attachment" href="{base}/attached2.bin">
    <img src="https://127.0.0.1:{base.rsplit(":", 1)[1]}/tls.png"> <img src="ftp://127.0.0.1/ftp.png">
    """
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert seen == []
    assert _images(pdf) == 0
    assert pdf_threats(pdf) == []


def test_no_local_file_is_read(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png((1, 2, 3)))
    text = tmp_path / "secret.txt"
    text.write_text("zqsecretfilecontentx root:x:0:0")
    html = f"""
    <img src="file://{secret}"> <img src="{secret}"> <img src="file:///etc/passwd">
    <div style="background: url(file://{secret})">x</div>
    <a rel="attachment" href="file://{text}">attached</a> <link rel="attachment" href="file://{text}">
    <link rel="stylesheet" href="file:///etc/passwd"> <object data="file://{secret}"></object>
    <base href="file:///"><img src="etc/passwd"> <img src="../../../../etc/passwd">
    """
    pdf = html_to_pdf(html)
    opened = pdf_opened(pdf)
    assert _images(pdf) == 0
    assert b"zqsecretfilecontentx" not in opened
    assert b"root:x:0:0" not in opened
    assert pdf_threats(pdf) == []


def test_a_path_under_the_base_is_not_fetched_unless_given():
    pdf = html_to_pdf(
        '<img src="/documents/3/attachments/8"><img src="/etc/passwd">',
        resources={"/documents/3/attachments/7": (_png(), "image/png")},
    )
    assert _images(pdf) == 0


def test_only_raster_image_data_urls_are_decoded():
    png = base64.b64encode(_png()).decode()
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>')
    pdf = html_to_pdf(
        f'<img src="data:image/png;base64,{png}"><img src="data:image/svg+xml;base64,{svg.decode()}">'
        '<img src="data:text/html,<script>alert(1)</script>">'
    )
    assert _images(pdf) == 1


def test_the_pdf_never_acts_even_when_given_active_html():
    # The HTML is sanitized before it gets here; this is the second lock.
    pdf = html_to_pdf(
        '<p><a href="javascript:alert(1)">js</a> <a href="JaVaScRiPt:alert(1)">mixed</a> '
        '<a href="vbscript:msgbox(1)">vb</a> <a href="data:text/html,x">data</a> <a href="file:///etc/passwd">f</a>'
        ' <a href="/prfaqs/1">here</a> <a href="https://example.com/ok">web</a> <a href="#top">top</a></p>'
        '<form action="https://evil.test/"><input name="q" style="appearance: auto"><button>Go</button></form>'
    )
    assert pdf_threats(pdf) == []
    opened = pdf_opened(pdf)
    assert b"https://example.com/ok" in opened  # the web link stays a link
    assert b"pdf.invalid" not in opened  # a path of the server is not a link on paper


def test_resource_keys_agree_for_paths_and_absolute_urls():
    assert resource_key(BASE_URL + "documents/3/attachments/7") == "/documents/3/attachments/7"
    assert resource_key(BASE_URL + "documents/3/attachments/7#x") == "/documents/3/attachments/7"
    assert resource_key("https://elsewhere.test/a") == "https://elsewhere.test/a"


def test_pdf_threats_finds_what_acts():
    # The scanner itself must be able to fail: a hand-made PDF with a script and a javascript: URI.
    bad = b"%PDF-1.7\n1 0 obj <</Type /Catalog /OpenAction <</S /JavaScript /JS (app.alert(1))>>>> endobj\n"
    bad += b"2 0 obj <</S /URI /URI (java\\tscript:alert\\(1\\))>> endobj\n"
    found = pdf_threats(bad)
    assert {"/OpenAction", "/JavaScript", "/JS"} <= set(found)
    assert any(item.startswith("URI action") for item in found)
