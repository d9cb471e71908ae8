"""Pages render in the signed-in user's time zone."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_times_render_in_the_users_zone_then_the_company_default(bob, company):
    User.objects.filter(pk=bob.pk).update(last_login=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    client = Client()
    client.force_login(bob)
    User.objects.filter(pk=bob.pk).update(last_login=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))

    company.default_time_zone = "America/New_York"
    company.save()
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "15 January 2026, 07:00 EST" in page

    bob.profile.time_zone = "Asia/Tokyo"
    bob.profile.save()
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "15 January 2026, 21:00 JST" in page
