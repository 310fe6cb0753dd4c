"""Forms of the documents pages (entry point only): parse what a person typed; the rules are the services'."""

from __future__ import annotations

from django import forms

from .contracts import AttachmentPurpose

# The partial templates draw these forms as plain HTML (an owner's page has no form object of ours); these classes
# parse the posts and name the same fields.


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea, strip=False)
    part = forms.CharField(required=False)
    quote = forms.CharField(required=False, strip=False)
    prefix = forms.CharField(required=False, strip=False)
    suffix = forms.CharField(required=False, strip=False)
    revision = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    session_id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    next = forms.CharField(required=False)


class ResolveForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    next = forms.CharField(required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(allow_empty_file=True)
    purpose = forms.ChoiceField(choices=[(p.value, p.value) for p in AttachmentPurpose], initial="file")
    next = forms.CharField(required=False)


class NextForm(forms.Form):
    next = forms.CharField(required=False)
