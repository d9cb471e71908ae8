"""Profile and company services: the rules every interface shares."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Profile, Region, User
from tests.accounts import images
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_new_members_start_from_the_company_defaults(company):
    company.default_time_zone = "Europe/Paris"
    company.default_dialling_country = "FR"
    company.save()
    user = services.user_create(company=company, email="new@northwind.example", password=None)
    assert user.profile.time_zone == "Europe/Paris"
    assert user.default_dialling_country == "FR"
    assert user.time_zone_name == "Europe/Paris"


def test_default_dialling_country_falls_back_to_the_company_then_blank(bob):
    bob.company.default_dialling_country = ""
    assert bob.default_dialling_country == ""
    bob.company.default_dialling_country = "GB"
    assert bob.default_dialling_country == "GB"
    bob.profile.dialling_country = "IE"
    assert bob.default_dialling_country == "IE"


def test_a_user_without_a_profile_still_answers_the_attributes_other_apps_read(other_company):
    user = User.objects.create_user("np@blueharbour.example", company=other_company)
    assert getattr(user, "default_dialling_country", None) == ""
    assert user.time_zone_name == "UTC" and user.photo_url_small == ""


def test_profile_update_refuses_fields_it_does_not_own(bob):
    with pytest.raises(ApplicationError):
        services.profile_update(user=bob, data={"is_superuser": True})


def test_profile_update_validates_before_saving(bob):
    with pytest.raises(ValidationError):
        services.profile_update(user=bob, data={"time_zone": "Nowhere/Special"})
    assert Profile.objects.get(user=bob).time_zone == ""


def test_charlies_market_cannot_be_one_of_bobs_regions(bob, other_company):
    market = Region.objects.create(kind="market", company=other_company, name="Harbour ops")
    with pytest.raises(ApplicationError):
        services.profile_regions_set(user=bob, regions=[market])


def test_only_the_companys_own_admins_may_change_it(alice, bob, charlie):
    with pytest.raises(PermissionDenied):
        services.company_update(company=alice.company, by=bob, data={"name": "Bob's"})
    with pytest.raises(PermissionDenied):
        services.company_update(company=alice.company, by=charlie, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        services.market_create(company=alice.company, by=charlie, name="Stolen")
    services.company_update(company=alice.company, by=alice, data={"name": "Northwind Ltd"})
    alice.company.refresh_from_db()
    assert alice.company.name == "Northwind Ltd"


def test_a_bad_logo_leaves_the_old_one_in_place(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.company_logo_set(
            company=alice.company, by=alice, upload=images.upload(images.png(), "logo.png")
        )
    old = alice.company.logo_large
    with pytest.raises(ApplicationError):
        services.company_logo_set(
            company=alice.company, by=alice, upload=images.upload(images.SVG_WITH_SCRIPT)
        )
    alice.company.refresh_from_db()
    assert alice.company.logo_large == old


def test_the_old_photo_stays_until_the_new_one_is_committed(
    bob, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_photo_set(user=bob, upload=images.upload(images.jpeg()))
    first = bob.profile.avatar_large
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.profile_photo_set(user=bob, upload=images.upload(images.jpeg()))
    assert (media_root / first).exists()  # not yet committed
    for callback in callbacks:
        callback()
    assert not (media_root / first).exists()


def test_user_roles_set_makes_company_admins_staff_and_others_not(bob):
    from django.contrib.auth.models import Group

    services.user_roles_set(user=bob, roles_=Group.objects.filter(name="Company admin"))
    assert bob.is_staff
    services.user_roles_set(user=bob, roles_=[])
    bob.refresh_from_db()
    assert not bob.is_staff
