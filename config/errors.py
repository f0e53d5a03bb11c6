"""Configuration errors that tell the operator which file, which field, what was there and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with one field of a configuration file."""

    field: str
    value: Any
    message: str

    def render(self) -> str:
        shown = _shorten(repr(self.value))
        return f"{self.field}: {self.message} (got {shown})"


class ConfigError(Exception):
    """A configuration file that cannot be used, with every problem found in it."""

    def __init__(self, path: Path | str | None, problems: Iterable[ConfigProblem], hint: str | None = None):
        self.path = Path(path) if path is not None else None
        self.problems = list(problems)
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = str(self.path) if self.path is not None else "configuration"
        lines = [f"{where}: {len(self.problems)} problem(s)"]
        lines.extend(f"  - {p.render()}" for p in self.problems)
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)


def problems_from_validation(exc: ValidationError, prefix: str = "") -> list[ConfigProblem]:
    """Turn pydantic's errors into field paths an operator can find in the YAML file."""
    problems = []
    for err in exc.errors(include_url=False):
        path = (prefix + ".".join(_loc_part(p) for p in err["loc"])).replace(".[", "[").rstrip(".")
        message = err["msg"].removeprefix("Value error, ")
        problems.append(ConfigProblem(field=path or "(top level)", value=err.get("input"), message=message))
    return problems


def _loc_part(part: str | int) -> str:
    return f"[{part}]" if isinstance(part, int) else str(part)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
