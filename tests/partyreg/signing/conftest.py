"""Real rendered sheets; the test CA with its signers, the SoftHSM2 token and poppler's pdfsig
are tests/signing_fixtures.py's (the workflow tests share them)."""

from datetime import date

import pytest

from partyreg.pdf import render_pdf

TEMPLATE = "pdf/example_sheet.html"
# The signature space of the example sheet (under "T/M ĐẢNG ỦY / BÍ THƯ"), and its left column
# for the second signature.
SIGNER_BOX = (0, 345, 390, 545, 450)
COUNTERSIGNER_BOX = (0, 100, 390, 300, 450)


def sheet_context(member_name: str) -> dict:
    return {
        "superior_name": "Đảng bộ thành phố Đà Lạt",
        "issuer_name": "Đảng ủy Phường 1",
        "number": "12-GGT/ĐU",
        "place": "Đà Lạt",
        "date": date(2026, 11, 20),
        "title": "Giấy giới thiệu",
        "cell_name": "Khu phố 3",
        "member_name": member_name,
        "birth_date": date(1980, 1, 5),
        "workplace": "Chi bộ Văn phòng Sở Tài chính",
        "recipients": ["Như trên", "Lưu VP"],
        "signature": {"on_behalf": "T/M Đảng ủy", "title": "Bí thư", "name": "Đặng Văn Ộ"},
    }


@pytest.fixture(scope="session")
def sheet_pdf() -> bytes:
    """A real WeasyPrint rendering: the document the site issued."""
    return render_pdf(TEMPLATE, sheet_context("Nguyễn Thị Ánh Tuyết"))


@pytest.fixture(scope="session")
def other_sheet_pdf() -> bytes:
    """The same kind of sheet for another member: a document the site issued, but not this one."""
    return render_pdf(TEMPLATE, sheet_context("Lê Văn Bảy"))
