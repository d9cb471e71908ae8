from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import OnDemandSelectMultiple
from accounts.models import User
from messaging import selectors
from messaging.models import BODY_MAX_LENGTH
from uc_web.lib.forms import PublicModelMultipleChoiceField


class RecipientField(PublicModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} <{obj.email}>" if name else obj.email


class ComposeForm(forms.Form):
    to = RecipientField(
        label=_("To"),
        queryset=User.objects.none(),
        widget=OnDemandSelectMultiple("people", url_name="api:message-recipients"),
        error_messages={
            # a person the sender may not reach is not among the choices: the same words
            # as the service's refusal, which say nothing about why
            "invalid_choice": _("You cannot send a message to one of the people you chose."),
            "required": _("Choose at least one person to send to."),
        },
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Write something to send.")},
    )

    def __init__(self, *args: Any, user: User, kind: str = "text", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = selectors.recipient_list(user=user)
        if kind != "text":  # a recording says it; a note is optional
            self.fields["body"].required = False
            self.fields["body"].label = _("Note (optional)")
            self.fields["body"].widget.attrs["rows"] = 2


class BulkForm(forms.Form):
    """The list's checkboxes and the button pressed."""

    ACTIONS = ("trash", "restore", "purge", "read", "unread")
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
