"""The PR/FAQ visibility matrix (issue 11 items 3 and 7; MECHANISMS.md §6 "only the current circle and the inner
ones can read it"): every role against a PR/FAQ in every place of its review, through every door.

Readable exactly by its author and the people named in a circle it has reached (a shelved one keeps the circle it
stopped in; an approved one reached the top), and by the bar raiser of a high-impact one. Everyone else gets 404
(the author's manager and team mates not named, people named only in outer circles, an outsider, an admin);
an anonymous caller is sent to sign in (401 on the API). Lists and search leave it out for them.

The world is seal_world.py; the doors are seal_doors.py."""

from __future__ import annotations

import pytest

from .seal_doors import API_READS, missing_pages, page_routes, read_doors, run_matrix, table_for
from .seal_world import STAGES, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def seal(small_org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org, reading=False)


def _records(world, stages=STAGES):
    return {stage: world.prfaqs[stage] for stage in stages}


def test_the_prfaq_and_its_document_through_the_api(seal, as_):
    names = [name for name in API_READS if name != "pdf api"]
    run_matrix(table_for(STAGES), doors=read_doors(as_, seal, names=names), records=_records(seal))


def test_the_pdf_through_the_api_and_the_page(seal, as_):
    run_matrix(table_for(STAGES), doors=read_doors(as_, seal, names=["pdf api", "pdf page"]), records=_records(seal))


def test_the_cli_the_lists_and_search(seal, as_):
    names = ["cli show", "api list", "api search", "search page"]
    run_matrix(table_for(STAGES), doors=read_doors(as_, seal, names=names), records=_records(seal))


def test_the_pages_of_the_prfaq_and_its_document(seal, as_):
    pages = page_routes(seal)
    if not pages:
        pytest.skip(f"no page of a PR/FAQ or its document exists yet: {missing_pages(seal)}")
    run_matrix(table_for(STAGES), doors=read_doors(as_, seal, names=list(pages)), records=_records(seal))
