from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html

from accounts import dates
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


@register.simple_tag(takes_context=True)
def birthday(context: dict[str, Any], contact: Any) -> str:
    """A contact's birthday in the viewer's date format (without a year if none is known)."""
    if not contact.birth_month or not contact.birth_day:
        return ""
    user = context["request"].user
    if contact.birth_year:
        day = date(contact.birth_year, contact.birth_month, contact.birth_day)
        text = dates.date_text(day, user)
    else:
        text = dates.day_month_text(contact.birth_month, contact.birth_day, user)
    return format_html('<time datetime="{}">{}</time>', contact.birthday_iso, text)


@register.simple_tag(takes_context=True)
def contact_date(context: dict[str, Any], value: str) -> str:
    """A contact's other date (an anniversary) in the viewer's date format.

    Stored as the vCard wrote it: a full date (2005-06-20), a yearless one (--06-20), or text
    that is not a date, which is shown as it is.
    """
    user = context["request"].user
    try:
        if value.startswith("--"):
            digits = value[2:].replace("-", "")
            if len(digits) != 4:
                return value
            text = dates.day_month_text(int(digits[:2]), int(digits[2:]), user)
        else:
            text = dates.date_text(date.fromisoformat(value), user)
    except (ValueError, IndexError):
        return value
    return format_html('<time datetime="{}">{}</time>', value, text)
