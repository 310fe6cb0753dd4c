"""The working-backwards part of the demo (MECHANISMS.md §6): PR/FAQs of the demo's teams in every circle, one
approved for staffing with a mockup attached, three shelved for different reasons at different circles, and a
six-page narrative read in a silent reading session with three readers (one done reading).

Everything is written through the services, each step by the person who holds it (the author writes and names the
circles, each circle's reviewer advances or shelves), so the circles' visibility, the checker, the history and the
notifications are the product's own. People are found by their place in the org (a team's leader, an org unit's
leader), never by a generated name, and sign in with the demo password. Only once: skipped when any PR/FAQ exists.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Anchor, AttachmentPurpose
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services
from mechanisms.working_backwards import services as wb_services

# Who is who, by place: "lead:<team slug>" is the team's leader, "unit:<org unit slug>" the unit's leader
# (larkspur is the company: its leader is the CEO, the top of every chain).
CEO = "unit:larkspur"


@dataclass(frozen=True)
class _Idea:
    """One demo PR/FAQ: who writes it for which team, its text, its circles (circle -> (reviewers, readers)), how
    far it goes (`until`: a circle number it stays in, "approved", or "shelved"), and the comments its readers
    leave on passages (who, part, quoted passage, comment)."""

    team: str
    author: str
    title: str
    parts: dict[str, str]
    circles: dict[int, tuple[tuple[str, ...], tuple[str, ...]]]
    until: int | str
    shelve: tuple[int, str, str] | None = None  # (circle, reason, note)
    comments: tuple[tuple[str, str, str, str], ...] = ()
    mockup: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _faq(*pairs: tuple[str, str]) -> str:
    return "\n\n".join(f"**{q}** {a}" for q, a in pairs)


IDEAS: tuple[_Idea, ...] = (
    _Idea(
        team="checkout",
        author="lead:checkout",
        title="Reorder in one tap",
        parts={
            "subheading": "Customers who buy the same things every month repeat a past order from its receipt.",
            "launch_date": "Lisbon, 3 March 2027",
            "summary": (
                "Larkspur customers can now repeat any past order with one tap on its receipt, e-mail or app. "
                "The cart fills with the same items, the same sizes and the same delivery address."
            ),
            "customer": (
                "Joana orders nappies, wipes and formula for her twins every three weeks, usually late in the evening "
                "on her phone."
            ),
            "problem": (
                "She searches for the same eleven products every time, and twice last month she ordered the wrong "
                "size because the product page had changed."
            ),
        },
        circles={2: (("lead:payments",), ("lead:cart",))},
        until=1,
    ),
    _Idea(
        team="search",
        author="lead:search",
        title="Search by photo",
        parts={
            "subheading": "Shoppers find a product they saw in the street by taking a picture of it.",
            "launch_date": "Berlin, 12 May 2027",
            "summary": (
                "Shoppers point their camera at a lamp, a jacket or a pair of trainers and Larkspur shows the same "
                "product, or the closest ones, with their price and delivery date."
            ),
            "customer": "Dev is furnishing his first flat and photographs what he likes in cafés and at friends'.",
            "problem": (
                "He does not know what the things he likes are called, so typing a search returns thousands of "
                "results and he gives up after the second page."
            ),
            "solution": (
                "He taps the camera in the search box, takes a picture, and sees the matching products first. A "
                "product not sold at Larkspur shows its five closest alternatives, never an empty page."
            ),
            "customer_quote": '"I found the exact lamp from my sister\'s living room in ten seconds," said Dev.',
            "external_faq": _faq(("Do you keep my photos?", "No: a photo is deleted once the search is done.")),
        },
        circles={2: (("lead:product-catalog",), ())},
        until=1,
    ),
    _Idea(
        team="payments",
        author="lead:payments",
        title="Pay in three, without fees",
        parts={
            "subheading": "Customers split any order over 90 euros into three monthly payments, with no interest.",
            "launch_date": "Madrid, 1 April 2027",
            "summary": (
                "At checkout, customers choose to pay in three. The first payment is taken on the day, the two others "
                "a month apart, with no interest and no fee. Approval takes under five seconds."
            ),
            "customer": "Lucia is a nurse who buys a new washing machine when the old one breaks, never before.",
            "problem": (
                "A broken appliance is an expense nobody planned: a third of the carts over 400 euros are abandoned "
                "at the payment step, and our survey says the amount is the reason."
            ),
            "solution": (
                'Lucia picks "pay in three" under the card form, confirms with her bank app and gets her washing '
                "machine tomorrow. Larkspur carries the credit risk; our partner bank collects late payments."
            ),
            "leader_quote": '"Customers should not have to choose between clean clothes and rent," said the leader '
            "of Payments.",
            "getting_started": "Nothing to sign up for: the option appears at checkout for orders over 90 euros.",
            "customer_quote": '"I did not have to wait for payday," said Lucia.',
            "external_faq": _faq(("What if I pay late?", "One reminder, then a flat 5 euro fee, never interest.")),
            "market_size": "1.9 million orders over 90 euros last year; 14% of them were abandoned at payment.",
            "economics": "The partner bank charges 2.1% per order; expected losses are 0.9%.",
            "dependencies": "Checkout (the payment step), Fraud Prevention (limits per customer), the partner bank.",
            "risks": "Losses above 2% make it unprofitable: we start with a limit of 1,200 euros per customer.",
        },
        circles={2: (("lead:checkout",), ("lead:fraud",))},
        until=2,
        comments=(
            (
                "lead:fraud",
                "solution",
                "Larkspur carries the credit risk",
                "Which limits apply to a first-time customer? Fraud needs a say before circle 3.",
            ),
        ),
    ),
    _Idea(
        team="cart",
        author="lead:cart",
        title="Save for later, on every device",
        parts={
            "subheading": "What a customer saves on their phone is waiting on their laptop, with the price it had.",
            "launch_date": "Amsterdam, 2 June 2027",
            "summary": (
                "Saved items follow the customer across the app, the website and e-mail, and Larkspur tells them "
                "once when a saved item's price drops or its stock runs low."
            ),
            "customer": "Amara browses on the train in the morning and buys on her laptop in the evening.",
            "problem": (
                "What she put aside in the morning is not there in the evening, so she searches again or, more "
                "often, forgets: saved items today are lost when the app is reinstalled."
            ),
            "solution": (
                "Saved items belong to her account, not to the device. One message, never more than one a week, "
                "tells her when something she saved is cheaper or nearly gone."
            ),
            "customer_quote": '"My list is just there, wherever I am," said Amara.',
            "external_faq": _faq(("Can I turn off the messages?", "Yes, with one tap in the message itself.")),
            "market_size": "4.2 million customers saved at least one item last quarter.",
            "economics": "Saved items convert at 11%; each point of conversion is 3 million euros a year.",
            "dependencies": "Notifications (the weekly digest), Product Catalog (price history).",
            "risks": "Too many messages: we cap them at one a week and measure unsubscribes.",
        },
        circles={
            2: (("lead:product-catalog",), ("lead:search",)),
            3: (("unit:shopping",), ("unit:consumer",)),
            4: ((CEO,), ()),
        },
        until=3,
        comments=(
            (
                "lead:product-catalog",
                "solution",
                "never more than one a week",
                "Good: the cap is what makes this feel like a service, not marketing.",
            ),
            (
                "lead:search",
                "problem",
                "saved items today are lost when the app is reinstalled",
                "How many customers does that hit? A number here would make the problem concrete.",
            ),
        ),
    ),
    _Idea(
        team="checkout",
        author="lead:checkout",
        title="Guest checkout in under thirty seconds",
        parts={
            "subheading": "First-time customers pay without creating an account, and keep their order history.",
            "launch_date": "Lisbon, 15 April 2027",
            "summary": (
                "New customers pay with an e-mail address and a card, nothing else. Their receipt lets them claim "
                "an account later, with every order they already made."
            ),
            "customer": "Tomas found a gift on Larkspur through a friend's link and wants it delivered by Friday.",
            "problem": (
                "Creating an account asks for eleven fields before the payment page; one in four first-time "
                "customers leaves at that step."
            ),
            "solution": (
                "Tomas types his e-mail, his address and his card, and pays. Larkspur sends a receipt with a link "
                "to keep his orders in an account, if he ever wants one."
            ),
            "leader_quote": '"The first purchase should be the easiest one," said the leader of Checkout.',
            "customer_quote": '"I was done before my coffee was," said Tomas.',
            "external_faq": _faq(("Can I track my order?", "Yes: the receipt's link tracks it, no account needed.")),
            "market_size": "2.6 million first visits a month end on the sign-up page.",
            "economics": "Each point of first-purchase conversion is worth 4 million euros a year.",
            "dependencies": "Identity (accounts claimed later), Payments (card without an account), Fraud Prevention.",
            "risks": "Fraud on guest orders is twice as high: risk scoring applies before the payment.",
        },
        circles={
            2: (("lead:payments",), ("lead:identity",)),
            3: (("unit:checkout-payments",), ("unit:consumer",)),
            4: ((CEO,), ()),
        },
        until=4,
        comments=(
            (
                "lead:identity",
                "solution",
                "a link to keep his orders in an account",
                "Identity can do the claim link; we need the receipt to carry a signed token, not the order number.",
            ),
        ),
    ),
    _Idea(
        team="payments",
        author="lead:payments",
        title="Refunds back on the card within an hour",
        parts={
            "subheading": "A returned item's money is back on the customer's card the hour the parcel is scanned.",
            "launch_date": "Madrid, 5 February 2027",
            "summary": (
                "When a courier scans a returned parcel, Larkspur refunds the customer at once, instead of after "
                "the warehouse has inspected it, for every customer with a good return history."
            ),
            "customer": "Ines returns about one order in ten, usually clothes that did not fit.",
            "problem": (
                "She waits nine days on average for her money, and calls customer service twice per return to ask "
                "where it is: returns are our first reason for contacts."
            ),
            "solution": (
                "The courier's scan triggers the refund. Ines gets a message with the amount and the card, and the "
                "money arrives within the hour. Customers with unusual returns keep today's inspection."
            ),
            "leader_quote": '"We trust the customers who have earned it," said the leader of Payments.',
            "getting_started": 'Nothing to do: eligible customers see "refund on drop-off" when they book a return.',
            "customer_quote": '"The money was back before I got home from the post office," said Ines.',
            "external_faq": _faq(("Who is eligible?", "Customers with at least three orders and few returns.")),
            "market_size": "610,000 returns a month; 83% are from customers who would qualify.",
            "economics": "Returns contacts cost 2.40 euros each; expected losses on early refunds are 0.3%.",
            "dependencies": "Shipping (courier scans as events), Fraud Prevention (the eligibility score).",
            "risks": "Return fraud: eligibility is recalculated on every return, and the scan must match the order.",
        },
        circles={
            2: (("lead:checkout",), ("lead:shipping",)),
            3: (("unit:checkout-payments",), ()),
            4: ((CEO,), ()),
        },
        until="approved",
        mockup=True,
    ),
    _Idea(
        team="recommendations",
        author="lead:recommendations",
        title="A weekly picks e-mail",
        parts={
            "subheading": "Every Sunday, ten products picked for each customer from what they browsed.",
            "launch_date": "Dublin, 7 March 2027",
            "summary": "A weekly e-mail with ten recommended products, refreshed from the week's browsing.",
            "customer": "Kofi browses home goods most weekends but buys once a month.",
            "problem": "He forgets what he looked at, and our on-site recommendations only show while he browses.",
            "solution": "A Sunday e-mail brings back what he looked at and what goes with it.",
        },
        circles={2: (("lead:search",), ("lead:notifications",))},
        until="shelved",
        shelve=(
            2,
            "better_idea",
            "Save for later, on every device solves the same problem with the customer's own "
            "list instead of our guesses.",
        ),
    ),
    _Idea(
        team="reviews",
        author="lead:reviews",
        title="Video reviews",
        parts={
            "subheading": "Customers film a thirty-second review of what they bought.",
            "launch_date": "Paris, 9 September 2027",
            "summary": "Short video reviews on product pages, recorded in the app and moderated before they show.",
            "customer": "Shoppers comparing two pairs of running shoes.",
            "problem": "Photos and text do not show how a shoe bends or how a fabric moves.",
            "solution": "A thirty-second video from someone who owns it, on the product page, next to the stars.",
            "market_size": "Fewer than 2% of reviewers say they would record a video; most categories do not need one.",
        },
        circles={2: (("lead:search",), ()), 3: (("unit:shopping",), ())},
        until="shelved",
        shelve=(3, "market_too_small", "Too few reviewers would film, and only sport and fashion would benefit."),
    ),
    _Idea(
        team="fraud",
        author="lead:fraud",
        title="Buy now, pay in 90 days for first orders",
        parts={
            "subheading": "New customers try Larkspur and pay three months later.",
            "launch_date": "Milan, 1 October 2027",
            "summary": "A first order of up to 300 euros is paid 90 days later, after the customer has tried it.",
            "customer": "Customers who have never ordered from Larkspur and do not trust a new shop yet.",
            "problem": "Trust: new customers worry about paying for something that may never arrive.",
            "solution": "They pay nothing today; the bill comes in 90 days, once they have received and kept it.",
            "dependencies": "A consumer-credit licence in every market: we hold one in two of our six.",
            "risks": "Regulators treat 90-day deferral as credit: it needs the licence before the first order.",
        },
        circles={2: (("lead:payments",), ()), 3: (("unit:checkout-payments",), ()), 4: ((CEO,), ())},
        until="shelved",
        shelve=(4, "roadblock", "Consumer-credit licences in four markets: at least 18 months; revisit then."),
    ),
)

NARRATIVE_TITLE = "Checkout reliability before the holiday peak"
NARRATIVE_BODY = """## Where we are

Last year's holiday peak cost us orders we had already won. On the Friday after Thanksgiving, checkout answered
within two seconds for 97.1% of customers between 18:00 and 22:00, against 99.6% on an ordinary evening. For about
forty minutes the payment step timed out for one customer in twelve. We estimate 31,000 orders were abandoned at
that step, and the contacts that followed took customer service two days to clear.

The cause was not one failure but three small ones that met. The card authorization calls to our largest acquirer
queued behind a connection limit we had set in 2021, when our peak was a third of today's. Risk scoring, which runs
before every payment, read its features from a cache that was evicted under memory pressure, so every miss became
a call to the database. And our retries, meant to hide short blips, doubled the load on both at the worst moment.

## What we propose

We propose three changes, in this order, before the end of October.

First, we raise the acquirer connection limit and, more importantly, we make it follow the traffic. The limit
becomes a share of the capacity the acquirer agrees to for the peak, negotiated in writing in September, and it is
tested every week with synthetic traffic at twice last year's peak.

Second, risk scoring stops depending on a cache it cannot afford to lose. The features it needs for a payment are
computed when the cart is built, minutes before the payment, and carried with the order. A cold cache then costs
nothing at the payment step. Fraud Prevention has agreed to the change and estimates three weeks of work.

Third, we replace blind retries with a budget. A request retries only while the service it calls stays within its
error budget; past it, checkout shows the customer an honest message and keeps the cart, instead of spinning.

## What we will not do

We will not freeze changes for the whole of November. A freeze moves risk to the week after it ends, and last year
two of the three causes above shipped long before the freeze started. Instead, every change to checkout, payments
or risk scoring in November needs a load test at twice the peak and a named person on call who can roll it back.

## How we will know

We will rehearse the peak on 2 November with the traffic of last year's worst hour, doubled. We will call it a
success if checkout answers within two seconds for 99.5% of customers during the rehearsal and no payment times
out. If we miss, the narrative for the November business review will say which of the three changes fell short.
"""
NARRATIVE_APPENDIX = """| Evening | Answered within 2 s | Payment time-outs |
|---|---|---|
| Ordinary evening | 99.6% | 0.01% |
| Peak Friday, 18:00-22:00 | 97.1% | 8.3% (40 minutes) |
"""
# (reader, passage quoted from the body, comment)
NARRATIVE_COMMENTS = (
    (
        "lead:payments",
        "negotiated in writing in September",
        "The acquirer's account manager already offered this; Payments can send the request this week.",
    ),
    (
        "lead:search",
        "checkout shows the customer an honest message and keeps the cart",
        'Which words? Search had good results with "your cart is saved, try again in a minute".',
    ),
)


def plant_working_backwards(system: Actor, password: str) -> None:
    """PR/FAQs in every circle (two drafts, one in each of circles 2, 3 and 4, one approved for staffing with a
    mockup, three shelved: a better idea in circle 2, a market too small in circle 3, a roadblock in circle 4) and
    one narrative in a reading session (three readers, one done reading). Only once: skipped when any exists."""
    if wb_services.prfaq_funnel(actor=system).total:
        return
    people = _People(system, password)
    for i, idea in enumerate(IDEAS):
        _plant_idea(people, idea, started_days_ago=70 - 4 * i)
    _plant_reading(people)


class _People:
    """Demo people by their place in the org, each with a sign-in account (the demo password) once they act."""

    def __init__(self, system: Actor, password: str) -> None:
        self.system = system
        self.password = password
        self.teams = {t.slug: t for t in org_services.team_index(actor=system)}
        self.actors: dict[str, Actor] = {}

    def id(self, place: str) -> int:
        kind, _, slug = place.partition(":")
        if kind == "lead":
            return self.teams[slug].leader_id
        unit = org_services.find_org_unit(actor=self.system, slug=slug)
        return unit.leader_id

    def acting(self, place: str) -> Actor:
        if place not in self.actors:
            person = org_services.get_person(actor=self.system, person_id=self.id(place))
            if not org_services.account_exists(username=person.handle):
                org_services.create_account(
                    actor=self.system, username=person.handle, password=self.password, person_id=person.id
                )
            self.actors[place] = org_services.actor_for_handle(handle=person.handle)
        return self.actors[place]


def _plant_idea(people: _People, idea: _Idea, started_days_ago: int) -> None:
    """One idea's life, written as it would have happened: begun `started_days_ago` days ago, a few days in draft,
    then a week or two in each circle (kernel.clock.shifted), so the funnel's times are a real organization's."""
    elapsed = {1: 3, 2: 7, 3: 11, 4: 9}  # days spent in each circle before the next move

    def at(days_ago: int):
        return clock.shifted(-dt.timedelta(days=days_ago, hours=len(idea.title) % 7))

    ago = started_days_ago
    author = people.acting(idea.author)
    with at(ago):
        prfaq = wb_services.create_prfaq(
            actor=author,
            title=idea.title,
            team_id=people.teams[idea.team].id,
            parts={"headline": idea.title, **idea.parts},
        )
        for circle, (reviewers, readers) in sorted(idea.circles.items()):
            prfaq = wb_services.set_circle_members(
                actor=author,
                prfaq_id=prfaq.id,
                circle=circle,
                reviewer_ids=[people.id(p) for p in reviewers],
                reader_ids=[people.id(p) for p in readers],
                version=prfaq.version,
            )
        if idea.mockup:
            documents_services.attach_file(
                actor=author,
                document_id=prfaq.document_id,
                name="refund-on-drop-off.png",
                content=mockup_png(),
                purpose=AttachmentPurpose.MOCKUP,
            )
    stop = idea.shelve[0] if idea.shelve else (4 if idea.until == "approved" else int(idea.until))
    if stop < 2:
        return
    ago = max(ago - elapsed[1], 0)
    with at(ago):
        prfaq = wb_services.submit_prfaq(actor=author, prfaq_id=prfaq.id, version=prfaq.version)
        for who, part, quote, body in idea.comments:
            documents_services.add_comment(
                actor=people.acting(who),
                document_id=prfaq.document_id,
                body=body,
                anchor=Anchor(part=part, quote=quote),
            )
    for circle in range(2, stop):
        ago = max(ago - elapsed[circle], 0)
        reviewer = people.acting(idea.circles[circle][0][0])
        with at(ago):
            prfaq = wb_services.advance_prfaq(actor=reviewer, prfaq_id=prfaq.id, version=prfaq.version)
    finished = idea.shelve or idea.until == "approved"
    if not finished:
        return
    ago = max(ago - elapsed[stop], 0)
    reviewer = people.acting(idea.circles[stop][0][0])
    with at(ago):
        if idea.shelve:
            _, reason, note = idea.shelve
            wb_services.shelve_prfaq(actor=reviewer, prfaq_id=prfaq.id, version=prfaq.version, reason=reason, note=note)
        else:
            wb_services.approve_prfaq(
                actor=reviewer, prfaq_id=prfaq.id, version=prfaq.version, note="Staff it: two engineers from Payments."
            )


def _plant_reading(people: _People) -> None:
    """The Checkout leader's narrative, read by three team leaders in a silent session: one is done reading (and
    so sees the others' comments), two are still reading; the presenter sees no comment yet."""
    presenter = people.acting("lead:checkout")
    narrative = wb_services.create_narrative(
        actor=presenter,
        title=NARRATIVE_TITLE,
        team_id=people.teams["checkout"].id,
        body=NARRATIVE_BODY,
        appendix=NARRATIVE_APPENDIX,
    )
    readers = ("lead:payments", "lead:search", "lead:cart")
    session = documents_services.start_session(
        actor=presenter,
        document_id=narrative.document_id,
        reader_ids=[people.id(r) for r in readers],
        minutes=240,  # the longest time-box, so a visitor finds it still open (the worker closes it afterwards)
    )
    for who, quote, body in NARRATIVE_COMMENTS:
        documents_services.add_comment(
            actor=people.acting(who),
            document_id=narrative.document_id,
            body=body,
            anchor=Anchor(part="body", quote=quote),
            session_id=session.id,
        )
    documents_services.mark_done_reading(actor=people.acting("lead:payments"), session_id=session.id)


def mockup_png(width: int = 120, height: int = 200) -> bytes:
    """A small, valid PNG of a phone screen (a header bar, two text lines, a button), made here so the demo ships
    no binary file: the PR/FAQ approved for staffing needs a mockup attached (MECHANISMS.md §6)."""

    def pixel(x: int, y: int) -> bytes:
        if x < 4 or x >= width - 4 or y < 4 or y >= height - 4:
            return b"\x33\x33\x33"  # the phone's frame
        if y < 30:
            return b"\x1f\x5f\xa8"  # the header bar
        if 50 <= y < 58 and 14 <= x < width - 30 or 70 <= y < 78 and 14 <= x < width - 50:
            return b"\xb0\xb0\xb0"  # two lines of text
        if 150 <= y < 176 and 14 <= x < width - 14:
            return b"\x2e\x8b\x57"  # the "Refund on drop-off" button
        return b"\xfa\xfa\xfa"

    raw = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
