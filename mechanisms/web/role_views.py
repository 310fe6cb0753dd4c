"""The role-grants page: the grants you may see, and for admins a grant form and an end button per grant.

Thin: parse, call org services, render. Who may see and grant is org's policy (org.services.list_role_grants,
can_grant_role); this page only shows what the service returns and the actions it allows.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.org import services as org_services
from mechanisms.org.contracts import Role

from .views import FORM_ERRORS, PAGE_SIZE, page, query_int, show_error

GRANT_FORM_FIELDS = {"person_id": "handle", "org_unit_id": "org_unit"}


class RoleGrantForm(forms.Form):
    """Grant a role to a person over the company or an org unit (the service checks who may)."""

    handle = forms.CharField(max_length=64, label="Person (handle)")
    role = forms.ChoiceField(choices=[(r.value, r.value) for r in Role])
    org_unit = forms.CharField(max_length=64, required=False, label="Org unit (slug; empty for the whole company)")
    starts_on = forms.DateField(required=False, label="Starts on (default today)")
    ends_on = forms.DateField(required=False, label="Ends on (first day no longer in force)")
    reason = forms.CharField(max_length=2000, required=False)


@page
def role_grants(request: HttpRequest) -> HttpResponse:
    """The grants the signed-in person may see; an admin also gets the grant form (POST here grants)."""
    actor = request.actor
    form = RoleGrantForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = org_services.find_person(handle=data["handle"])
        unit = org_services.find_org_unit(slug=data["org_unit"]) if data["org_unit"] else None
        if person is None:
            form.add_error("handle", f"no person with handle {data['handle']!r}")
        elif data["org_unit"] and unit is None:
            form.add_error("org_unit", f"no org unit {data['org_unit']!r}")
        else:
            try:
                grant = org_services.grant_role(
                    actor=actor,
                    person_id=person.id,
                    role=data["role"],
                    org_unit_id=unit.id if unit else None,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    reason=data["reason"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=GRANT_FORM_FIELDS)
            else:
                messages.success(request, f"{person.handle} is {grant.role.value} (grant {grant.id}).")
                return redirect("web:roles")
        status = 400 if status == 200 else status
    elif request.method == "POST":
        status = 400
    found = org_services.list_role_grants(actor=actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    people = org_services.get_people(ids=[g.person_id for g in found.items])
    units = org_services.get_org_units(ids=[g.org_unit_id for g in found.items if g.org_unit_id])
    can_grant = org_services.can_grant_role(actor=actor)
    rows = [
        {
            "grant": g,
            "person": people.get(g.person_id),
            "unit": units.get(g.org_unit_id) if g.org_unit_id else None,
            "can_end": can_grant and g.ends_on is None,
        }
        for g in found.items
    ]
    context = {"page": found, "rows": rows, "form": form if can_grant else None}
    return render(request, "org/role_grants.html", context, status=status)


@require_POST
@page
def role_grant_end(request: HttpRequest, grant_id: int) -> HttpResponse:
    """End one grant today (admins); back to the list."""
    version = _int(request.POST.get("version"))
    grant = org_services.end_role_grant(
        actor=request.actor, grant_id=grant_id, version=version or 0, reason=request.POST.get("reason", "")[:2000]
    )
    messages.success(request, f"Grant {grant.id} ended: not in force from {grant.ends_on}.")
    return redirect("web:roles")


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None
