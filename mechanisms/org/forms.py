"""Forms of the org pages. They only parse what the browser sends; every rule is checked by the org services, whose
errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms

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
