"""Kazakh individual identification number (IIN, ЖСН / ИИН): validation and decoding.

Structure of the 12 digits::

    Y Y M M D D  C  S S S S  K
    birth date   |  serial   check digit
                 century and sex

* ``YYMMDD``: date of birth;
* ``C``: century and sex: 1/2 -> born in the 1800s (male/female), 3/4 -> 1900s,
  5/6 -> 2000s. A 0 is sometimes seen in numbers given to foreigners; it carries
  no century, so no birth date can be derived and such numbers are **rejected**
  (code ``"format"``), as are 7, 8 and 9;
* ``SSSS``: serial number;
* ``K``: check digit: sum of the first 11 digits weighted 1, 2, ..., 11, modulo 11;
  if that gives 10, a second pass with weights 3, 4, ..., 11, 1, 2; if it gives 10
  again, the number is invalid (no check digit exists for it).

Errors never contain the IIN itself, so they can be logged; use :func:`iin_hash`
(keyed HMAC-SHA256) to store or compare IINs.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

__all__ = ["IinError", "IinInfo", "parse_iin", "check_digit", "age_on", "iin_hash", "make_valid_iin", "ballot_voter_hash"]

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {1: (1800, "M"), 2: (1800, "F"), 3: (1900, "M"), 4: (1900, "F"), 5: (2000, "M"), 6: (2000, "F")}


class IinError(ValueError):
    """Invalid IIN. ``code`` is "format", "checksum" or "date"; the message is English."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IinInfo:
    birth_date: date
    sex: str  # "M" or "F"


def check_digit(first11: str) -> int | None:
    """The check digit for 11 leading digits, or None if no check digit exists."""
    digits = [int(ch) for ch in first11]
    if len(digits) != 11:
        raise ValueError("check_digit needs exactly 11 digits")
    k = sum(d * w for d, w in zip(digits, _W1)) % 11
    if k == 10:
        k = sum(d * w for d, w in zip(digits, _W2)) % 11
        if k == 10:
            return None
    return k


def parse_iin(iin: str) -> IinInfo:
    """Validate an IIN (exactly 12 ASCII digits, no spaces) and decode birth date and sex.

    Checks, in this order: format (12 digits, century/sex digit 1-6), check digit,
    then that YYMMDD is a real calendar date not later than today.
    """
    if not isinstance(iin, str) or len(iin) != 12 or not (iin.isascii() and iin.isdigit()):
        raise IinError("format", "An IIN must be exactly 12 digits.")
    c = int(iin[6])
    if c not in _CENTURY:
        raise IinError(
            "format",
            "The 7th digit of an IIN (century and sex) must be 1-6; numbers with 0 (issued to some foreigners) "
            "carry no birth century and are not accepted.",
        )
    expected = check_digit(iin[:11])
    if expected is None or expected != int(iin[11]):
        raise IinError("checksum", "The IIN check digit does not match.")
    century, sex = _CENTURY[c]
    try:
        born = date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        raise IinError("date", "The IIN does not contain a real date of birth.") from None
    if born > date.today():
        raise IinError("date", "The IIN gives a date of birth in the future.")
    return IinInfo(birth_date=born, sex=sex)


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on day ``on``; on the birthday itself the person has the new age.

    Someone born on 29 February turns a year older on 1 March in non-leap years.
    """
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def iin_hash(iin: str, key: str | bytes) -> str:
    """Keyed HMAC-SHA256 (hex) of a valid IIN; never log or store the IIN itself."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise ValueError("iin_hash needs a non-empty key")
    parse_iin(iin)
    return hmac.new(key, iin.encode("ascii"), hashlib.sha256).hexdigest()


def make_valid_iin(birth_date: date, sex: str, serial: int) -> str:
    """Build a valid IIN (for tests and demos) from a birth date, "M"/"F" and a serial 0-9999.

    The check digit is computed. About 1 serial in 121 has no check digit; then, so
    that callers never fail, a substitute serial is used deterministically: the first
    of (serial + 5000), (serial + 2500), (serial + 7500), ... (mod 10000) that has
    one. (Two different requests can therefore only collide if one of them asks for
    such a substitute serial explicitly.)
    """
    sex = str(sex).upper()[:1]
    if sex not in ("M", "F"):
        raise ValueError('sex must be "M" or "F"')
    if not 1800 <= birth_date.year <= 2099:
        raise ValueError("an IIN can only encode birth years 1800-2099")
    serial = int(serial)
    if not 0 <= serial <= 9999:
        raise ValueError("serial must be between 0 and 9999")
    c = {1800: 1, 1900: 3, 2000: 5}[birth_date.year // 100 * 100] + (sex == "F")
    head = f"{birth_date.year % 100:02d}{birth_date.month:02d}{birth_date.day:02d}{c}"
    for offset in (0, 5000, 2500, 7500, 1250, 3750, 6250, 8750):
        first11 = f"{head}{(serial + offset) % 10000:04d}"
        k = check_digit(first11)
        if k is not None:
            return first11 + str(k)
    raise ValueError("no valid IIN found for this date and sex")  # pragma: no cover - 8 misses in a row


def ballot_voter_hash(iin_digest: str, bucket_id: int, key: str | bytes) -> str:
    """The voter's key on a ballot: HMAC-SHA256 of the IIN hash and the bucket. It differs per bucket and from
    the resident profile's ``iin_hash``, so without the server's key a ballot cannot be joined to a resident."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    return hmac.new(key, f"ballot:{int(bucket_id)}:{iin_digest}".encode("ascii"), hashlib.sha256).hexdigest()
