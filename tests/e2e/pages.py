"""The app's main pages, filled with the data that stretches them (a company logo, long
names and addresses, a missed call, a contact request, a favourite), for the layout and
accessibility checks."""

from dataclasses import dataclass
from io import BytesIO

from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.models import ContactRequest, MonitorMark, Profile
from calls.models import Call, CallLeg
from contacts import services as contact_services
from contacts.models import Contact, Email, Phone

LONG_NAME = ("Maximiliana", "Wolfeschlegelsteinhausenbergerdorff")
LONG_EMAIL = "maximiliana.wolfeschlegelsteinhausenbergerdorff@long-subdomain.example-corp.example"


@dataclass
class Pages:
    signed_in: list[str]
    anonymous: list[str]


def make_pages(alice, bob, charlie) -> Pages:
    logo = BytesIO()
    Image.new("RGB", (600, 200), (200, 30, 30)).save(logo, "PNG")
    logo.seek(0)
    services.company_logo_set(company=alice.company, by=alice, upload=logo)
    book = contact_services.book_ensure_default(user=alice)
    contact = Contact.objects.create(
        owner=alice,
        book=book,
        given_name=LONG_NAME[0],
        family_name=LONG_NAME[1],
        display_name=" ".join(LONG_NAME),
        search_text="maximiliana",
        birth_year=1980,
        birth_month=5,
        birth_day=4,
    )
    Email.objects.create(contact=contact, address=LONG_EMAIL, kind="work", position=0)
    Phone.objects.create(contact=contact, number="+442079460018", kind="work", position=0)
    MonitorMark.objects.create(owner=alice, person=bob, kind=MonitorMark.Kind.FAVOURITE)
    Profile.objects.filter(user=alice).update(directory_visible_outside=True)
    # rows, not services: no live events from this thread, whose loop Playwright holds
    ContactRequest.objects.create(sender=charlie, recipient=alice, message="We met at the fair")
    now = timezone.now()
    missed = Call.objects.create(
        caller=bob,
        callee=alice,
        media="audio",
        state="ended",
        end_reason="no_answer",
        created_at=now,
        ringing_at=now,
        ended_at=now,
    )
    CallLeg.objects.create(call=missed, kind="device", role="caller", user=bob, device="d")
    return Pages(
        signed_in=[
            reverse("home"),
            reverse("welcome"),
            reverse("contacts:index"),
            reverse("contacts:index") + "?q=maximiliana",
            reverse("contacts:directory"),
            reverse("contacts:trash"),
            reverse("contacts:import"),
            reverse("contacts:create"),
            reverse("contacts:detail", args=[contact.pk]),
            reverse("accounts:monitor"),
            reverse("calls:log"),
            reverse("accounts:profile"),
            reverse("accounts:company"),
            reverse("accounts:users"),
            reverse("accounts:tokens"),
            reverse("accounts:audit"),
            reverse("accounts:person", args=[charlie.pk]),
            reverse("help"),
            reverse("help-topic", args=["online-monitor"]),
            reverse("coming-soon", args=["diary"]),
            reverse("messaging:inbox"),
            reverse("messaging:folder", args=["requests"]),
            reverse("messaging:compose"),
            reverse("account_change_password"),
            reverse("admin:accounts_user_changelist"),
        ],
        anonymous=[
            reverse("account_login"),
            reverse("account_reset_password"),
            reverse("help-topic", args=["getting-started"]),
            "/no-such-page/",
        ],
    )
