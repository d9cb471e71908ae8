"""Showing people and times the way the signed-in user prefers (accounts.dates)."""

from datetime import date, datetime

from django import template
from django.utils.html import format_html

from accounts import dates

register = template.Library()


@register.simple_tag(takes_context=True)
def user_datetime(context: template.Context, value: datetime | None) -> str:
    """A <time> element in the user's time zone and date format."""
    if value is None:
        return ""
    user = context.get("user")
    return format_html(
        '<time datetime="{}">{}</time>',
        dates.local(value, user).isoformat(),
        dates.datetime_text(value, user),
    )


@register.simple_tag(takes_context=True)
def user_date(context: template.Context, value: date | None) -> str:
    """A <time> element with a date in the user's format."""
    if value is None:
        return ""
    user = context.get("user")
    day = dates.local(value, user).date() if isinstance(value, datetime) else value
    return format_html(
        '<time datetime="{}">{}</time>', day.isoformat(), dates.date_text(value, user)
    )
