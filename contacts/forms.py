from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from contacts import services
from contacts.formats import csvfile
from contacts.models import AddressBook, Contact, ContactImport, Email, Phone
from uc_web.lib.forms import PublicModelChoiceField

PHONE_ROWS = 3
EMAIL_ROWS = 2


class BookForm(forms.Form):
    name = forms.CharField(label=_("Book name"), max_length=100)


class ContactForm(forms.Form):
    """A contact with a few rows of phone numbers and e-mails (one more than it has)."""

    given_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    family_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    book = PublicModelChoiceField(label=_("Address book"), queryset=AddressBook.objects.none())
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
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books
        self.fields["linked_user"].queryset = linkable
        self.phone_rows = phone_rows
        self.email_rows = email_rows
        for i in range(phone_rows):
            self.fields[f"phone_{i}_kind"] = forms.ChoiceField(
                label=_("Phone %(n)s type") % {"n": i + 1},
                choices=Phone.Kind.choices,
                required=False,
            )
            self.fields[f"phone_{i}_number"] = forms.CharField(
                label=_("Phone %(n)s") % {"n": i + 1}, max_length=64, required=False
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

    def phone_fields(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"phone_{i}_kind"], self[f"phone_{i}_number"]) for i in range(self.phone_rows)
        ]

    def email_fields(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"email_{i}_kind"], self[f"email_{i}_address"]) for i in range(self.email_rows)
        ]

    def to_input(self) -> services.ContactInput:
        data = self.cleaned_data
        address = {k: data[k] for k in ("street", "city", "region", "postal_code", "country")}
        return services.ContactInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            company=data["company"],
            job_title=data["job_title"],
            notes=data["notes"],
            birthday=data["birthday"],
            phones=[
                (data[f"phone_{i}_kind"] or "mobile", data[f"phone_{i}_number"])
                for i in range(self.phone_rows)
            ],
            emails=[
                (data[f"email_{i}_kind"] or "other", data[f"email_{i}_address"])
                for i in range(self.email_rows)
            ],
            addresses=[{"kind": "home", **address}] if any(address.values()) else [],
            linked_user_id=data["linked_user"].pk if data["linked_user"] else 0,
        )

    @staticmethod
    def initial_for(contact: Contact) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "given_name": contact.given_name,
            "family_name": contact.family_name,
            "company": contact.company,
            "job_title": contact.job_title,
            "notes": contact.notes,
            "birthday": contact.birthday_iso,
            "book": contact.book_id,
            "linked_user": contact.linked_user_id,
        }
        for i, phone in enumerate(contact.phones.all()):
            initial[f"phone_{i}_kind"] = phone.kind
            initial[f"phone_{i}_number"] = phone.number + (
                f" ext. {phone.extension}" if phone.extension else ""
            )
        for i, email in enumerate(contact.emails.all()):
            initial[f"email_{i}_kind"] = email.kind
            initial[f"email_{i}_address"] = email.address
        address = contact.addresses.first()
        if address:
            for name in ("street", "city", "region", "postal_code", "country"):
                initial[name] = getattr(address, name)
        return initial


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
    duplicates = forms.ChoiceField(
        label=_("Contacts you already have"),
        choices=ContactImport.Duplicates.choices,
        widget=forms.RadioSelect,
        initial=ContactImport.Duplicates.SKIP,
    )

    def __init__(
        self, *args: Any, books: Any, columns: list[dict[str, Any]], custom: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].queryset = books
        self.columns = columns
        self.custom = custom
        if custom:
            for column in columns:
                self.fields[f"column_{column['index']}"] = forms.ChoiceField(
                    label=column["header"] or _("Column %(n)s") % {"n": column["index"] + 1},
                    choices=csvfile.CUSTOM_TARGETS,
                    required=False,
                    initial=column["target"],
                )

    def mapping_rows(self) -> list[tuple[Any, list[str]]]:
        """Each column's choice with the first values found in it."""
        if not self.custom:
            return []
        return [(self[f"column_{c['index']}"], c["samples"]) for c in self.columns]

    def mapping(self) -> list[str] | None:
        if not self.custom:
            return None
        return [self.cleaned_data.get(f"column_{c['index']}", "") for c in self.columns]
