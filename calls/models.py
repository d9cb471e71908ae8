from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    """A browser-to-browser call between two users: the server's record of its life.

    Signalling (offer/answer/candidates) is relayed between the two participant devices
    and never stored. A *device* is one browser tab: its websocket's channel name (where
    the server relays to) and a random id the tab keeps across reloads (to resume).
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

    # The caller's device (the tab that started the call) and the callee's answering one.
    caller_device = models.CharField(_("caller device"), max_length=64)
    caller_channel = models.CharField(_("caller channel"), max_length=200, blank=True)
    callee_device = models.CharField(_("answering device"), max_length=64, blank=True)
    callee_channel = models.CharField(_("answering channel"), max_length=200, blank=True)
    # Heartbeats of the two devices while answered; a side that stops is swept.
    caller_seen_at = models.DateTimeField(null=True, blank=True)
    callee_seen_at = models.DateTimeField(null=True, blank=True)
    # When a device's socket went away during the call (cleared when it resumes).
    caller_detached_at = models.DateTimeField(null=True, blank=True)
    callee_detached_at = models.DateTimeField(null=True, blank=True)

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
                condition=Q(state="ringing") | Q(answered_at__isnull=True) | ~Q(callee_device=""),
                name="call_answered_has_device",
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
    def duration(self) -> timedelta | None:
        """How long the two talked: from when media first flowed to the end."""
        if self.connected_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.connected_at
