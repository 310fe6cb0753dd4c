"""Forms of the hiring pages. They only parse what the browser sends; every rule is checked by the hiring services,
whose errors the views put next to the field they name (`kernel.pages.show_error`). The forms of the opening's
transitions are generated from the declared machine (hiring/machines.py, kernel/machine_forms.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from .contracts import RATINGS, Source, Vote

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
            # A changed job description is the next revision of its document: say why, for its history.
            self.fields["job_description_note"] = forms.CharField(
                max_length=500,
                required=False,
                label="Why the job description changed",
                help_text="Kept with the new revision (leave empty when it did not change).",
            )
            names = [n for n in self.fields if n != "job_description_note"]
            names.insert(names.index("job_description") + 1, "job_description_note")
            self.order_fields(names)
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

VOTE_CHOICES = [
    (Vote.STRONG_HIRE.value, "Strong hire"),
    (Vote.HIRE.value, "Hire"),
    (Vote.NO_HIRE.value, "No hire"),
    (Vote.STRONG_NO_HIRE.value, "Strong no hire"),
]  # four choices and no neutral one (MECHANISMS.md §5)
RATING_WORDS = {1: "well below the bar", 2: "below the bar", 3: "above the bar", 4: "well above the bar"}
RATING_CHOICES = [(r, f"{r} · {RATING_WORDS[r]}") for r in RATINGS]  # no middle
STAR = (
    ("situation", "Situation", "Where and when: the context the candidate described."),
    ("task", "Task", "What they had to achieve, and why it mattered."),
    ("action", "Action", "What they did themselves (not the team), step by step."),
    ("result", "Result", "What came of it, with numbers where they gave them."),
)
RECOMMENDATION_CHOICES = [
    ("approve", "Approve"),
    ("approve_with_concerns", "Approve with concerns"),
    ("do_not_proceed", "Do not proceed (a veto: blocks an offer)"),
]
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class InterviewForm(forms.Form):
    """An interview of a loop: who, when, and the one or two of the opening's principles they assess."""

    interviewer = forms.CharField(max_length=150, label="Interviewer", help_text="Their handle, e.g. maya.chen")
    starts_at = forms.DateTimeField(label="Starts", widget=DATETIME, input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(label="Ends", widget=DATETIME, input_formats=DATETIME_FORMATS)
    principles = forms.MultipleChoiceField(
        label="Principles to assess", widget=forms.CheckboxSelectMultiple, help_text="One or two."
    )

    def __init__(self, *args, principles: Sequence[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["principles"].choices = list(principles)


class InterviewChangeForm(forms.Form):
    """Move an interview or change its principles (to change the interviewer, cancel it and add another)."""

    starts_at = forms.DateTimeField(label="Starts", widget=DATETIME, input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(label="Ends", widget=DATETIME, input_formats=DATETIME_FORMATS)
    principles = forms.MultipleChoiceField(
        label="Principles to assess", widget=forms.CheckboxSelectMultiple, help_text="One or two."
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, principles: Sequence[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["principles"].choices = list(principles)


class CancelInterviewForm(forms.Form):
    """Cancel one interview while the loop is planned (its version read)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class CreateLoopForm(forms.Form):
    """Start planning a candidate's loop: the bar raiser is the first suggestion unless one is named (with why)."""

    bar_raiser = forms.CharField(
        max_length=150,
        required=False,
        label="Bar raiser",
        help_text="Leave empty for the first suggestion: independent of the hiring manager and the team, least loaded.",
    )
    reason = forms.CharField(
        max_length=2000,
        required=False,
        label="Why this bar raiser",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you name someone other than the first suggestion.",
    )


class BarRaiserForm(forms.Form):
    """Pick the loop's bar raiser by hand: someone other than the first suggestion needs a reason."""

    bar_raiser = forms.CharField(max_length=150, label="Bar raiser", help_text="Their handle")
    reason = forms.CharField(
        max_length=2000,
        required=False,
        label="Why this person",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required unless you pick the first suggestion.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class FeedbackForm(forms.Form):
    """An interviewer's feedback: per assigned principle the STAR evidence and a rating (1-4, no middle), a summary
    and an overall vote (four choices, no neutral). `save` keeps a draft; `submit` (confirmed) seals it for good."""

    summary = forms.CharField(
        max_length=10000, required=False, label="Summary", widget=forms.Textarea(attrs={"rows": 4})
    )
    vote = forms.ChoiceField(choices=VOTE_CHOICES, required=False, widget=forms.RadioSelect, label="Overall vote")
    confirm = forms.BooleanField(
        required=False, label="I have finished: submitted feedback can never be changed, not even by me"
    )

    def __init__(self, *args, principles: Sequence[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.principles = list(principles)
        for slug, name in self.principles:
            for part, label, help_text in STAR:
                self.fields[f"{slug}-{part}"] = forms.CharField(
                    max_length=10000,
                    required=False,
                    label=f"{label}",
                    help_text=help_text,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            self.fields[f"{slug}-rating"] = forms.TypedChoiceField(
                choices=RATING_CHOICES, coerce=int, required=False, widget=forms.RadioSelect, label=f"Rating: {name}"
            )

    def sections(self) -> list[dict]:
        """The fields of each principle, in order, for the template."""
        return [
            {
                "slug": slug,
                "name": name,
                "star": [self[f"{slug}-{part}"] for part, _, _ in STAR],
                "rating": self[f"{slug}-rating"],
            }
            for slug, name in self.principles
        ]

    def evidence(self) -> list[dict]:
        """The evidence as plain values, one per principle (the service turns them into its inputs)."""
        data = self.cleaned_data
        return [
            {
                "principle": slug,
                **{part: data.get(f"{slug}-{part}", "") for part, _, _ in STAR},
                "rating": data.get(f"{slug}-rating") or None,
            }
            for slug, _ in self.principles
        ]


class ChangeVoteForm(forms.Form):
    """A changed vote in the debrief: a new entry with its reason; the written feedback stays as it was."""

    vote = forms.ChoiceField(choices=VOTE_CHOICES, widget=forms.RadioSelect, label="Your vote now")
    reason = forms.CharField(max_length=5000, label="Why you changed it", widget=forms.Textarea(attrs={"rows": 3}))


class RecommendationForm(forms.Form):
    """The bar raiser's recommendation at the debrief, with written reasoning."""

    recommendation = forms.ChoiceField(choices=RECOMMENDATION_CHOICES, widget=forms.RadioSelect)
    reasoning = forms.CharField(max_length=10000, label="Reasoning", widget=forms.Textarea(attrs={"rows": 4}))
