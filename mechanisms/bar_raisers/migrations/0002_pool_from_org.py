"""Copy the bar-raiser pool out of org.Person into bar_raisers.PoolMember (issue 10): everyone with a training date
joins the pool with `trained_on` = that date and their capacity, active when the person is. Runs before org drops the
two fields (org 0003_bar_raiser_fields_move_to_bar_raisers depends on this migration)."""

from django.db import migrations


def copy_pool_from_org(apps, schema_editor) -> int:
    """Create a pool member for every person with `bar_raiser_since` who has none yet; returns how many. A capacity
    above the pool's limit of 20 is lowered to it (org allowed up to 50); a capacity of 0 was org's default for "not
    given" (waivers never read it), so it becomes the pool's default of 2 rather than a member who can take nothing."""
    person_model = apps.get_model("org", "Person")
    member_model = apps.get_model("bar_raisers", "PoolMember")
    already = set(member_model.objects.values_list("person_id", flat=True))
    rows = [
        member_model(
            person_id=person_id,
            trained_on=since,
            capacity=min(capacity or 2, 20),
            active=active,
            note="moved from the person record",
        )
        for person_id, since, capacity, active in person_model.objects.filter(bar_raiser_since__isnull=False)
        .order_by("id")
        .values_list("id", "bar_raiser_since", "bar_raiser_capacity", "active")
        if person_id not in already
    ]
    member_model.objects.bulk_create(rows)
    return len(rows)


def copy_pool_back(apps, schema_editor) -> None:
    """Undo: put each member's training date and capacity back on the person (the fields exist again)."""
    person_model = apps.get_model("org", "Person")
    member_model = apps.get_model("bar_raisers", "PoolMember")
    for person_id, trained_on, capacity in member_model.objects.values_list("person_id", "trained_on", "capacity"):
        person_model.objects.filter(pk=person_id).update(bar_raiser_since=trained_on, bar_raiser_capacity=capacity)


def forward(apps, schema_editor) -> None:
    copy_pool_from_org(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("bar_raisers", "0001_initial"),
        ("org", "0002_role_grants"),
    ]

    operations = [migrations.RunPython(forward, copy_pool_back)]
