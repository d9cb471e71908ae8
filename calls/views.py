from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from calls import selectors, services
from uc_web.lib.signed_in import AuthedRequest


@login_required
def call_log(request: AuthedRequest) -> HttpResponse:
    """The call log; seeing it clears the missed-calls badge."""
    chosen = request.GET.get("filter")
    chosen = chosen if chosen in selectors.FILTERS else ""
    page = Paginator(selectors.call_list(user=request.user, filter=chosen or None), 50).get_page(
        request.GET.get("page")
    )
    services.call_missed_mark_seen(user=request.user)
    return render(
        request,
        "calls/log.html",
        {"page": page, "filter": chosen, "filters": selectors.FILTERS},
    )
