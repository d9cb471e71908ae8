import factory
from django.utils import timezone

from calls.models import Call
from tests.accounts.factories import UserFactory


class CallFactory(factory.django.DjangoModelFactory):
    """An ended, completed call of one minute unless told otherwise."""

    class Meta:
        model = Call

    caller = factory.SubFactory(UserFactory)
    callee = factory.SubFactory(UserFactory)
    media = Call.Media.VIDEO
    state = Call.State.ENDED
    end_reason = Call.EndReason.COMPLETED
    created_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(minutes=2))
    ringing_at = factory.SelfAttribute("created_at")
    answered_at = factory.LazyAttribute(lambda c: c.created_at + timezone.timedelta(seconds=5))
    connected_at = factory.LazyAttribute(
        lambda c: c.answered_at + timezone.timedelta(seconds=1) if c.answered_at else None
    )
    ended_at = factory.LazyAttribute(
        lambda c: (c.connected_at or c.created_at) + timezone.timedelta(seconds=60)
    )
    caller_device = "caller-device-1"
    callee_device = "callee-device-1"
