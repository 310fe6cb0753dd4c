"""Page forms of the decisions app: they only parse; the rules are the services' (entry point only)."""

from __future__ import annotations

import re

from django import forms

from .contracts import Category, Door, Outcome, Stance

OPTION_SEPARATOR = " | "


class DecisionForm(forms.Form):
    """A new decision. Options: one per line, `Title | pros and cons` (the part after ` | ` is optional)."""

    question = forms.CharField(max_length=300, help_text="The question being decided.")
    context = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why this needs deciding, and what constrains it. Markdown.",
    )
    options = forms.CharField(
        required=False,
        max_length=60000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One option per line; after “ | ” its pros and cons.",
    )
    door = forms.ChoiceField(
        choices=[
            (Door.TWO_WAY.value, "Two-way door (easy to undo)"),
            (Door.ONE_WAY.value, "One-way door (hard to undo)"),
        ]
    )
    category = forms.ChoiceField(choices=[(c.value, c.value.replace("_", " ").capitalize()) for c in Category])
    high_impact = forms.BooleanField(
        required=False,
        label="High impact (a bar-raiser review)",
        help_text="Design, architecture or customer-experience decisions only.",
    )
    participants = forms.CharField(required=False, max_length=2000, help_text="Handles, separated by spaces.")
    revisit_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The owner is reminded to review the outcome then.",
    )

    def clean_options(self) -> list[tuple[str, str]]:
        out = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            if line.strip():
                title, _, description = line.partition(OPTION_SEPARATOR.strip())
                out.append((title.strip(), description.strip()))
        return out

    def clean_participants(self) -> list[str]:
        text = self.cleaned_data.get("participants") or ""
        return list(dict.fromkeys(h.lstrip("@") for h in re.split(r"[\s,]+", text) if h.strip()))


class StanceForm(forms.Form):
    """A participant's own stance."""

    stance = forms.ChoiceField(
        choices=[
            (Stance.AGREE.value, "I agree"),
            (Stance.DISAGREE_AND_COMMIT.value, "I disagree and commit"),
            (Stance.STILL_DISAGREE.value, "I still disagree"),
        ],
        widget=forms.RadioSelect,
    )
    new_information = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="New information your dissent brings",
        help_text="Required when you disagree and commit: what did the decision not weigh? Markdown.",
    )


class OutcomeForm(forms.Form):
    """The later outcome review."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    outcome = forms.ChoiceField(
        choices=[
            (Outcome.RIGHT.value, "Right"),
            (Outcome.PARTLY_RIGHT.value, "Partly right"),
            (Outcome.WRONG.value, "Wrong"),
            (Outcome.TOO_EARLY.value, "Too early to tell"),
        ]
    )
    note = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened. Required when wrong or partly right. Markdown.",
    )
