"""The three CIs' own parsing rules, re-implemented from their source, to read what we wrote.

* GitHub: ``ActionCommand.TryParseV2`` (``actions/runner`` src/Runner.Common/ActionCommand.cs)
  for stdout lines, ``EnvFileKeyValuePairs`` (src/Runner.Worker/FileCommandManager.cs) for
  ``GITHUB_OUTPUT``; Linux splits lines on ``\\n`` only.
* GitLab: ``Ci::ParseDotenvArtifactService`` (line regex ``^(.*?)=(.*)$``, key charset, < 5 KB)
  and the job-log section markers.
* Azure: ``Command.TryParse`` (azure-pipelines-agent src/Microsoft.VisualStudio.Services.Agent/
  Command.cs): ``##vso[`` found *anywhere* in the line, properties split on ``;``.

Parsers are strict: a violation raises, the way the runner would fail the step or GitLab would
reject the artifact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


# ----------------------------------------------------------------------------- GitHub
@dataclass(frozen=True)
class GitHubCommand:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def _gh_unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _gh_unescape_property(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def github_parse_line(line: str) -> GitHubCommand | None:
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    name, _, props = info.partition(" ")
    properties: dict[str, str] = {}
    for prop in (p for p in props.strip().split(",") if p):
        key, sep, value = prop.partition("=")
        if sep and key and value:
            properties[key] = _gh_unescape_property(value)
    return GitHubCommand(name.lower(), properties, _gh_unescape_data(message[end + 2 :]))


def github_commands(stdout: str) -> list[GitHubCommand]:
    """Every workflow command the runner would execute from this output (stdout or stderr)."""
    # The runner reads process output line by line (StreamReader.ReadLine: \r, \n, \r\n).
    lines = re.split(r"\r\n|\r|\n", stdout)
    return [c for line in lines if (c := github_parse_line(line)) is not None]


def github_parse_file_commands(text: str) -> dict[str, str]:
    """``GITHUB_OUTPUT`` as the runner reads it; raises on every error the runner raises."""
    if text and not text.endswith("\n"):
        raise ValueError("Invalid value. EOF marker missing new line.")
    lines = text.split("\n")[:-1] if text else []
    result: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            name, value = line[:eq], line[eq + 1 :]
            if not name:
                raise ValueError(f"Invalid format '{line}'. Name must not be empty")
            result[name] = value
            continue
        if heredoc < 0:
            raise ValueError(f"Invalid format '{line}'")
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        if not name or not delimiter:
            raise ValueError(
                f"Invalid format '{line}'. Name must not be empty and delimiter must not be empty"
            )
        value_lines: list[str] = []
        while True:
            if i >= len(lines):
                raise ValueError(f"Invalid value. Matching delimiter not found '{delimiter}'")
            candidate = lines[i]
            i += 1
            if candidate == delimiter:
                break
            value_lines.append(candidate)
        result[name] = "\n".join(value_lines)
    return result


# ----------------------------------------------------------------------------- GitLab
DOTENV_LIMIT = 5 * 1024
_DOTENV_LINE = re.compile(r"^(.*?)=(.*)$")
_DOTENV_KEY = re.compile(r"^[a-zA-Z0-9_]+$")


def gitlab_parse_dotenv(data: bytes, *, max_variables: int = 20) -> dict[str, str]:
    """As GitLab's dotenv artifact parser: UTF-8, < 5 KB, one ``KEY=VALUE`` per line."""
    if len(data) >= DOTENV_LIMIT:
        raise ValueError(f"Dotenv Artifact Too Big. Maximum Allowable Size: {DOTENV_LIMIT}")
    text = data.decode("utf-8").removeprefix("\ufeff")
    result: dict[str, str] = {}
    for line in text.splitlines():
        match = _DOTENV_LINE.match(line)
        if not match:
            raise ValueError(f"Invalid Format: {line!r}")
        key, value = match.group(1).strip(), match.group(2).strip()
        if not _DOTENV_KEY.match(key):
            raise ValueError(f"Invalid Key: {key!r}")
        result[key] = value
    if len(result) > max_variables:
        raise ValueError(f"Dotenv files cannot have more than {max_variables} variables")
    return result


_SECTION = re.compile(r"\x1b\[0Ksection_(start|end):(\d+):([A-Za-z0-9_.-]+)(\[[^\]]*\])?\r\x1b\[0K")


def gitlab_sections(log: str) -> list[tuple[str, int, str]]:
    """``(start|end, timestamp, name)`` for every section marker the job log would fold on."""
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in _SECTION.finditer(log)]


# ----------------------------------------------------------------------------- Azure
@dataclass(frozen=True)
class AzureCommand:
    area: str
    event: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def _az_unescape(text: str) -> str:
    return (
        text.replace("%3B", ";")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%AZP25", "%")
    )


def azure_parse_line(line: str) -> AzureCommand | None:
    prefix = line.find("##vso[")
    if prefix < 0:
        return None
    rb = line.find("]", prefix)
    if rb < 0:
        return None
    info = line[prefix + 6 : rb]
    name, _, props = info.partition(" ")
    area, dot, event = name.partition(".")
    if not dot:
        return None
    properties: dict[str, str] = {}
    for prop in (p for p in props.split(";") if p):
        key, sep, value = prop.partition("=")
        if sep and key and value:
            properties[key] = _az_unescape(value)
    return AzureCommand(area.lower(), event.lower(), properties, _az_unescape(line[rb + 1 :]))


def azure_commands(stdout: str) -> list[AzureCommand]:
    lines = re.split(r"\r\n|\r|\n", stdout)
    return [c for line in lines if (c := azure_parse_line(line)) is not None]


def azure_format_commands(stdout: str) -> list[str]:
    """``##[group]`` etc.: the agent's formatting commands at the start of a line."""
    lines = re.split(r"\r\n|\r|\n", stdout)
    return [m.group(1) for line in lines if (m := re.match(r"^##\[(\w+)\]", line))]
