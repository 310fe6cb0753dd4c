"""Forms of the pages. They only parse what the browser sends; every rule is checked by the services, whose
errors the views put next to the field they name (`views.show_error`)."""

from __future__ import annotations

from django import forms

from mechanisms.catalog.contracts import Access, DatastoreType, DependencyKind, InterfaceType, Lifecycle, Visibility
from mechanisms.org.contracts import TeamStatus

# ---------------------------------------------------------------------------------------------- teams

TEXTAREA = forms.Textarea(attrs={"rows": 8})
LEADER_HELP = "The single-threaded leader's handle, e.g. ann. Leave empty for no leader."


class TeamForm(forms.Form):
    """What a team's members may change: its name and charter."""

    name = forms.CharField(max_length=200)
    charter = forms.CharField(
        required=False,
        widget=TEXTAREA,
        help_text="The customer problem this team exists to solve. Markdown.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class TeamAdminForm(TeamForm):
    """An administrator may also move the team, name its leader, and change its status."""

    leader = forms.CharField(required=False, max_length=64, help_text=LEADER_HELP)
    org_unit = forms.TypedChoiceField(coerce=int, label="Org unit")
    status = forms.ChoiceField(choices=[(s.value, s.value) for s in TeamStatus])

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = unit_choices


class TeamCreateForm(forms.Form):
    """A new team (administrators)."""

    name = forms.CharField(max_length=200)
    slug = forms.CharField(
        max_length=64, help_text="Lowercase letters, digits and '-'; it becomes the team's address: /teams/<slug>."
    )
    org_unit = forms.TypedChoiceField(coerce=int, label="Org unit")
    leader = forms.CharField(required=False, max_length=64, help_text=LEADER_HELP)
    status = forms.ChoiceField(
        choices=[(TeamStatus.ACTIVE.value, "active"), (TeamStatus.FORMING.value, "forming")],
    )
    charter = forms.CharField(
        required=False, widget=TEXTAREA, help_text="The customer problem this team exists to solve. Markdown."
    )

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = unit_choices


class MemberAddForm(forms.Form):
    """Add a person to a team by handle."""

    handle = forms.CharField(
        max_length=64, label="Add a member", widget=forms.TextInput(attrs={"placeholder": "handle, e.g. bob"})
    )


# ---------------------------------------------------------------------------------------------- services

NAME_HELP = "Lowercase letters and digits, separated by '-', '_' or '.'."
TIERS = [(1, "1 — most critical"), (2, "2"), (3, "3"), (4, "4 — least critical")]


def _choices(enum) -> list[tuple[str, str]]:
    return [(e.value, e.value) for e in enum]


class ServiceForm(forms.Form):
    """A service's own fields, as its owning team edits them. `version` is the one the editor read."""

    name = forms.CharField(max_length=63, help_text=NAME_HELP)
    title = forms.CharField(max_length=200, required=False, help_text="A human name, e.g. “Checkout API”.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown.")
    lifecycle = forms.ChoiceField(choices=_choices(Lifecycle))
    tier = forms.TypedChoiceField(choices=TIERS, coerce=int)
    repository = forms.CharField(max_length=500, required=False, help_text="An http(s), ssh or git URL.")
    on_call = forms.CharField(
        max_length=200, required=False, label="On-call rotation",
        help_text="You build it, you run it: the rotation drawn from the owning team.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ServiceCreateForm(ServiceForm):
    """A new service and the team that will own it (one of the teams the author may change)."""

    owner_team = forms.IntegerField(label="Owning team", widget=forms.Select)
    version = None

    field_order = ["owner_team", "name", "title", "description", "lifecycle", "tier", "repository", "on_call"]

    def __init__(self, *args, team_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].widget.choices = team_choices


class InterfaceForm(forms.Form):
    """A way to call the service, of any technology (mandate M4)."""

    name = forms.CharField(max_length=63, help_text=NAME_HELP)
    type = forms.ChoiceField(choices=_choices(InterfaceType))
    api_version = forms.CharField(max_length=64, required=False, label="Version", help_text="e.g. 1.4 or v2")
    auth_scheme = forms.CharField(max_length=200, required=False, label="Authentication", help_text="e.g. oauth2")
    visibility = forms.ChoiceField(choices=_choices(Visibility), initial=Visibility.INTERNAL.value)
    docs_url = forms.CharField(max_length=500, required=False, label="Documentation URL")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown.")
    definition = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="The machine-readable definition (OpenAPI, AsyncAPI, GraphQL SDL, protobuf...).",
    )


class DatastoreForm(forms.Form):
    """A database, bucket, queue, topic or cache owned by this service."""

    name = forms.CharField(max_length=63, help_text=NAME_HELP)
    type = forms.ChoiceField(choices=_choices(DatastoreType))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DependencyForm(forms.Form):
    """An edge from this service: consumes an interface, accesses a datastore, or links another service."""

    kind = forms.ChoiceField(
        choices=[
            (DependencyKind.CONSUMES.value, "consumes an interface"),
            (DependencyKind.ACCESSES.value, "accesses a datastore"),
            (DependencyKind.LINKS.value, "links another service's code"),
        ]
    )
    target = forms.CharField(
        max_length=63, label="Interface, datastore or service name",
        help_text="The name of what this service depends on, e.g. payments-http.",
    )
    access = forms.ChoiceField(
        choices=[("", "—"), *_choices(Access)], required=False, help_text="For a datastore only."
    )
    description = forms.CharField(max_length=5000, required=False)


# ---------------------------------------------------------------------------------------------- waivers


class WaiverForm(forms.Form):
    """A waiver of one rule on one subject (MECHANISMS.md §2 M6), approved by an independent bar raiser. The rules
    (known rule, future expiry, approver in the pool and independent) are checked by mandate's grant_waiver."""

    rule = forms.ChoiceField()
    subject = forms.CharField(
        max_length=300, help_text="The entity the finding is about, e.g. component:default/checkout-api."
    )
    related = forms.CharField(
        max_length=300, required=False,
        help_text="Narrows the waiver to the findings that name this reference, e.g. resource:default/ledger-db.",
    )
    reason = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the exception is accepted, and what ends it. Markdown.",
    )
    expires = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A date in the future (YYYY-MM-DD); after it, the finding is an error again.",
    )
    approver = forms.CharField(
        max_length=64, label="Approving bar raiser",
        help_text="The handle of a bar raiser independent of the subject's team; you, unless you are an admin.",
    )

    def __init__(self, *args, rule_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = rule_choices


class WaiverRevokeForm(forms.Form):
    """Withdraw a waiver, with the reason kept in its history."""

    reason = forms.CharField(max_length=5000, required=False, widget=forms.TextInput(attrs={"placeholder": "why"}))


# ---------------------------------------------------------------------------------------------- away teams
# A field is required here only when the service always requires it, so the page says which are optional; every
# rule beyond that (who may act, from which state, which contact or service is valid) is judged by the away-team
# and lifecycle services, whose errors the views put next to these fields.


def _note(**kwargs) -> forms.CharField:
    return forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}), **kwargs)


def _reason(*, required: bool = False, **kwargs) -> forms.CharField:
    return forms.CharField(max_length=5000, required=required, widget=forms.Textarea(attrs={"rows": 3}), **kwargs)


class AwayRequestForm(forms.Form):
    """File an away-team request on another team's service (MECHANISMS.md §3): what, why and a proposed design."""

    requesting_team = forms.IntegerField(
        label="Requesting team", widget=forms.Select, help_text="The team that needs the change and would build it."
    )
    title = forms.CharField(max_length=200)
    what = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), help_text="The change you need. Markdown.")
    why = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why (the customer value)",
        help_text="What customers gain from it. Markdown.",
    )
    design = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Proposed design",
        help_text="How you would build it in their code. Markdown.",
    )

    def __init__(self, *args, team_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requesting_team"].widget.choices = team_choices


class AwayActionForm(forms.Form):
    """The base of every transition form on a request page: the version the viewer read."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class AwayNoteForm(AwayActionForm):
    """A transition that needs nothing but an optional note (start, accept the hand-off, complete, close)."""

    note = _note(help_text="Optional; kept in the timeline.")


class AwayReasonForm(AwayActionForm):
    """A transition that needs a reason (decline, escalate, withdraw)."""

    reason = _reason(required=True, help_text="Kept in the timeline. Markdown.")


class AwayAcceptForm(AwayActionForm):
    """Accept: the requesting team builds it in your code, with your point of contact and your standards."""

    contact = forms.IntegerField(label="Point of contact", widget=forms.Select, help_text="A member of your team.")
    standards = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Engineering standards to follow",
        help_text="Your coding, testing and review standards, or where they are written. Markdown.",
    )
    effort_days = forms.FloatField(
        required=False, min_value=0, label="Your expected effort (days)", help_text="Counts in your team's tax."
    )
    note = _note()

    def __init__(self, *args, contact_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].widget.choices = [("", "—"), *contact_choices]


class AwayBuildAtHomeForm(AwayActionForm):
    """Answer that your team builds it on its own roadmap."""

    effort_days = forms.FloatField(
        required=False, min_value=0, label="Your expected effort (days)", help_text="Counts in your team's tax."
    )
    note = _note()


class AwayDecideForm(AwayActionForm):
    """The deciding manager's decision on an escalation."""

    decision = forms.ChoiceField(
        choices=[
            ("reshuffle", "Reshuffle the home team's roadmap: it builds the change"),
            ("keep_roadmap", "Keep the home team's roadmap: the request stays declined"),
        ]
    )
    reason = _reason(required=True, help_text="Why; kept in the timeline. Markdown.")


class AwayDuplicateForm(AwayActionForm):
    """Build it in a service of your own team instead (recorded, never penalized)."""

    duplicate_service = forms.IntegerField(
        label="Your team's service", widget=forms.Select, help_text="Where you build it instead."
    )
    reason = _reason()

    def __init__(self, *args, service_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate_service"].widget.choices = [("", "—"), *service_choices]


class AwaySubmitForm(AwayActionForm):
    """Ask the home team for its review, with the checklist as it stands."""

    tests = forms.BooleanField(required=False, label="Tests written and passing")
    docs = forms.BooleanField(required=False, label="Documentation updated")
    runbook = forms.BooleanField(required=False, label="Runbook updated")
    note = _note()


class AwayReviewForm(AwayActionForm):
    """The home team's review: approve, or request changes saying what to change. The verdict is the button."""

    verdict = forms.ChoiceField(choices=[("approve", "Approve"), ("changes", "Request changes")])
    note = _note(help_text="What to change, when you request changes.")


class AwayHandOffForm(AwayActionForm):
    """Hand the change off: the checklist (tests, docs, runbook; the review approved) and its downstream impact."""

    tests = forms.BooleanField(required=False, label="Tests written and passing")
    docs = forms.BooleanField(required=False, label="Documentation updated")
    runbook = forms.BooleanField(required=False, label="Runbook updated")
    downstream_impact = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Downstream impact",
        help_text="Who benefits and how; a declared impact earns your team credit.",
    )
    note = _note()


# ---------------------------------------------------------------------------------------------- team lifecycle


class TeamFormingForm(forms.Form):
    """Form a team around a customer problem (MECHANISMS.md §1, formation): the charter is required."""

    name = forms.CharField(max_length=200)
    slug = forms.CharField(
        max_length=64, help_text="Lowercase letters, digits and '-'; it becomes the team's address: /teams/<slug>."
    )
    org_unit = forms.TypedChoiceField(coerce=int, label="Org unit")
    charter = forms.CharField(
        widget=TEXTAREA,
        help_text="The urgent, end-to-end customer problem this team is formed to solve. Markdown.",
    )
    leader = forms.CharField(required=False, max_length=64, help_text=LEADER_HELP)
    members = forms.CharField(
        required=False, max_length=2000, help_text="Handles separated by spaces or commas, e.g. bob cat."
    )

    def __init__(self, *args, unit_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = unit_choices


class TransferForm(forms.Form):
    """Move a service to another active team; its open away-team requests follow it."""

    to_team = forms.IntegerField(label="New owning team", widget=forms.Select)
    reason = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, team_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].widget.choices = [("", "—"), *team_choices]


class DissolveForm(forms.Form):
    """Where everything a dissolving team holds goes: a choice per live service and per open request, and why.
    An empty choice is allowed here: the plan is judged whole by the dissolve workflow, which lists what is
    unmapped."""

    reason = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the team is dissolved.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        services: list[tuple[int, str, list[tuple[str, str]]]],
        requests: list[tuple[int, str, list[tuple[str, str]]]],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        for service_id, label, choices in services:
            self.fields[f"service_{service_id}"] = forms.ChoiceField(
                required=False, label=label, choices=[("", "— choose —"), *choices]
            )
        for request_id, label, choices in requests:
            self.fields[f"request_{request_id}"] = forms.ChoiceField(
                required=False, label=label, choices=[("", "— choose —"), *choices]
            )
        self.order_fields([*(f for f in self.fields if f.startswith(("service_", "request_"))), "reason", "version"])
