"""What a file must be before openpyxl parses it: its size, its format and how it unpacks."""

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# A row of this table takes about 1.2 KB of sheet XML with every cell filled (measured on an
# export), and under 8 KB even with every text at its longest in Vietnamese, so a list within
# the row limit unpacks to less than this; anything larger is a bomb.
_UNPACKED_BYTES_PER_ROW = 8192
_UNPACKED_BYTES_BASE = 2 * 1024 * 1024
# Spreadsheet XML compresses about 5 to 20 times; a large part packed hundreds of times
# smaller is filler made to blow up when unpacked.
_MAX_PACKING_RATIO = 200
_RATIO_CHECK_FROM_BYTES = 1024 * 1024


def import_limits() -> tuple[int, int]:
    return settings.PARTYREG["IMPORT_MAX_BYTES"], settings.PARTYREG["IMPORT_MAX_ROWS"]


def _size(nbytes: int) -> str:
    if nbytes >= 1024 * 1024:
        return _("%(size)s MB") % {"size": number_format(nbytes / (1024 * 1024), 1)}
    return _("%(size)s KB") % {"size": number_format(max(nbytes, 1) / 1024, 0)}


def _damaged() -> ValidationError:
    return ValidationError(
        _(
            "The file is damaged and cannot be read. Open it in Excel, save it again as "
            "“Excel Workbook (.xlsx)” and upload the new file."
        ),
        code="damaged",
    )


def _not_xlsx() -> ValidationError:
    return ValidationError(
        _(
            "This is not an Excel .xlsx file. Open the list in Excel (or LibreOffice), save it "
            "as “Excel Workbook (.xlsx)” and upload that file; start from the template file if "
            "in doubt."
        ),
        code="not_xlsx",
    )


def check_archive(fileobj) -> None:
    """Refuses, before any parsing, a file too large, not an .xlsx, or packed to explode."""
    max_bytes, max_rows = import_limits()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > max_bytes:
        raise ValidationError(
            _(
                "The file is %(size)s; the largest accepted is %(max)s. Split the list into "
                "smaller files and import them one by one."
            )
            % {"size": _size(size), "max": _size(max_bytes)},
            code="too_large",
        )
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(_XLS_MAGIC):
        raise ValidationError(
            _(
                "This is an old Excel 97–2003 (.xls) file or a workbook protected by a "
                "password. Open it in Excel, remove any password and save it as "
                "“Excel Workbook (.xlsx)”."
            ),
            code="xls",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _damaged() from None
    finally:
        fileobj.seek(0)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_xlsx()
    # zipfile stops at the declared size and then fails the CRC check, so the declared sizes
    # bound what openpyxl will ever unpack.
    unpacked = sum(info.file_size for info in infos)
    too_dense = any(
        info.file_size > _RATIO_CHECK_FROM_BYTES
        and info.file_size > _MAX_PACKING_RATIO * max(info.compress_size, 1)
        for info in infos
    )
    if too_dense or unpacked > _UNPACKED_BYTES_BASE + max_rows * _UNPACKED_BYTES_PER_ROW:
        raise ValidationError(
            _(
                "The file unpacks to %(size)s, far more than a member list holds; it is damaged "
                "or was made to overload the server. Save the list again from Excel as .xlsx "
                "and upload the new file."
            )
            % {"size": _size(unpacked)},
            code="zip_bomb",
        )
