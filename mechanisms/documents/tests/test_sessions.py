"""Reading sessions (MECHANISMS.md §6): a presenter starts a silent reading of a frozen revision with a time-box;
only readers mark "done reading", once; the presenter closes it, or the worker does once the time is up. Bad input
is refused naming the field and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.documents import owners, services
from mechanisms.documents.contracts import Access, Part, SessionState
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications_services

KIND = "test_session_note"
PARTS = (Part("body", "Body"), Part("appendix", "Appendix", counted=False))


@pytest.fixture
def org(small_org):
    """A test owner: ann presents and revises; bob, cat and dan read and comment; nobody else sees anything.
    A document whose owner id is "long" refuses sessions."""
    ann = small_org.people["ann"].id
    readers = {small_org.people[h].id for h in ("bob", "cat", "dan")}

    def access(actor, ids):
        if actor.person_id == ann:
            return {i: frozenset(Access) for i in ids}
        if actor.person_id in readers:
            return {i: frozenset({Access.READ, Access.COMMENT}) for i in ids}
        return {}

    services.register_owner(
        KIND,
        label="note",
        parts=PARTS,
        access=access,
        url=lambda oid: f"/notes/{oid}",
        session_refused=lambda oid: "too long to read in a meeting" if oid == "long" else "",
    )
    yield small_org
    owners.unregister(KIND)


def _doc(org, owner_id="1", body="First line.\n\nSecond line."):
    return services.create_document(
        actor=org.actor("ann"), owner_kind=KIND, owner_id=owner_id, title="Plan", parts={"body": body}
    )


def _ids(org, *handles):
    return [org.people[h].id for h in handles]


def test_a_session_reads_the_revision_frozen_at_its_start_whatever_is_revised_later(org):
    doc = _doc(org)
    session = services.start_session(
        actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob", "cat"), minutes=30
    )
    assert session.revision == 1 and session.state is SessionState.READING
    assert session.ends_at - session.started_at == dt.timedelta(minutes=30)
    assert session.presenter_id == org.people["ann"].id
    assert set(session.reader_ids) == set(_ids(org, "bob", "cat")) and not session.all_done
    services.revise_document(actor=org.actor("ann"), document_id=doc.id, parts={"body": "changed"}, version=1)
    again = services.get_session(actor=org.actor("bob"), session_id=session.id)
    assert again.revision == 1


def test_starting_notifies_the_readers_with_the_title_and_a_link_only(org):
    doc = _doc(org)
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob"))
    inbox = notifications_services.list_inbox(actor=org.actor("bob")).items
    assert [i.kind for i in inbox] == ["reading_session.started"]
    assert inbox[0].title == "Silent reading: Plan" and inbox[0].body == ""
    assert inbox[0].url == f"/documents/{doc.id}/sessions/{session.id}"
    assert notifications_services.list_inbox(actor=org.actor("cat")).items == []


def test_only_a_presenter_starts_and_the_readers_must_be_able_to_read(org):
    doc = _doc(org)
    with pytest.raises(PermissionDenied):
        services.start_session(actor=org.actor("bob"), document_id=doc.id, reader_ids=_ids(org, "cat"))
    with pytest.raises(NotFound):
        services.start_session(actor=org.actor("eve"), document_id=doc.id, reader_ids=_ids(org, "cat"))
    with pytest.raises(RuleViolation) as err:
        services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob", "eve"))
    assert err.value.field == "reader_ids" and "eve (may not read it)" in err.value.message
    assert services.list_sessions(actor=org.actor("ann"), document_id=doc.id).total == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reader_ids": []}, "reader_ids"),
        ({"reader_ids": ["bob"]}, "reader_ids"),
        ({"reader_ids": [987654]}, "reader_ids"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 241}, "minutes"),
        ({"minutes": "20"}, "minutes"),
        ({"revision": 2}, "revision"),
        ({"revision": 0}, "revision"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_starts_nothing(org, kwargs, field):
    doc = _doc(org)
    values = {"reader_ids": _ids(org, "bob"), **kwargs}
    with pytest.raises(RuleViolation) as err:
        services.start_session(actor=org.actor("ann"), document_id=doc.id, **values)
    assert err.value.field == field
    assert services.list_sessions(actor=org.actor("ann"), document_id=doc.id).total == 0


def test_the_presenter_is_not_a_reader(org):
    doc = _doc(org)
    with pytest.raises(RuleViolation) as err:
        services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "ann", "bob"))
    assert err.value.field == "reader_ids" and "presenter" in err.value.message


def test_one_session_is_open_per_document_and_the_owner_may_refuse_one(org):
    doc = _doc(org)
    first = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob"))
    with pytest.raises(RuleViolation) as err:
        services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "cat"))
    assert err.value.field == "document_id"
    services.close_session(actor=org.actor("ann"), session_id=first.id, version=first.version)
    services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "cat"))
    long = _doc(org, owner_id="long")
    with pytest.raises(RuleViolation) as err:
        services.start_session(actor=org.actor("ann"), document_id=long.id, reader_ids=_ids(org, "bob"))
    assert err.value.field == "document_id" and "too long" in err.value.message


def test_only_a_reader_marks_done_reading_and_only_once(org):
    doc = _doc(org)
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob", "cat"))
    with pytest.raises(PermissionDenied):
        services.mark_done_reading(actor=org.actor("ann"), session_id=session.id)
    with pytest.raises(PermissionDenied):
        services.mark_done_reading(actor=org.actor("dan"), session_id=session.id)
    with pytest.raises(NotFound):
        services.mark_done_reading(actor=org.actor("eve"), session_id=session.id)
    done = services.mark_done_reading(actor=org.actor("bob"), session_id=session.id)
    assert done.reader(org.people["bob"].id).done and not done.reader(org.people["cat"].id).done
    with pytest.raises(RuleViolation) as err:
        services.mark_done_reading(actor=org.actor("bob"), session_id=session.id)
    assert err.value.field == "session_id"


def test_the_presenter_hears_when_the_last_reader_is_done(org):
    doc = _doc(org)
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob", "cat"))
    services.mark_done_reading(actor=org.actor("bob"), session_id=session.id)
    assert notifications_services.list_inbox(actor=org.actor("ann")).items == []
    services.mark_done_reading(actor=org.actor("cat"), session_id=session.id)
    kinds = [i.kind for i in notifications_services.list_inbox(actor=org.actor("ann")).items]
    assert kinds == ["reading_session.all_done"]
    assert services.get_session(actor=org.actor("ann"), session_id=session.id).all_done


def test_only_the_presenter_closes_with_the_version_read_and_a_closed_session_takes_no_more(org):
    doc = _doc(org)
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob"))
    with pytest.raises(PermissionDenied):
        services.close_session(actor=org.actor("bob"), session_id=session.id, version=session.version)
    with pytest.raises(Conflict):
        services.close_session(actor=org.actor("ann"), session_id=session.id, version=session.version + 1)
    closed = services.close_session(actor=org.actor("ann"), session_id=session.id, version=session.version)
    assert closed.state is SessionState.CLOSED and closed.closed_at is not None
    with pytest.raises(RuleViolation):
        services.close_session(actor=org.actor("ann"), session_id=session.id, version=closed.version)
    with pytest.raises(RuleViolation) as err:
        services.mark_done_reading(actor=org.actor("bob"), session_id=session.id)
    assert err.value.field == "session_id"


def test_the_worker_closes_sessions_past_their_time_box_and_only_those(org):
    first, second = _doc(org, "1"), _doc(org, "2")
    short = services.start_session(actor=org.actor("ann"), document_id=first.id, reader_ids=_ids(org, "bob"), minutes=5)
    long = services.start_session(
        actor=org.actor("ann"), document_id=second.id, reader_ids=_ids(org, "bob"), minutes=60
    )
    with pytest.raises(PermissionDenied):
        services.close_expired_sessions(actor=org.actor("ann"))
    later = short.started_at + dt.timedelta(minutes=6)
    assert services.close_expired_sessions(actor=Actor.system("worker"), now=later) == 1
    assert services.get_session(actor=org.actor("ann"), session_id=short.id).state is SessionState.CLOSED
    assert services.get_session(actor=org.actor("ann"), session_id=long.id).state is SessionState.READING
    assert services.close_expired_sessions(actor=Actor.system("worker"), now=later) == 0


def test_the_scheduled_job_closes_expired_sessions(org, settings):
    from mechanisms.documents import tasks
    from mechanisms.kernel import schedule

    assert "documents.close_sessions" in {j.name for j in schedule.jobs()}
    doc = _doc(org)
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob"), minutes=1)
    assert tasks.close_expired_sessions.call() == {"closed": 0}  # not yet: its minute is not over
    from mechanisms.documents.models import ReadingSession

    ReadingSession.objects.filter(pk=session.id).update(ends_at=session.started_at)
    assert tasks.close_expired_sessions.call() == {"closed": 1}


def test_sessions_are_read_only_by_those_the_owner_lets_read_and_audited(org):
    doc = _doc(org)
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob"))
    services.mark_done_reading(actor=org.actor("bob"), session_id=session.id)
    services.close_session(actor=org.actor("ann"), session_id=session.id, version=session.version)
    for handle in ("eve", "admin"):
        with pytest.raises(NotFound):
            services.get_session(actor=org.actor(handle), session_id=session.id)
        with pytest.raises(NotFound):
            services.list_sessions(actor=org.actor(handle), document_id=doc.id)
    with pytest.raises(NotFound):
        services.get_session(actor=org.actor("ann"), session_id=10**12)
    changes = audit_services.list_changes(actor=org.actor("ann"), subject_type="document", subject_id=str(doc.id))
    verbs = [c.verb for c in changes.items]
    assert {"start_session", "done_reading", "close_session"} <= set(verbs)
