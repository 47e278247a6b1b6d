import re
import unicodedata

_SPACES = re.compile(r"\s+")


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
