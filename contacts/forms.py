from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User
from contacts import services
from contacts.formats import csvfile, records
from contacts.models import AddressBook, Contact, ContactImport, Email, Phone
from uc_web.lib.forms import PublicModelChoiceField

PHONE_ROWS = 3
EMAIL_ROWS = 2


class BookForm(forms.Form):
    name = forms.CharField(label=_("Book name"), max_length=100)


# Rows of (label, value) for the labelled lists of a contact, with their legends.
LIST_ROWS = {
    "urls": (_("Web page"), _("Label (work, home, blog…)")),
    "dates": (_("Date"), _("Label (anniversary…)")),
    "related": (_("Related person"), _("Relation (spouse, child, assistant…)")),
    "ims": (_("Messaging handle"), _("Service (Skype, XMPP…)")),
}


class ContactForm(forms.Form):
    """A contact with a few rows of phone numbers, e-mails, web pages, dates, related
    people and messaging handles (one more than it has)."""

    name_prefix = forms.CharField(label=_("Title"), max_length=50, required=False)
    given_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=150, required=False)
    family_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    name_suffix = forms.CharField(label=_("Suffix"), max_length=50, required=False)
    nickname = forms.CharField(label=_("Nickname"), max_length=150, required=False)
    # (Labels that do not contain "First name" or "Last name": people and tests look for
    # those fields by their labels.)
    phonetic_given_name = forms.CharField(
        label=_("Phonetic given name"), max_length=150, required=False
    )
    phonetic_middle_name = forms.CharField(
        label=_("Phonetic middle name"), max_length=150, required=False
    )
    phonetic_family_name = forms.CharField(
        label=_("Phonetic surname"), max_length=150, required=False
    )
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    department = forms.CharField(label=_("Department"), max_length=200, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    role = forms.CharField(label=_("Role"), max_length=200, required=False)
    book = PublicModelChoiceField(label=_("Address book"), queryset=AddressBook.objects.none())
    groups = forms.CharField(
        label=_("Groups"),
        required=False,
        max_length=1000,
        help_text=_("Groups of the address book, separated by commas; new ones are created."),
    )
    street = forms.CharField(label=_("Street"), required=False, widget=forms.Textarea({"rows": 2}))
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.CharField(label=_("Country"), max_length=100, required=False)
    birthday = forms.CharField(
        label=_("Birthday"),
        required=False,
        help_text=_("YYYY-MM-DD, or --MM-DD without the year."),
        max_length=10,
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 3}))
    linked_user = PublicModelChoiceField(
        label=_("UC Web user"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Link the contact to a colleague's account to call them for free."),
    )
    # A plain file field: the image pipeline (uc_web.lib.media) decides what is acceptable
    # and says why not.
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB. It is cropped to a square."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    def __init__(
        self,
        *args: Any,
        books: Any,
        linkable: Any,
        phone_rows: int = PHONE_ROWS,
        email_rows: int = EMAIL_ROWS,
        list_rows: dict[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books
        self.fields["linked_user"].queryset = linkable
        self.phone_rows = phone_rows
        self.email_rows = email_rows
        self.list_rows = {name: (list_rows or {}).get(name, 1) for name in LIST_ROWS}
        for i in range(phone_rows):
            self.fields[f"phone_{i}_kind"] = forms.ChoiceField(
                label=_("Phone %(n)s type") % {"n": i + 1},
                choices=Phone.Kind.choices,
                required=False,
            )
            self.fields[f"phone_{i}_number"] = forms.CharField(
                label=_("Phone %(n)s") % {"n": i + 1}, max_length=64, required=False
            )
            self.fields[f"phone_{i}_label"] = forms.CharField(
                label=_("Phone %(n)s label") % {"n": i + 1}, max_length=100, required=False
            )
        for i in range(email_rows):
            self.fields[f"email_{i}_kind"] = forms.ChoiceField(
                label=_("Email %(n)s type") % {"n": i + 1},
                choices=Email.Kind.choices,
                required=False,
            )
            self.fields[f"email_{i}_address"] = forms.CharField(
                label=_("Email %(n)s") % {"n": i + 1}, max_length=254, required=False
            )
            self.fields[f"email_{i}_label"] = forms.CharField(
                label=_("Email %(n)s label") % {"n": i + 1}, max_length=100, required=False
            )
        for name, (legend, label_help) in LIST_ROWS.items():
            for i in range(self.list_rows[name]):
                self.fields[f"{name}_{i}_value"] = forms.CharField(
                    label=f"{legend} {i + 1}", max_length=500, required=False
                )
                self.fields[f"{name}_{i}_label"] = forms.CharField(
                    label=f"{label_help} {i + 1}", max_length=100, required=False
                )

    def phone_fields(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"phone_{i}_kind"], self[f"phone_{i}_number"], self[f"phone_{i}_label"])
            for i in range(self.phone_rows)
        ]

    def email_fields(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"email_{i}_kind"], self[f"email_{i}_address"], self[f"email_{i}_label"])
            for i in range(self.email_rows)
        ]

    def list_fields(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        return [
            (
                str(legend),
                [
                    (self[f"{name}_{i}_value"], self[f"{name}_{i}_label"])
                    for i in range(self.list_rows[name])
                ],
            )
            for name, (legend, _help) in LIST_ROWS.items()
        ]

    def to_input(self) -> services.ContactInput:
        data = self.cleaned_data
        address = {k: data[k] for k in ("street", "city", "region", "postal_code", "country")}
        lists: dict[str, Any] = {
            name: [
                (data[f"{name}_{i}_label"], data[f"{name}_{i}_value"])
                for i in range(self.list_rows[name])
                if data[f"{name}_{i}_value"].strip()
            ]
            for name in LIST_ROWS
        }
        return services.ContactInput(
            **{name: data[name] for name in records.TEXT_FIELDS},
            notes=data["notes"],
            birthday=data["birthday"],
            phones=[
                (
                    data[f"phone_{i}_kind"] or "mobile",
                    data[f"phone_{i}_number"],
                    data[f"phone_{i}_label"],
                )
                for i in range(self.phone_rows)
            ],
            emails=[
                (
                    data[f"email_{i}_kind"] or "other",
                    data[f"email_{i}_address"],
                    data[f"email_{i}_label"],
                )
                for i in range(self.email_rows)
            ],
            addresses=[{"kind": "home", **address}] if any(address.values()) else [],
            groups=[g.strip() for g in data["groups"].split(",") if g.strip()],
            linked_user_id=data["linked_user"].pk if data["linked_user"] else 0,
            **lists,
        )

    @staticmethod
    def initial_for(contact: Contact) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(contact, name) for name in records.TEXT_FIELDS}
        initial.update(
            {
                "notes": contact.notes,
                "birthday": contact.birthday_iso,
                "book": contact.book_id,
                "linked_user": contact.linked_user_id,
                "groups": ", ".join(g.name for g in contact.groups.all()),
            }
        )
        for i, phone in enumerate(contact.phones.all()):
            initial[f"phone_{i}_kind"] = phone.kind
            initial[f"phone_{i}_number"] = phone.number + _post_dial_suffix(phone.extension)
            initial[f"phone_{i}_label"] = phone.label
        for i, email in enumerate(contact.emails.all()):
            initial[f"email_{i}_kind"] = email.kind
            initial[f"email_{i}_address"] = email.address
            initial[f"email_{i}_label"] = email.label
        for name in LIST_ROWS:
            for i, item in enumerate(getattr(contact, name) or []):
                initial[f"{name}_{i}_value"] = item.get("value", "")
                initial[f"{name}_{i}_label"] = item.get("label", "")
        address = contact.addresses.first()
        if address:
            for name in ("street", "city", "region", "postal_code", "country"):
                initial[name] = getattr(address, name)
        return initial


def _post_dial_suffix(extension: str) -> str:
    if not extension:
        return ""
    return f" ext. {extension}" if extension.isdigit() else extension


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=100)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Address book file"),
        help_text=_("vCard (.vcf) or a CSV export of Outlook, Google Contacts or Thunderbird."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".vcf,.vcard,.csv,.txt,text/vcard,text/csv"}
        ),
    )


class ImportOptionsForm(forms.Form):
    book = PublicModelChoiceField(label=_("Import into"), queryset=AddressBook.objects.none())
    country = forms.ChoiceField(
        label=_("Country of numbers without a country code"),
        required=False,
        help_text=_(
            "Numbers written without + and a country code are read as numbers of this "
            "country, unless their row names its own country."
        ),
    )
    duplicates = forms.ChoiceField(
        label=_("Contacts you already have"),
        choices=ContactImport.Duplicates.choices,
        widget=forms.RadioSelect,
        initial=ContactImport.Duplicates.SKIP,
    )

    def __init__(
        self,
        *args: Any,
        books: Any,
        columns: list[dict[str, Any]],
        custom: bool,
        country_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books
        self.fields["country"].choices = [("", _("Choose a country…")), *countries]
        self.fields["country"].required = country_required
        self.columns = columns
        self.custom = custom
        self.csv = bool(columns)
        choices: list[tuple[str, Any]] = list(csvfile.CUSTOM_TARGETS)
        known = {value for value, _label in choices}
        for column in columns:
            if column["target"] not in known:
                known.add(column["target"])
                choices.append((column["target"], csvfile.target_label(column["target"])))
        for column in columns:
            self.fields[f"column_{column['index']}"] = forms.ChoiceField(
                label=column["header"] or _("Column %(n)s") % {"n": column["index"] + 1},
                choices=choices,
                required=False,
                initial=column["target"],
            )

    def mapping_rows(self) -> list[tuple[Any, list[str]]]:
        """Each column's choice with the first values found in it."""
        return [(self[f"column_{c['index']}"], c["samples"]) for c in self.columns]

    def mapping(self) -> list[str] | None:
        """The chosen mapping; None when the columns were not submitted (the detected or
        remembered mapping stands)."""
        names = [self.add_prefix(f"column_{c['index']}") for c in self.columns]
        if not self.csv or not any(name in self.data for name in names):
            return None
        return [self.cleaned_data.get(f"column_{c['index']}", "") for c in self.columns]
