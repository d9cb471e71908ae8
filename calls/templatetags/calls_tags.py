from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def call_duration(value: timedelta) -> str:
    """h:mm:ss or m:ss, as phones show it."""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


@register.inclusion_tag("calls/_voicemail_section.html", takes_context=True)
def voicemail_section(context: template.Context) -> dict:
    """The profile page's Voicemail section: on or off, and the greeting."""
    from calls import selectors

    user = context["request"].user
    return {"box": selectors.voicemail_box_get(user=user), "csrf_token": context.get("csrf_token")}
