"""The messages section of the company page (accounts/company.html), owned by messaging so
that accounts does not import it: the page loads this tag, the form posts to
messaging.views.company_settings."""

from typing import Any

from django import template

from messaging import forms, selectors

register = template.Library()


@register.inclusion_tag("messaging/_company_settings.html", takes_context=True)
def company_messages_section(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    usage = selectors.company_usage_get(user=user)
    return {
        "usage": usage,
        "form": forms.CompanySettingsForm(usage=usage) if usage else None,
        "csrf_token": context.get("csrf_token"),
    }
