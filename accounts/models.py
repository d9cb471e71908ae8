import zoneinfo
from datetime import timedelta
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone this system knows."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def _image_url(url_name: str, kwargs: dict[str, Any], stored_name: str) -> str:
    # The random file name changes with each upload, so it versions the cached URL.
    version = stored_name.rsplit("/", 1)[-1].split("-", 1)[0][:12]
    return f"{reverse(url_name, kwargs=kwargs)}?v={version}"


def validate_country(value: str) -> None:
    if value and value not in countries:
        raise ValidationError(
            _("%(value)s is not an ISO 3166 country code."), params={"value": value}
        )


class Company(models.Model):
    """A customer organisation; every user but a superuser belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    address = models.TextField(_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    # Names in the default storage, written only by uc_web.lib.media (see services).
    logo_large = models.CharField(_("logo (large)"), max_length=200, blank=True, editable=False)
    logo_small = models.CharField(_("logo (small)"), max_length=200, blank=True, editable=False)
    regions: "models.ManyToManyField[Region, Any]" = models.ManyToManyField(
        "Region",
        verbose_name=_("regions and markets"),
        blank=True,
        related_name="serving_companies",
    )
    default_time_zone = models.CharField(
        _("default time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("New members start with this time zone."),
    )
    default_dialling_country = models.CharField(
        _("default dialling country"),
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text=_("Phone numbers without a country code are read as numbers of this country."),
    )
    calls_via_server = models.BooleanField(
        _("route everyone's calls through the server"),
        default=False,
        help_text=_(
            "Calls go through the media server instead of browser to browser: nobody "
            "learns anyone's network address, and strict networks connect. Uses server "
            "capacity."
        ),
    )
    mfa_required = models.BooleanField(
        _("two-factor sign-in required"),
        default=False,
        help_text=_(
            "Everyone must sign in with a second factor (an authenticator app or a security "
            "key); people without one are sent to set it up before anything else."
        ),
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        # Roles (accounts/roles.py) are built from these.
        permissions = [
            ("manage_company", _("Can manage the company profile and its users")),
            ("use_crm", _("Can keep CRM records")),
            ("call_pstn", _("Can call phone numbers from the prepaid balance")),
            ("send_announcements", _("Can send announcements to markets")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def logo_url_small(self) -> str:
        if not self.logo_small:
            return ""
        return _image_url(
            "accounts:company-logo", {"pk": self.pk, "size": "small"}, self.logo_small
        )

    @property
    def logo_url_large(self) -> str:
        if not self.logo_large:
            return ""
        return _image_url(
            "accounts:company-logo", {"pk": self.pk, "size": "large"}, self.logo_large
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address."""

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can sign in to the admin site."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Unselect this instead of deleting accounts: history is kept."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    invited_at = models.DateTimeField(
        _("invited"),
        null=True,
        blank=True,
        help_text=_("When the invitation e-mail was sent; invited until the first sign-in."),
    )

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | models.Q(company__isnull=False),
                name="user_has_company_unless_superuser",
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        # Said here, on the field, so that forms show this instead of the raw message of
        # the case-insensitive constraint (which full_clean then skips for this field).
        if (
            self.email
            and self.__class__.objects.filter(email__iexact=self.email).exclude(pk=self.pk).exists()
        ):
            raise ValidationError(
                {"email": _("A user with this email address already exists.")}, code="unique"
            )

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0] for p in parts).upper() or self.email[:1].upper()

    @property
    def is_invited(self) -> bool:
        """Invited by an admin and never signed in yet."""
        return self.invited_at is not None and self.last_login is None

    @property
    def _profile_or_none(self) -> "Profile | None":
        # A reverse one-to-one that does not exist raises a subclass of AttributeError.
        return getattr(self, "profile", None)

    @property
    def photo_url_small(self) -> str:
        """URL of the 64 px photo (served after a permission check), or "" for initials."""
        profile = self._profile_or_none
        if profile is None or not profile.avatar_small:
            return ""
        return _image_url("accounts:photo", {"pk": self.pk, "size": "small"}, profile.avatar_small)

    @property
    def photo_url_large(self) -> str:
        """URL of the 256 px photo, or ""."""
        profile = self._profile_or_none
        if profile is None or not profile.avatar_large:
            return ""
        return _image_url("accounts:photo", {"pk": self.pk, "size": "large"}, profile.avatar_large)

    @property
    def default_dialling_country(self) -> str:
        """ISO 3166 alpha-2 code used to read phone numbers typed without a country code."""
        profile = self._profile_or_none
        if profile is not None and profile.dialling_country:
            return profile.dialling_country
        if self.company is not None:
            return self.company.default_dialling_country
        return ""

    @property
    def time_zone_name(self) -> str:
        """The IANA time zone this user's pages are rendered in."""
        profile = self._profile_or_none
        if profile is not None and profile.time_zone:
            return profile.time_zone
        if self.company is not None and self.company.default_time_zone:
            return self.company.default_time_zone
        return settings.TIME_ZONE


class Region(models.Model):
    """A market users belong to: an ISO 3166 country, or a named market of one company."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        MARKET = "market", _("Market")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.CharField(
        _("country code"), max_length=2, blank=True, validators=[validate_country]
    )
    name = models.CharField(_("name"), max_length=100)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="markets",
        null=True,
        blank=True,
        help_text=_("Only for markets: the company that defined it."),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["-kind", "name"]  # a company's own markets before the countries
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(kind="country"),
                name="region_country_code_unique",
            ),
            models.UniqueConstraint(
                "company",
                Lower("name"),
                condition=models.Q(kind="market"),
                name="region_market_name_ci_unique",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="country", company__isnull=True) & ~models.Q(code=""))
                | models.Q(kind="market", company__isnull=False, code=""),
                name="region_country_or_company_market",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What a user sets about themselves: details, photo, preferences, options, regions."""

    class DateFormat(models.TextChoices):
        LONG = "long", _("27 November 2026, 14:05")
        ISO = "iso", _("2026-11-27 14:05")
        DMY = "dmy", _("27/11/2026 14:05")
        MDY = "mdy", _("11/27/2026 2:05 PM")

    class PresenceVisibility(models.TextChoices):
        COMPANY = "company", _("People in my company and my accepted contacts")
        CONTACTS = "contacts", _("My accepted contacts only")
        NOBODY = "nobody", _("Nobody")

    class ContactRequestsFrom(models.TextChoices):
        ANYONE = "anyone", _("Anyone")
        COMPANY = "company", _("People in my company only")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    # Details
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phone_mobile = models.CharField(_("mobile phone"), max_length=20, blank=True)
    phone_work = models.CharField(_("work phone"), max_length=20, blank=True)
    phone_home = models.CharField(_("home phone"), max_length=20, blank=True)
    avatar_large = models.CharField(_("photo (large)"), max_length=200, blank=True, editable=False)
    avatar_small = models.CharField(_("photo (small)"), max_length=200, blank=True, editable=False)
    # Preferences
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    date_format = models.CharField(
        _("date and time format"), max_length=10, choices=DateFormat.choices, default="long"
    )
    dialling_country = models.CharField(
        _("default dialling country"), max_length=2, blank=True, validators=[validate_country]
    )
    ring_timeout_seconds = models.PositiveSmallIntegerField(
        _("ring for (seconds)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text=_("After this many seconds an unanswered call counts as missed."),
    )
    sounds_enabled = models.BooleanField(_("play sounds"), default=True)
    desktop_notifications = models.BooleanField(_("desktop notifications"), default=False)
    away_after_minutes = models.PositiveSmallIntegerField(
        _("away after (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Minutes without activity before your status becomes Away."),
    )
    # Options
    presence_visibility = models.CharField(
        _("who may see my presence"),
        max_length=10,
        choices=PresenceVisibility.choices,
        default="company",
    )
    contact_requests_from = models.CharField(
        _("who may send me contact requests"),
        max_length=10,
        choices=ContactRequestsFrom.choices,
        default="anyone",
    )
    directory_visible_outside = models.BooleanField(
        _("findable by people outside my company"), default=False
    )
    calls_via_server = models.BooleanField(
        _("route my calls through the server"),
        default=False,
        help_text=_(
            "Your calls go through the media server instead of straight to the other "
            "browser: the other person never learns your network address, and calls "
            "connect from strict networks."
        ),
    )
    regions = models.ManyToManyField(
        Region, verbose_name=_("regions and markets"), blank=True, related_name="members"
    )
    # The status chosen by hand (Busy, Do not disturb, Appear offline; blank: automatic)
    # and its text. The presence store holds them too; this copy survives a Redis loss.
    presence_manual = models.CharField(max_length=20, blank=True, editable=False)
    presence_text = models.CharField(max_length=140, blank=True, editable=False)

    # What a user may change about themselves (profile page, API, admin inline).
    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "job_title",
        "department",
        "phone_mobile",
        "phone_work",
        "phone_home",
        "time_zone",
        "language",
        "date_format",
        "dialling_country",
        "ring_timeout_seconds",
        "sounds_enabled",
        "desktop_notifications",
        "away_after_minutes",
        "presence_visibility",
        "contact_requests_from",
        "directory_visible_outside",
        "calls_via_server",
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def has_photo(self) -> bool:
        return bool(self.avatar_small)


class ContactRequest(models.Model):
    """One user asking another to become contacts: accepted, both see each other's presence.

    One not accepted within EXPIRES_AFTER expires: it no longer shows on either side and the
    sender may ask again (a declined request looks pending to its sender until then)."""

    EXPIRES_AFTER: ClassVar[timedelta] = timedelta(days=30)

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contact_requests_sent")
    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="contact_requests_received"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    message = models.CharField(_("message"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "recipient"], name="contact_request_once"),
            models.CheckConstraint(
                condition=~models.Q(sender=models.F("recipient")), name="contact_request_not_self"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "state"], name="contact_request_inbox")]

    def __str__(self) -> str:
        return f"{self.sender} -> {self.recipient} ({self.state})"


class Block(models.Model):
    """`blocker` blocked `blocked`: no requests, no calls, no presence either way."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocked {self.blocked}"


class MonitorMark(models.Model):
    """How one person appears in the owner's Online Monitor: a favourite, or removed."""

    class Kind(models.TextChoices):
        FAVOURITE = "favourite", _("Favourite")
        REMOVED = "removed", _("Removed from the Online Monitor")

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="monitor_marks")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "person"], name="monitor_mark_once"),
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.person} {self.kind}"


class ApiToken(models.Model):
    """A key a program signs in to the API with, named by its owner.

    Only the SHA-256 digest of the key is stored: the key is shown once, when it is made,
    and neither a database dump nor an admin filter can give it back. (Keys are 256 random
    bits, so a fast digest is enough; a slow password hash would only slow every request.)
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the key, shown so its owner can tell which key is which.
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """Something that matters for the security of an account, for the company's admins.

    Rows are only ever added (accounts.audit.record); the users named may later be
    deactivated, so the email address is copied into `subject_email`.
    """

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by e-mail")
        MFA_ADDED = "mfa_added", _("Two-factor method added")
        MFA_REMOVED = "mfa_removed", _("Two-factor method removed")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Recovery codes renewed")
        MFA_REQUIREMENT_CHANGED = "mfa_requirement_changed", _("Two-factor requirement changed")
        ROLES_CHANGED = "roles_changed", _("Roles changed")
        INVITED = "invited", _("Invited")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation withdrawn")
        DEACTIVATED = "deactivated", _("Deactivated")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject_email = models.CharField(_("account"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="audit_company_recent"),
            # "has this account signed in from this address?" (the sign-in throttle)
            models.Index(fields=["subject", "kind", "ip"], name="audit_subject_kind_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.subject_email}"
