"""The Vietnamese catalogue: complete, not fuzzy, placeholders intact, and really used by pages.

The rendering tests compile locale/vi/LC_MESSAGES/django.po afresh into a temporary directory
and point LOCALE_PATHS at it, so they check the .po in the tree, never a stale .mo.
"""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

from members import spreadsheets
from members.models import Member
from partyreg.management.commands.compile_translations import compile_catalogue

PO_PATH = Path(django_settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"

# printf-style placeholders as Python formats them: %(name)s, %(seconds).1f, %s, %d, %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def entries():
    return [entry for entry in catalogue() if not entry.obsolete]


def translations(entry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def label(entry) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
    return f"{entry.msgid!r} ({where})"


def test_header_declares_vietnamese_with_one_plural_form():
    metadata = catalogue().metadata
    assert metadata["Language"] == "vi"
    assert "charset=UTF-8" in metadata["Content-Type"]
    assert metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_not_fuzzy():
    problems = []
    for entry in entries():
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label(entry)}")
        texts = translations(entry)
        if entry.msgid_plural and len(texts) != 1:
            problems.append(f"needs exactly one plural form (msgstr[0]): {label(entry)}")
        if not all(text.strip() for text in texts):
            problems.append(f"untranslated: {label(entry)}")
    assert not problems, "Translate locale/vi/LC_MESSAGES/django.po:\n" + "\n".join(problems)


def test_every_translation_keeps_the_placeholders_and_tags():
    problems = []
    for entry in entries():
        if entry.msgid_plural:
            # The single Vietnamese form stands for both English forms.
            expected = sorted(
                set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural))
            )
        else:
            expected = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in translations(entry):
            if not text:
                continue  # reported by the test above
            found = sorted(PLACEHOLDER.findall(text))
            if entry.msgid_plural:
                found = sorted(set(found))
            if found != expected:
                problems.append(f"{label(entry)}: expected {expected}, found {found}")
            if sorted(TAG.findall(entry.msgid)) != sorted(TAG.findall(text)):
                problems.append(f"{label(entry)}: HTML tags differ")
    assert not problems, "\n".join(problems)


def test_placeholder_check_catches_a_dropped_or_renamed_placeholder():
    """Guards the check itself: a translation that loses or renames a placeholder differs."""
    assert PLACEHOLDER.findall("Đã thêm %(new)d, %(seconds).1f giây, %s và 50%%") == [
        "%(new)d",
        "%(seconds).1f",
        "%s",
        "%%",
    ]
    assert sorted(PLACEHOLDER.findall("%(count)d members")) != sorted(
        PLACEHOLDER.findall("%(counter)d đảng viên")
    )


@pytest.fixture
def fresh_catalogue(settings, tmp_path):
    """The .po of the tree, compiled now, as the only project catalogue; Vietnamese active even
    if the suite runs in another language."""
    target = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO_PATH, target / "django.po")
    compile_catalogue(target / "django.po")
    # Changing LOCALE_PATHS resets Django's translation caches, now and when restored.
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    settings.LANGUAGE_CODE = "vi"
    with translation.override("vi"):
        yield


def test_spreadsheet_choice_labels_match_the_translations(fresh_catalogue):
    """A status or category reads the same in the Excel file as on the pages."""
    with translation.override("vi"):
        for field_name, labels in spreadsheets.CHOICE_LABELS_VI.items():
            for value, display in Member._meta.get_field(field_name).choices:
                assert str(display) == labels[value], (field_name, value)


@pytest.mark.django_db
def test_login_page_is_in_vietnamese(client, fresh_catalogue):
    body = client.get(reverse("login")).content.decode()
    assert "Đăng nhập" in body
    assert "Quên mật khẩu?" in body
    assert "Log in" not in body and "Forgot your password?" not in body


@pytest.mark.django_db
def test_required_field_error_is_in_vietnamese(client, fresh_catalogue):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Trường này là bắt buộc." in body
    assert "This field is required." not in body


@pytest.mark.django_db
def test_member_pages_are_in_vietnamese(login, world, fresh_catalogue):
    client = login(world.secretary)
    listing = client.get(reverse("members:member_list")).content.decode()
    assert "Đăng xuất" in listing and "Log out" not in listing
    detail = client.get(reverse("members:member_detail", args=[world.member.pk])).content.decode()
    assert "Thông tin cá nhân" in detail and "Personal details" not in detail
    assert "Ngày vào Đảng" in detail and "Admitted on" not in detail


# --- One vocabulary ------------------------------------------------------------------------------

GLOSSARY = Path(django_settings.BASE_DIR) / "docs" / "GLOSSARY.md"
GLOSSARY_ROW = re.compile(r"^\| ([^|]+?) \| ([^|]+?) \| [^|]+ \| [^|]+ \|$")
SITE_APPS = ("partyreg", "members", "residence", "evaluations")


def glossary_rows() -> list[tuple[str, str]]:
    rows = [GLOSSARY_ROW.match(line) for line in GLOSSARY.read_text().splitlines()]
    return [(m[1], m[2]) for m in rows if m and m[1] not in ("Vietnamese term", "---")]


def state_fields():
    """Every state or status field of the site's models, with its choices."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label not in SITE_APPS:
            continue
        for field in model._meta.fields:
            if field.choices and field.name in ("state", "status"):
                yield f"{model.__name__}.{field.name}", field.flatchoices


def test_the_glossary_is_the_catalogue():
    """Each glossary term is what the catalogue says for its message id; no two rows share one."""
    translated = {entry.msgid: entry.msgstr for entry in entries() if not entry.msgid_plural}
    rows = glossary_rows()
    assert len(rows) >= 30
    wrong = [
        (msgid, term, translated.get(msgid))
        for term, msgid in rows
        if translated.get(msgid) != term
    ]
    assert wrong == []
    terms = [term.lower() for term, _msgid in rows]
    assert sorted({t for t in terms if terms.count(t) > 1}) == []


def test_no_two_states_share_a_vietnamese_name(fresh_catalogue):
    """Within a workflow each state has its own name, and two different states of the site never
    read the same in Vietnamese (Đã xác nhận was once certified, acknowledged and confirmed)."""
    names: dict[str, set[str]] = {}
    for where, choices in state_fields():
        with translation.override("vi"):
            labels = [str(label) for _value, label in choices]
        with translation.override("en"):
            english = [str(label) for _value, label in choices]
        assert len(set(labels)) == len(labels), (where, labels)
        for name, msgid in zip(labels, english, strict=True):
            names.setdefault(name, set()).add(msgid)
    shared = {name: sorted(msgids) for name, msgids in names.items() if len(msgids) > 1}
    assert shared == {}


def test_members_are_addressed_as_comrade():
    """ "đồng chí", never "bạn", in every message of the site."""
    bare_you = re.compile(r"(?<!\w)[Bb]ạn(?!\w)")
    assert [e.msgid for e in entries() if any(bare_you.search(t) for t in translations(e))] == []
