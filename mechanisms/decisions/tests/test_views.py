"""The decision log's pages: the log with filters, a new decision, a decision page that offers each viewer exactly
what they may do (the participant a stance form, the owner the machine's moves, the manager the outcome), the
stances table with what each dissent brings, errors in place, the track record, the PDF, the person panel, search."""

from __future__ import annotations

import re

import pytest

from mechanisms.decisions import services as decisions
from mechanisms.decisions.contracts import OptionInput
from mechanisms.kernel.testing import field_error, page_text, signed_in

pytestmark = pytest.mark.django_db


def _decision(o, **kw):
    return decisions.create_decision(
        actor=o.actor("ann"),
        question=kw.pop("question", "Which database for orders?"),
        context="Orders outgrow **SQLite**.",
        options=[OptionInput("PostgreSQL", "* Good, because we run it"), OptionInput("DynamoDB")],
        participant_ids=[o.people["bob"].id, o.people["cat"].id],
        **kw,
    )


def _actions(response) -> set[str]:
    return set(re.findall(r'action="/decisions/\d+/([a-z-]+)"', response.content.decode()))


def test_the_log_lists_and_filters(small_org):
    _decision(small_org)
    _decision(small_org, question="Ledger retention?")
    client = signed_in("eve")
    text = page_text(client.get("/decisions"))
    assert "Which database for orders?" in text and "Ledger retention?" in text
    assert "Ledger retention?" in page_text(client.get("/decisions?q=ledger"))
    assert "Which database" not in page_text(client.get("/decisions?q=ledger"))
    assert "No person has the handle 'nobody'" in page_text(client.get("/decisions?owner=nobody"))
    team = small_org.teams["checkout"]
    decisions.create_decision(actor=small_org.actor("ann"), question="Team scoped?", team_id=team.id)
    scoped = page_text(client.get("/decisions?team=checkout"))
    assert "Team scoped?" in scoped and "Ledger retention?" not in scoped
    assert "/decisions?team=checkout" in client.get("/teams/checkout").content.decode()


def test_a_new_decision_from_the_page(small_org):
    client = signed_in("ann")
    response = client.post(
        "/decisions/new",
        {
            "question": "Tabs or spaces?",
            "options": "Tabs | * Good, because one byte\nSpaces",
            "door": "two_way",
            "category": "process",
            "participants": "bob @cat",
        },
    )
    assert response.status_code == 302
    d = decisions.list_decisions(actor=small_org.actor("ann")).items[0]
    assert [o.title for o in d.options] == ["Tabs", "Spaces"] and d.options[0].description == "* Good, because one byte"
    assert len(d.participants) == 2 and response["Location"] == d.url


def test_a_refused_new_decision_shows_the_error_by_its_field(small_org):
    client = signed_in("ann")
    response = client.post(
        "/decisions/new",
        {"question": "Big?", "door": "one_way", "category": "process", "high_impact": "on", "participants": "zed"},
    )
    assert response.status_code == 400
    assert "No person has the handle 'zed'" in field_error(response, "id_participants")
    response = client.post(
        "/decisions/new", {"question": "Big?", "door": "one_way", "category": "process", "high_impact": "on"}
    )
    assert response.status_code == 400 and "design, architecture or customer-experience" in field_error(
        response, "id_category"
    )
    assert decisions.list_decisions(actor=small_org.actor("ann")).total == 0


def test_the_page_offers_each_viewer_what_they_may_do(small_org):
    d = _decision(small_org)
    owner = signed_in("ann").get(d.url)
    assert _actions(owner) == {"decide", "reject"} and 'id="sign"' not in owner.content.decode()
    participant = signed_in("bob").get(d.url)
    assert _actions(participant) == {"stance"}
    outsider = signed_in("eve").get(d.url)
    assert _actions(outsider) == set() and "Nothing for you to do" in page_text(outsider)
    assert "<strong>SQLite</strong>" in owner.content.decode()  # context through the one Markdown renderer


def test_the_stances_table_shows_who_disagreed_and_committed_and_what_it_brings(small_org):
    d = _decision(small_org)
    bob = signed_in("bob")
    refused = bob.post(f"{d.url}/stance", {"stance": "disagree_and_commit", "new_information": ""})
    assert refused.status_code == 400
    assert "new information" in field_error(refused, "id_new_information")
    assert (
        bob.post(
            f"{d.url}/stance", {"stance": "disagree_and_commit", "new_information": "Our on-call knows DynamoDB."}
        ).status_code
        == 302
    )
    signed_in("cat").post(f"{d.url}/stance", {"stance": "still_disagree", "new_information": "Cost."})
    text = page_text(signed_in("eve").get(d.url))
    assert "Bob Ruiz disagrees and commits Our on-call knows DynamoDB." in text
    assert "Cat Moss still disagrees Cost." in text
    assert "signed a stance" in text  # the history


def test_deciding_on_the_page_and_its_errors_in_place(small_org):
    d = _decision(small_org)
    client = signed_in("ann")
    bad = client.post(
        f"{d.url}/decide", {"decide-version": d.version, "decide-chosen_option": 7, "decide-decision": "PG"}
    )
    assert bad.status_code == 400 and "one of the considered options" in field_error(bad, "id_decide-chosen_option")
    done = client.post(
        f"{d.url}/decide", {"decide-version": d.version, "decide-chosen_option": 1, "decide-decision": "PG."}
    )
    assert done.status_code == 302
    page = client.get(d.url)
    assert "decided" in page_text(page) and "record-outcome" in page.content.decode()
    stale = client.post(f"{d.url}/outcome", {"version": d.version, "outcome": "right"})
    assert stale.status_code == 409
    current = decisions.get_decision(actor=small_org.actor("ann"), decision_id=d.id)
    manager = signed_in("vp-retail")
    assert manager.post(f"{d.url}/outcome", {"version": current.version, "outcome": "right"}).status_code == 302
    assert "Right" in page_text(manager.get(d.url))
    assert "Ann Lee" in page_text(manager.get("/decisions/track-record"))


def test_the_pdf_and_an_unknown_number(small_org):
    d = _decision(small_org)
    client = signed_in("eve")
    response = client.get(f"/decisions/{d.number}.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get("/decisions/9999").status_code == 404


def test_the_person_page_shows_decisions_owned_and_search_finds_them(small_org):
    _decision(small_org)
    client = signed_in("eve")
    assert "Decisions owned" in page_text(client.get("/people/ann"))
    assert "Which database for orders?" in page_text(client.get("/search?q=database"))


def test_the_pdf_holds_the_record_and_nothing_that_acts(small_org):
    from mechanisms.kernel.testing import pdf_text, pdf_threats

    d = decisions.create_decision(
        actor=small_org.actor("ann"),
        question="Which database for orders?",
        context="Read <script>alert(1)</script> [this](javascript:alert(1)) ![x](file:///etc/passwd) **bold**",
        options=[OptionInput("PostgreSQL", "* Good, because we run it")],
        participant_ids=[small_org.people["bob"].id],
    )
    decisions.sign_stance(
        actor=small_org.actor("bob"), decision_id=d.id, stance="disagree_and_commit", new_information="Latency."
    )
    pdf = signed_in("eve").get(f"/decisions/{d.number}.pdf").content
    text = pdf_text(pdf)
    assert "#1 Which database for orders?" in text and "PostgreSQL" in text
    assert "Bob Ruiz disagrees and commits Latency." in text
    assert pdf_threats(pdf) == []
