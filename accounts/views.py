from typing import Any

from allauth.account.views import PasswordResetFromKeyView
from allauth.account.views._password_reset import INTERNAL_RESET_SESSION_KEY
from asgiref.sync import async_to_sync
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts import presence, selectors, services
from accounts.forms import (
    PHONE_FIELDS,
    CompanyForm,
    DetailsForm,
    InviteForm,
    LogoForm,
    MarketForm,
    OptionsForm,
    PhotoForm,
    PreferencesForm,
    RegionsForm,
    SecurityForm,
    SetupForm,
)
from accounts.models import Company, Profile
from uc_web.lib import media, phones
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.signed_in import AuthedRequest


@sensitive_post_parameters("password1", "password2")
def setup(request: HttpRequest) -> HttpResponse:
    """First run: create the company and its admin, then sign the admin in."""
    if selectors.company_exists():
        return redirect("home")
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.company_setup(
                company_name=data["company_name"],
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend="accounts.backends.ModelBackend")
            return redirect("home")
    return render(request, "accounts/setup.html", {"form": form})


@login_required
def monitor(request: AuthedRequest) -> HttpResponse:
    """The Online Monitor as a page (narrow screens; the sidebar on wide ones), with the
    people the user blocked."""
    return render(
        request, "accounts/monitor.html", {"blocks": selectors.block_list(user=request.user)}
    )


@require_GET
@login_required
def person(request: AuthedRequest, pk: int) -> HttpResponse:
    """A person's card: details, status if I may see it, and what I can do about them."""
    from contacts import selectors as contact_selectors

    user = request.user
    someone = get_object_or_404(
        selectors.person_list(user=user).select_related("profile", "company"), pk=pk
    )
    entry = selectors.monitor_entry(user=user, person_id=pk)
    snap = async_to_sync(presence.get_store().snapshot)([pk], now=presence.clock())[pk]
    visible = entry is not None and entry.visible
    public = (snap if visible else presence.OFFLINE).public()
    related = entry is not None and entry.relation != "pending"
    context = {
        "person": someone,
        "entry": entry,
        "state": public["state"],
        "state_label": presence.State(public["state"]).label,
        "status_text": public["text"],
        # phone numbers are for colleagues and accepted contacts
        "show_details": related,
        "incoming": selectors.contact_request_inbox(user=user).filter(sender=someone).first(),
        "blocked": selectors.block_list(user=user).filter(blocked=someone).exists(),
        "linked_contacts": contact_selectors.contact_list(user=user).filter(linked_user=someone),
        "is_me": someone.pk == user.pk,
        "may_message": selectors.may_reach(user=user, other=someone),
    }
    return render(request, "accounts/person.html", context)


PERSON_ACTIONS = (
    "add",
    "remove",
    "favourite",
    "unfavourite",
    "block",
    "unblock",
    "accept",
    "decline",
)


@require_POST
@login_required
def person_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """The person card's buttons (the Online Monitor does the same through the API)."""
    user = request.user
    if action not in PERSON_ACTIONS:
        raise Http404
    if action == "unblock":
        block = get_object_or_404(selectors.block_list(user=user), blocked_id=pk)
        services.block_delete(blocker=user, blocked=block.blocked)
        messages.success(request, _("%(name)s is no longer blocked.") % {"name": block.blocked})
        return redirect("accounts:monitor")
    if action in ("accept", "decline"):
        waiting = get_object_or_404(selectors.contact_request_inbox(user=user), sender_id=pk)
        if action == "accept":
            services.contact_request_accept(request=waiting, by=user)
            messages.success(request, _("%(name)s is now your contact.") % {"name": waiting.sender})
        else:
            services.contact_request_decline(request=waiting, by=user)
            messages.success(request, _("Request declined. They are not told."))
        return redirect(_return_to(request, "accounts:person", pk=pk))
    someone = get_object_or_404(selectors.monitor_addable(user=user), pk=pk)
    try:
        if action == "add":
            sent = services.monitor_add(
                user=user, person=someone, message=request.POST.get("message", "")[:200]
            )
            messages.success(
                request,
                _("Contact request sent. They appear once they accept.")
                if sent
                else _("Added to your Online Monitor."),
            )
        elif action == "remove":
            services.monitor_remove(user=user, person=someone)
            messages.success(request, _("Removed from your Online Monitor."))
        elif action in ("favourite", "unfavourite"):
            services.monitor_favourite_set(
                user=user, person=someone, favourite=action == "favourite"
            )
        else:
            services.block_create(blocker=user, blocked=someone)
            messages.success(request, _("%(name)s is blocked.") % {"name": someone})
            return redirect("accounts:monitor")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("accounts:person", pk=pk)


def _return_to(request: AuthedRequest, name: str, **kwargs: Any) -> str:
    """The page the form asked to return to (`next`, on this site only), else `name`."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(name, kwargs=kwargs)


PROFILE_SECTIONS = ("details", "photo", "preferences", "options", "regions")


def _profile_forms(request: AuthedRequest, profile: Profile, bound: str | None) -> dict[str, Any]:
    """The profile page's forms; only the submitted section is bound to the POST data."""
    user = request.user

    def data(section: str) -> dict[str, Any]:
        if section != bound:
            return {}
        return {"data": request.POST, "files": request.FILES}

    return {
        "details": DetailsForm(
            **data("details"),
            prefix="details",
            dialling_country=user.default_dialling_country,
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "job_title": profile.job_title,
                "department": profile.department,
                # Shown for reading ("+44 20 7946 0018"); saved again as E.164.
                **{f: phones.international(getattr(profile, f)) for f in PHONE_FIELDS},
            },
        ),
        "photo": PhotoForm(**data("photo"), prefix="photo"),
        "preferences": PreferencesForm(
            **data("preferences"),
            prefix="preferences",
            company=user.company,
            initial={f: getattr(profile, f) for f in PreferencesForm.base_fields},
        ),
        "options": OptionsForm(
            **data("options"),
            prefix="options",
            initial={f: getattr(profile, f) for f in OptionsForm.base_fields},
        ),
        "regions": RegionsForm(
            **data("regions"),
            prefix="regions",
            regions=selectors.region_list(user=user),
            initial={"regions": list(profile.regions.all())},
        ),
    }


def _save_profile_section(request: AuthedRequest, section: str, form: forms.Form) -> None:
    user = request.user
    if section == "photo":
        services.profile_photo_set(user=user, upload=form.cleaned_data["photo"])
    elif section == "regions":
        services.profile_regions_set(user=user, regions=form.cleaned_data["regions"])
    else:
        services.profile_update(user=user, data=form.cleaned_data)


SAVED_MESSAGES = {
    "details": _("Your details are saved."),
    "photo": _("Your new photo is saved."),
    "preferences": _("Your preferences are saved."),
    "options": _("Your options are saved."),
    "regions": _("Your regions are saved."),
}


def _is_valid(request: AuthedRequest, form: forms.Form) -> bool:
    """form.is_valid(), saying "too large" for a file the upload limit skipped."""
    valid = form.is_valid()
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField) and media.too_large(request, form.add_prefix(name)):
            form.errors[name] = form.error_class([media.too_large_message()])
            valid = False
    return valid


@login_required
@media.limit_uploads
def profile(request: AuthedRequest) -> HttpResponse:
    """The personal profile: details, photo, preferences, options and regions."""
    services.profile_ensure(user=request.user)
    profile = selectors.profile_get(user=request.user)
    section = request.POST.get("section") if request.method == "POST" else None
    if section is not None and section not in PROFILE_SECTIONS:
        return HttpResponseBadRequest()
    forms_ = _profile_forms(request, profile, section)
    if section is not None:
        form = forms_[section]
        if _is_valid(request, form):
            try:
                _save_profile_section(request, section, form)
            except ApplicationError as error:
                form.add_error("photo" if section == "photo" else None, error.message)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, SAVED_MESSAGES[section])
                return redirect(reverse("accounts:profile") + f"#{section}")
    status = 400 if section is not None else 200
    return render(
        request,
        "accounts/profile.html",
        {"profile": profile, "forms": forms_},
        status=status,
    )


@require_POST
@login_required
def profile_photo_remove(request: AuthedRequest) -> HttpResponse:
    services.profile_photo_remove(user=request.user)
    messages.success(request, _("Your photo is removed."))
    return redirect(reverse("accounts:profile") + "#photo")


def _image_response(name: str) -> FileResponse:
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(
        default_storage.open(name, "rb"), content_type=media.OUTPUT_CONTENT_TYPE
    )
    # The URL carries a version, so the browser may keep it; only this user's browser.
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_GET
@login_required
def photo(request: AuthedRequest, pk: int, size: str) -> FileResponse:
    """A user's photo, to those who may see that user (their company, for now)."""
    if size not in media.SIZES:
        raise Http404
    person = get_object_or_404(
        selectors.person_list(user=request.user).select_related("profile"), pk=pk
    )
    profile = person._profile_or_none
    return _image_response(getattr(profile, f"avatar_{size}", "") if profile else "")


@require_GET
@login_required
def company_logo(request: AuthedRequest, pk: int, size: str) -> FileResponse:
    """The company's logo, to its members."""
    if size not in media.SIZES:
        raise Http404
    if not request.user.is_superuser and request.user.company_id != pk:
        raise Http404
    company = get_object_or_404(Company, pk=pk)
    return _image_response(getattr(company, f"logo_{size}"))


COMPANY_SECTIONS = ("details", "logo", "regions", "market", "security")


@login_required
@permission_required("accounts.manage_company", raise_exception=True)
@media.limit_uploads
def company(request: AuthedRequest) -> HttpResponse:
    """The company profile, for its admins: details, logo, regions, markets and defaults."""
    company = selectors.company_get(user=request.user)
    if company is None:
        raise Http404
    section = request.POST.get("section") if request.method == "POST" else None
    if section is not None and section not in COMPANY_SECTIONS:
        return HttpResponseBadRequest()

    def data(name: str) -> dict[str, Any]:
        return {"data": request.POST, "files": request.FILES} if name == section else {}

    forms_: dict[str, forms.Form] = {
        "details": CompanyForm(
            **data("details"),
            prefix="company",
            initial={
                **{f: getattr(company, f) for f in CompanyForm.base_fields},
                "phone": phones.international(company.phone),
            },
        ),
        "logo": LogoForm(**data("logo"), prefix="logo"),
        "regions": RegionsForm(
            **data("regions"),
            prefix="regions",
            regions=selectors.region_list(user=request.user),
            initial={"regions": list(company.regions.all())},
        ),
        "market": MarketForm(**data("market"), prefix="market"),
        "security": SecurityForm(
            **data("security"), prefix="security", initial={"mfa_required": company.mfa_required}
        ),
    }
    if section is not None:
        form = forms_[section]
        if _is_valid(request, form):
            try:
                if section == "details":
                    services.company_update(
                        company=company, by=request.user, data=form.cleaned_data
                    )
                elif section == "logo":
                    services.company_logo_set(
                        company=company, by=request.user, upload=form.cleaned_data["logo"]
                    )
                elif section == "security":
                    services.company_mfa_required_set(
                        company=company,
                        by=request.user,
                        required=form.cleaned_data["mfa_required"],
                        request=request,
                    )
                elif section == "regions":
                    services.company_regions_set(
                        company=company, by=request.user, regions=form.cleaned_data["regions"]
                    )
                else:
                    services.market_create(
                        company=company, by=request.user, name=form.cleaned_data["name"]
                    )
            except ApplicationError as error:
                form.add_error({"logo": "logo", "market": "name"}.get(section), error.message)
            else:
                messages.success(request, _("The company profile is saved."))
                return redirect(reverse("accounts:company") + f"#{section}")
    return render(
        request,
        "accounts/company.html",
        {
            "company": company,
            "forms": forms_,
            "markets": selectors.market_list(user=request.user),
        },
        status=400 if section is not None else 200,
    )


@require_POST
@login_required
@permission_required("accounts.manage_company", raise_exception=True)
def company_logo_remove(request: AuthedRequest) -> HttpResponse:
    company = selectors.company_get(user=request.user)
    if company is None:
        raise Http404
    services.company_logo_remove(company=company, by=request.user)
    messages.success(request, _("The logo is removed."))
    return redirect(reverse("accounts:company") + "#logo")


@require_POST
@login_required
@permission_required("accounts.manage_company", raise_exception=True)
def market_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    region = get_object_or_404(selectors.market_list(user=request.user), pk=pk)
    services.market_delete(region=region, by=request.user)
    messages.success(request, _("The market is deleted."))
    return redirect(reverse("accounts:company") + "#regions")


# --- users and invitations (the app's page; Django admin does the same through services) --


def _base_url(request: AuthedRequest) -> str:
    return request.build_absolute_uri("/")


@login_required
@permission_required("accounts.manage_company", raise_exception=True)
def users(request: AuthedRequest) -> HttpResponse:
    """The company's people for its admins: invite someone, and the invitations waiting."""
    company = selectors.company_get(user=request.user)
    if company is None:
        raise Http404
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invited = services.user_invite(
                company=company,
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles_=data["roles"],
                base_url=_base_url(request),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("An invitation was sent to %(email)s.") % {"email": invited.email}
            )
            return redirect(reverse("accounts:users") + "#invitations")
    return render(
        request,
        "accounts/users.html",
        {
            "company": company,
            "form": form,
            "members": selectors.member_list(user=request.user),
            "invitations": selectors.invitation_list(user=request.user),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@login_required
@permission_required("accounts.manage_company", raise_exception=True)
def invitation_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """Resend or revoke an invitation of the admin's own company."""
    if action not in ("resend", "revoke"):
        raise Http404
    invited = get_object_or_404(selectors.invitation_list(user=request.user), pk=pk)
    try:
        if action == "resend":
            services.user_invitation_resend(
                user=invited, by=request.user, base_url=_base_url(request)
            )
            messages.success(
                request, _("The invitation was sent again to %(email)s.") % {"email": invited}
            )
        else:
            email = invited.email
            services.user_invitation_revoke(user=invited, by=request.user)
            messages.success(
                request,
                _("The invitation of %(email)s is withdrawn; its link no longer works.")
                % {"email": email},
            )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("accounts:users") + "#invitations")


class JoinView(PasswordResetFromKeyView):
    """The link of an invitation: the person sets a password, is signed in and welcomed.

    allauth's set-password-from-a-key page (the same one-time token, moved off the URL
    before the form shows), worded for joining, for invited people only."""

    template_name = "accounts/join.html"

    def _refuse_unless_invited(self) -> HttpResponse | None:
        user = getattr(self, "reset_user", None)
        if user is None or not user.is_invited or not user.is_active:
            self.reset_user = None
            return self.render_to_response(self.get_context_data(token_fail=True))
        return None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._refuse_unless_invited() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._refuse_unless_invited() or super().post(request, *args, **kwargs)

    def get_form(self, form_class: Any = None) -> forms.Form:
        form = super().get_form(form_class)
        for name, label in (("password1", _("Password")), ("password2", _("Password (again)"))):
            form.fields[name].label = label
            form.fields[name].widget.attrs["placeholder"] = label
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["invited"] = getattr(self, "reset_user", None)
        context["action_url"] = reverse(
            "accounts:join", kwargs={"uidb36": self.kwargs["uidb36"], "key": self.kwargs["key"]}
        )
        return context

    def form_valid(self, form: Any) -> HttpResponse:  # allauth's ResetPasswordKeyForm
        user = self.reset_user
        form.save()  # through the account adapter: services.user_set_password
        self.request.session.pop(INTERNAL_RESET_SESSION_KEY, None)
        login(self.request, user, backend="accounts.backends.ModelBackend")
        return redirect("welcome")


join = JoinView.as_view()
