import factory
from django.utils import timezone

from calls.models import Call, CallLeg
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

    # The device legs: the caller's tab from the start, the answering one once answered.
    caller_device = "caller-device-1"
    callee_device = "callee-device-1"
    caller_channel = ""
    callee_channel = ""
    caller_seen_at = None
    callee_seen_at = None
    caller_detached_at = None
    callee_detached_at = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        legs = {
            role: {
                field: kwargs.pop(f"{role}_{field}")
                for field in ("device", "channel", "seen_at", "detached_at")
            }
            for role in ("caller", "callee")
        }
        call = super()._create(model_class, *args, **kwargs)
        CallLeg.objects.create(
            call=call,
            kind=CallLeg.Kind.DEVICE,
            role=CallLeg.Role.CALLER,
            user=call.caller,
            joined_at=call.created_at,
            **legs["caller"],
        )
        if call.answered_at is not None:
            CallLeg.objects.create(
                call=call,
                kind=CallLeg.Kind.DEVICE,
                role=CallLeg.Role.CALLEE,
                user=call.callee,
                joined_at=call.answered_at,
                **legs["callee"],
            )
        return call
