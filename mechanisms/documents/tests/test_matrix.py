"""Who reads and who comments, through every door of the documents app (kernel.testing.check_matrix): the owner's
answer is the only one; a document it keeps from you is a 404 in the API, the pages, the CLI and the history, and
a refused comment changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.documents import owners, services
from mechanisms.documents.cli import documents
from mechanisms.documents.contracts import Access, Part
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, listing_door, page_door

KIND = "matrix_doc"


@pytest.fixture
def records(small_org, media):
    """`shared`: ann may do everything, bob read and comment, cat read; `private`: ann alone."""
    people = small_org.people
    grants = {
        "shared": {
            people["ann"].id: frozenset(Access),
            people["bob"].id: frozenset({Access.READ, Access.COMMENT}),
            people["cat"].id: frozenset({Access.READ}),
        },
        "private": {people["ann"].id: frozenset(Access)},
    }

    def access(actor, ids):
        return {i: grants[i][actor.person_id] for i in ids if actor.person_id in grants.get(i, {})}

    services.register_owner(
        KIND, label="matrix document", parts=(Part("body", "Body"),), access=access, url=lambda oid: f"/m/{oid}"
    )
    ann = small_org.actor("ann")
    made = {
        name: services.create_document(actor=ann, owner_kind=KIND, owner_id=name, title=name, parts={"body": "text"})
        for name in ("shared", "private")
    }
    yield made
    owners.unregister(KIND)


def _history_listed(small_org):
    def listed(handle, doc):
        try:
            audit_services.list_changes(actor=small_org.actor(handle), subject_type="document", subject_id=str(doc.id))
        except Exception:
            return False
        return True

    return listed


def test_only_those_the_owner_lets_read_see_a_document_through_any_door(small_org, records, as_):
    doors = [
        api_door(lambda d: f"/api/v1/documents/{d.id}", client_for=as_, name="api document"),
        api_door(lambda d: f"/api/v1/documents/{d.id}/comments", client_for=as_, name="api comments"),
        api_door(lambda d: f"/api/v1/documents/{d.id}/attachments", client_for=as_, name="api attachments"),
        page_door(lambda d: f"/documents/{d.id}", name="page"),
        page_door(lambda d: f"/documents/{d.id}/diff?base=1", name="diff page"),
    ]
    check_matrix(
        """
                  shared  private
        ann       allowed allowed
        bob       allowed 404
        cat       allowed 404
        dan       404     404
        admin     404     404
        """,
        doors=doors,
        records=records,
    )
    check_matrix(
        """
                  shared  private
        ann       allowed allowed
        bob       allowed 404
        dan       404     404
        admin     404     404
        """,
        doors=[
            cli_door(documents, lambda d: ["show", str(d.id)]),
            listing_door(_history_listed(small_org), name="history"),
        ],
        records=records,
    )


def test_only_those_the_owner_lets_comment_may_and_a_refusal_changes_nothing(small_org, records, as_):
    def state(doc):
        ann = small_org.actor("ann")
        changes = audit_services.list_changes(actor=Actor.system("test"), subject_type="document").total
        return services.count_comments(actor=ann, document_id=doc.id), changes

    check_matrix(
        """
                  shared  private
        anonymous 401     401
        dan       404     404
        admin     404     404
        cat       403     404
        bob       allowed 404
        ann       allowed allowed
        """,
        doors=[
            api_door(
                lambda d: f"/api/v1/documents/{d.id}/comments",
                client_for=as_,
                method="post",
                body=lambda d: {"body": "a comment"},
            )
        ],
        records=records,
        unchanged=state,
    )
