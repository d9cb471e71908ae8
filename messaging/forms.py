import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts.forms import OnDemandSelectMultiple
from accounts.models import Region, User
from messaging import selectors
from messaging.models import BODY_MAX_LENGTH, CompanySettings
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


class AnnouncementForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Announcement"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    regions = PublicModelMultipleChoiceField(
        label=_("Regions and markets"),
        queryset=Region.objects.none(),
        widget=OnDemandSelectMultiple("regions"),
        help_text=_("Everyone whose profile names one of these receives it, in any company."),
    )
    expires = forms.DateField(
        label=_("Shown until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The announcement disappears after this day."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["regions"].queryset = account_selectors.region_list(user=user)
        if not self.is_bound:
            self.initial.setdefault("expires", timezone.localdate() + timedelta(days=14))

    def clean_expires(self) -> date:
        value = self.cleaned_data["expires"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choose a date in the future."))
        return value

    def expires_at(self) -> datetime:
        """The end of the chosen day in the sender's time zone."""
        zone = zoneinfo.ZoneInfo(self.user.time_zone_name)
        day = self.cleaned_data["expires"] + timedelta(days=1)
        return datetime.combine(day, time.min, tzinfo=zone)


GB = 1024**3


class CompanySettingsForm(forms.Form):
    """A company admin's rules for voice and video mail (sizes in GB of 1024³ bytes)."""

    max_recording_seconds = forms.IntegerField(
        label=_("Longest voice or video mail (seconds)"),
        min_value=CompanySettings.MIN_RECORDING_SECONDS,
        max_value=CompanySettings.MAX_RECORDING_SECONDS,
        help_text=_("From 10 seconds to 600 (10 minutes). Longer recordings are refused."),
        error_messages={
            "required": _("Enter the longest recording in seconds."),
            "invalid": _("Enter a whole number of seconds."),
            "min_value": _("Choose at least 10 seconds."),
            "max_value": _("Choose at most 600 seconds (10 minutes)."),
        },
    )
    quota_gb = forms.DecimalField(
        label=_("Storage for recorded messages (GB)"),
        min_value=Decimal("0.1"),
        max_value=Decimal(1024),
        max_digits=6,
        decimal_places=1,
        help_text=_(
            "From 0.1 GB to 1024 GB. When it is full, new voice and video mail is refused "
            "until old recordings are deleted."
        ),
        error_messages={
            "required": _("Enter the storage quota in GB."),
            "invalid": _("Enter a number of GB, such as 5 or 2.5."),
            "min_value": _("Choose at least 0.1 GB."),
            "max_value": _("Choose at most 1024 GB."),
            "max_decimal_places": _("Use at most one decimal place, such as 2.5."),
            "max_digits": _("Choose at most 1024 GB."),
        },
    )

    def __init__(self, *args: Any, usage: Any = None, **kwargs: Any) -> None:
        if usage is not None:
            kwargs.setdefault(
                "initial",
                {
                    "max_recording_seconds": usage.max_recording_seconds,
                    "quota_gb": (Decimal(usage.quota_bytes) / GB).quantize(Decimal("0.1")),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["max_recording_seconds"].widget.attrs["step"] = 1
        self.fields["quota_gb"].widget.attrs["step"] = "0.1"

    def quota_bytes(self) -> int:
        return int(self.cleaned_data["quota_gb"] * GB)
