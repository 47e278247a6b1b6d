"""The kinds of signed document, by the name their URLs carry."""

from django.http import Http404

from .documents import DocumentType
from .letters import LETTER
from .sheets import SHEET

DOCUMENT_TYPES: dict[str, DocumentType] = {kind.kind: kind for kind in (SHEET, LETTER)}


def document_type(kind: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[kind]
    except KeyError as error:
        raise Http404 from error
