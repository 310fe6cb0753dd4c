"""Forms of the away-team pages. They only parse what the browser sends; every rule is checked by the away-team
services, whose errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms

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
