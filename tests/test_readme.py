"""The README stays true: its Python example runs, and its test command is the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_api_example_runs_and_returns_tables():
    code = re.search(r"## Python API\n\n```python\n(.*?)```", README, re.S).group(1)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert isinstance(namespace["df"], pd.DataFrame) and len(namespace["df"]) == 5000


def test_quick_start_test_command_is_what_ci_runs():
    quick_start = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1)
    test_command = next(line.split("#")[0].strip() for line in quick_start.splitlines() if "3. run the tests" in line)
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    last_command = [line for line in ci_script.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert last_command.strip() == test_command == "python -m pytest"
