from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    """A call between two users: the server's record of its life.

    Who takes part is in its legs (CallLeg): the caller's device, the device that
    answered, and, for a relayed call, the relay session. The state changes only as
    calls.transitions allows. Signalling (offer/answer/candidates) is relayed between the
    legs and never stored.
    """

    class Media(models.TextChoices):
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")

    class State(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", _("Ended")

    class EndReason(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        BUSY = "busy", _("Busy")
        NO_ANSWER = "no_answer", _("No answer")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Connection failed")
        MEDIA_LOST = "media_lost", _("Media server unavailable")

    class RelayReason(models.TextChoices):
        USER = "user", _("the caller's or callee's setting")
        COMPANY = "company", _("the company's setting")
        ICE = "ice", _("no direct connection")

    class Voicemail(models.TextChoices):
        OFFERED = "offered", _("Leave a message offered")
        RECORDING = "recording", _("Leaving a message")
        LEFT = "left", _("Left a message")
        DISCARDED = "discarded", _("Message not delivered")

    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller"),
        on_delete=models.PROTECT,
        related_name="calls_made",
    )
    callee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("callee"),
        on_delete=models.PROTECT,
        related_name="calls_received",
    )
    media = models.CharField(_("media"), max_length=5, choices=Media.choices)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RINGING)
    end_reason = models.CharField(
        _("end reason"), max_length=10, choices=EndReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ringing_at = models.DateTimeField(_("ringing since"), null=True, blank=True)
    ring_expires_at = models.DateTimeField(_("rings until"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # When media first flowed (a participant device reported its connection up): the
    # duration counts from here, and a call that never got here ends failed.
    connected_at = models.DateTimeField(_("connected"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    # Routed through the media relay (calls.relay) instead of browser to browser, and why.
    relay_reason = models.CharField(
        _("relayed because"), max_length=8, choices=RelayReason.choices, blank=True
    )

    # Voicemail (calls.transitions.VOICEMAIL): the caller of a call that could not be
    # answered is offered to leave a message; the relay records it into the callee's inbox.
    voicemail = models.CharField(
        _("voicemail"), max_length=9, choices=Voicemail.choices, blank=True, default=""
    )
    voicemail_message = models.ForeignKey(
        "messaging.Message",
        verbose_name=_("message left"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    voicemail_note = models.CharField(_("voicemail note"), max_length=200, blank=True)

    missed_seen = models.BooleanField(
        _("missed call seen"),
        default=False,
        help_text=_("The callee has seen this missed call in the call log."),
    )

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["caller", "-created_at"], name="call_caller_created"),
            models.Index(fields=["callee", "-created_at"], name="call_callee_created"),
            models.Index(fields=["state"], name="call_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(caller=models.F("callee")), name="call_not_self"),
            models.CheckConstraint(
                condition=(Q(state="ended") & ~Q(end_reason="") & Q(ended_at__isnull=False))
                | (~Q(state="ended") & Q(end_reason="")),
                name="call_end_reason_iff_ended",
            ),
            models.CheckConstraint(
                condition=Q(connected_at__isnull=True) | Q(answered_at__isnull=False),
                name="call_connected_after_answer",
            ),
            models.CheckConstraint(
                condition=~Q(end_reason="completed") | Q(connected_at__isnull=False),
                name="call_completed_was_connected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller} → {self.callee} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state != self.State.ENDED

    @property
    def is_missed(self) -> bool:
        """Rang (or was cancelled while ringing) without an answer: missed for the callee."""
        return self.state == self.State.ENDED and self.end_reason in (
            self.EndReason.NO_ANSWER,
            self.EndReason.CANCELLED,
        )

    @property
    def never_connected(self) -> bool:
        """Answered (or not) but no media ever flowed."""
        return self.connected_at is None

    @property
    def outcome_label(self) -> str:
        """The end reason as the log says it; a failed call that never carried media
        "Could not connect", one that dropped "Connection failed"."""
        if self.end_reason == self.EndReason.FAILED and self.connected_at is None:
            return str(_("Could not connect"))
        return str(self.get_end_reason_display()) if self.end_reason else ""

    @property
    def voicemail_left(self) -> bool:
        return self.voicemail == self.Voicemail.LEFT

    @property
    def recording_voicemail(self) -> bool:
        return self.voicemail == self.Voicemail.RECORDING

    @property
    def relayed(self) -> bool:
        return bool(self.relay_reason)

    def leg(self, role: str) -> "CallLeg | None":
        """This call's leg in `role` (from the prefetched legs when they were loaded)."""
        return next((leg for leg in self.legs.all() if leg.role == role), None)

    @property
    def caller_leg(self) -> "CallLeg | None":
        return self.leg(CallLeg.Role.CALLER)

    @property
    def callee_leg(self) -> "CallLeg | None":
        return self.leg(CallLeg.Role.CALLEE)

    @property
    def relay_leg(self) -> "CallLeg | None":
        return self.leg(CallLeg.Role.RELAY)

    @property
    def duration(self) -> timedelta | None:
        """How long the two talked: from when media first flowed to the end."""
        if self.connected_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.connected_at


class CallLeg(models.Model):
    """One participant of a call: where its media and signals go.

    A *device* leg is one browser tab of a person: its websocket's channel name (where
    the server relays signals to; never sent to clients) and a random id the tab keeps
    across reloads (to resume). A *relay* leg is a session on a media relay worker
    (calls.relay), addressed the same way: by a channel name. Phone and forwarded legs
    (a number through the SIP trunk) come with the PSTN and FollowMe! features.
    """

    class Kind(models.TextChoices):
        DEVICE = "device", _("Browser")
        RELAY = "relay", _("Media relay")
        PHONE = "phone", _("Phone")
        FORWARDED = "forwarded", _("Forwarded")

    class Role(models.TextChoices):
        CALLER = "caller", _("Caller")
        CALLEE = "callee", _("Callee")
        RELAY = "relay", _("Relay")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="legs")
    kind = models.CharField(_("kind"), max_length=9, choices=Kind.choices)
    role = models.CharField(_("role"), max_length=6, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_legs",
    )
    # Device legs: the tab's own id; relay legs: the session id on its worker.
    device = models.CharField(_("device"), max_length=64)
    channel = models.CharField(_("channel"), max_length=200, blank=True)
    # Relay legs: which worker carries the session.
    worker = models.CharField(_("relay worker"), max_length=100, blank=True)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    # Heartbeats while the call is active; a leg that stops is swept.
    seen_at = models.DateTimeField(null=True, blank=True)
    # When the leg's socket went away during the call (cleared when it resumes).
    detached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("call leg")
        verbose_name_plural = _("call legs")
        ordering = ["call", "joined_at", "pk"]
        indexes = [models.Index(fields=["user", "channel"], name="callleg_user_channel")]
        constraints = [
            models.UniqueConstraint(fields=["call", "role"], name="callleg_one_per_role"),
            models.CheckConstraint(
                condition=~Q(kind="device") | Q(user__isnull=False),
                name="callleg_device_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.get_kind_display()} of call {self.call_id}"


class VoicemailBox(models.Model):
    """A person's voicemail: whether callers may leave a message, and their greeting.

    The greeting is a recording checked and stored by messaging's pipeline
    (messaging.media.recording_store); it is served only to its owner (calls.views) and
    played to callers by the relay's voicemail session.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="voicemail_box",
    )
    enabled = models.BooleanField(
        _("let callers leave a message"),
        default=True,
        help_text=_(
            "When you decline, miss or cannot take a call, the caller may leave a message."
        ),
    )
    greeting = models.CharField(max_length=200, blank=True, editable=False)
    greeting_content_type = models.CharField(max_length=100, blank=True, editable=False)
    greeting_bytes = models.PositiveBigIntegerField(default=0, editable=False)
    greeting_duration_ms = models.PositiveIntegerField(default=0, editable=False)
    greeting_poster = models.CharField(max_length=200, blank=True, editable=False)
    greeting_video = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    GREETING_MAX_SECONDS = 60

    class Meta:
        verbose_name = _("voicemail box")
        verbose_name_plural = _("voicemail boxes")

    def __str__(self) -> str:
        return f"Voicemail of {self.user}"


class RelayWorker(models.Model):
    """A running media relay worker (`manage.py relay`, or the one `make run` embeds).

    Each worker writes its row every RELAY_HEARTBEAT_SECONDS with its load (open
    sessions); a row not written for RELAY_STALE_SECONDS is a worker gone. New sessions go
    to the least loaded live worker (calls.relay).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=200)
    host = models.CharField(_("host"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("process id"), default=0)
    load = models.PositiveIntegerField(_("open sessions"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    seen_at = models.DateTimeField(_("last heartbeat"), default=timezone.now)

    class Meta:
        verbose_name = _("relay worker")
        verbose_name_plural = _("relay workers")
        indexes = [models.Index(fields=["seen_at"], name="relayworker_seen")]

    def __str__(self) -> str:
        return self.name
