"""System libraries WeasyPrint needs, checked before anything tries to print.

WeasyPrint loads Pango (≥ 1.44) and PangoFT2 at import and crashes with a long traceback when they
are missing; without the HarfBuzz subset library it still works but embeds whole fonts. The same
check runs in ``manage.py check`` (so ``make run`` stops early with the package names) and can be
called directly.
"""

import ctypes

from django.core import checks

APT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
INSTALL_HINT = f"On Debian or Ubuntu: apt install {APT_PACKAGES}"
PANGO_MINIMUM = (1, 44)

# The names WeasyPrint itself tries on Linux and macOS, most specific first.
PANGO_NAMES = ("libpango-1.0.so.0", "libpango-1.0-0", "pango-1.0", "libpango-1.0.dylib")
PANGOFT2_NAMES = ("libpangoft2-1.0.so.0", "libpangoft2-1.0-0", "pangoft2-1.0")
HARFBUZZ_SUBSET_NAMES = (
    "libharfbuzz-subset.so.0",
    "libharfbuzz-subset-0",
    "harfbuzz-subset",
    "libharfbuzz-subset.0.dylib",
)


def load_library(names: tuple[str, ...]):
    """The first of ``names`` the dynamic loader can open, or None."""
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def pango_version(library) -> tuple[int, int, int]:
    encoded = library.pango_version()
    return encoded // 10000, encoded // 100 % 100, encoded % 100


def pdf_library_messages() -> list[checks.CheckMessage]:
    """Errors for what stops PDFs from rendering, a warning for what makes them larger."""
    messages: list[checks.CheckMessage] = []
    pango = load_library(PANGO_NAMES)
    if pango is None:
        messages.append(
            checks.Error(
                "Pango (libpango-1.0) is not installed; WeasyPrint cannot render PDFs.",
                hint=INSTALL_HINT,
                id="partyreg.E001",
            )
        )
    else:
        version = pango_version(pango)
        if version[:2] < PANGO_MINIMUM:
            found = ".".join(map(str, version))
            needed = ".".join(map(str, PANGO_MINIMUM))
            messages.append(
                checks.Error(
                    f"Pango {found} is too old; WeasyPrint needs Pango {needed} or newer.",
                    hint=f"Upgrade the system (Debian 11 or newer). {INSTALL_HINT}",
                    id="partyreg.E002",
                )
            )
    if load_library(PANGOFT2_NAMES) is None:
        messages.append(
            checks.Error(
                "PangoFT2 (libpangoft2-1.0) is not installed; WeasyPrint cannot render PDFs.",
                hint=INSTALL_HINT,
                id="partyreg.E003",
            )
        )
    if load_library(HARFBUZZ_SUBSET_NAMES) is None:
        messages.append(
            checks.Warning(
                "The HarfBuzz subset library (libharfbuzz-subset0) is not installed; PDFs will "
                "embed whole fonts and be several times larger.",
                hint=INSTALL_HINT,
                id="partyreg.W001",
            )
        )
    return messages


@checks.register("partyreg")
def pdf_libraries_check(app_configs, **kwargs):
    return pdf_library_messages()
