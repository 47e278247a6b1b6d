"""Vietnamese text: folding for search, and the order lists of names are shown in."""

import random

import pytest

from partyreg.text import fold, natural_key


def test_fold_drops_accents_and_case():
    assert fold("  Đặng   Văn Ấn ") == "dang van an"


def test_numbers_sort_in_number_order():
    names = [f"Chi bộ Tổ dân phố {n}" for n in (10, 2, 1, 12, 11, 3)]
    assert sorted(names, key=natural_key) == [
        f"Chi bộ Tổ dân phố {n}" for n in (1, 2, 3, 10, 11, 12)
    ]
    assert sorted(["Khu phố 12B", "Khu phố 12", "Khu phố 3", "Khu phố 12A"], key=natural_key) == [
        "Khu phố 3",
        "Khu phố 12",
        "Khu phố 12A",
        "Khu phố 12B",
    ]


def test_letters_follow_the_vietnamese_alphabet():
    # ă and â after a, đ after every d, ơ after ô after o, ư after u; a shorter word first.
    expected = ["An", "An Bình", "Anh", "Ăn", "Ấp", "Ba", "Dương", "Đà Lạt", "Ôn", "Ơn", "Uy", "Ưu"]
    shuffled = expected[:]
    random.Random(213).shuffle(shuffled)
    assert sorted(shuffled, key=natural_key) == expected


@pytest.mark.parametrize(
    "first, second",
    [
        ("ma", "mà"),  # tones only break ties, in the order none, grave, hook, tilde, acute, dot
        ("mà", "mả"),
        ("mả", "mã"),
        ("mã", "má"),
        ("má", "mạ"),
        ("mạ", "mai"),  # ... and never before the letters
        ("ba", "Ba"),  # case last
    ],
)
def test_tones_and_case_break_ties_only(first, second):
    assert natural_key(first) < natural_key(second)


@pytest.mark.postgres
def test_same_order_as_postgresqls_icu_vietnamese_collation_with_numbers(db):
    """The key agrees with ICU's ``vi-u-kn-true`` (what a database collation would give)."""
    from django.db import connection

    names = [
        "Chi bộ Tổ dân phố 10",
        "Chi bộ Tổ dân phố 9",
        "Chi bộ Thôn Đa Lộc",
        "Chi bộ Thôn Dã Chiến",
        "Đảng ủy phường Xuân Hương – Đà Lạt",
        "Đảng ủy xã Hiệp Thạnh",
        "Đảng bộ Sở Tài chính",
        "Chi bộ Phòng Kế hoạch",
        "Chi bộ Phòng Kỹ thuật",
        "Chi bộ Ưu tiên",
        "Chi bộ Uy Nỗ",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE COLLATION IF NOT EXISTS partyreg_vi_numeric "
            "(provider = icu, locale = 'vi-u-kn-true')"
        )
        cursor.execute(
            "SELECT n FROM unnest(%s::text[]) n ORDER BY n COLLATE partyreg_vi_numeric", [names]
        )
        by_icu = [row[0] for row in cursor.fetchall()]
    assert sorted(names, key=natural_key) == by_icu
