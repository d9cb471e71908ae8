"""Contact requests, favourites, removal and blocking: the API, and what each side sees."""

import pytest
from django.test import Client

from accounts import selectors, services
from accounts.models import Block, ContactRequest, MonitorMark, Profile
from tests.accounts import images
from tests.accounts.factories import UserFactory, make_contacts
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db

NO_ONE = (
    "No one you can add has that email address. People outside your company can be added "
    "only if they allow it: they choose to be found by their email address and to take "
    "contact requests from anyone. Check the address, or ask them to allow it (Profile, "
    "Options)."
)


def findable(user, *, requests_from: str = "anyone"):
    Profile.objects.filter(user=user).update(
        directory_visible_outside=True, contact_requests_from=requests_from
    )
    return user


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot(user) -> dict:
    return api(user).get("/api/v1/presence/").json()


def people(user) -> dict[str, dict]:
    return {p["email"]: p for p in snapshot(user)["people"]}


def bob_of(user):
    return UserFactory(company=user.company)


def add(by, **body):
    return api(by).post("/api/v1/monitor/people/", body, content_type="application/json")


def test_charlie_asks_alice_by_email_and_she_sees_the_request(alice, charlie):
    findable(alice)
    response = add(charlie, email="ALICE@northwind.example", message="We met at the fair")
    assert response.status_code == 201 and response.json()["added"] == "request"

    inbox = snapshot(alice)["requests"]
    assert [(r["sender"]["email"], r["message"]) for r in inbox] == [
        (charlie.email, "We met at the fair")
    ]
    assert inbox[0]["sender"]["company"] == "Blue Harbour Logistics"
    # charlie sees alice as waiting, with no presence at all
    waiting = people(charlie)[alice.email]
    assert waiting["relation"] == "pending" and waiting["group"] == "contacts"
    assert waiting["state"] == "offline" and waiting["text"] == ""


def test_an_email_nobody_may_add_gets_one_message_whoever_it_belongs_to(alice, charlie):
    # alice exists but does not let herself be found outside Northwind
    unknown = add(charlie, email="nobody@nowhere.example")
    hidden = add(charlie, email=alice.email)
    assert unknown.status_code == hidden.status_code == 400
    assert unknown.json() == hidden.json() == {"email": [NO_ONE]}
    assert not ContactRequest.objects.exists()


def test_accepting_makes_both_see_each_other_in_the_contacts_group(alice, charlie):
    findable(alice)
    add(charlie, email=alice.email)
    request = ContactRequest.objects.get()
    response = api(alice).post(f"/api/v1/contact-requests/{publicid.of(request)}/accept/")
    assert response.status_code == 204

    assert people(alice)[charlie.email]["relation"] == "contact"
    assert people(alice)[charlie.email]["group"] == "contacts"
    assert people(charlie)[alice.email]["relation"] == "contact"
    assert snapshot(alice)["requests"] == []
    assert selectors.may_reach(user=charlie, other=alice)
    assert selectors.may_reach(user=alice, other=charlie)


def test_a_declined_request_still_looks_pending_to_its_sender_and_cannot_be_repeated(
    alice, charlie
):
    findable(alice)
    add(charlie, email=alice.email)
    request = ContactRequest.objects.get()
    assert (
        api(alice).post(f"/api/v1/contact-requests/{publicid.of(request)}/decline/").status_code
        == 204
    )

    assert snapshot(alice)["requests"] == []
    assert people(charlie)[alice.email]["relation"] == "pending"
    again = add(charlie, email=alice.email)
    assert again.status_code == 201
    assert ContactRequest.objects.get().state == ContactRequest.State.DECLINED
    assert snapshot(alice)["requests"] == []
    assert not selectors.may_reach(user=charlie, other=alice)


def test_only_the_person_asked_can_answer_a_request(alice, bob, charlie):
    findable(alice)
    add(charlie, email=alice.email)
    request = ContactRequest.objects.get()
    for stranger in (charlie, bob):
        response = api(stranger).post(f"/api/v1/contact-requests/{publicid.of(request)}/accept/")
        assert response.status_code == 404
    assert (
        api(alice).post(f"/api/v1/contact-requests/{publicid.of(request)}/shrug/").status_code
        == 404
    )
    assert ContactRequest.objects.get().state == ContactRequest.State.PENDING


def test_the_sender_can_withdraw_and_nobody_else_can(alice, bob, charlie):
    findable(alice)
    add(charlie, email=alice.email)
    request = ContactRequest.objects.get()
    assert api(alice).delete(f"/api/v1/contact-requests/{publicid.of(request)}/").status_code == 404
    assert api(bob).delete(f"/api/v1/contact-requests/{publicid.of(request)}/").status_code == 404
    assert (
        api(charlie).delete(f"/api/v1/contact-requests/{publicid.of(request)}/").status_code == 204
    )
    assert not ContactRequest.objects.exists()


def test_people_who_take_requests_from_colleagues_only_refuse_outsiders(alice, charlie):
    findable(alice, requests_from="company")
    assert add(charlie, email=alice.email).json() == {"email": [NO_ONE]}
    # nor by id from the directory
    response = add(charlie, user=publicid.of(alice))
    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert not ContactRequest.objects.exists()


def test_if_she_asked_first_his_request_makes_them_contacts(alice, charlie):
    findable(alice)
    findable(charlie)
    add(alice, email=charlie.email)
    add(charlie, email=alice.email)
    assert ContactRequest.objects.get().state == ContactRequest.State.ACCEPTED
    assert people(alice)[charlie.email]["relation"] == "contact"


def test_contact_requests_are_rate_limited(alice, charlie, other_company, settings):
    strangers = [findable(UserFactory(company=alice.company)) for _ in range(3)]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contact_request.user": "2/h"}
    assert add(charlie, email=strangers[0].email).status_code == 201
    assert add(charlie, email=strangers[1].email).status_code == 201
    assert add(charlie, email=strangers[0].email).status_code == 201  # asked again: free
    refused = add(charlie, email=strangers[2].email)
    assert refused.status_code == 400 and refused.json()["code"] == "rate_limited"
    assert ContactRequest.objects.count() == 2
    # Alice has her own allowance.
    assert add(alice, email=strangers[2].email).status_code == 201


def test_adding_yourself_or_a_forged_id_changes_nothing(alice, charlie):
    assert add(alice, email=alice.email).json() == {"email": [NO_ONE]}
    assert add(charlie, user=publicid.of(alice)).status_code == 404  # not findable: as if unknown
    assert add(charlie, user=publicid.encode("accounts.user", 999_999)).status_code == 404
    assert add(charlie, user=999_999).status_code == 400  # not an id at all
    assert add(charlie, user=publicid.of(alice.profile)).status_code == 400  # another kind's id
    assert add(charlie).status_code == 400
    assert add(charlie, email=alice.email, user=publicid.of(alice)).status_code == 400
    assert not ContactRequest.objects.exists()


def test_a_removed_colleague_comes_back_when_added_by_email(alice, bob):
    assert api(alice).delete(f"/api/v1/monitor/people/{publicid.of(bob)}/").status_code == 204
    assert bob.email not in people(alice)
    assert alice.email in people(bob)  # removing is one-sided for colleagues
    response = add(alice, email=bob.email)
    assert response.json() == {"added": "colleague", "request": None}
    assert bob.email in people(alice)


def test_either_side_can_end_a_contact(alice, charlie):
    findable(alice)
    add(charlie, email=alice.email)
    services.contact_request_accept(request=ContactRequest.objects.get(), by=alice)
    assert api(alice).delete(f"/api/v1/monitor/people/{publicid.of(charlie)}/").status_code == 204
    assert charlie.email not in people(alice)
    assert alice.email not in people(charlie)
    assert not selectors.may_reach(user=charlie, other=alice)


def test_removing_a_stranger_is_a_404(alice, charlie):
    assert api(charlie).delete(f"/api/v1/monitor/people/{publicid.of(alice)}/").status_code == 404


def test_favourites_form_their_own_group(alice, bob, charlie):
    assert api(alice).put(f"/api/v1/monitor/favourites/{publicid.of(bob)}/").status_code == 204
    entry = people(alice)[bob.email]
    assert entry["group"] == "favourites" and entry["favourite"] is True
    assert people(bob)[alice.email]["group"] == "company"  # only for alice
    assert api(alice).delete(f"/api/v1/monitor/favourites/{publicid.of(bob)}/").status_code == 204
    assert people(alice)[bob.email]["group"] == "company"
    # a stranger cannot be a favourite, and neither can someone whose answer is awaited
    assert api(alice).put(f"/api/v1/monitor/favourites/{publicid.of(charlie)}/").status_code == 404
    findable(alice)
    add(charlie, email=alice.email)
    response = api(charlie).put(f"/api/v1/monitor/favourites/{publicid.of(alice)}/")
    assert response.status_code == 400 and response.json()["code"] == "not_in_monitor"
    assert not MonitorMark.objects.filter(kind=MonitorMark.Kind.FAVOURITE).exists()


def test_blocking_ends_the_contact_and_stops_new_requests(alice, charlie):
    findable(alice)
    add(charlie, email=alice.email)
    services.contact_request_accept(request=ContactRequest.objects.get(), by=alice)
    assert api(alice).put(f"/api/v1/blocks/{publicid.of(charlie)}/").status_code == 204

    assert charlie.email not in people(alice)
    assert alice.email not in people(charlie)
    assert not selectors.may_reach(user=charlie, other=alice)
    refused = add(charlie, user=publicid.of(alice))
    assert refused.status_code == 400 and refused.json()["code"] == "not_allowed"
    assert not ContactRequest.objects.exists()
    assert [b["email"] for b in api(alice).get("/api/v1/blocks/").json()] == [charlie.email]


def test_a_blocked_colleague_sees_the_blocker_offline_and_cannot_reach_her(alice, bob):
    assert api(alice).put(f"/api/v1/blocks/{publicid.of(bob)}/").status_code == 204
    assert bob.email not in people(alice)
    assert people(bob)[alice.email]["state"] == "offline"
    assert not selectors.may_reach(user=bob, other=alice)
    assert not selectors.may_reach(user=alice, other=bob)
    assert api(alice).delete(f"/api/v1/blocks/{publicid.of(bob)}/").status_code == 204
    assert bob.email in people(alice)
    assert selectors.may_reach(user=bob, other=alice)


def test_unblocking_someone_never_blocked_is_a_404(alice, bob, charlie):
    Block.objects.create(blocker=alice, blocked=bob)
    assert api(charlie).delete(f"/api/v1/blocks/{publicid.of(bob)}/").status_code == 404
    assert (
        api(charlie).put(f"/api/v1/blocks/{publicid.of(alice)}/").status_code == 404
    )  # not findable
    assert Block.objects.count() == 1


def test_an_outside_contacts_photo_is_visible_only_once_a_request_relates_them(
    alice, charlie, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    services.profile_photo_set(user=alice, upload=images.upload(images.jpeg()))
    alice.refresh_from_db()
    url = alice.photo_url_small
    assert api(bob_of(alice)).get(url).status_code == 200
    assert api(charlie).get(url).status_code == 404
    findable(alice)
    add(charlie, email=alice.email)
    assert api(charlie).get(url).status_code == 200


def test_accepted_contacts_only_hides_presence_from_colleagues_who_are_not(alice, bob, charlie):
    Profile.objects.filter(user=bob).update(presence_visibility="contacts")
    bob.refresh_from_db()
    assert not selectors.may_see_presence(viewer=alice, person=bob)
    make_contacts(alice, bob)
    assert selectors.may_see_presence(viewer=alice, person=bob)
    assert people(alice)[bob.email]["relation"] == "contact"
    assert people(alice)[bob.email]["group"] == "company"


# --- the person card (HTML) -------------------------------------------------------------


def test_the_person_card_shows_a_colleague_with_buttons(alice, bob):
    page = api(alice).get(f"/people/{publicid.of(bob)}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bob Okafor" in html and "Yes, as a colleague." in html
    assert "Add to Favourites" in html and "Block" in html


def test_charlie_cannot_open_alices_card_or_act_on_her_by_url(alice, charlie):
    client = api(charlie)
    assert client.get(f"/people/{publicid.of(alice)}/").status_code == 404
    for action in ("add", "remove", "favourite", "block", "unblock"):
        assert client.post(f"/people/{publicid.of(alice)}/{action}/").status_code == 404
    assert not ContactRequest.objects.exists() and not Block.objects.exists()


def test_the_card_buttons_add_block_and_unblock(alice, charlie):
    findable(alice)
    client = api(charlie)
    response = client.post(f"/people/{publicid.of(alice)}/add/", {"message": "Hello"})
    assert response.status_code == 302
    assert ContactRequest.objects.get().message == "Hello"
    assert "waiting for an answer" in client.get(f"/people/{publicid.of(alice)}/").content.decode()
    client.post(f"/people/{publicid.of(alice)}/block/")
    assert Block.objects.filter(blocker=charlie, blocked=alice).exists()
    monitor = client.get("/monitor/").content.decode()
    assert "Unblock Alice Fernandez" in monitor
    client.post(f"/people/{publicid.of(alice)}/unblock/")
    assert not Block.objects.exists()


def test_an_unknown_action_is_a_404(alice, bob):
    assert api(alice).post(f"/people/{publicid.of(bob)}/teleport/").status_code == 404
    assert api(alice).get(f"/people/{publicid.of(bob)}/add/").status_code == 405


def age(request: ContactRequest, days: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    ContactRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_a_request_left_pending_for_30_days_expires_and_can_be_sent_again(alice, charlie):
    findable(alice)
    add(charlie, email=alice.email, message="first try")
    request = ContactRequest.objects.get()
    age(request, 29)
    assert people(charlie)[alice.email]["relation"] == "pending"
    assert len(snapshot(alice)["requests"]) == 1
    age(request, 31)
    assert alice.email not in people(charlie)  # no longer "waiting" forever
    assert snapshot(alice)["requests"] == []
    # the expired request can no longer be answered
    answer = f"/api/v1/contact-requests/{publicid.of(request)}/accept/"
    assert api(alice).post(answer).status_code == 404
    again = add(charlie, email=alice.email, message="second try")
    assert again.status_code == 201 and again.json()["added"] == "request"
    fresh = ContactRequest.objects.get()
    assert (fresh.state, fresh.message) == (ContactRequest.State.PENDING, "second try")
    assert [r["message"] for r in snapshot(alice)["requests"]] == ["second try"]


def test_a_declined_request_expires_too_and_the_sender_may_ask_again(alice, charlie):
    findable(alice)
    add(charlie, email=alice.email)
    request = ContactRequest.objects.get()
    api(alice).post(f"/api/v1/contact-requests/{publicid.of(request)}/decline/")
    age(request, 31)
    assert alice.email not in people(charlie)
    add(charlie, email=alice.email)
    assert ContactRequest.objects.get().state == ContactRequest.State.PENDING
    assert len(snapshot(alice)["requests"]) == 1


def test_an_expired_request_of_theirs_does_not_make_us_contacts(alice, charlie):
    findable(alice)
    findable(charlie)
    add(charlie, email=alice.email)
    age(ContactRequest.objects.get(), 31)
    add(alice, email=charlie.email)
    request = ContactRequest.objects.get()
    assert (request.sender, request.state) == (alice, ContactRequest.State.PENDING)
    assert not selectors.is_contact(user_id=alice.pk, other_id=charlie.pk)


def test_the_periodic_expiry_removes_old_requests_and_tells_both_monitors(
    alice, charlie, bob, django_capture_on_commit_callbacks, monkeypatch
):
    findable(alice)
    findable(bob)
    add(charlie, email=alice.email)
    add(charlie, email=bob.email)
    old = ContactRequest.objects.get(recipient=alice)
    age(old, 31)
    sent: list = []
    monkeypatch.setattr(
        "uc_web.lib.realtime.send_to_users", lambda ids, event: sent.append((ids, event))
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.contact_requests_expire() == 1
    assert list(ContactRequest.objects.values_list("recipient", flat=True)) == [bob.pk]
    assert sent == [(sorted([alice.pk, charlie.pk]), {"type": "monitor.changed"})]


def test_accepted_contacts_never_expire(alice, charlie):
    make_contacts(charlie, alice)
    age(ContactRequest.objects.get(), 400)
    assert services.contact_requests_expire() == 0
    assert people(alice)[charlie.email]["relation"] == "contact"
