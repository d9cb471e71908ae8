"""The ISO 3166 countries every company can choose as regions."""

from django_countries import countries


def ensure_countries(**kwargs: object) -> None:
    """Create a country Region for each ISO 3166 code (post_migrate, so also after flush)."""
    from accounts.models import Region

    existing = set(Region.objects.filter(kind=Region.Kind.COUNTRY).values_list("code", flat=True))
    Region.objects.bulk_create(
        [
            Region(kind=Region.Kind.COUNTRY, code=code, name=str(name))
            for code, name in countries
            if code not in existing
        ]
    )
