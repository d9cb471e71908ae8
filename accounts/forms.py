from typing import TYPE_CHECKING, Any

from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts import roles
from accounts.models import Company, Profile, Region, User, time_zone_names
from uc_web.lib import phones
from uc_web.lib.forms import PublicModelMultipleChoiceField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SignInForm(LoginForm):
    """allauth's sign-in form with one "Forgot your password?" link (the page's own)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this browser")


class SetupForm(forms.Form):
    """First run: the company and its first administrator."""

    company_name = forms.CharField(label=_("Company name"), max_length=200)
    first_name = forms.CharField(label=_("Your first name"), max_length=150)
    last_name = forms.CharField(label=_("Your last name"), max_length=150)
    email = forms.EmailField(label=_("Your email address"))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email address already exists."))
        return email

    def clean(self) -> dict:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class _OnDemandMixin:
    """Renders only the chosen option(s) (and a blank one); the browser loads the rest from
    `data-choices-url` when the list is opened (static/js/choices.js). Validation still
    knows every choice. `kind` names a list of /api/v1/choices/<kind>/, or `url_name` another
    view answering the same shape (e.g. the people one may message)."""

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None, url_name: str = ""):
        super().__init__({**(attrs or {}), "data-choices": kind})  # type: ignore[call-arg]
        self.url_name = url_name

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        from django.urls import reverse

        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        kind = context["widget"]["attrs"]["data-choices"]
        context["widget"]["attrs"].update(
            {
                "data-choices-url": (
                    reverse(self.url_name) if self.url_name else reverse("api:choices", args=[kind])
                ),
                "data-no-results": _("Nothing matches."),
                "data-loading-label": _("Loading…"),
            }
        )
        return context

    choices: Any

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> Any:
        chosen = {str(v) for v in value if v not in (None, "")}
        every = self.choices
        self.choices = [c for c in every if str(c[0]) in chosen or c[0] == ""]
        try:
            return super().optgroups(name, value, attrs)  # type: ignore[misc]
        finally:
            self.choices = every


class OnDemandSelect(_OnDemandMixin, forms.Select):
    pass


class OnDemandSelectMultiple(_OnDemandMixin, forms.SelectMultiple):
    pass


def _model_field(model: type, name: str, **kwargs: Any) -> forms.Field:
    """The form field a model field would get: same label, help text and validators."""
    return model._meta.get_field(name).formfield(**kwargs)


def time_zone_choices(blank_label: str | None = None) -> list[tuple[str, str]]:
    choices = [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]
    return ([("", blank_label)] if blank_label else []) + choices


def country_choices(blank_label: "StrOrPromise") -> "list[tuple[str, StrOrPromise]]":
    return [("", blank_label), *((code, name) for code, name in countries)]


IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
PHONE_FIELDS = ("phone_mobile", "phone_work", "phone_home")


class DetailsForm(forms.Form):
    """Name, job and phone numbers; numbers are read with the user's dialling country."""

    first_name = _model_field(User, "first_name")
    last_name = _model_field(User, "last_name")
    job_title = _model_field(Profile, "job_title")
    department = _model_field(Profile, "department")
    phone_mobile = _model_field(Profile, "phone_mobile", max_length=40)
    phone_work = _model_field(Profile, "phone_work", max_length=40)
    phone_home = _model_field(Profile, "phone_home", max_length=40)

    def __init__(self, *args: Any, dialling_country: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.dialling_country = dialling_country
        hint = (
            _("Numbers without + are read as numbers of %(country)s.")
            % {"country": countries.name(dialling_country)}
            if dialling_country
            else _("Start with + and the country code, e.g. +44 20 7946 0018.")
        )
        for name in PHONE_FIELDS:
            self.fields[name].help_text = hint
            self.fields[name].widget.attrs.update({"type": "tel", "autocomplete": "tel"})

    def _clean_phone(self, name: str) -> str:
        return phones.to_e164(self.cleaned_data.get(name, ""), country=self.dialling_country)

    def clean_phone_mobile(self) -> str:
        return self._clean_phone("phone_mobile")

    def clean_phone_work(self) -> str:
        return self._clean_phone("phone_work")

    def clean_phone_home(self) -> str:
        return self._clean_phone("phone_home")


class PhotoForm(forms.Form):
    """A photo; the image pipeline (uc_web.lib.media) decides whether it is acceptable."""

    photo = forms.FileField(
        label=_("New photo"),
        help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB. It is cropped to a square."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"), widget=OnDemandSelect("time-zones"))
    language = forms.ChoiceField(label=_("Language"))
    date_format = _model_field(Profile, "date_format")
    dialling_country = forms.ChoiceField(
        label=_("Default dialling country"),
        help_text=_("Phone numbers you type without + and a country code belong to this country."),
        widget=OnDemandSelect("countries"),
    )
    ring_timeout_seconds = _model_field(Profile, "ring_timeout_seconds", min_value=5, max_value=120)
    sounds_enabled = _model_field(Profile, "sounds_enabled")
    desktop_notifications = _model_field(Profile, "desktop_notifications")
    away_after_minutes = _model_field(Profile, "away_after_minutes", min_value=1, max_value=240)

    def __init__(self, *args: Any, company: Company | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        zone = company.default_time_zone if company else settings.TIME_ZONE
        self.fields["time_zone"].choices = time_zone_choices(
            _("Company default (%(zone)s)") % {"zone": zone}
        )
        self.fields["time_zone"].required = False
        self.fields["language"].choices = [("", _("Browser default")), *settings.LANGUAGES]
        self.fields["language"].required = False
        self.fields["dialling_country"].choices = country_choices(_("None: always type +"))
        self.fields["dialling_country"].required = False
        self.fields["desktop_notifications"].help_text = _(
            "Your browser asks once whether UC Web may show notifications."
        )


class OptionsForm(forms.Form):
    presence_visibility = _model_field(Profile, "presence_visibility", widget=forms.RadioSelect)
    contact_requests_from = _model_field(Profile, "contact_requests_from", widget=forms.RadioSelect)
    directory_visible_outside = _model_field(Profile, "directory_visible_outside")
    calls_via_server = _model_field(Profile, "calls_via_server")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Model choices include a blank entry for a form field; these have a default.
        for name in ("presence_visibility", "contact_requests_from"):
            field = self.fields[name]
            field.choices = [c for c in field.choices if c[0]]


class RegionsForm(forms.Form):
    regions = PublicModelMultipleChoiceField(
        label=_("Regions and markets"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_(
            "Type to find a country or market; choose as many as you like. "
            "Announcements reach these markets."
        ),
        widget=OnDemandSelectMultiple("regions"),
    )

    def __init__(self, *args: Any, regions: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["regions"].queryset = regions


class CompanyForm(forms.Form):
    name = _model_field(Company, "name")
    address = _model_field(Company, "address", widget=forms.Textarea(attrs={"rows": 3}))
    website = _model_field(Company, "website", assume_scheme="https")
    phone = _model_field(Company, "phone", max_length=40)
    default_time_zone = forms.ChoiceField(
        label=_("Default time zone"),
        help_text=_("New members start with this time zone."),
        widget=OnDemandSelect("time-zones"),
    )
    default_dialling_country = forms.ChoiceField(
        label=_("Default dialling country"),
        required=False,
        help_text=_("New members start with this dialling country."),
        widget=OnDemandSelect("countries"),
    )
    calls_via_server = _model_field(Company, "calls_via_server")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["default_time_zone"].choices = time_zone_choices()
        self.fields["default_dialling_country"].choices = country_choices(_("None"))
        self.fields["phone"].widget.attrs.update({"type": "tel"})
        self.fields["phone"].help_text = _(
            "Without + it is read with the default dialling country."
        )

    def clean_phone(self) -> str:
        country = self.data.get(self.add_prefix("default_dialling_country"), "")
        return phones.to_e164(self.cleaned_data.get("phone", ""), country=str(country))


class SecurityForm(forms.Form):
    mfa_required = forms.BooleanField(
        label=_("Require two-factor sign-in for everyone in the company"),
        required=False,
        help_text=_(
            "Each person then signs in with their password and a code from an authenticator "
            "app or a security key. Anyone who has not set one up is taken to set it up at "
            "their next page, and the administration pages need it too."
        ),
    )


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("New logo"),
        help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB. SVG is not accepted."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )


class MarketForm(forms.Form):
    name = forms.CharField(
        label=_("Market name"), max_length=100, help_text=_('For example "EMEA" or "UK retail".')
    )


ROLE_HELP = {
    roles.COMPANY_ADMIN: _("manages the company profile, users and their roles"),
    roles.CRM_USER: _("keeps CRM records"),
    roles.PSTN_CALLER: _("calls phone numbers from the prepaid balance"),
    roles.ANNOUNCER: _("sends announcements to markets"),
}


class InviteForm(forms.Form):
    """A company admin invites someone: they get an email with a link to join."""

    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (name, f"{label}: {ROLE_HELP[name]}") for name, label in roles.ROLE_LABELS.items()
        ],
        help_text=_("You can change roles later in Company admin."),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email address already exists."))
        return email
