"""Pages about the security of an account: API tokens and the company's audit log."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import api_tokens, audit
from accounts.models import AuditEvent
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.signed_in import AuthedRequest

TURBO_STREAM = "text/vnd.turbo-stream.html"


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the token is used, e.g. “CRM sync on the office server”."),
    )


@login_required
def tokens(request: AuthedRequest) -> HttpResponse:
    """The user's API tokens: make one (its key shown this once), see use, revoke."""
    form = TokenForm(request.POST or None)
    created = key = None
    if request.method == "POST" and form.is_valid():
        try:
            created, key = api_tokens.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ApplicationError as error:
            form.add_error("name", error.message)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": api_tokens.api_token_list(user=request.user),
        "created": created,
        "key": key,
    }
    if created is not None and TURBO_STREAM in request.headers.get("Accept", ""):
        # The key must never be stored, not even in the session for a redirect: Turbo
        # renders this answer in place (a stream), and a browser without scripts gets the
        # whole page below. Either way it is shown once and never again.
        response = render(request, "accounts/tokens_created.turbo.html", context)
        response["Content-Type"] = f"{TURBO_STREAM}; charset=utf-8"
    else:
        status = 400 if form.is_bound and form.errors else 200
        response = render(request, "accounts/tokens.html", context, status=status)
    if key is not None:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(api_tokens.api_token_list(user=request.user), pk=pk)
    api_tokens.api_token_revoke(token=token, by=request.user)
    messages.success(
        request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect(reverse("accounts:tokens"))


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All events"))] + list(AuditEvent.Kind.choices),
    )
    who = forms.CharField(label=_("Account (email contains)"), required=False, max_length=254)


AUDIT_PAGE_SIZE = 50


@login_required
@permission_required("accounts.manage_company", raise_exception=True)
def audit_log(request: AuthedRequest) -> HttpResponse:
    """The company's security events for its admins, newest first, filterable."""
    form = AuditFilterForm(request.GET or None)
    events = audit.audit_event_list(user=request.user)
    status = 200
    if form.is_bound:
        if form.is_valid():
            if form.cleaned_data["kind"]:
                events = events.filter(kind=form.cleaned_data["kind"])
            if form.cleaned_data["who"]:
                events = events.filter(subject_email__icontains=form.cleaned_data["who"])
        else:
            status = 400
            events = events.none()
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=status,
    )
