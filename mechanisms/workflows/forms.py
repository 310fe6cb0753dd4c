"""Forms of the team-lifecycle pages. They only parse what the browser sends; every rule is checked by the lifecycle
workflows, whose errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms

TEXTAREA = forms.Textarea(attrs={"rows": 8})
LEADER_HELP = "The single-threaded leader's handle, e.g. ann. Leave empty for no leader."

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

    # A slug typed in, not a <select>: at 2,000 teams the list of every live team was most of the page's cost.
    to_team = forms.CharField(
        label="New owning team",
        max_length=64,
        help_text="The team's slug, as in its address /teams/<slug>, e.g. identity. It must be another active team.",
    )
    reason = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)


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
        services: list[tuple[int, str, str]],
        requests: list[tuple[int, str, str]],
        **kwargs,
    ):
        # A text input per item (a keyword or a team slug) with suggestions in a <datalist> the page draws: a
        # <select> of every live team per item was thousands of options at demo scale. Works without JavaScript.
        super().__init__(*args, **kwargs)
        for kind, items in (("service", services), ("request", requests)):
            for item_id, label, help_text in items:
                name = f"{kind}_{item_id}"
                self.fields[name] = forms.CharField(
                    required=False,
                    max_length=64,
                    label=label,
                    help_text=help_text,
                    widget=forms.TextInput(attrs={"list": f"{name}_options", "autocomplete": "off"}),
                )
        self.order_fields([*(f for f in self.fields if f.startswith(("service_", "request_"))), "reason", "version"])
