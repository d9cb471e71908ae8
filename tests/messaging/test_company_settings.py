"""The company page's voice and video mail section: the longest recording and the storage
quota, set by the company's admin only, and the storage used."""

import pytest
from django.urls import reverse

from messaging import selectors, services
from messaging.models import CompanySettings, Message
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

pytestmark = pytest.mark.django_db

GB = 1024**3
URL = reverse("messaging:company-settings")


def rules(company) -> tuple[int, int]:
    return tuple(selectors.company_rules(company_id=company.pk))


def test_company_page_shows_the_usage_and_the_current_rules(client_for, alice, bob):
    Message.objects.create(kind="voice", sender=bob, media="x.webm", media_bytes=3 * 1024**2)
    page = client_for(alice).get(reverse("accounts:company")).content.decode()
    assert "Voice and video mail" in page
    assert "3.0\xa0MB of 5.0\xa0GB used" in page
    assert 'name="max_recording_seconds" value="180"' in page
    assert 'name="quota_gb" value="5.0"' in page


def test_company_admin_sets_the_longest_recording_and_the_quota(client_for, alice):
    client = client_for(alice)
    response = client.post(URL, {"max_recording_seconds": "300", "quota_gb": "2.5"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:company") + "#messages"
    assert rules(alice.company) == (300, int(2.5 * GB))
    page = client.get(reverse("accounts:company")).content.decode()
    assert "The voice and video mail settings are saved." in page
    assert "of 2.5\xa0GB used" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_recording_seconds": "5", "quota_gb": "5"}, "Choose at least 10 seconds."),
        (
            {"max_recording_seconds": "601", "quota_gb": "5"},
            "Choose at most 600 seconds (10 minutes).",
        ),
        ({"max_recording_seconds": "1.5", "quota_gb": "5"}, "Enter a whole number of seconds."),
        ({"max_recording_seconds": "", "quota_gb": "5"}, "Enter the longest recording in seconds."),
        ({"max_recording_seconds": "60", "quota_gb": "0"}, "Choose at least 0.1 GB."),
        ({"max_recording_seconds": "60", "quota_gb": "-3"}, "Choose at least 0.1 GB."),
        ({"max_recording_seconds": "60", "quota_gb": "5000"}, "Choose at most 1024 GB."),
        ({"max_recording_seconds": "60", "quota_gb": "lots"}, "Enter a number of GB"),
        ({"max_recording_seconds": "60", "quota_gb": "2.25"}, "Use at most one decimal place"),
        ({"max_recording_seconds": "60", "quota_gb": ""}, "Enter the storage quota in GB."),
    ],
)
def test_bad_values_are_refused_with_a_clear_message_and_change_nothing(
    client_for, alice, data, message
):
    response = client_for(alice).post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert rules(alice.company) == (180, 5 * GB)


def test_a_quota_below_what_is_already_used_is_refused(client_for, alice, bob):
    Message.objects.create(kind="video", sender=bob, media="x.webm", media_bytes=GB // 5)
    response = client_for(alice).post(URL, {"max_recording_seconds": "60", "quota_gb": "0.1"})
    assert response.status_code == 400
    assert "already use 204.8\xa0MB" in response.content.decode()
    assert rules(alice.company) == (180, 5 * GB)


def test_a_member_who_is_not_admin_cannot_change_it_with_a_forged_post(client_for, alice, bob):
    response = client_for(bob).post(URL, {"max_recording_seconds": "600", "quota_gb": "1024"})
    assert response.status_code == 403
    assert rules(alice.company) == (180, 5 * GB)
    assert not CompanySettings.objects.exists()
    assert client_for(bob).get(reverse("accounts:company")).status_code == 403


def test_another_companys_admin_cannot_change_it(client_for, alice, charlie):
    # charlie's post (even naming Northwind) changes only his own company
    response = client_for(charlie).post(
        URL, {"max_recording_seconds": "600", "quota_gb": "1", "company": alice.company.pk}
    )
    assert response.status_code == 302
    assert rules(alice.company) == (180, 5 * GB)
    assert rules(charlie.company) == (600, GB)
    with pytest.raises(PermissionDenied):
        services.company_settings_set(
            company=alice.company, by=charlie, max_recording_seconds=20, quota_bytes=GB
        )
    assert rules(alice.company) == (180, 5 * GB)


def test_the_service_refuses_values_out_of_bounds(alice):
    with pytest.raises(ApplicationError, match="between 10 and 600 seconds"):
        services.company_settings_set(
            company=alice.company, by=alice, max_recording_seconds=9, quota_bytes=GB
        )
    with pytest.raises(ApplicationError, match="storage quota between"):
        services.company_settings_set(
            company=alice.company, by=alice, max_recording_seconds=60, quota_bytes=1024
        )
    assert not CompanySettings.objects.exists()


def test_a_get_is_not_allowed(client_for, alice):
    assert client_for(alice).get(URL).status_code == 405
