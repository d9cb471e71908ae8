"""The audit log: recording security events and reading them back for company admins.

Events are recorded by the services that make the change (roles, invitations,
deactivation, tokens) and by the sign-in hooks of the allauth adapter and signals
(accounts.signals); each row names the company whose admins may read it.
"""

from datetime import timedelta

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AuditEvent, Company, User

Kind = AuditEvent.Kind
# A successful sign-in makes its address "known" to the account for this long.
KNOWN_ADDRESS_DAYS = timedelta(days=180)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as allauth's throttle sees it (daphne --proxy-headers)."""
    if request is None:
        return None
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except Exception:  # no address at all (an in-process test client may lack one)
        return None


def record(
    *,
    kind: str,
    subject: User | None,
    actor: User | None = None,
    company: Company | None = None,
    request: HttpRequest | None = None,
    detail: str = "",
    subject_email: str = "",
) -> AuditEvent:
    """Add one event; the company is the subject's unless given."""
    if company is None and subject is not None:
        company_id = subject.company_id
    else:
        company_id = company.pk if company is not None else None
    return AuditEvent.objects.create(
        company_id=company_id,
        kind=kind,
        actor=actor,
        subject=subject,
        subject_email=(subject.email if subject is not None else subject_email)[:254],
        ip=client_ip(request),
        detail=detail[:200],
    )


def audit_event_list(*, user: User) -> QuerySet[AuditEvent]:
    """The events of the company `user` administers, newest first (none for others)."""
    if user.is_superuser:
        qs = AuditEvent.objects.all()
    elif user.company_id is not None and user.has_perm("accounts.manage_company"):
        qs = AuditEvent.objects.filter(company_id=user.company_id)
    else:
        qs = AuditEvent.objects.none()
    return qs.select_related("actor", "subject")


def address_known(*, user: User, ip: str | None) -> bool:
    """Whether `user` has signed in successfully from `ip` lately."""
    if not ip:
        return False
    since = timezone.now() - KNOWN_ADDRESS_DAYS
    return AuditEvent.objects.filter(
        subject=user, kind=Kind.SIGNED_IN, ip=ip, created_at__gte=since
    ).exists()
