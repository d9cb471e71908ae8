"""Phone numbers are stored as E.164, read with the user's default dialling country."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def to_e164(raw: str, *, country: str = "") -> str:
    """Parse a typed number ('020 7946 0018' with country 'GB') into '+442079460018'."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, country.upper() or None)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValidationError(
                _("Start the number with + and the country code, or set your dialling country."),
                code="phone_country",
            ) from error
        raise ValidationError(_("This is not a phone number."), code="phone_invalid") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(number)s is not a valid phone number."),
            code="phone_invalid",
            params={"number": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """An E.164 number in international format for reading ('+44 20 7946 0018')."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
