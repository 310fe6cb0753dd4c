"""The pool moves out of org.Person (issue 10): the data migration copies every person with a training date into
bar_raisers.PoolMember before org drops the fields. Run on the real schema of the day before, then forward again."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mechanisms.bar_raisers import services as br
from mechanisms.kernel.actor import Actor

BEFORE = [("org", "0002_role_grants"), ("bar_raisers", "0001_initial")]
copy_pool_from_org = importlib.import_module("mechanisms.bar_raisers.migrations.0002_pool_from_org").copy_pool_from_org


@pytest.mark.django_db(transaction=True)
def test_people_with_the_old_bar_raiser_fields_end_up_in_the_pool():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    person = apps.get_model("org", "Person")

    def make(handle, since, capacity, active=True):
        return person.objects.create(
            handle=handle,
            name=handle.title(),
            email=f"{handle}@acme.test",
            bar_raiser_since=since,
            bar_raiser_capacity=capacity,
            active=active,
        ).id

    ann = make("ann", dt.date(2023, 2, 1), 3)
    bob = make("bob", dt.date(2022, 5, 1), 0)  # org's default capacity: not given
    cat = make("cat", dt.date(2021, 1, 1), 50, active=False)
    make("dan", None, 0)

    assert copy_pool_from_org(apps, None) == 3
    assert copy_pool_from_org(apps, None) == 0  # a member already in the pool is left alone
    member = apps.get_model("bar_raisers", "PoolMember")
    rows = {r.person_id: (r.trained_on, r.capacity, r.active) for r in member.objects.all()}
    assert rows == {
        ann: (dt.date(2023, 2, 1), 3, True),
        bob: (dt.date(2022, 5, 1), 2, True),
        cat: (dt.date(2021, 1, 1), 20, False),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    pool = {m.handle: (m.trained_on, m.capacity, m.active) for m in br.export_pool(actor=Actor.system("test"))}
    assert pool == {
        "ann": (dt.date(2023, 2, 1), 3, True),
        "bob": (dt.date(2022, 5, 1), 2, True),
        "cat": (dt.date(2021, 1, 1), 20, False),
    }
