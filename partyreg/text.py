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


def vn_number(value) -> str:
    """A whole number as Vietnamese writes it, with dots between thousands: 2.657, 98.420.

    The same on pages, charts, spreadsheets' text and printed reports.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    return f"{value:,}".replace(",", ".")


# The Vietnamese alphabet (with the Latin letters it lacks in their Latin places): ă and â come
# after a, đ after d, ê after e, ô and ơ after o, ư after u, as in a dictionary.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANKS = {letter: i for i, letter in enumerate(_ALPHABET)}  # one code point each (NFC)
# The marks that make a letter of its own; the tones only break ties (secondary), in the order
# of the Unicode Vietnamese collation: none, grave, hook, tilde, acute, dot below.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_FIRST_LETTER = 1000


def _weights(char: str) -> tuple[str, str]:
    """(primary, tone) of one character, each as one character that sorts where it should."""
    decomposed = unicodedata.normalize("NFD", char.lower())
    base = decomposed[0]
    letter = unicodedata.normalize(
        "NFC", base + "".join(m for m in decomposed[1:] if m in _LETTER_MARKS)
    )
    tone = max((_TONES.get(m, 0) for m in decomposed[1:]), default=0)
    if letter in _RANKS:
        primary = _FIRST_LETTER + _RANKS[letter]
    else:
        # Spaces and punctuation before letters, so "Tổ 1" < "Tổ 1A" and "An" < "An Bình".
        primary = 0 if char.isspace() else ord(base) % _FIRST_LETTER
    return chr(primary), chr(ord("0") + tone)


# ``str.translate`` tables: each character's primary weight, tone and case, learnt once.
_PRIMARY: dict[int, str] = {}
_TONE: dict[int, str] = {}
_CASE: dict[int, str] = {}


def _learn(text: str) -> None:
    for char in set(text):
        if ord(char) not in _PRIMARY:
            primary, tone = _weights(char)
            _TONE[ord(char)] = tone
            _CASE[ord(char)] = "1" if char.isupper() else "0"
            _PRIMARY[ord(char)] = primary  # last: its presence says all three are known


def natural_key(text: str) -> tuple:
    """Sorts names as a Vietnamese reader expects: dictionary order of the Vietnamese alphabet
    (đ after d, ơ after ô), tones and case only breaking ties, and numbers in number order
    ("Tổ dân phố 2" before "Tổ dân phố 10").

    In Python rather than a database collation: the lists sorted with it are drawn whole (a
    select, the cells of a commune, the units of one organisation), and the site runs on SQLite
    as well as PostgreSQL, so one key gives one order everywhere. Characters are weighed once, then
    through translation tables.
    """
    text = unicodedata.normalize("NFC", _SPACES.sub(" ", (text or "").strip()))
    _learn(text)
    parts = _NUMBERS.split(text)
    primary = tuple(
        (0, int(part), "") if i % 2 else (1, 0, part.translate(_PRIMARY))
        for i, part in enumerate(parts)
        if part
    )
    tones = "".join(part.translate(_TONE) for part in parts[::2])
    return primary, tones, text.translate(_CASE), text
