from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts import normalise


class AddressBook(models.Model):
    """A user's named list of contacts; every user has one default book, "Personal"."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="address_books",
    )
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default book"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("address book")
        verbose_name_plural = _("address books")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_default=True),
                name="contacts_one_default_book_per_owner",
            ),
            models.UniqueConstraint(
                "owner", Lower("name"), name="contacts_book_name_unique_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _labelled_list_help(what: str) -> str:
    return f'[{{"label": "…", "value": "…"}}]: {what}'


class Contact(models.Model):
    """A person or company in one address book."""

    book = models.ForeignKey(
        AddressBook,
        verbose_name=_("address book"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    # The book's owner, kept on the row so that search filters one indexed column.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contacts"
    )
    name_prefix = models.CharField(_("title"), max_length=50, blank=True)  # Dr., Mrs.
    given_name = models.CharField(_("first name"), max_length=150, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    family_name = models.CharField(_("last name"), max_length=150, blank=True)
    name_suffix = models.CharField(_("suffix"), max_length=50, blank=True)  # Jr., PhD
    nickname = models.CharField(_("nickname"), max_length=150, blank=True)
    # How the names are said (Japanese yomi, Chinese pinyin): vCard X-PHONETIC-*, Google's
    # "Phonetic … Name" columns.
    phonetic_given_name = models.CharField(_("first name (phonetic)"), max_length=150, blank=True)
    phonetic_middle_name = models.CharField(_("middle name (phonetic)"), max_length=150, blank=True)
    phonetic_family_name = models.CharField(_("last name (phonetic)"), max_length=150, blank=True)
    display_name = models.CharField(_("display name"), max_length=300)
    company = models.CharField(_("company"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=200, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Storage names of the 256 and 64 px WebP files made by uc_web.lib.media; served only
    # through contacts.views.contact_photo, which checks the owner.
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    photo_small = models.CharField(_("small photo"), max_length=200, blank=True, editable=False)
    linked_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("UC Web user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The person's own account on this service, if they have one."),
    )
    uid = models.CharField(_("vCard UID"), max_length=255, blank=True)
    # Short lists that are shown and exported with the contact, never searched on their own.
    urls = models.JSONField(
        _("web pages"), default=list, blank=True, help_text=_labelled_list_help("web pages")
    )
    dates = models.JSONField(
        _("dates"),
        default=list,
        blank=True,
        help_text=_labelled_list_help("anniversaries and other dates, YYYY-MM-DD or --MM-DD"),
    )
    related = models.JSONField(
        _("related people"),
        default=list,
        blank=True,
        help_text=_labelled_list_help("spouse, child, assistant, manager… and their names"),
    )
    ims = models.JSONField(
        _("instant messaging"),
        default=list,
        blank=True,
        help_text=_labelled_list_help("service (skype, xmpp…) and handle"),
    )
    # vCard properties we have no field for (GEO, LABEL, a PHOTO given as a link, X-…), as
    # content lines: written back unchanged when the book is exported as vCard.
    vcard_extra = models.JSONField(default=list, blank=True, editable=False)
    # Folded (lower-case, accent-free) names, company and e-mails, and the digits of every
    # phone number in international and national form; searched with LIKE '%…%', which a
    # pg_trgm index serves on PostgreSQL (migration 0002).
    search_text = models.TextField(default="", editable=False)
    search_phones = models.TextField(default="", editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["display_name", "pk"]
        # In name order, live contacts only: a search for a common word walks this index
        # and stops at the first 20 matches; a rare word uses the pg_trgm index instead.
        indexes = [
            models.Index(
                fields=["owner", "display_name", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="contacts_owner_live_name",
            ),
            models.Index(
                fields=["book", "display_name", "id"],
                condition=models.Q(deleted_at__isnull=True),
                name="contacts_book_live_name",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_month__isnull=True) | models.Q(birth_month__range=(1, 12)),
                name="contacts_birth_month_range",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_day__isnull=True) | models.Q(birth_day__range=(1, 31)),
                name="contacts_birth_day_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def birthday_iso(self) -> str:
        return normalise.birthday_iso(self.birth_year, self.birth_month, self.birth_day)

    @property
    def photo_names(self) -> list[str]:
        return [name for name in (self.photo, self.photo_small) if name]

    @property
    def is_on_net(self) -> bool:
        return self.linked_user_id is not None


class Phone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        WORK = "work", _("Work")
        HOME = "home", _("Home")
        MAIN = "main", _("Main")
        FAX = "fax", _("Work fax")
        HOME_FAX = "home_fax", _("Home fax")
        PAGER = "pager", _("Pager")
        CAR = "car", _("Car")
        ISDN = "isdn", _("ISDN")
        ASSISTANT = "assistant", _("Assistant")
        CALLBACK = "callback", _("Callback")
        RADIO = "radio", _("Radio")
        TELEX = "telex", _("Telex")
        TEXTPHONE = "textphone", _("Textphone (TTY/TDD)")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    # E.164 when verified; otherwise the number as it was typed (uc_web.lib.phones).
    number = models.CharField(_("number"), max_length=64)
    # Dialled after the call connects: an extension ("102") or pauses and DTMF (",,1234#").
    extension = models.CharField(_("extension or keys"), max_length=32, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)  # "Zentrale"
    verified = models.BooleanField(
        _("verified"),
        default=True,
        help_text=_(
            "Valid for its country's numbering plan; unverified numbers are kept as typed."
        ),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        # A whole number typed into search is looked up here, not through pg_trgm.
        indexes = [models.Index(fields=["number"], name="contacts_phone_number")]

    def __str__(self) -> str:
        return self.number

    @property
    def display_label(self) -> str:
        return self.label or str(self.get_kind_display())


class Email(models.Model):
    class Kind(models.TextChoices):
        WORK = "work", _("Work")
        HOME = "home", _("Home")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    address = models.EmailField(_("email address"))
    label = models.CharField(_("label"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["address"], name="contacts_email_address")]

    def __str__(self) -> str:
        return self.address

    @property
    def display_label(self) -> str:
        return self.label or str(self.get_kind_display())


class Address(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("type"), max_length=10, choices=Email.Kind.choices, default="home")
    street = models.TextField(_("street"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return ", ".join(p for p in (self.street, self.city, self.country) if p)

    @property
    def display_label(self) -> str:
        return self.label or str(self.get_kind_display())


class ContactGroup(models.Model):
    """A named group of contacts within one address book ("Clients", "Family"): vCard
    CATEGORIES, a vCard 4.0 KIND:group card, an Apple group card, Outlook's Categories."""

    book = models.ForeignKey(
        AddressBook, verbose_name=_("address book"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=100)
    uid = models.CharField(_("vCard UID"), max_length=255, blank=True)
    members = models.ManyToManyField(
        Contact, verbose_name=_("members"), related_name="groups", blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contact group")
        verbose_name_plural = _("contact groups")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "book", Lower("name"), name="contacts_group_name_unique_per_book"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContactImport(models.Model):
    """One uploaded file on its way into an address book; its row is the import's truth."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Duplicates(models.TextChoices):
        SKIP = "skip", _("Skip contacts I already have")
        MERGE = "merge", _("Merge them into the contacts I have")
        CREATE = "create", _("Import them as new contacts")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_imports"
    )
    book = models.ForeignKey(
        AddressBook,
        verbose_name=_("address book"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="imports",
    )
    file = models.FileField(upload_to="contacts/imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=20)  # vcard, outlook, google, thunderbird, custom
    # The language of an Outlook export ("de"), which also says how its dates are written.
    language = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=20)
    mapping = models.JSONField(default=list, blank=True)
    # Numbers without a country code are read as numbers of this country; "" until known.
    country = models.CharField(
        _("country of numbers without a country code"), max_length=2, blank=True
    )
    country_source = models.CharField(max_length=10, blank=True)  # user, company, file, chosen
    # How the file writes dates that are not ISO: "mdy" (3/14/1981), "dmy", "ymd".
    date_order = models.CharField(max_length=3, default="mdy")
    # Columns of a CSV file that held values but were mapped to nothing.
    ignored_columns = models.JSONField(default=list, blank=True)
    # Whether the mapping was the one this user chose before for the same columns.
    mapping_remembered = models.BooleanField(default=False)
    groups_created = models.PositiveIntegerField(default=0)
    duplicates = models.CharField(
        _("duplicates"), max_length=10, choices=Duplicates.choices, default=Duplicates.SKIP
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [{"line": 17, "name": "…", "reason": "…", "whole": true}] — whole=false: fields left out
    rejected = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportMapping(models.Model):
    """The column mapping a user chose for CSV files with one header, offered again the next
    time a file with the same header is uploaded."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_import_mappings"
    )
    header_key = models.CharField(max_length=64)  # sha256 of the header's cells
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "header_key"], name="contacts_one_mapping_per_header"
            )
        ]

    def __str__(self) -> str:
        return ", ".join(self.header[:3])
