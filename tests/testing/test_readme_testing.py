"""The "Testing your bot" example of README.md (and the wheel's README) runs green as a user's test
file: written to a folder of its own and run by pytest there, with only the installed plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.readme import first_python_block
from tools.servers import ROOT


def example(readme: Path) -> str:
    return first_python_block(readme, "## Testing your bot")


def run_user_tests(python: str | Path, folder: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` as test_bot.py in `folder` (no ini file: pytest's defaults, asyncio in strict mode)."""
    (folder / "test_bot.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bot.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_testing_example_passes_as_a_users_test_file(tmp_path: Path) -> None:
    code = example(ROOT / "README.md")
    assert example(ROOT / "overrides" / "README.md") == code  # both READMEs show the same test
    result = run_user_tests(sys.executable, tmp_path, code)
    assert result.returncode == 0 and "3 passed in" in result.stdout, result.stdout + result.stderr


def test_a_broken_bot_fails_the_readme_example(tmp_path: Path) -> None:
    # the example asserts something a bot can get wrong: one that answers its own messages fails
    code = example(ROOT / "README.md").replace("and not event.is_self ", "")
    assert code != example(ROOT / "README.md")
    result = run_user_tests(sys.executable, tmp_path, code)
    assert result.returncode == 1 and "1 failed, 2 passed in" in result.stdout, result.stdout


def test_the_readme_download_recipe_passes_as_a_users_test_file(tmp_path: Path) -> None:
    code = first_python_block(ROOT / "README.md", "**Downloads, offline.**")
    assert first_python_block(ROOT / "overrides" / "README.md", "**Downloads, offline.**") == code
    result = run_user_tests(sys.executable, tmp_path, code)
    assert result.returncode == 0 and "1 passed in" in result.stdout, result.stdout + result.stderr
