"""Member lists in Excel (.xlsx): reading and checking an import, and writing an export.

The headers and choice labels in the file are fixed Vietnamese wording (data, like a printed
form), so a file exported here imports back with no change. Reading never trusts the file: its
size, its zip directory and its row count are checked before and while openpyxl parses it.
"""

from .columns import CHOICE_LABELS_VI, COLUMNS
from .limits import import_limits
from .reading import ImportHasErrors, read_member_file
from .writing import write_members, write_template

__all__ = [
    "CHOICE_LABELS_VI",
    "COLUMNS",
    "ImportHasErrors",
    "import_limits",
    "read_member_file",
    "write_members",
    "write_template",
]
