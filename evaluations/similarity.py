"""Near-identical comments: the formulaic "good" written for every member of a cell.

A comment's free text is every criterion's comment and the other comments, folded (no
diacritics, lower case) and compared word by word with ``difflib.SequenceMatcher``, so a
copied comment with one name changed still scores high while two honest comments do not.
"""

from dataclasses import dataclass
from difflib import SequenceMatcher

from django.conf import settings

from partyreg.text import fold

from .models import CommentRequest


@dataclass(frozen=True)
class Match:
    request_id: int
    member_name: str
    ratio: float


def threshold() -> float:
    return float(settings.PARTYREG["SIMILARITY_THRESHOLD"])


def comment_text(answer_comments, other_comments: str) -> str:
    """The folded concatenation of a comment's free-text fields, criteria in sheet order."""
    return fold(" ".join([*(c for c in answer_comments if c), other_comments or ""]))


def ratio(text: str, other: str) -> float:
    """How alike ``text`` is to ``other``, 0 to 1, as ``best_match`` measures it.

    SequenceMatcher is not quite symmetric; ``text`` is always its second sequence, the one
    it indexes once and compares with each other comment.
    """
    return SequenceMatcher(None, other.split(), text.split(), autojunk=False).ratio()


def best_match(text: str, others: dict[int, tuple[str, str]]) -> Match | None:
    """The other comment closest to ``text``: ``others`` maps request id to (member, text).

    The cheap upper bounds of SequenceMatcher skip comments that cannot beat the best so far.
    """
    words = text.split()
    if not words:
        return None
    best: Match | None = None
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(words)
    for request_id, (member_name, other) in sorted(others.items()):
        other_words = other.split()
        if not other_words:
            continue
        matcher.set_seq1(other_words)
        floor = best.ratio if best else 0.0
        if matcher.real_quick_ratio() <= floor or matcher.quick_ratio() <= floor:
            continue
        value = matcher.ratio()
        if value > floor:
            best = Match(request_id, member_name, round(value, 4))
    return best


def cell_comment_texts(*, residence_cell_id: int, year: int, exclude_id: int | None = None):
    """The other comments of one residence cell in one campaign year, in one query.

    Returns ``{request id: (member name, folded text)}`` for requests that hold any text.
    """
    rows = (
        CommentRequest.objects.filter(residence_cell_id=residence_cell_id, campaign__year=year)
        .exclude(state=CommentRequest.State.WITHDRAWN)
        .exclude(pk=exclude_id)
        .order_by("pk", "answers__criterion__position")
        .values_list("pk", "member__full_name", "other_comments", "answers__comment")
    )
    parts: dict[int, list[str]] = {}
    names: dict[int, tuple[str, str]] = {}
    for pk, name, other_comments, answer_comment in rows:
        parts.setdefault(pk, [])
        names[pk] = (name, other_comments)
        if answer_comment:
            parts[pk].append(answer_comment)
    texts = {}
    for pk, comments in parts.items():
        name, other_comments = names[pk]
        text = comment_text(comments, other_comments)
        if text:
            texts[pk] = (name, text)
    return texts


def find_similar(
    *, residence_cell_id: int, year: int, text: str, exclude_id: int | None = None
) -> Match | None:
    """The closest other comment of the cell this year, whatever its score."""
    others = cell_comment_texts(
        residence_cell_id=residence_cell_id, year=year, exclude_id=exclude_id
    )
    return best_match(text, others)


def is_flagged(match: Match | None) -> bool:
    return match is not None and match.ratio >= threshold()


def resembling(
    *, request_id: int, residence_cell_id: int, year: int, always: int | None = None
) -> list[Match]:
    """Every other comment of the cell this year that the request's comment resembles at or
    above the threshold, closest first; ``always`` (the comment it is flagged against) is
    among them whatever its score, so the officer sees what the flag named."""
    texts = cell_comment_texts(residence_cell_id=residence_cell_id, year=year)
    own = texts.pop(request_id, None)
    if own is None:
        return []
    floor = threshold()
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(own[1].split())
    matches = []
    for pk, (member_name, other) in texts.items():
        matcher.set_seq1(other.split())
        if pk != always and (matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor):
            continue
        value = round(matcher.ratio(), 4)
        if value >= floor or pk == always:
            matches.append(Match(pk, member_name, value))
    return sorted(matches, key=lambda m: (-m.ratio, m.request_id))
