"""Buttons are at least 2.75rem tall on a phone, with their label in the middle of that height."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The label's distance from the button's top and bottom edges, and the button's height, in px.
LABEL_GAPS = """(button) => {
  const range = document.createRange();
  range.selectNodeContents(button);
  const label = range.getBoundingClientRect();
  const box = button.getBoundingClientRect();
  return {top: label.top - box.top, bottom: box.bottom - label.bottom, height: box.height};
}"""


@pytest.mark.parametrize("size", ["", "btn-sm"])
def test_a_button_label_sits_in_the_middle_of_its_touch_target(page, live_server, size):
    page.goto(f"{live_server.url}/accounts/login/")
    # The login page's own button is a plain .btn; a small one is added beside it, as the print
    # job page's "Download" and the campaign page's filters are.
    button = page.evaluate_handle(
        """(size) => {
          const button = document.createElement("a");
          button.className = `btn btn-primary ${size}`;
          button.textContent = "Tải về";
          document.querySelector("form").append(button);
          return button;
        }""",
        size,
    )
    root_font = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    gaps = page.evaluate(LABEL_GAPS, button)
    assert gaps["height"] >= 2.75 * root_font - 0.5, gaps
    assert abs(gaps["top"] - gaps["bottom"]) <= 1.5, gaps
