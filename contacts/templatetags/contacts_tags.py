from typing import Any

from django import template

from contacts import selectors
from uc_web.lib import phones

register = template.Library()


@register.simple_tag(takes_context=True)
def phone_local(context: dict[str, Any], e164: str) -> str:
    """A number as the viewer dials it: national for their country, international otherwise."""
    return phones.display(e164, selectors.dialling_country_for(context["request"].user))


@register.filter
def phone_international(e164: str) -> str:
    return phones.international(e164)


@register.filter
def post_dial(extension: str) -> str:
    """'ext. 102', or 'then ,,1234#' for pauses and keys sent after the call connects."""
    return phones.post_dial_display(extension)
