"""Lists of organisations in the order a reader expects: by name in Vietnamese dictionary order,
numbers in number order (``partyreg.text.natural_key``), each unit under its parent."""

from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

from partyreg.text import natural_key

from .models import PATH_SEGMENT_WIDTH

T = TypeVar("T")


def by_name(organisations: Iterable[T]) -> list[T]:
    return sorted(organisations, key=lambda o: natural_key(o.name))


def parent_path(path: str) -> str:
    return path[: -(PATH_SEGMENT_WIDTH + 1)]


def in_tree_order(organisations: Iterable[T]) -> list[T]:
    """Each organisation followed by those of its units in the list, siblings by name.

    Organisations whose parent is not in the list stay with the others of the same parent
    (the cells of one commune together), in the order of the tree.
    """
    items = list(organisations)
    present = {o.pk for o in items}
    children, tops = defaultdict(list), []
    for o in items:
        (children[o.parent_id] if o.parent_id in present else tops).append(o)
    ordered: list[T] = []
    stack = sorted(tops, key=lambda o: (parent_path(o.path), natural_key(o.name)), reverse=True)
    while stack:
        o = stack.pop()
        ordered.append(o)
        stack.extend(sorted(children[o.pk], key=lambda c: natural_key(c.name), reverse=True))
    return ordered
