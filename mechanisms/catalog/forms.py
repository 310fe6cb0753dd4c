"""Forms of the catalog pages. They only parse what the browser sends; every rule is checked by the catalog services,
whose errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms

from mechanisms.catalog.contracts import Access, DatastoreType, DependencyKind, InterfaceType, Lifecycle, Visibility

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
        max_length=200,
        required=False,
        label="On-call rotation",
        help_text="You build it, you run it: the rotation drawn from the owning team.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ServiceCreateForm(ServiceForm):
    """A new service and the team that will own it (one of the teams the author may change)."""

    owner_team = forms.IntegerField(label="Owning team", widget=forms.Select)
    version = None

    field_order = ["owner_team", "name", "title", "description", "lifecycle", "tier", "repository", "on_call"]

    def __init__(self, *args, team_choices: list[tuple[int, str]] | None, **kwargs):
        """`team_choices` None: the owning team is typed as a slug (an admin may pick any of thousands of teams,
        and a <select> of them all was most of the page's cost)."""
        super().__init__(*args, **kwargs)
        if team_choices is None:
            self.fields["owner_team"] = forms.CharField(
                label="Owning team", max_length=64, help_text="The team's slug, as in its address /teams/<slug>."
            )
        else:
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
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
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
        max_length=63,
        label="Interface, datastore or service name",
        help_text="The name of what this service depends on, e.g. payments-http.",
    )
    access = forms.ChoiceField(
        choices=[("", "—"), *_choices(Access)], required=False, help_text="For a datastore only."
    )
    description = forms.CharField(max_length=5000, required=False)
