"""Forms of the away-team pages. They only parse what the browser sends; every rule is checked by the away-team
services, whose errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms

# ---------------------------------------------------------------------------------------------- away teams
# Filing is the one form written here; the form of every transition is generated from the declared machine
# (away_teams/machines.py, kernel/machine_forms.py), so a page, the API and the CLI take the same input.


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
