"""The documents core: a document is created by its owner, every revision is kept, a diff is per part, and every
read asks the owning app (a reader it leaves out gets NotFound, as if the document did not exist)."""

from __future__ import annotations

import pytest

from mechanisms.documents import services
from mechanisms.documents.contracts import Access, Part
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation

KIND = "test_note"
PARTS = (Part("body", "Body"), Part("appendix", "Appendix", counted=False))


@pytest.fixture
def owner(small_org):
    """A test owner: ann may revise, bob may read, nobody else sees anything."""
    ann, bob = small_org.people["ann"].id, small_org.people["bob"].id

    def access(actor, ids):
        if actor.person_id == ann:
            return {i: frozenset(Access) for i in ids}
        if actor.person_id == bob:
            return {i: frozenset({Access.READ, Access.COMMENT}) for i in ids}
        return {}

    services.register_owner(KIND, label="note", parts=PARTS, access=access, url=lambda oid: f"/notes/{oid}")
    yield small_org
    from mechanisms.documents import owners

    owners.unregister(KIND)


def test_every_revision_is_kept_and_diffed_per_part(owner):
    ann = owner.actor("ann")
    doc = services.create_document(actor=ann, owner_kind=KIND, owner_id=7, title="Plan", parts={"body": "one\ntwo"})
    doc = services.revise_document(actor=ann, document_id=doc.id, parts={"body": "one\nthree"}, version=doc.version)
    assert doc.revision == 2
    page = services.list_revisions(actor=ann, document_id=doc.id)
    assert [r.number for r in page.items] == [2, 1]
    assert services.get_revision(actor=ann, document_id=doc.id, number=1).text("body") == "one\ntwo"
    diff = {d.key: d for d in services.diff_revisions(actor=ann, document_id=doc.id, base=1)}
    assert "-two" in diff["body"].lines and "+three" in diff["body"].lines
    assert not diff["appendix"].changed


def test_readers_the_owner_leaves_out_get_not_found_and_readers_cannot_revise(owner):
    ann = owner.actor("ann")
    doc = services.create_document(actor=ann, owner_kind=KIND, owner_id=8, title="Plan", parts={"body": "x"})
    with pytest.raises(NotFound):
        services.get_document(actor=owner.actor("cat"), document_id=doc.id)
    with pytest.raises(NotFound):
        services.list_revisions(actor=owner.actor("admin"), document_id=doc.id)
    assert services.find_document(actor=owner.actor("cat"), owner_kind=KIND, owner_id=8) is None
    with pytest.raises(PermissionDenied):
        services.revise_document(actor=owner.actor("bob"), document_id=doc.id, parts={"body": "y"}, version=1)
    assert services.get_document(actor=owner.actor("bob"), document_id=doc.id).revision == 1


def test_a_stale_version_conflicts_and_unknown_parts_are_refused(owner):
    ann = owner.actor("ann")
    doc = services.create_document(actor=ann, owner_kind=KIND, owner_id=9, title="Plan", parts={"body": "x"})
    services.revise_document(actor=ann, document_id=doc.id, parts={"body": "y"}, version=doc.version)
    with pytest.raises(Conflict):
        services.revise_document(actor=ann, document_id=doc.id, parts={"body": "z"}, version=doc.version)
    with pytest.raises(RuleViolation) as err:
        services.revise_document(actor=ann, document_id=doc.id, parts={"nope": "z"}, version=doc.version + 1)
    assert err.value.field == "parts.nope"
    assert services.get_document(actor=ann, document_id=doc.id).revision == 2
