"""Opaque public ids: what URLs, the API and websocket events show instead of primary keys.

Primary keys count up, so an id in a URL would tell an outsider how many users, contacts
or calls the service holds. Every id that leaves the server is instead the primary key
encrypted with AES under a key of ours (one 16-byte block: 8 bytes naming the kind of
object, 8 bytes of the key), written in base62 (22 characters, letters and digits only).

- It reveals nothing: neither the size of a table nor the order of creation.
- It costs no query and no column: encoding and decoding are pure functions.
- A forged or mistyped id does not decode (the kind bytes do not match) and answers 404,
  and an id of one kind (a contact) is not a valid id of another (an address book).

The key is `PUBLIC_ID_KEY`, by default derived from `SECRET_KEY`: changing it changes
every URL, so production sets it once and keeps it (docs/deploy.md). Access control never
rests on ids being secret: every lookup still goes through a selector of the acting user.
"""

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.utils.http import base36_to_int, int_to_base36

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LENGTH = 22  # 62**22 > 2**128
PATTERN = f"[0-9A-Za-z]{{{LENGTH}}}"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_MAX_PK = 2**63 - 1


@lru_cache(maxsize=1)
def _cipher_key() -> bytes:
    configured = getattr(settings, "PUBLIC_ID_KEY", "")
    secret = configured or settings.SECRET_KEY
    return hmac.new(secret.encode(), b"uc_web.publicid", hashlib.sha256).digest()[:16]


@lru_cache(maxsize=64)
def _tag(kind: str) -> bytes:
    return hmac.new(_cipher_key(), kind.encode(), hashlib.sha256).digest()[:8]


def _aes() -> Cipher:
    return Cipher(algorithms.AES(_cipher_key()), modes.ECB())  # noqa: S305 - one block, a PRP


def kind_of(model: Any) -> str:
    """The kind of a model class or instance: its label, e.g. "contacts.contact"."""
    return model._meta.label_lower


@lru_cache(maxsize=65536)
def encode(kind: str, pk: int) -> str:
    """The public id of object `pk` of `kind`."""
    if not 0 <= pk <= _MAX_PK:
        raise ValueError(f"cannot encode {pk!r}")
    block = _tag(kind) + pk.to_bytes(8, "big")
    encryptor = _aes().encryptor()
    number = int.from_bytes(encryptor.update(block) + encryptor.finalize(), "big")
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def decode(kind: str, public_id: str) -> int:
    """The primary key behind a public id of `kind`; ValueError if it is not one."""
    if not isinstance(public_id, str) or len(public_id) != LENGTH:
        raise ValueError("not a public id")
    number = 0
    for char in public_id:
        digit = _INDEX.get(char)
        if digit is None:
            raise ValueError("not a public id")
        number = number * 62 + digit
    if number >= 2**128:
        raise ValueError("not a public id")
    decryptor = _aes().decryptor()
    block = decryptor.update(number.to_bytes(16, "big")) + decryptor.finalize()
    if not hmac.compare_digest(block[:8], _tag(kind)):
        raise ValueError("not a public id")
    pk = int.from_bytes(block[8:], "big")
    if pk > _MAX_PK:
        raise ValueError("not a public id")
    return pk


def decode_or_none(kind: str, public_id: Any) -> int | None:
    """Like decode(), but None for anything that is not a public id of `kind`."""
    try:
        return decode(kind, public_id)
    except ValueError:
        return None


def of(obj: Any) -> str:
    """The public id of a model instance."""
    return encode(kind_of(obj), obj.pk)


def clear_caches() -> None:
    """Forget derived keys (tests that change PUBLIC_ID_KEY or SECRET_KEY)."""
    _cipher_key.cache_clear()
    _tag.cache_clear()
    encode.cache_clear()


class _Placeholder(str):
    pass


# Stands for "some id" when a page needs a URL shape for its script to fill in
# (the `url_template` tag writes it as "{id}").
PLACEHOLDER = _Placeholder("0placeholder0for0an0id")
assert len(PLACEHOLDER) == LENGTH


class Converter:
    """A URL path converter: `<contact:pk>` matches a contact's public id and hands the
    view its primary key; reverse() accepts a primary key (or a public id) and writes the
    public id. Anything else does not match, so the URL answers 404."""

    regex = PATTERN
    kind = ""  # set by register()

    def to_python(self, value: str) -> int:
        return decode(self.kind, value)

    def to_url(self, value: Any) -> str:
        if value is PLACEHOLDER:
            return value
        if isinstance(value, str) and not value.isdigit():
            decode(self.kind, value)  # raises ValueError for a foreign id: NoReverseMatch
            return value
        return encode(self.kind, int(value))


class ResetUserConverter(Converter):
    """The user part of allauth's password-reset links (also our invitations): allauth
    writes and reads the primary key in base 36, which would tell a user their number;
    the URL carries the public id instead and allauth still gets its base 36."""

    kind = "accounts.user"

    def to_python(self, value: str) -> str:  # type: ignore[override]
        return int_to_base36(decode(self.kind, value))

    def to_url(self, value: Any) -> str:
        if value is PLACEHOLDER:
            return value
        return encode(self.kind, base36_to_int(str(value)))


def register(name: str, kind: str) -> None:
    """Make `<name:pk>` available in URL patterns for objects of `kind` (from AppConfig.ready)."""
    from django.urls import register_converter

    register_converter(type(f"{name}_converter", (Converter,), {"kind": kind}), name)
