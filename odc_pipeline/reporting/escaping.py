"""Make text from ODC inert before any CI reads it.

Names, build logs and deployment messages come from the tenant, so a crafted message could
otherwise open a GitHub workflow command (a line starting with ``::``), an Azure logging command
(``##vso[`` anywhere in a line, ``##[`` formatting commands) or a GitLab section marker / ANSI
sequence. Each CI has its own encoding for the parts we control (command data, property
values), and all of them need the untrusted text neutralised where it is printed verbatim.
"""

from __future__ import annotations

import re

BREAK = "\u00b7"
"""A visible middle dot that breaks a command prefix (``#·#vso[``, ``·::error::``).

Deliberately not an invisible character: the runners locate prefixes with .NET string search,
which under culture-sensitive (ICU) comparison skips ignorable code points such as U+2060, so a
zero-width "break" could still match. A middle dot is punctuation with a real collation weight
and is not whitespace, so neither ``IndexOf`` nor ``TrimStart`` can see through it.
"""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0/C1 controls except \t and \n
_AZURE_PREFIX = re.compile(r"##(vso)?\[", re.IGNORECASE)


def _newlines(text: str) -> str:
    """Every line break a log viewer or runner might honour becomes ``\\n``."""
    for sep in ("\r\n", "\r", "\u0085", "\u2028", "\u2029", "\x0b", "\x0c"):
        text = text.replace(sep, "\n")
    return text


def strip_controls(text: str) -> str:
    """Drop control characters (ESC, ``\\r``, …) that could fake GitLab sections or colours."""
    return _CONTROL.sub("", text)


def inert(text: str) -> str:
    """One line of untrusted text, safe to print as-is in GitHub, GitLab and Azure logs.

    Newlines become a visible ``⏎`` so the text cannot start a new (command) line; Azure
    prefixes anywhere in the line and a GitHub ``::`` at the start are broken with :data:`BREAK`.
    """
    text = strip_controls(_newlines(text)).replace("\n", " ⏎ ")
    text = _AZURE_PREFIX.sub(lambda m: m.group(0)[0] + BREAK + m.group(0)[1:], text)
    if text.lstrip().startswith("::"):
        text = BREAK + text
    return text


def inert_lines(text: str) -> list[str]:
    """Like :func:`inert` but keeps the line structure (for multi-line build logs)."""
    lines = strip_controls(_newlines(text)).split("\n")
    return [inert(line) for line in lines]


def github_data(text: str) -> str:
    """Encode the data part of a GitHub workflow command (``toolkit`` ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """Encode a GitHub workflow command property value (``toolkit`` ``escapeProperty``)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def azure_value(text: str) -> str:
    """Encode an Azure logging command message or property (agent ``CommandStringConvertor``)."""
    return (
        text.replace("%", "%AZP25")
        .replace(";", "%3B")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace("]", "%5D")
    )


def markdown_cell(text: str) -> str:
    """Text for a GFM table cell: one line, no pipes, no raw HTML."""
    text = inert(text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("`", "\\`")
        .replace("[", "\\[")
        .replace("]", "\\]")
    )


_SECTION_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def gitlab_section_name(text: str) -> str:
    """GitLab section names allow letters, digits, ``_``, ``.`` and ``-`` only."""
    return _SECTION_NAME.sub("_", text) or "section"
