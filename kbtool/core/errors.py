"""Input errors that name what and where, in one line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """One problem with one input: printed as ``path:line: message``."""

    path: str
    line: int | None
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{where}:{rule} {self.message}"


class KbInputError(Exception):
    """Raised when an input cannot be used at all; carries one or more problems."""

    def __init__(self, problems: InputProblem | list[InputProblem]) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))
