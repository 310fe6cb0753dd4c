"""Narratives (MECHANISMS.md §6): a team's six-page narrative is a document with a body and an appendix; a
confidential one is read only by its author, its team, its named readers and the readers of its sessions; one over
six pages is saved with its finding but cannot be read in a session. Bad input changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.documents import services as documents_services
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.working_backwards import services
from mechanisms.working_backwards.contracts import NarrativeChanges

BODY = "\n\n".join(["Our customers wait nine days for a refund, and they tell us so in every survey."] * 5)


def _narrative(org, *, author="ann", team="checkout", **kwargs):
    values = {"title": "Refunds in a day", "team_id": org.teams[team].id, "body": BODY, **kwargs}
    return services.create_narrative(actor=org.actor(author), **values)


def test_a_narrative_is_a_document_with_its_body_and_appendix(small_org):
    n = _narrative(small_org, appendix="| month | refunds |\n|---|---|\n| May | 120 |")
    view = services.get_narrative(actor=small_org.actor("eve"), narrative_id=n.id)
    assert view.body == BODY and "May" in view.appendix and view.revision == 1
    assert view.check.ok and view.check.pages == 0.2 and view.check.appendix_words == 4
    assert not view.can_revise and not view.can_present
    own = services.get_narrative(actor=small_org.actor("ann"), narrative_id=n.id)
    assert own.can_revise and own.can_present
    doc = documents_services.get_document(actor=small_org.actor("eve"), document_id=n.document_id)
    assert doc.owner_kind == "narrative" and doc.owner_id == str(n.id)


def test_an_open_narrative_is_read_by_every_signed_in_person_and_listed(small_org):
    n = _narrative(small_org)
    for handle in ("eve", "gus", "admin"):
        assert [r.id for r in services.list_narratives(actor=small_org.actor(handle)).items] == [n.id]
    assert services.list_narratives(actor=small_org.actor("eve"), text="refunds").total == 1
    assert services.list_narratives(actor=small_org.actor("eve"), text="nothing like it").total == 0
    assert services.list_narratives(actor=small_org.actor("eve"), team_id=small_org.teams["payments"].id).total == 0


def test_a_confidential_narrative_is_read_only_by_its_insiders_through_every_door(small_org):
    n = _narrative(small_org, team="payments", author="eve", confidential=True, reader_ids=[small_org.people["gus"].id])
    insiders = ("eve", "dan", "gus")  # the author, the team's leader, a named reader
    outsiders = ("ann", "fay", "admin", "ceo")
    for handle in insiders:
        assert services.get_narrative(actor=small_org.actor(handle), narrative_id=n.id).narrative.id == n.id
        assert services.list_narratives(actor=small_org.actor(handle)).total == 1
    for handle in outsiders:
        actor = small_org.actor(handle)
        with pytest.raises(NotFound):
            services.get_narrative(actor=actor, narrative_id=n.id)
        assert services.list_narratives(actor=actor).total == 0
        with pytest.raises(NotFound):
            documents_services.get_document(actor=actor, document_id=n.document_id)
        with pytest.raises(NotFound):
            audit_services.list_changes(actor=actor, subject_type="narrative", subject_id=str(n.id))
        with pytest.raises(NotFound):
            audit_services.list_changes(actor=actor, subject_type="document", subject_id=str(n.document_id))
    assert audit_services.list_changes(actor=small_org.actor("gus"), subject_type="narrative", subject_id=str(n.id))


def test_readers_of_its_sessions_read_a_confidential_narrative(small_org):
    n = _narrative(small_org, confidential=True)
    fay = small_org.actor("fay")
    with pytest.raises(NotFound):
        services.get_narrative(actor=fay, narrative_id=n.id)
    services.start_narrative_session(
        actor=small_org.actor("ann"), narrative_id=n.id, reader_ids=[small_org.people["fay"].id]
    )
    assert services.get_narrative(actor=fay, narrative_id=n.id).narrative.id == n.id
    assert services.list_narrative_sessions(actor=fay, narrative_id=n.id).total == 1


def test_only_the_author_revises_and_every_revision_is_kept(small_org):
    n = _narrative(small_org)
    view = services.get_narrative(actor=small_org.actor("ann"), narrative_id=n.id)
    with pytest.raises(PermissionDenied):
        services.revise_narrative(
            actor=small_org.actor("bob"), narrative_id=n.id, version=view.document_version, body="Mine now."
        )
    revised = services.revise_narrative(
        actor=small_org.actor("ann"),
        narrative_id=n.id,
        version=view.document_version,
        body=BODY + "\n\nA new paragraph.",
        title="Refunds within a day",
    )
    assert revised.revision == 2 and revised.narrative.title == "Refunds within a day"
    assert services.list_narratives(actor=small_org.actor("eve")).items[0].title == "Refunds within a day"
    with pytest.raises(Conflict):
        services.revise_narrative(
            actor=small_org.actor("ann"), narrative_id=n.id, version=view.document_version, body="Stale."
        )
    first = documents_services.get_revision(actor=small_org.actor("eve"), document_id=n.document_id, number=1)
    assert first.text("body") == BODY


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"team_id": 999999}, "team_id"),
        ({"team_id": "checkout"}, "team_id"),
        ({"body": "   "}, "body"),
        ({"body": "nul \x00"}, "body"),
        ({"appendix": 7}, "appendix"),
        ({"confidential": "yes"}, "confidential"),
        ({"reader_ids": [424242]}, "reader_ids"),
        ({"reader_ids": "gus"}, "reader_ids"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_creates_nothing(small_org, kwargs, field):
    with pytest.raises(RuleViolation) as err:
        _narrative(small_org, **kwargs)
    assert err.value.field == field
    assert services.list_narratives(actor=small_org.actor("ann")).total == 0


def test_a_narrative_over_six_pages_is_saved_flagged_but_not_read_in_a_session(small_org):
    long_body = " ".join(["word"] * 3001)
    n = _narrative(small_org, body=long_body)
    view = services.get_narrative(actor=small_org.actor("ann"), narrative_id=n.id)
    assert [f.rule for f in view.check.findings] == ["pages"]
    with pytest.raises(RuleViolation) as err:
        services.start_narrative_session(
            actor=small_org.actor("ann"), narrative_id=n.id, reader_ids=[small_org.people["bob"].id]
        )
    assert err.value.field == "document_id" and "over 6 pages" in err.value.message
    assert services.list_narrative_sessions(actor=small_org.actor("ann"), narrative_id=n.id).total == 0
    # Also through the documents door: the owner refuses it there too.
    with pytest.raises(RuleViolation):
        documents_services.start_session(
            actor=small_org.actor("ann"), document_id=n.document_id, reader_ids=[small_org.people["bob"].id]
        )


def test_only_the_author_presents_a_narrative(small_org):
    n = _narrative(small_org)
    with pytest.raises(PermissionDenied):
        services.start_narrative_session(
            actor=small_org.actor("bob"), narrative_id=n.id, reader_ids=[small_org.people["cat"].id]
        )
    session = services.start_narrative_session(
        actor=small_org.actor("ann"), narrative_id=n.id, reader_ids=[small_org.people["cat"].id], minutes=15
    )
    assert session.minutes == 15 and session.presenter_id == small_org.people["ann"].id


def test_the_author_changes_who_reads_a_confidential_narrative(small_org):
    n = _narrative(small_org)
    record = services.update_narrative(
        actor=small_org.actor("ann"),
        narrative_id=n.id,
        version=n.version,
        changes=NarrativeChanges(confidential=True, reader_ids=(small_org.people["fay"].id,)),
    )
    assert record.confidential and record.reader_ids == (small_org.people["fay"].id,)
    assert services.get_narrative(actor=small_org.actor("fay"), narrative_id=n.id)
    with pytest.raises(NotFound):
        services.get_narrative(actor=small_org.actor("gus"), narrative_id=n.id)
    with pytest.raises(Conflict):
        services.update_narrative(
            actor=small_org.actor("ann"), narrative_id=n.id, version=n.version, changes=NarrativeChanges(reader_ids=())
        )
    with pytest.raises(RuleViolation) as err:
        services.update_narrative(
            actor=small_org.actor("ann"),
            narrative_id=n.id,
            version=record.version,
            changes=NarrativeChanges(confidential=True),
        )
    assert err.value.field == "changes"
    with pytest.raises(PermissionDenied):
        services.update_narrative(
            actor=small_org.actor("bob"),
            narrative_id=n.id,
            version=record.version,
            changes=NarrativeChanges(confidential=False),
        )
