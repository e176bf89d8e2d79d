"""What a broken pipeline file looks like to the user: a list of positioned problems.

The loader never stops at the first mistake. Every stage of loading (YAML syntax,
interpolation, the models, references between sections) adds :class:`Problem` objects, and the
loader raises one :class:`PipelineFileError` holding all of them, so that one ``validate`` run
shows everything to fix. Each problem renders as ``file:line:column: field: message``, the
format editors and CI log viewers turn into clickable links.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from odc_pipeline.errors import UsageError


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a pipeline file.

    ``line`` and ``column`` are 1-based and point at the node at fault (the key for unknown or
    duplicate keys, the value otherwise, the enclosing mapping for missing keys). They are
    ``None`` only when the file could not be read at all. ``field`` is the dotted path of the
    node (``stages.deploy.max-parallel``, ``assets[1].revision``), empty for syntax errors.
    """

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order, duplicates dropped (two checks may notice the same thing)."""
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0, p.field, p.message))


class PipelineFileError(UsageError):
    """The pipeline file cannot be used; ``problems`` lists every reason, in file order.

    A :class:`~odc_pipeline.errors.UsageError`, so the CLI exits with code 2 and no traceback.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sort_problems(problems))
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        file = self.problems[0].file if self.problems else "pipeline file"
        lines = [f"{file}: {len(self.problems)} problems"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)
