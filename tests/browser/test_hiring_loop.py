"""A hiring loop walked from the opening to the decision in a real browser, each person in their own session:
rex (a recruiter of the retail unit) writes an opening for Checkout with a job description (its document's
revision 1), opens it, adds a candidate and plans the loop (hal, the pool's bar raiser, is suggested), adds two
interviews and starts it; eve writes and submits her feedback; gus, the other interviewer, meets "sealed until the
debrief" on eve's feedback, then submits his own, which opens the debrief by itself; hal recommends; ann, the hiring
manager, decides."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mechanisms.hiring import services as hiring_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD
from mechanisms.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JD = (
    "We are looking for a senior engineer to own the **checkout experience** end to end: the cart, the payment "
    "hand-off and the order confirmation. You will design services that stay up on the busiest day of the year, "
    "mentor two engineers, and work backwards from what our customers need."
)
STAR = {
    "Situation": "A checkout outage on the busiest day of the year.",
    "Task": "Restore orders within the hour.",
    "Action": "Rolled back, then wrote the correction of error.",
    "Result": "Orders back in 20 minutes; no repeat since.",
}


@pytest.fixture
def principles():
    """The three principles this loop assesses. A data migration installs Amazon's sixteen, but a transactional
    test that ran earlier in the same worker empties every table, migration data included, so they are ensured."""
    system = Actor.system("test")
    have = {p.slug for p in hiring_services.list_principles(actor=system, active_only=False)}
    for slug, name in (
        ("customer-obsession", "Customer Obsession"),
        ("ownership", "Ownership"),
        ("dive-deep", "Dive Deep"),
    ):
        if slug not in have:
            hiring_services.add_principle(actor=system, slug=slug, name=name)


@pytest.fixture
def recruiter(small_org, principles):
    """rex: a recruiter of the retail unit, with an account (the fixture password)."""
    system = Actor.system("test")
    rex = org_services.create_person(
        actor=system, handle="rex", name="Rex Ode", email="rex@acme.test", manager_id=small_org.people["ceo"].id
    )
    org_services.grant_role(actor=system, person_id=rex.id, role="recruiter", org_unit_id=small_org.units["retail"].id)
    org_services.create_account(actor=system, username="rex", password=PASSWORD, person_id=rex.id)
    return rex


@pytest.fixture
def person(browser, site, sign_in):
    """person("eve"): a browser tab of its own (own cookies), signed in as that person."""
    contexts = []

    def open_tab(handle: str):
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()
        tab.failed_responses = []
        tab.on("response", lambda r: tab.failed_responses.append((r.status, r.url)) if r.status >= 400 else None)
        sign_in(tab, handle)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def local(moment: dt.datetime) -> str:
    """A moment as a datetime-local input takes it (the server's time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def write_feedback(tab, url: str, vote: str) -> None:
    """Fill every STAR part and a rating (3) for each assigned principle, a summary and the vote (its value);
    submit, confirmed."""
    tab.goto(url)
    form = tab.locator("#feedback-form")
    for section in form.locator("fieldset.principle").all():
        for label, text in STAR.items():
            section.get_by_label(re.compile(rf"^{label}")).fill(text)
        section.locator(".rating input[value='3']").check()
    form.get_by_label(re.compile(r"^Summary")).fill("Specific, in their own words; owned the outcome.")
    form.locator(f"#vote input[value='{vote}']").check()
    form.locator("[name=confirm]").check()
    form.get_by_role("button", name="Submit the feedback").click()
    tab.wait_for_url(url)


def test_a_loop_walks_from_the_opening_to_the_hiring_managers_decision(person, recruiter):
    rex = person("rex")
    # -- The opening, written and opened; a candidate added (recruiting). --------------------------------------
    rex.goto("/hiring/openings/new")
    rex.locator("#id_title").fill("Senior SDE (checkout)")
    rex.locator("#id_team").select_option(label="Checkout")
    rex.locator("#id_hiring_manager").fill("ann")
    rex.locator("#id_recruiter").fill("rex")
    rex.locator("#id_level").fill("L6")
    rex.locator("#id_job_description").fill(JD)
    for name in ("Customer Obsession", "Ownership", "Dive Deep"):
        rex.get_by_label(name, exact=True).check()
    rex.get_by_role("button", name="Save as a draft").click()
    rex.wait_for_url(re.compile(r".*/hiring/openings/\d+$"))
    opening_url = rex.url
    assert rex.locator("#state").inner_text().strip() == "draft"
    assert rex.locator("#job-description strong").inner_text() == "checkout experience"
    # The job description is the opening's document: revision 1, its revisions a link away, open to comments.
    assert rex.locator("#doc-revision").inner_text().startswith("Revision 1 (current)")
    expect(rex.locator("#doc-comment-form")).to_be_visible()
    rex.locator("#action-open").get_by_role("button", name="Open", exact=True).click()
    rex.wait_for_url(opening_url)
    assert rex.locator("#state").inner_text().strip() == "open"
    rex.locator("#add-candidate summary").click()
    add = rex.locator("#add-candidate")
    add.locator("[name=name]").fill("Jo Quinn")
    add.locator("[name=email]").fill("jo.quinn@example.com")
    add.locator("[name=source]").select_option("referral")
    add.get_by_role("button", name="Add the candidate").click()
    rex.wait_for_url(re.compile(r".*/hiring/candidates/\d+$"))
    expect(rex.get_by_role("heading", name="Jo Quinn")).to_be_visible()

    # -- Plan the loop: the bar raiser is suggested; two interviews cover the three principles. ----------------
    rex.get_by_role("link", name="Plan the loop").click()
    rex.get_by_role("button", name="Plan the loop").click()
    rex.wait_for_url(re.compile(r".*/hiring/loops/\d+$"))
    loop_url = rex.url
    loop_id = int(loop_url.rsplit("/", 1)[1])
    assert rex.locator("#state").inner_text() == "planning"
    assert rex.locator("#bar-raiser").inner_text() == "Hal Berg"
    assert "coverage" in rex.locator("#loop-check").inner_text()

    ends = timezone.now() - dt.timedelta(hours=1)
    for handle, principles in (("eve", ("Customer Obsession", "Ownership")), ("gus", ("Dive Deep",))):
        add = rex.locator("#add-interview")
        add.get_by_label("Interviewer").fill(handle)
        add.get_by_label("Starts").fill(local(ends - dt.timedelta(hours=1)))
        add.get_by_label("Ends").fill(local(ends))
        for name in principles:
            add.get_by_label(name, exact=True).check()
        add.get_by_role("button", name="Add the interview").click()
        rex.wait_for_url(loop_url)
    assert rex.locator("#interviews tbody tr:not(.interview-edit)").count() == 2
    expect(rex.locator("#no-problems")).to_be_visible()
    rex.locator("#action-start").get_by_role("button", name="Start", exact=True).click()
    rex.wait_for_url(loop_url)
    assert rex.locator("#state").inner_text() == "interviewing"

    # -- eve writes her feedback from My interviews. ------------------------------------------------------------
    eve = person("eve")
    eve.goto("/")
    expect(eve.locator("#home-feedback-due")).to_be_visible()
    eve.get_by_role("link", name="My interviews").click()
    eve.locator("#interviews-past").get_by_role("link", name="write it").click()
    eve.wait_for_url(re.compile(r".*/hiring/interviews/\d+/feedback$"))
    eve_url = eve.url
    write_feedback(eve, eve_url, "hire")
    assert eve.locator("#feedback-state").inner_text().startswith("submitted")
    expect(eve.locator("#read-only")).to_be_visible()
    assert eve.locator("#feedback-form").count() == 0

    # -- gus meets the seal on eve's feedback, then submits his own: the debrief opens by itself. ---------------
    gus = person("gus")
    gus.goto(eve_url)
    assert "Sealed until the debrief" in gus.locator("main").inner_text()
    assert "owned the outcome" not in gus.content()
    gus.goto(f"/hiring/loops/{loop_id}/debrief")
    expect(gus.locator("#sealed")).to_be_visible()
    assert "Hire" not in gus.locator("#feedback-status").inner_text()
    gus.goto("/hiring/interviews")
    gus.locator("#interviews-past").get_by_role("link", name="write it").click()
    gus.wait_for_url(re.compile(r".*/hiring/interviews/\d+/feedback$"))
    write_feedback(gus, gus.url, "strong_hire")
    gus.goto(f"/hiring/loops/{loop_id}/debrief")
    assert gus.locator("#state").inner_text() == "in debrief"
    assert gus.locator("#votes tbody tr").count() == 2

    # -- hal, the bar raiser, recommends. ----------------------------------------------------------------------
    hal = person("hal")
    hal.goto(f"/hiring/loops/{loop_id}/debrief")
    votes = hal.locator("#votes").inner_text()
    assert "eve" in votes and "gus" in votes and "Strong hire" in votes
    recommend = hal.locator("#recommend-form")
    recommend.get_by_label("Approve", exact=True).check()
    recommend.get_by_label("Reasoning").fill("Consistent evidence on every principle; raises the bar.")
    recommend.get_by_role("button", name="Record the recommendation").click()
    hal.wait_for_url(f"**/hiring/loops/{loop_id}/debrief")
    assert hal.locator("#recommendation-value").inner_text() == "Approve"

    # -- ann, the hiring manager, decides. ---------------------------------------------------------------------
    ann = person("ann")
    ann.goto(f"/hiring/loops/{loop_id}/debrief")
    decide = ann.locator("#action-decide")
    decide.get_by_label("Decision").select_option("hire")
    decide.get_by_label(re.compile(r"^Rationale")).fill("The panel and the bar raiser agree.")
    decide.get_by_role("button", name="Record the decision").click()
    ann.wait_for_url(f"**/hiring/loops/{loop_id}/debrief")
    assert ann.locator("#decision-value").inner_text() == "Hire: an offer"
    assert ann.locator("#state").inner_text() == "offer"
    ann.goto(loop_url)
    steps = ann.locator("#timeline li").all_inner_texts()
    assert any("rex started" in s for s in steps) and any("ann decided: hire" in s for s in steps)

    assert rex.failed_responses == [] and eve.failed_responses == [] and hal.failed_responses == []
    assert ann.failed_responses == []
    assert [status for status, _ in gus.failed_responses] == [403]  # the seal, and nothing else
    # What the pages showed is what was recorded.
    loop = hiring_services.get_loop(actor=org_services.actor_for_handle(handle="ann"), loop_id=loop_id)
    assert loop.state.value == "offer" and loop.decision.value == "hire"
