"""ConfigError: what a caller catches when the config file cannot be used."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """The config file is unusable; ``problems`` lists every "key.path: what is wrong"."""

    def __init__(self, problems: list[str], path: Path | str | None = None) -> None:
        self.problems = list(problems)
        self.path = Path(path) if path is not None else None
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        n = len(self.problems)
        head = f"{where}{n} problem{'s' if n != 1 else ''} in config"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
