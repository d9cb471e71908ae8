from typing import Any

from django import template

from contacts import normalise, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def phone_local(context: dict[str, Any], e164: str) -> str:
    """A number as the viewer dials it: national for their country, international otherwise."""
    return normalise.phone_display(e164, selectors.dialling_country_for(context["request"].user))


@register.filter
def phone_international(e164: str) -> str:
    return normalise.phone_international(e164)
