"""What every page of the site must be: served with the security headers, and free of code the
Content-Security-Policy would block (inline scripts, on* handlers, javascript: links, inline
styles), so the policy never has to allow them. Hostile text must arrive as text, never as
markup; PDFs must print it.
"""

import re
from html.parser import HTMLParser

from .walk_world import HOSTILE

# What the hostile tail would become if a page carried it as markup.
HOSTILE_MARKUP = ("<script>alert(", "<img src=x")


class Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            if "src" not in names:
                self.problems.append("an inline <script>")
            elif names.get("type") not in (None, "text/javascript", "module"):
                self.problems.append(f"a <script type={names['type']!r}>")
        if tag == "style":
            self.problems.append("an inline <style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an {name}= handler on <{tag}>")
            if name == "style":
                self.problems.append(f"a style= attribute on <{tag}>")
            if name.startswith("hx-on"):
                self.problems.append(f"an {name} handler on <{tag}> (needs 'unsafe-eval')")
            if (
                name in ("href", "src", "action", "formaction")
                and value
                and re.match(r"\s*javascript:", value, re.IGNORECASE)
            ):
                self.problems.append(f"a javascript: URL in <{tag} {name}>")

    handle_startendtag = handle_starttag


def header_problems(response) -> list[str]:
    problems = []
    policy = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    script = directives.get("script-src") or directives.get("default-src")
    if not script:
        problems.append("no Content-Security-Policy with a script-src")
    elif any(s in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:") for s in script):
        problems.append(f"the script-src allows {script}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("the policy lets other sites frame the page")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.get('X-Frame-Options')!r}, not DENY")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    return problems


def cache_problems(response) -> list[str]:
    """An answer to a signed-in user is kept by no cache (issue 15, finding 9)."""
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    missing = {"no-store", "private"} - directives
    return [f"Cache-Control lacks {sorted(missing)}"] if missing else []


def page_problems(response, text: str, *, signed_in: bool = False) -> list[str]:
    """What is wrong with one answer of the site (any status, any content type)."""
    problems = header_problems(response)
    if signed_in:
        problems.extend(cache_problems(response))
    if response.get("Content-Type", "").startswith("text/html") and text:
        scanner = Scanner()
        scanner.feed(text)
        scanner.close()
        problems.extend(scanner.problems)
        problems.extend(
            f"hostile text carried as markup ({m!r})" for m in HOSTILE_MARKUP if m in text
        )
    return problems


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def prints_hostile_as_text(text: str) -> bool:
    """The hostile tail is printed as it was typed (PDF text, whitespace aside)."""
    return compact(HOSTILE) in compact(text)
