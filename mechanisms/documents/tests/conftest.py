"""A test owner kind for the documents tests (no dependency on working_backwards): `test_doc` records, which ann
may do everything with, bob and eve may read, comment on and attach to, cat may only read, and nobody else may see."""

from __future__ import annotations

import pytest

from mechanisms.documents import services
from mechanisms.documents.contracts import Access, Part

KIND = "test_doc"
PARTS = (Part("body", "Body"), Part("appendix", "Appendix", counted=False))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def docs(small_org, media):
    """The small org with the test owner registered."""
    people = small_org.people

    def access(actor, ids):
        if actor.person_id == people["ann"].id:
            return {i: frozenset(Access) for i in ids}
        if actor.person_id in (people["bob"].id, people["eve"].id):
            return {i: frozenset({Access.READ, Access.COMMENT, Access.ATTACH}) for i in ids}
        if actor.person_id == people["cat"].id:
            return {i: frozenset({Access.READ}) for i in ids}
        return {}

    services.register_owner(KIND, label="test document", parts=PARTS, access=access, url=lambda oid: f"/t/{oid}")
    yield small_org
    from mechanisms.documents import owners

    owners.unregister(KIND)


@pytest.fixture
def make_doc(docs):
    """make_doc(body=..., owner_id=...) creates a test document as ann."""
    counter = iter(range(1000, 2000))

    def make(body: str = "", appendix: str = "", title: str = "Plan", owner_id: int | None = None):
        return services.create_document(
            actor=docs.actor("ann"),
            owner_kind=KIND,
            owner_id=owner_id or next(counter),
            title=title,
            parts={"body": body, "appendix": appendix},
        )

    return make
