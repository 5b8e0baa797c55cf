"""budget.core.iin: validation and decoding of Kazakh IINs."""

from __future__ import annotations

import datetime as dt

import pytest

from budget.core.iin import IinError, IinInfo, age_on, check_digit, iin_hash, make_valid_iin, parse_iin


def test_hand_checked_iin():
    # 900517301017: born 1990-05-17, century/sex digit 3 (1900s, male), serial 0101.
    # digits     9  0  0  5  1  7  3  0  1  0  1
    # weights    1  2  3  4  5  6  7  8  9 10 11
    # products   9  0  0 20  5 42 21  0  9  0 11  -> sum 117; 117 mod 11 = 7 = last digit
    assert parse_iin("900517301017") == IinInfo(birth_date=dt.date(1990, 5, 17), sex="M")
    assert make_valid_iin(dt.date(1990, 5, 17), "M", 101) == "900517301017"


def test_second_pass_checksum():
    # 850309400308: born 1985-03-09, digit 4 (1900s, female), serial 0030.
    # first pass:  8*1 + 5*2 + 0*3 + 3*4 + 0*5 + 9*6 + 4*7 + 0*8 + 0*9 + 3*10 + 0*11 = 142; 142 mod 11 = 10
    # second pass: weights 3 4 5 6 7 8 9 10 11 1 2 -> 24+20+0+18+0+72+36+0+0+3+0 = 173; 173 mod 11 = 8
    assert check_digit("85030940030") == 8
    assert parse_iin("850309400308") == IinInfo(dt.date(1985, 3, 9), "F")
    with pytest.raises(IinError) as info:
        parse_iin("850309400300")  # the first-pass value would have been 10: impossible, 0 is simply wrong
    assert info.value.code == "checksum"


def test_no_check_digit_exists():
    # 90051730260: both passes give 10, so no 12th digit makes it valid
    assert check_digit("90051730260") is None
    for last in "0123456789":
        with pytest.raises(IinError) as info:
            parse_iin("90051730260" + last)
        assert info.value.code == "checksum"
    # the helper never fails: it substitutes serial 0260 + 5000 = 5260 (documented)
    iin = make_valid_iin(dt.date(1990, 5, 17), "M", 260)
    assert iin[7:11] == "5260" and parse_iin(iin).birth_date == dt.date(1990, 5, 17)


@pytest.mark.parametrize(
    "born,sex,digit",
    [
        (dt.date(1899, 12, 31), "M", "1"),
        (dt.date(1850, 1, 1), "F", "2"),
        (dt.date(1900, 1, 1), "M", "3"),
        (dt.date(1999, 2, 28), "F", "4"),
        (dt.date(2000, 2, 29), "M", "5"),
        (dt.date(2008, 11, 30), "F", "6"),
    ],
)
def test_decoding_of_date_and_sex(born, sex, digit):
    for serial in (0, 1, 777, 9999):
        iin = make_valid_iin(born, sex, serial)
        assert len(iin) == 12 and iin[6] == digit and iin[:6] == born.strftime("%y%m%d")
        assert parse_iin(iin) == IinInfo(born, sex)


def test_many_generated_iins_are_valid_and_distinct():
    iins = {make_valid_iin(dt.date(1980, 1, 1) + dt.timedelta(days=i), "MF"[i % 2], 10 + i) for i in range(500)}
    assert len(iins) == 500
    assert all(parse_iin(x) for x in iins)


@pytest.mark.parametrize(
    "value",
    ["", "90051730101", "9005173010170", "90051730101a", " 900517301017", "９００５１７３０１０１７", None,
     900517301017],
)
def test_format_errors(value):
    with pytest.raises(IinError) as info:
        parse_iin(value)
    assert info.value.code == "format"


@pytest.mark.parametrize("digit", "0789")
def test_century_digit_must_be_1_to_6(digit):
    first11 = "900517" + digit + "0101"
    k = check_digit(first11)
    iin = first11 + str(k if k is not None else 0)
    with pytest.raises(IinError) as info:
        parse_iin(iin)
    assert info.value.code == "format"
    assert "1-6" in str(info.value)


def test_checksum_error():
    good = make_valid_iin(dt.date(1990, 5, 17), "M", 101)
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    with pytest.raises(IinError) as info:
        parse_iin(bad)
    assert info.value.code == "checksum"


@pytest.mark.parametrize(
    "yymmdd,c", [("900230", "3"), ("901301", "3"), ("900000", "3"), ("010229", "5"), ("991231", "5")]
)
def test_date_errors(yymmdd, c):
    # Feb 30, month 13, day 0, Feb 29 2001 (not a leap year), and 2099 (in the future)
    first11 = yymmdd + c + "0000"
    serial = 0
    while check_digit(first11) is None:
        serial += 1
        first11 = yymmdd + c + f"{serial:04d}"
    with pytest.raises(IinError) as info:
        parse_iin(first11 + str(check_digit(first11)))
    assert info.value.code == "date"


def test_errors_do_not_echo_the_iin():
    bad = make_valid_iin(dt.date(1990, 5, 17), "M", 101)[:11] + "0"
    with pytest.raises(IinError) as info:
        parse_iin(bad)
    assert bad not in str(info.value) and bad not in repr(info.value)


def test_age_on_boundaries():
    born = dt.date(2008, 3, 15)
    assert age_on(born, dt.date(2026, 3, 14)) == 17
    assert age_on(born, dt.date(2026, 3, 15)) == 18  # birthday today: new age
    assert age_on(born, dt.date(2026, 3, 16)) == 18
    assert age_on(born, born) == 0
    leap = dt.date(2008, 2, 29)
    assert age_on(leap, dt.date(2026, 2, 28)) == 17
    assert age_on(leap, dt.date(2026, 3, 1)) == 18
    assert age_on(leap, dt.date(2028, 2, 29)) == 20


def test_iin_hash():
    iin = make_valid_iin(dt.date(1990, 5, 17), "M", 101)
    h = iin_hash(iin, "secret")
    assert len(h) == 64 and iin not in h
    assert h == iin_hash(iin, b"secret")
    assert h != iin_hash(iin, "other-secret")
    assert h != iin_hash(make_valid_iin(dt.date(1990, 5, 17), "M", 102), "secret")
    import hashlib
    import hmac

    assert h == hmac.new(b"secret", iin.encode(), hashlib.sha256).hexdigest()
    with pytest.raises(ValueError):
        iin_hash(iin, "")
    with pytest.raises(IinError):
        iin_hash(iin[:11] + "0" if iin[11] != "0" else iin[:11] + "1", "secret")


def test_make_valid_iin_arguments():
    with pytest.raises(ValueError):
        make_valid_iin(dt.date(1990, 1, 1), "X", 1)
    with pytest.raises(ValueError):
        make_valid_iin(dt.date(1990, 1, 1), "M", 10000)
    with pytest.raises(ValueError):
        make_valid_iin(dt.date(1750, 1, 1), "M", 1)
    assert make_valid_iin(dt.date(1990, 1, 1), "female", 1)[6] == "4"
