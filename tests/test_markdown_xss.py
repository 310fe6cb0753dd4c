"""The Markdown XSS corpus (issue 11 item 7): every payload renders nothing executable, through the one renderer
(kernel/markdown.py), through the real pages that show user text (a PR/FAQ's part and a comment on it, a
narrative), and through the PDF export.

Each rendering is parsed with html.parser (never only searched for substrings): no element that runs or loads
something (script, iframe, object, embed, svg, math, style, form, meta, base, ...), no on* attribute, no URL
attribute whose value, once entities are decoded and whitespace and control characters taken out, starts with
javascript:, vbscript: or data:. A page is compared with the same page showing harmless text, so the shell's own
forms and scripts are not findings. In a PDF, every stream is inflated and searched for what acts (/JavaScript,
/JS, /Launch, /OpenAction, /AA, /SubmitForm, embedded files, a URI action with another scheme than the web's)."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from mechanisms.kernel.markdown import render
from mechanisms.kernel.pdf import html_to_pdf
from mechanisms.kernel.testing import pdf_threats

# Hostile input through the renderer, the pages and the PDF: it tests them, not the database, so it runs in the
# SQLite run only (marker `fuzz`, scripts/test).
pytestmark = pytest.mark.fuzz

SVG_B64 = "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"  # <svg onload=alert(1)>
HTML_B64 = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>

# (name, Markdown). The names say what each tries.
PAYLOADS: list[tuple[str, str]] = [
    ("script tag", "<script>alert(1)</script>"),
    ("script tag upper case with src", "<SCRIPT SRC=//evil.test/x.js></SCRIPT>"),
    ("script split by script", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script nested angle", "<<script>script>alert(1)<</script>/script>"),
    ("script escaped by backslash", "\\<script>alert(1)\\</script>"),
    ("script in an html block", "<div>\n<script>alert(1)</script>\n</div>"),
    ("script in a comment", "<!--<script>alert(1)</script>-->"),
    ("script in cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    ("script in template", "<template><script>alert(1)</script></template>"),
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("img onerror entity equals", '<img src="x" onerror&#61;alert(1)>'),
    ("img javascript src", "<IMG SRC=\"javascript:alert('XSS');\">"),
    ("svg onload", "<svg onload=alert(1)>"),
    ("svg script", "<svg><script>alert(1)</script></svg>"),
    ("svg xlink href", '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>'),
    ("svg animate to javascript", "<svg><animate attributeName=href to=javascript:alert(1) /><a>x</a></svg>"),
    ("mathml href", '<math href="javascript:alert(1)">CLICK</math>'),
    ("mathml mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("noscript mxss", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("xmp", "<xmp><img src=x onerror=alert(1)></xmp>"),
    ("iframe javascript", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object data", '<object data="javascript:alert(1)"></object>'),
    ("embed data html", f'<embed src="data:text/html;base64,{HTML_B64}">'),
    ("raw anchor javascript", '<a href="javascript:alert(1)">x</a>'),
    ("raw anchor entity scheme", '<a href="&#x6A;avascript:alert(1)">x</a>'),
    ("raw anchor named entities", '<a href="jAvAsCrIpT&colon;alert&lpar;1&rpar;">x</a>'),
    ("raw anchor onclick", '<a href="https://ok.test" onclick="alert(1)">x</a>'),
    ("details ontoggle", "<details open ontoggle=alert(1)>"),
    ("body onload", "<body onload=alert(1)>"),
    ("marquee onstart", "<marquee onstart=alert(1)>x</marquee>"),
    ("video source onerror", '<video><source onerror="alert(1)"></video>'),
    ("style element import", "<style>@import 'https://evil.test/x.css';</style>"),
    ("style attribute url", '<div style="background:url(javascript:alert(1))">x</div>'),
    ("style attribute expression", '<p style="width:expression(alert(1))">x</p>'),
    ("style attribute overlay", '<a href="#" style="position:fixed;top:0;left:0;width:100%;height:100%">over</a>'),
    ("form action", '<form action="javascript:alert(1)"><button>go</button></form>'),
    ("button formaction", '<button formaction="javascript:alert(1)">x</button>'),
    ("input image onerror", '<input type="image" src="x" onerror="alert(1)">'),
    ("isindex", "<isindex action=javascript:alert(1) type=image>"),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base href", '<base href="javascript:alert(1)//">'),
    ("link stylesheet", '<link rel="stylesheet" href="javascript:alert(1)">'),
    ("link javascript", "[click](javascript:alert(1))"),
    ("link mixed case", "[click](JaVaScRiPt:alert(1))"),
    ("link tab inside the scheme", "[click](jav&#x09;ascript:alert(1))"),
    ("link decimal entities", "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))"),
    ("link named colon entity", "[click](javascript&colon;alert(1))"),
    ("link leading space", "[click]( javascript:alert(1))"),
    ("link angle destination", "[click](<javascript:alert(1)>)"),
    ("link javascript comment newline", "[click](javascript://%0aalert(1))"),
    ("link zero width space", "[click](\u200bjavascript:alert(1))"),
    ("link line separator", "[click](javascript\u2028:alert(1))"),
    ("link vbscript", "[click](vbscript:msgbox(1))"),
    ("link data html", f"[click](data:text/html;base64,{HTML_B64})"),
    ("link data url-encoded", "[click](data:text/html;charset=utf-8,%3Cscript%3Ealert(1)%3C%2Fscript%3E)"),
    ("image javascript", "![img](javascript:alert(1))"),
    ("image data svg", f"![img](data:image/svg+xml;base64,{SVG_B64})"),
    ("image data png", "![img](data:image/png;base64,iVBORw0KGgo=)"),
    ("autolink javascript", "<javascript:alert(1)>"),
    ("autolink vbscript", "<vbscript:msgbox(1)>"),
    ("autolink data", "<data:text/html,<script>alert(1)</script>>"),
    ("reference link javascript", "[x][r]\n\n[r]: javascript:alert(1)"),
    ("reference image javascript with title", '![x][r]\n\n[r]: javascript:alert(1) "t"'),
    ("link title breaks out of the attribute", '[x](https://ok.test "a\\" onmouseover=\\"alert(1)")'),
    ("link title single quotes", "[x](https://ok.test 'a\" onclick=alert(1) x=\"')"),
    ("link url breaks out of the attribute", '[x](https://ok.test/"onmouseover="alert(1))'),
    ("image alt breaks out of the attribute", '![" onerror="alert(1)](https://ok.test/i.png)'),
    ("table cell img", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"),
    ("code span keeps it text", "`<script>alert(1)</script>`"),
    ("fenced code keeps it text", "```html\n<script>alert(1)</script>\n```"),
    ("attribute breakout", '"><script>alert(1)</script>'),
    ("textarea breakout", "</textarea><script>alert(1)</script>"),
    ("title breakout", "</title><script>alert(1)</script>"),
    ("javascript string breakout", "';alert(1)//\";alert(1)//"),
    ("template variable", "{{ request.user.password }}"),
    ("template arithmetic", "{{ 7 * 7 }} and ${7 * 7} and #{7 * 7}"),
    ("template tag", "{% debug %}{% load static %}"),
    ("nul in a link", "[x](java\x00script:alert(1))"),
    ("bidi override", "[x](https://ok.test/\u202egnp.exe)"),
    ("fullwidth scheme", "[x](\uff4a\uff41\uff56\uff41\uff53\uff43\uff52\uff49\uff50\uff54:alert(1))"),
]

# Rendered, these must come back as the very text typed: nothing evaluates it.
LITERAL = {
    "template variable": "{{ request.user.password }}",
    "template arithmetic": "{{ 7 * 7 }}",
    "template tag": "{% debug %}",
}

FORBIDDEN_TAGS = frozenset(
    {
        "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style", "form", "input",
        "button", "textarea", "select", "meta", "base", "link", "isindex", "template", "noscript", "xmp", "video",
        "audio", "source", "portal", "animate", "set", "image",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "ping",
        "cite", "codebase", "dynsrc", "lowsrc", "manifest", "icon", "longdesc", "usemap", "profile", "classid",
        "archive", "to", "from", "values", "by", "content",
    }
)  # fmt: skip
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
# Taken out of a URL before its scheme is judged, as browsers do: C0 controls, space, DEL, C1 controls, and the
# invisible characters a scheme can hide behind.
INVISIBLE = re.compile("[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]")


class _Scan(HTMLParser):
    """Every executable thing in an HTML text, as counted findings (html.parser decodes entities in attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: Counter[str] = Counter()

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.found[f"<{tag} {' '.join(sorted(name for name, _ in attrs))}>"] += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.found[f"<{tag} {name}=...>"] += 1
            if name in ("srcdoc",):
                self.found[f"<{tag} {name}>"] += 1
            text = INVISIBLE.sub("", value or "").lower()
            if name in URL_ATTRIBUTES and (text.startswith(BAD_SCHEMES) or re.search(r"url=\s*javascript:", text)):
                self.found[f"<{tag} {name}={text[:40]}>"] += 1
            if name == "style" and re.search(r"expression\(|javascript:|url\(|position:\s*fixed", text):
                self.found[f"<{tag} style={text[:40]}>"] += 1


def findings(html: str) -> Counter[str]:
    """What in this HTML could run or load something, counted."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan.found


def new_findings(html: str, baseline: str) -> Counter[str]:
    """Findings of a page that the same page with harmless text does not have (the shell's own forms, scripts)."""
    return findings(html) - findings(baseline)


IDS = [name for name, _ in PAYLOADS]


def test_the_corpus_is_at_least_fifty_payloads_each_named_once():
    assert len(PAYLOADS) >= 50
    assert len(set(IDS)) == len(IDS)


def test_the_scanner_finds_what_it_must():
    # The checks can fail: each of these is a finding.
    for bad in (
        "<script>x</script>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#x6A;avascript:x">x</a>',
        "<img src=x onerror=alert(1)>",
        '<p style="width:expression(alert(1))">x</p>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<a href="data:text/html,x">x</a>',
        "<svg/onload=alert(1)>",
    ):
        assert findings(bad), bad
    assert not findings('<p><a href="https://ok.test" title="a&quot; onmouseover=&quot;x">x</a></p>')


@pytest.mark.parametrize(("name", "payload"), PAYLOADS, ids=IDS)
def test_the_renderer_outputs_nothing_executable(name, payload):
    html = render(payload)
    assert not findings(html), f"{name}: {html!r}"
    if name in LITERAL:
        assert LITERAL[name] in html


def test_the_pdf_of_every_payload_never_acts():
    # One PDF per payload (a payload can only break its own document), through the same stylesheet and fetcher as
    # every PDF door.
    bad = {}
    for name, payload in PAYLOADS:
        pdf = html_to_pdf(f"<h1>{name}</h1><section>{render(payload)}</section>")
        threats = pdf_threats(pdf)
        if threats:
            bad[name] = threats
    assert not bad


# --- through the real pages and the PDF export ------------------------------------------------------------------
#
# A record and its twin move in lockstep: the record gets the payloads (one in each part of its body, the first
# in its title, each in a comment), the twin harmless text the same way; the two pages have the same shape, so
# anything executable on the first and not on the second came from a payload. Parts are rendered one by one, so a
# payload cannot change how its neighbour renders. A PR/FAQ has sixteen parts (six rounds cover the corpus), a
# narrative two (body and appendix).

BENIGN = "A plain sentence about checkout."


class _Pair:
    """A record with the payloads and its harmless twin, each revised and commented on the same way."""

    def __init__(self, make, revise, comment, part_keys):
        self.records = (make("attack"), make("twin"))
        self._revise, self._comment, self.part_keys = revise, comment, part_keys
        self._round = 0

    def rounds(self):
        """The corpus in rounds of one payload per part; a payload the services refuse is set aside (text with NUL
        is refused naming the field: nothing is stored, so nothing can be shown)."""
        from mechanisms.kernel.errors import RuleViolation

        kept = [(name, text) for name, text in PAYLOADS if "\x00" not in text]
        size = len(self.part_keys)
        for start in range(0, len(kept), size):
            batch = kept[start : start + size]
            parts = {key: text for key, (_, text) in zip(self.part_keys, batch, strict=False)}
            self._round += 1
            self._revise(self.records[0], parts, batch[0][1])
            self._revise(self.records[1], {key: f"{BENIGN} ({self._round})" for key in parts}, BENIGN)
            for _, text in batch:
                self._comment(self.records[0], text)
                self._comment(self.records[1], BENIGN)
            yield [name for name, _ in batch]
        for _name, text in PAYLOADS:
            if "\x00" in text:
                with pytest.raises(RuleViolation):
                    self._comment(self.records[0], text)


def _title(text: str) -> str:
    return " ".join(text.split())[:300] or "Untitled"


@pytest.fixture
def prfaq_pair(small_org, settings, tmp_path):
    from mechanisms.documents import services as documents
    from mechanisms.working_backwards import services as wb
    from mechanisms.working_backwards.contracts import PRFAQ_PARTS

    settings.MEDIA_ROOT = str(tmp_path / "media")
    bob, dan = small_org.actor("bob"), small_org.actor("dan")
    body = {"customer": "Shoppers.", "problem": "Slow checkout.", "solution": "One screen.", "summary": BENIGN}

    def make(label):
        record = wb.create_prfaq(
            actor=bob, title=f"Checkout {label}", team_id=small_org.teams["checkout"].id, parts=body
        )
        wb.set_circle_members(
            actor=bob, prfaq_id=record.id, circle=2, reviewer_ids=[small_org.people["dan"].id], version=record.version
        )
        record = wb.get_prfaq(actor=bob, prfaq_id=record.id)
        return wb.submit_prfaq(actor=bob, prfaq_id=record.id, version=record.version)

    def revise(record, parts, title):
        view = wb.prfaq_view(actor=bob, prfaq_id=record.id)
        wb.revise_prfaq(actor=bob, prfaq_id=record.id, parts=parts, version=view.document_version, title=_title(title))

    def comment(record, text):
        documents.add_comment(actor=dan, document_id=record.document_id, body=text)

    return _Pair(make, revise, comment, [p.key for p in PRFAQ_PARTS])


@pytest.fixture
def narrative_pair(small_org):
    from mechanisms.documents import services as documents
    from mechanisms.working_backwards import services as wb

    ann, dan = small_org.actor("ann"), small_org.actor("dan")

    def make(label):
        return wb.create_narrative(
            actor=ann, title=f"Narrative {label}", team_id=small_org.teams["checkout"].id, body=BENIGN
        )

    def revise(record, parts, title):
        view = wb.get_narrative(actor=ann, narrative_id=record.id)
        wb.revise_narrative(actor=ann, narrative_id=record.id, version=view.document_version, title=_title(title),
                            body=f"{BENIGN}\n\n{parts['body']}", appendix=parts.get("appendix", ""))  # fmt: skip

    def comment(record, text):
        documents.add_comment(actor=dan, document_id=record.document_id, body=text)

    return _Pair(make, revise, comment, ["body", "appendix"])


def _pages_of(pair: _Pair, paths, handles) -> list[str]:
    """Every new finding of each page for each viewer, payload record against its twin."""
    from mechanisms.kernel.testing import signed_in

    bad = []
    for handle in handles:
        client = signed_in(handle)
        for path in paths:
            attack, twin = (client.get(path(r)) for r in pair.records)
            assert attack.status_code == twin.status_code == 200, (path(pair.records[0]), attack.status_code)
            extra = new_findings(attack.content.decode(), twin.content.decode())
            if extra:
                bad.append(f"{path(pair.records[0])} as {handle}: {dict(extra)}")
    return bad


@pytest.mark.django_db
def test_no_payload_runs_on_the_prfaq_pages_or_in_its_pdf(prfaq_pair, small_org):
    from mechanisms.documents import services as documents

    each = (("dan", lambda r: f"/prfaqs/{r.id}"), ("bob", lambda r: f"/prfaqs/{r.id}/edit"))
    bad = []
    for names in prfaq_pair.rounds():
        for handle, path in each:
            bad += [f"{names}: {b}" for b in _pages_of(prfaq_pair, [path], [handle])]
        _, pdf = documents.export_pdf(actor=small_org.actor("dan"), document_id=prfaq_pair.records[0].document_id)
        if pdf_threats(pdf):
            bad.append(f"{names}: the PDF acts: {pdf_threats(pdf)}")
    # Once more with everything written so far: every comment, the revisions list and the diffs, lists, search.
    every = (
        lambda r: f"/prfaqs/{r.id}",
        lambda r: f"/documents/{r.document_id}",
        lambda r: f"/documents/{r.document_id}/revisions",
        lambda r: f"/documents/{r.document_id}/diff?base=2",
        lambda r: f"/documents/{r.document_id}/diff?base=4",
        lambda r: "/prfaqs",
        lambda r: "/search?q=checkout",
    )
    bad += _pages_of(prfaq_pair, every, ["bob", "dan"])
    assert not bad, "\n".join(bad)


@pytest.mark.django_db
def test_no_payload_runs_on_the_narrative_pages_or_in_its_pdf(narrative_pair, small_org):
    from mechanisms.documents import services as documents

    bad = []
    for names in narrative_pair.rounds():
        bad += [f"{names}: {b}" for b in _pages_of(narrative_pair, [lambda r: f"/narratives/{r.id}"], ["dan"])]
        bad += [f"{names}: {b}" for b in _pages_of(narrative_pair, [lambda r: f"/narratives/{r.id}/edit"], ["ann"])]
    bad += _pages_of(narrative_pair, [lambda r: f"/documents/{r.document_id}"], ["ann", "dan"])
    # Its PDF is the documents' export, tried with every payload on the PR/FAQ above; here on the last body.
    _, pdf = documents.export_pdf(actor=small_org.actor("dan"), document_id=narrative_pair.records[0].document_id)
    assert pdf_threats(pdf) == []
    assert not bad, "\n".join(bad)


@pytest.fixture
def decision_pair(small_org):
    from mechanisms.decisions import services as decisions
    from mechanisms.decisions.contracts import DecisionChanges, OptionInput

    ann, dan = small_org.actor("ann"), small_org.actor("dan")
    slots = ["context", "consequences", "option 1", "option 2", "option 3", "stance"]

    def make(label):
        return decisions.create_decision(
            actor=ann,
            question=f"Which checkout? {label}",
            context=BENIGN,
            options=[OptionInput(title="One"), OptionInput(title="Two")],
            team_id=small_org.teams["checkout"].id,
            participant_ids=[small_org.people["dan"].id],
        )

    def revise(record, parts, title):
        current = decisions.get_decision(actor=ann, decision_id=record.id)
        options = tuple(
            OptionInput(title=f"Option {i}", description=parts.get(f"option {i}", BENIGN)) for i in (1, 2, 3)
        )
        changes = DecisionChanges(
            question=_title(title),
            context=parts["context"],
            consequences=parts.get("consequences", ""),
            options=options,
        )
        decisions.update_decision(actor=ann, decision_id=record.id, changes=changes, version=current.version)
        decisions.sign_stance(
            actor=dan, decision_id=record.id, stance="disagree_and_commit", new_information=parts.get("stance", BENIGN)
        )

    def comment(record, text):
        # Decisions have no comments (the stance's new information is the participants' own text, written in
        # `revise`); text with NUL must still be refused naming the field.
        if "\x00" in text:
            decisions.sign_stance(actor=dan, decision_id=record.id, stance="disagree_and_commit", new_information=text)

    return _Pair(make, revise, comment, slots)


@pytest.mark.django_db
def test_no_payload_runs_on_the_decision_page_or_in_its_pdf(decision_pair):
    from mechanisms.kernel.testing import signed_in

    bad = []
    for names in decision_pair.rounds():
        bad += [f"{names}: {b}" for b in _pages_of(decision_pair, [lambda r: f"/decisions/{r.number}"], ["dan"])]
        response = signed_in("ann").get(f"/decisions/{decision_pair.records[0].number}.pdf")
        assert response.status_code == 200
        if pdf_threats(response.content):
            bad.append(f"{names}: the PDF acts: {pdf_threats(response.content)}")
    bad += _pages_of(decision_pair, [lambda r: "/decisions"], ["ann", "dan"])
    assert not bad, "\n".join(bad)
