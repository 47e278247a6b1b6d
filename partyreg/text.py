import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NUMBERS = re.compile(r"(\d+)")


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: "Đặng Văn Ấn" -> "dang van an".

    Stored beside names so that search ignores accents on every database, with no extension.
    """
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped).strip().lower()


# The Vietnamese alphabet (with the Latin letters it lacks in their Latin places): ă and â come
# after a, đ after d, ê after e, ô and ơ after o, ư after u, as in a dictionary.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
# The marks that make a letter of its own; the tones only break ties (secondary), in the order
# of the Unicode Vietnamese collation: none, grave, hook, tilde, acute, dot below.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_FIRST_LETTER = 1000


def _letter_rank(char: str) -> tuple[int, int]:
    """(primary, tone) of one character."""
    decomposed = unicodedata.normalize("NFD", char.lower())
    base = decomposed[0]
    letter = unicodedata.normalize(
        "NFC", base + "".join(m for m in decomposed[1:] if m in _LETTER_MARKS)
    )
    tone = max((_TONES.get(m, 0) for m in decomposed[1:]), default=0)
    if letter in _RANKS:
        return _FIRST_LETTER + _RANKS[letter], tone
    # Spaces and punctuation before letters, so "Tổ 1" < "Tổ 1A" and "An" < "An Bình".
    return (0 if char.isspace() else ord(base) % _FIRST_LETTER), tone


_RANKS = {letter: i for i, letter in enumerate(_ALPHABET)}  # one code point each (NFC)


def natural_key(text: str) -> tuple:
    """Sorts names as a Vietnamese reader expects: dictionary order of the Vietnamese alphabet
    (đ after d, ơ after ô), tones and case only breaking ties, and numbers in number order
    ("Tổ dân phố 2" before "Tổ dân phố 10").

    In Python rather than a database collation: the lists sorted with it are drawn whole (a
    select, the cells of a commune, the units of one organisation), and the site runs on SQLite
    as well as PostgreSQL, so one key gives one order everywhere.
    """
    text = unicodedata.normalize("NFC", _SPACES.sub(" ", (text or "").strip()))
    primary, tones = [], []
    for i, part in enumerate(_NUMBERS.split(text)):
        if i % 2:
            primary.append((0, int(part), ()))
        elif part:
            ranks = [_letter_rank(c) for c in part]
            primary.append((1, 0, tuple(r for r, _t in ranks)))
            tones.extend(t for _r, t in ranks)
    return tuple(primary), tuple(tones), tuple(c.isupper() for c in text), text
