"""Parse YAML into plain Python values while remembering where every node was written.

PyYAML's normal loaders throw the positions away and silently keep the last of two duplicate
keys. A pipeline file needs both: positions so that every problem reads
``file:line:column: field: message``, and duplicate keys refused because "the second
``deploy:`` wins" is exactly the kind of misreading the format must not allow.

Only the YAML a pipeline file needs is accepted: mappings with text keys, sequences, and
plain scalars (strings, numbers, booleans, null). Custom tags, merge keys, recursive aliases
and alias bombs become problems, never exceptions. Timestamps stay text (``2024-01-01`` is
more likely a tag or a setting value than a date).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from odc_pipeline.pipeline_file.problems import Problem

Path = tuple[str | int, ...]
"""Where a node sits: mapping keys (``str``) and sequence indexes (``int``) from the root."""

MAX_NODES = 50_000
"""More nodes than any real pipeline file has; stops alias bombs ("billion laughs")."""

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TEXT_TAGS = {"tag:yaml.org,2002:timestamp"}


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass
class Document:
    """Parsed data plus where each part came from.

    ``values[path]`` is where the node at ``path`` starts, ``keys[path]`` where its key was
    written (mapping entries only), ``texts[path]`` the source text of a scalar (``yes`` for a
    value that YAML read as ``True``).
    """

    data: object
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)

    def value_mark(self, path: Path) -> Mark:
        """Where the node at ``path`` (or its nearest written ancestor) starts."""
        for end in range(len(path), -1, -1):
            mark = self.values.get(path[:end])
            if mark is not None:
                return mark
        return Mark(1, 1)

    def key_mark(self, path: Path) -> Mark:
        """Where the key of the entry at ``path`` was written, else where its value starts."""
        return self.keys.get(path) or self.value_mark(path)


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into Python values, recording positions and problems."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.problems: list[Problem] = []
        self.document = Document(data=None)
        self._count = 0
        self._active: set[int] = set()
        self._too_big = False

    def problem(self, mark: Mark, path: Path, message: str) -> None:
        self.problems.append(Problem(self.file, mark.line, mark.column, format_path(path), message))

    def build(self, node: Node, path: Path) -> object:
        self._count += 1
        if self._count > MAX_NODES:
            if not self._too_big:
                self._too_big = True
                self.problem(_mark(node), path, f"the file expands to more than {MAX_NODES} nodes")
            return None
        self.document.values[path] = _mark(node)
        if id(node) in self._active:
            self.problem(_mark(node), path, "recursive YAML alias; a node cannot contain itself")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._check_tag(node, "tag:yaml.org,2002:seq", path)
                return [self.build(child, (*path, index)) for index, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                self._check_tag(node, "tag:yaml.org,2002:map", path)
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        return None  # pragma: no cover - PyYAML only has three node kinds

    def _check_tag(self, node: Node, expected: str, path: Path) -> None:
        if node.tag != expected:
            self.problem(_mark(node), path, f"unsupported YAML tag {node.tag}")

    def _scalar(self, node: ScalarNode, path: Path) -> object:
        self.document.texts[path] = node.value
        if node.tag in _TEXT_TAGS:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            self.problem(_mark(node), path, f"unsupported YAML tag {node.tag}")
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            self.problem(_mark(node), path, f"cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}")
            return node.value

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, object]:
        result: dict[str, object] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node)
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_mark, path, "YAML merge keys (<<) are not supported; write the keys out")
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_mark, path, "a key must be plain text, not a list or a mapping")
                continue
            key = key_node.value
            child = (*path, key)
            if key in first_seen:
                self.problem(
                    key_mark, child, f"duplicate key {key!r} (first written at line {first_seen[key].line})"
                )
                continue
            first_seen[key] = key_mark
            self.document.keys[child] = key_mark
            result[key] = self.build(value_node, child)
            if isinstance(value_node, ScalarNode) and value_node.value == "" and value_node.style is None:
                self.document.values[child] = key_mark  # ``key:`` with nothing after it: point at the key
        return result


def format_path(path: Path) -> str:
    """``("stages", "deploy", "max-parallel")`` → ``stages.deploy.max-parallel``; ``assets[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = str(part)
            if not name or any(ch in name for ch in '.[]"') or name != name.strip():
                name = '"' + name.replace('"', '\\"') + '"'
            text += f".{name}" if text else name
    return text


def _syntax_problem(file: str, exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            message = f"{exc.problem} ({exc.context})"
        if "'\\t'" in message:
            message += "; indent with spaces, YAML does not allow tabs"
        elif "mapping values are not allowed" in message:
            message += "; quote a value that contains ': '"
        if mark is None:
            return Problem(file, 1, 1, "", f"invalid YAML: {message}")
        return Problem(file, mark.line + 1, mark.column + 1, "", f"invalid YAML: {message}")
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = line_column(text, exc.position)
        return Problem(
            file, line, column, "", f"invalid character {chr(exc.character)!r} (U+{exc.character:04X})"
        )
    return Problem(file, 1, 1, "", f"invalid YAML: {exc}")


def line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` in ``text``."""
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def parse_yaml(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse one YAML document; return it (``None`` if unreadable) and every problem found.

    Never raises for any input text: syntax errors, bad tags and overly deep nesting all come
    back as problems.
    """
    try:
        loader = yaml.SafeLoader(text)  # the reader checks for unacceptable characters here
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(file, exc, text)]
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            return None, [_syntax_problem(file, exc, text)]
        except RecursionError:
            return None, [Problem(file, 1, 1, "", "the file is nested too deeply")]
        if node is None:
            return None, []
        builder = _Builder(loader, file)
        try:
            builder.document.data = builder.build(node, ())
        except RecursionError:
            return None, [Problem(file, 1, 1, "", "the file is nested too deeply")]
        return builder.document, builder.problems
    finally:
        loader.dispose()
