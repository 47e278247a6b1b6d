"""The visible signature box: Vietnamese text in the shipped Liberation Serif.

pyHanko embeds a subset of the stamp's font in every signature. Subsetting the whole shipped font
(2,600 glyphs, with its layout tables) took about 40 ms a signature; the font prepared here once
per process holds only the glyphs Vietnamese text needs, so each signature subsets a small font.

It is also scaled to 1,000 units per em: pyHanko (0.38) writes the glyph widths of an embedded
TrueType font in the font's own units where PDF expects thousandths of an em, which spreads the
letters of a 2,048-unit font such as Liberation Serif to twice their width.
"""

import functools
import io
from pathlib import Path

from django.conf import settings
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

FONT_FILE = Path(settings.BASE_DIR) / "static" / "fonts" / "LiberationSerif-Regular.ttf"
FONT_SIZE = 9
# Printable ASCII, the Vietnamese letters outside it (precomposed, as NFC text has them), and
# the punctuation of names and titles.
VIETNAMESE = (
    "".join(chr(code) for code in range(0x20, 0x7F))
    + "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư"
    + "".join(chr(code) for code in range(0x1EA0, 0x1EFA))
    + "–—‘’“”…·"
)
# Official wording, printed on the document: fixed Vietnamese, not translated.
STAMP_TEXT = "Ký số bởi: %(signer_name)s\n%(role)s\nThời gian ký: %(time)s"


@functools.cache
def stamp_font() -> bytes:
    """The shipped font cut down to Vietnamese and scaled to 1,000 units per em (see above)."""
    font = TTFont(FONT_FILE)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.hinting = False
    options.drop_tables += ["FFTM", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=VIETNAMESE)
    subsetter.subset(font)
    scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class StampFontFactory(FontEngineFactory):
    """pyHanko's glyph accumulator over the prepared font, read from memory."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        # The engine's size must be the text box's: pyHanko moves from line to line by the
        # first and draws by the second.
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(stamp_font()),
            font_size=FONT_SIZE,
            obj_stream=obj_stream,
        )


@functools.cache
def stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=StampFontFactory(), font_size=FONT_SIZE, leading=11),
        border_width=1,
    )
