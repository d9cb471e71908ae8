"""Groups of an address book: services, pages and API; nobody reaches another's groups."""

import pytest
from django.urls import reverse

from contacts import selectors, services
from contacts.models import ContactGroup
from uc_web.lib import publicid
from uc_web.lib.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def person(user, book, name: str, groups=None):
    return services.contact_create(
        by=user, book=book, data=services.ContactInput(given_name=name, groups=groups)
    )


def test_a_contact_joins_groups_by_name_and_new_ones_are_created(alice):
    book = services.book_ensure_default(user=alice)
    ada = person(alice, book, "Ada", groups=["Clients", "VIP"])
    person(alice, book, "Bea", groups=["clients"])  # the same group, whatever the case
    assert sorted(g.name for g in ada.groups.all()) == ["Clients", "VIP"]
    counts = {g.name: g.member_count for g in selectors.group_list(user=alice, book=book)}
    assert counts == {"Clients": 2, "VIP": 1}


def test_editing_a_contact_without_groups_keeps_them_and_an_empty_list_clears_them(alice):
    book = services.book_ensure_default(user=alice)
    ada = person(alice, book, "Ada", groups=["Clients"])
    services.contact_update(contact=ada, by=alice, data=services.ContactInput(given_name="Ada"))
    assert [g.name for g in ada.groups.all()] == ["Clients"]
    services.contact_update(
        contact=ada, by=alice, data=services.ContactInput(given_name="Ada", groups=[])
    )
    assert not ada.groups.exists()


def test_moving_a_contact_to_another_book_takes_its_groups_along_by_name(alice):
    book = services.book_ensure_default(user=alice)
    other = services.book_create(owner=alice, name="Suppliers")
    ada = person(alice, book, "Ada", groups=["Clients"])
    services.contact_update(
        contact=ada, by=alice, data=services.ContactInput(given_name="Ada"), book=other
    )
    assert [(g.name, g.book_id) for g in ada.groups.all()] == [("Clients", other.pk)]


def test_group_names_are_unique_per_book_and_required(alice):
    book = services.book_ensure_default(user=alice)
    services.group_create(by=alice, book=book, name="Clients")
    for name, code in (("clients", "name_taken"), ("  ", "name_required")):
        with pytest.raises(ApplicationError) as error:
            services.group_create(by=alice, book=book, name=name)
        assert error.value.code == code


def test_removing_a_group_keeps_its_members(alice):
    book = services.book_ensure_default(user=alice)
    ada = person(alice, book, "Ada", groups=["Clients"])
    services.group_delete(group=ada.groups.get(), by=alice)
    ada.refresh_from_db()
    assert ada.deleted_at is None and not ContactGroup.objects.exists()


def test_group_list_costs_one_query(alice, django_assert_num_queries):
    book = services.book_ensure_default(user=alice)
    for n in range(4):
        person(alice, book, f"P{n}", groups=[f"G{n}", "All"])
    with django_assert_num_queries(1):
        assert len(list(selectors.group_list(user=alice, book=book))) == 5


def test_the_book_page_lists_a_groups_members(signed_in, alice):
    book = services.book_ensure_default(user=alice)
    person(alice, book, "Ada", groups=["Clients"])
    person(alice, book, "Bea")
    group = ContactGroup.objects.get()
    client = signed_in(alice)
    url = reverse("contacts:index")
    page = client.get(url, {"book": publicid.of(book), "group": publicid.of(group)})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Ada" in content and "Bea" not in content and "Clients (1)" in content


def test_groups_are_created_renamed_and_removed_through_the_pages(signed_in, alice):
    book = services.book_ensure_default(user=alice)
    client = signed_in(alice)
    response = client.post(reverse("contacts:group-create", args=[book.pk]), {"name": "Clients"})
    group = ContactGroup.objects.get(book=book)
    assert response.status_code == 302 and publicid.of(group) in response["Location"]
    client.post(reverse("contacts:group-edit", args=[group.pk]), {"name": "Customers"})
    group.refresh_from_db()
    assert group.name == "Customers"
    client.post(reverse("contacts:group-edit", args=[group.pk]), {"action": "delete"})
    assert not ContactGroup.objects.exists()


def test_charlie_cannot_see_or_change_alices_groups(signed_in, alice, charlie):
    book = services.book_ensure_default(user=alice)
    person(alice, book, "Ada", groups=["Clients"])
    group = ContactGroup.objects.get()
    client = signed_in(charlie)
    assert client.get(reverse("contacts:group-edit", args=[group.pk])).status_code == 404
    assert (
        client.post(reverse("contacts:group-edit", args=[group.pk]), {"action": "delete"})
    ).status_code == 404
    assert (
        client.post(reverse("contacts:group-create", args=[book.pk]), {"name": "Mine"})
    ).status_code == 404
    page = client.get(reverse("contacts:index"), {"group": publicid.of(group)})
    assert page.status_code == 404
    assert ContactGroup.objects.get().name == "Clients"


# --- API ----------------------------------------------------------------------------------
def test_the_api_creates_a_group_with_members_and_lists_them(api, alice):
    book = services.book_ensure_default(user=alice)
    ada = person(alice, book, "Ada")
    response = api(alice).post(
        "/api/v1/contact-groups/",
        {"book": publicid.of(book), "name": "Clients", "members": [publicid.of(ada)]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    group = response.json()
    assert group["name"] == "Clients" and group["book"] == publicid.of(book)
    listed = api(alice).get("/api/v1/contact-groups/", {"book": publicid.of(book)}).json()
    assert [(g["name"], g["member_count"]) for g in listed] == [("Clients", 1)]
    members = api(alice).get("/api/v1/contacts/", {"group": group["id"]}).json()["results"]
    assert [m["given_name"] for m in members] == ["Ada"]
    assert members[0]["groups"] == ["Clients"]


def test_the_api_sets_a_contacts_groups_and_new_fields(api, alice):
    response = api(alice).post(
        "/api/v1/contacts/",
        {
            "name_prefix": "Dr.",
            "given_name": "Inês",
            "middle_name": "Maria",
            "family_name": "Ferreira",
            "nickname": "Nês",
            "department": "Studio",
            "role": "Lead",
            "phones": [{"kind": "main", "label": "Zentrale", "number": "+351 21 123 4567,,12#"}],
            "urls": [{"label": "work", "value": "https://lisboadesign.example/"}],
            "dates": [{"label": "anniversary", "value": "2010-06-12"}],
            "related": [{"label": "spouse", "value": "João"}],
            "ims": [{"label": "Skype", "value": "ines.f"}],
            "groups": ["Clients"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["display_name"] == "Inês Maria Ferreira"
    assert (body["nickname"], body["department"], body["role"]) == ("Nês", "Studio", "Lead")
    assert body["phones"][0] | {"display": ""} == {
        "kind": "main",
        "label": "Zentrale",
        "number": "+351211234567",
        "extension": ",,12#",
        "verified": True,
        "display": "",
    }
    assert body["groups"] == ["Clients"]
    assert body["dates"] == [{"label": "anniversary", "value": "2010-06-12"}]


def test_the_api_refuses_a_number_that_is_not_valid_for_the_users_country(api, alice):
    response = api(alice).post(
        "/api/v1/contacts/",
        {"given_name": "Ada", "phones": [{"kind": "work", "number": "01 5123456"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "01 5123456 is not a valid phone number for United Kingdom" in str(response.json())


def test_charlie_gets_404_for_alices_groups_through_the_api(api, alice, charlie):
    book = services.book_ensure_default(user=alice)
    ada = person(alice, book, "Ada", groups=["Clients"])
    group = ContactGroup.objects.get()
    client = api(charlie)
    assert client.get(f"/api/v1/contact-groups/{publicid.of(group)}/").status_code == 404
    assert client.delete(f"/api/v1/contact-groups/{publicid.of(group)}/").status_code == 404
    assert client.get("/api/v1/contact-groups/").json() == []
    # Nor can he put Alice's contact into a group of his own.
    his_book = services.book_ensure_default(user=charlie)
    response = client.post(
        "/api/v1/contact-groups/",
        {"book": publicid.of(his_book), "name": "Stolen", "members": [publicid.of(ada)]},
        format="json",
    )
    assert response.status_code == 404
    assert ContactGroup.objects.filter(book=his_book, members=ada).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_import_api_asks_for_a_country_and_takes_one(api, charlie):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "Vorname;Nachname;Telefon geschäftlich;E-Mail-Adresse\n"
    data += "Klaus;Becker;030 9012345;k@b.example\n"
    upload = api(charlie).post(
        "/api/v1/contact-imports/",
        {"file": SimpleUploadedFile("de.csv", data.encode("utf-8-sig"))},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    body = upload.json()
    assert (body["format"], body["language"], body["country"]) == ("outlook", "de", "")
    book = publicid.of(services.book_ensure_default(user=charlie))
    url = f"/api/v1/contact-imports/{body['id']}/start/"
    refused = api(charlie).post(url, {"book": book}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "country_required"
    preview = api(charlie).get(f"/api/v1/contact-imports/{body['id']}/preview/", {"country": "DE"})
    assert preview.json()["contacts"][0]["phones"][0]["display"] == "+49 30 9012345"
    started = api(charlie).post(url, {"book": book, "country": "DE"}, format="json")
    assert started.status_code == 202, started.json()
    klaus = selectors.contact_list(user=charlie).get()
    assert klaus.phones.get().number == "+49309012345"
