"""Forms of the hiring pages. They only parse what the browser sends; every rule is checked by the hiring services,
whose errors the views put next to the field they name (`kernel.pages.show_error`). The forms of the opening's
transitions are generated from the declared machine (hiring/machines.py, kernel/machine_forms.py)."""

from __future__ import annotations

from django import forms

from .contracts import Source

VERSION = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class OpeningForm(forms.Form):
    """Create or edit a job opening (MECHANISMS.md §5): the job description and principles are needed to open it."""

    title = forms.CharField(max_length=200)
    team = forms.IntegerField(widget=forms.Select, help_text="The team the hire joins.")
    hiring_manager = forms.CharField(
        max_length=150, help_text="Handle of the team's leader or of a manager above them."
    )
    recruiter = forms.CharField(max_length=150, required=False, help_text="Handle of a recruiter for the team's unit.")
    level = forms.CharField(max_length=32)
    manager_role = forms.BooleanField(required=False, label="The hire will manage people")
    reports = forms.CharField(
        max_length=2000,
        required=False,
        label="Would-be reports",
        help_text="Handles of people who would report to the hire, besides the team (they may not interview).",
    )
    job_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        max_length=20_000,
        help_text="Markdown. At least 200 characters before the opening opens.",
    )
    principles = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label="Leadership principles to assess"
    )

    def __init__(self, *args, team_choices, principle_choices, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = team_choices
        self.fields["principles"].choices = principle_choices
        if editing:
            del self.fields["team"]  # an opening stays on its team
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class CandidateForm(forms.Form):
    """Add a candidate to an opening (its recruiters and hiring manager)."""

    name = forms.CharField(max_length=200)
    email = forms.CharField(max_length=254)
    phone = forms.CharField(max_length=64, required=False)
    source = forms.ChoiceField(choices=[(s.value, s.value.capitalize()) for s in Source])
    source_detail = forms.CharField(max_length=200, required=False, label="Source detail")


class ResumeForm(forms.Form):
    """Upload a résumé: a PDF, a Word document (DOCX) or plain text, at most 5 MiB by default."""

    version = VERSION
    resume = forms.FileField(label="Résumé", help_text="PDF, Word (DOCX) or plain text.")


class ReasonForm(forms.Form):
    """A move on a candidate that may say why (withdraw) or must (erase)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, required=False)
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VersionForm(forms.Form):
    """A move that names only the version read (accept an offer)."""

    version = VERSION


class PrincipleForm(forms.Form):
    """Add a leadership principle to the list (admins and company-wide recruiters)."""

    slug = forms.CharField(max_length=64, help_text="lowercase letters, digits and dashes")
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=1000, required=False)


# --- loops: the loop pages' forms below
