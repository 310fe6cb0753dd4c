"""Template helpers: Markdown (through the one sanitizing renderer), badges, pagination links."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from mechanisms.kernel.markdown import render

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    # render() sanitizes with nh3 after Markdown with raw HTML off: the one place user text becomes HTML.
    return mark_safe(render(text))  # noqa: S308


@register.simple_tag(takes_context=True)
def page_url(context, offset) -> str:
    """The current URL with another offset, keeping every other query parameter."""
    params = context["request"].GET.copy()
    params["offset"] = offset
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def panel(context, shown) -> str:
    """Draw one panel of a composite page (kernel.mounts.ShownPanel) with its own context on top of the page's."""
    template = context.template.engine.get_template(shown.template)
    with context.push(**shown.context):
        return template.render(context)
