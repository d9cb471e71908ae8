from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from accounts import selectors, services
from accounts.forms import SetupForm
from uc_web.lib.exceptions import ApplicationError


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
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(request, "accounts/setup.html", {"form": form})


@login_required
def monitor(request: HttpRequest) -> HttpResponse:
    """The Online Monitor as a page (narrow screens; the sidebar on wide ones)."""
    return render(request, "accounts/monitor.html")
