"""Forms of the mandate pages. They only parse what the browser sends; every rule is checked by the mandate services,
whose errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms

# ---------------------------------------------------------------------------------------------- waivers


class WaiverForm(forms.Form):
    """A waiver request on one rule and one subject (MECHANISMS.md §2 M6), approved through a bar-raiser review.
    The rules (known rule, future expiry, approver in the pool and independent) are checked by mandate's
    request_waiver and the bar-raisers pool."""

    rule = forms.ChoiceField()
    subject = forms.CharField(
        max_length=300, help_text="The entity the finding is about, e.g. component:default/checkout-api."
    )
    related = forms.CharField(
        max_length=300,
        required=False,
        help_text="Narrows the waiver to the findings that name this reference, e.g. resource:default/ledger-db.",
    )
    reason = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the exception is accepted, and what ends it. Markdown.",
    )
    expires = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A date in the future (YYYY-MM-DD); after it, the finding is an error again.",
    )
    approver = forms.CharField(
        max_length=64,
        label="Approving bar raiser",
        required=False,
        help_text="The handle of a bar raiser independent of you and of the subject's team; empty: the least "
        "loaded independent one is suggested.",
    )
    approver_reason = forms.CharField(
        max_length=5000,
        required=False,
        label="Why this approver",
        help_text="Needed when you name someone other than the suggested bar raiser.",
    )
    question = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you ask the approver to look at (optional). Markdown.",
    )

    def __init__(self, *args, rule_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = rule_choices


class WaiverRevokeForm(forms.Form):
    """Withdraw a waiver, with the reason kept in its history."""

    reason = forms.CharField(max_length=5000, required=False, widget=forms.TextInput(attrs={"placeholder": "why"}))
