"""Fixtures for config tests (data lives in config_helpers.py: conftest names collide across dirs)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from config_helpers import BASE, set_path


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """write_config(changes={dotted: value}, text=None, name=...) -> path of the written YAML file."""

    def write(changes: dict[str, Any] | None = None, *, text: str | None = None, name: str = "engine.yaml") -> Path:
        path = tmp_path / name
        if text is None:
            data = copy.deepcopy(BASE)
            for dotted, value in (changes or {}).items():
                set_path(data, dotted, value)
            text = yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
