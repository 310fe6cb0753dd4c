"""Backstage files into the server and back: idempotent, all or nothing, located errors, lossless round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.kernel.importing import ImportFailed
from mechanisms.org import services as org_services
from mechanisms.workflows.backstage_io import export_backstage, import_backstage
from mechanisms.workflows.catalog_io import export_everything

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT.parent / "shared" / "backstage-examples"
RETAIL = ROOT / "tests" / "fixtures" / "catalogs" / "retail"
BROKEN = ROOT / "tests" / "fixtures" / "catalogs" / "broken"
SYSTEM = Actor.system("test")


@pytest.mark.django_db
@pytest.mark.skipif(not EXAMPLES.exists(), reason="shared Backstage examples not present")
def test_the_backstage_examples_import_and_reimport_changes_nothing():
    first = import_backstage(actor=SYSTEM, paths=[str(EXAMPLES)])
    assert first.created["service"] == 13 and first.created["team"] == 5
    again = import_backstage(actor=SYSTEM, paths=[str(EXAMPLES)])
    assert sum(again.created.values()) == 0 and sum(again.updated.values()) == 0
    # Owned by a user in the source: kept, with the owner as written, for the mandate checks to flag.
    searcher = catalog_services.get_service_by_name(actor=Actor.system("test"), name="searcher")
    assert searcher.owner_team_id is None and searcher.owner_ref == "user:default/guest"


@pytest.mark.django_db
def test_import_maps_leaders_members_and_edges():
    import_backstage(actor=SYSTEM, paths=[str(RETAIL)])
    teams = org_services.team_index(actor=Actor.system("test"))
    assert teams and all(t.org_unit_id for t in teams)
    assert any(t.leader_id for t in teams)
    counts = catalog_services.catalog_counts(actor=Actor.system("test"))
    assert counts.services and counts.interfaces and counts.dependencies


@pytest.mark.django_db
def test_the_bar_raiser_annotations_put_people_in_the_pool():
    import datetime as dt

    from mechanisms.bar_raisers import services as bar_raisers_services

    import_backstage(actor=SYSTEM, paths=[str(RETAIL)])
    pool = {m.handle: (m.trained_on, m.capacity) for m in bar_raisers_services.export_pool(actor=SYSTEM)}
    assert pool == {
        "helen.marsh": (dt.date(2021, 1, 10), 1),
        "uma.reddy": (dt.date(2023, 2, 1), 2),
        "clara.weiss": (dt.date(2023, 9, 1), 2),
        "tom.berg": (dt.date(2022, 5, 1), 3),
    }


@pytest.mark.django_db
def test_export_then_import_reproduces_the_same_catalog(tmp_path):
    import_backstage(actor=SYSTEM, paths=[str(RETAIL)])
    before = export_everything()
    export_backstage(folder=tmp_path)
    report = import_backstage(actor=SYSTEM, paths=[str(tmp_path)])
    assert sum(report.created.values()) == 0, report.as_dict()
    after = export_everything()
    for section in ("people", "teams", "services", "interfaces", "datastores", "dependencies"):
        assert after[section] == before[section], section


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(p.name for p in BROKEN.iterdir()) if BROKEN.exists() else [])
def test_a_broken_catalog_imports_nothing_and_every_problem_has_a_file_and_line(case):
    with pytest.raises(ImportFailed) as caught:
        import_backstage(actor=SYSTEM, paths=[str(BROKEN / case)])
    assert all(":" in p.source for p in caught.value.problems)
    assert org_services.list_people(actor=Actor.system("test")).total == 0
    assert catalog_services.catalog_counts(actor=Actor.system("test")).services == 0


@pytest.mark.django_db
def test_only_admins_import(small_org):
    with pytest.raises(PermissionDenied):
        import_backstage(actor=small_org.actor("ann"), paths=[str(RETAIL)])
