import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Company, Profile, User

PASSWORD = "correct-horse-battery-42"
_HASH: list[str] = []


def password_hash() -> str:
    # Hashing is deliberately slow; hash the shared test password once per run.
    if not _HASH:
        _HASH.append(make_password(PASSWORD))
    return _HASH[0]


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory("tests.accounts.factories.UserFactory", profile=None)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(password_hash)
    # Every user has a profile, as after accounts.services.user_create.
    profile = factory.RelatedFactory(ProfileFactory, factory_related_name="user")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
            if "Company admin" in extracted:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


def make_contacts(sender, recipient) -> None:
    """`sender` asks `recipient` to become contacts and `recipient` accepts (the services)."""
    from accounts import services
    from accounts.models import ContactRequest

    services.contact_request_send(sender=sender, recipient=recipient)
    request = ContactRequest.objects.get(sender=sender, recipient=recipient)
    services.contact_request_accept(request=request, by=recipient)
