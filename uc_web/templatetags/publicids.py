"""Public ids in templates (uc_web.lib.publicid), loaded into every template.

{{ contact|public_id }}                                  a model instance
{{ contact.linked_user_id|public_id:"accounts.user" }}   a primary key of that kind
{% url_template "contacts:detail" %}                     "/contacts/{id}/" for a script
"""

from typing import Any

from django import template
from django.urls import reverse

from uc_web.lib import publicid

register = template.Library()


@register.filter
def public_id(value: Any, kind: str = "") -> str:
    if value is None or value == "":
        return ""
    if kind:
        return publicid.encode(kind, int(getattr(value, "pk", value)))
    return publicid.of(value)


@register.simple_tag
def url_template(name: str, *args: Any) -> str:
    """The URL of view `name` whose first argument is an id, with "{id}" in its place."""
    return reverse(name, args=[publicid.PLACEHOLDER, *args]).replace(publicid.PLACEHOLDER, "{id}")
