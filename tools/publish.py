"""`make publish`: upload the wheel(s) in a folder to a private package index with twine.

    GEWE_INDEX_URL=https://pypi.example.com/ GEWE_INDEX_USER=ci GEWE_INDEX_PASSWORD=... \\
        python tools/publish.py dist

GEWE_INDEX_URL is the index's upload URL (the "legacy" upload API: `https://upload.pypi.org/legacy/`
for PyPI, the server root for pypiserver, `.../repository/<name>/` for Nexus, ...).

Every failure is one line on stderr naming what to fix, with exit code 2 for a setup problem
(missing variable, no wheel) and 1 for an upload the index refused or could not take. The password
is never printed: it is not put on a command line, and is masked in every message.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV_URL, ENV_USER, ENV_PASSWORD = "GEWE_INDEX_URL", "GEWE_INDEX_USER", "GEWE_INDEX_PASSWORD"
EXIT_SETUP, EXIT_UPLOAD = 2, 1
MASK = "***"


class PublishError(Exception):
    """A failure with a one-line message for the user, and the exit code to end with."""

    def __init__(self, message: str, code: int = EXIT_UPLOAD) -> None:
        super().__init__(message)
        self.code = code


def read_settings(environ: Mapping[str, str]) -> tuple[str, str, str]:
    """(url, user, password) from the environment; PublishError naming whatever is missing."""
    missing = [name for name in (ENV_URL, ENV_USER, ENV_PASSWORD) if not environ.get(name)]
    if missing:
        raise PublishError(
            f"missing environment variable{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"set {ENV_URL} (the index's upload URL), {ENV_USER} and {ENV_PASSWORD}",
            EXIT_SETUP,
        )
    url, user, password = environ[ENV_URL].strip(), environ[ENV_USER], environ[ENV_PASSWORD]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"{ENV_URL} must be an http(s) URL, got {url!r}", EXIT_SETUP)
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would end up in twine's and our messages.
        bare = urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))
        raise PublishError(
            f"{ENV_URL} must not contain credentials: use {bare} with {ENV_USER} and {ENV_PASSWORD}",
            EXIT_SETUP,
        )
    return url, user, password


def find_wheels(folder: Path) -> list[Path]:
    """The wheels in `folder`; PublishError if there are none."""
    if not folder.is_dir():
        raise PublishError(f"no folder {folder}/: build the wheel first with `make wheel`", EXIT_SETUP)
    wheels = sorted(folder.glob("*.whl"))
    if not wheels:
        raise PublishError(f"no wheel (*.whl) in {folder}/: build it first with `make wheel`", EXIT_SETUP)
    return wheels


def _wheel_version(wheel: Path) -> str:
    parts = wheel.name.split("-")
    return parts[1] if len(parts) >= 5 else "?"


def _index_says(text: str) -> str:
    """The first meaningful line of an error page (HTML tags and entities removed)."""
    body = re.search(r"<pre>(.*?)</pre>", text, re.S | re.I)  # pypiserver/bottle put the message in <pre>
    plain = html.unescape(re.sub(r"<[^>]+>", " ", body.group(1) if body else text))
    for line in plain.splitlines():
        line = " ".join(line.split())
        if line and not line.lower().startswith(("<!doctype", "error:")):
            return line[:200]
    return ""


def explain_http_error(status: int, reason: str, text: str, wheel: Path, url: str, user: str) -> str:
    """One line saying why the index refused `wheel`."""
    says = _index_says(text)
    both = f"{reason} {says}".lower()
    if status in (401, 403):
        return (
            f"the index at {url} refused the credentials of user {user!r} (HTTP {status}): "
            f"check {ENV_USER} and {ENV_PASSWORD}"
        )
    # pypiserver answers twine with 400 "Package ... already exists!" (409 to other clients),
    # PyPI with 400 "File already exists", others with 409 Conflict.
    if status == 409 or "already exist" in both or "file-name-reuse" in both:
        return (
            f"{wheel.name} is already on {url} (HTTP {status}): an index never takes the same version "
            f"twice; bump the version in overrides/gewe/_version.py (now {_wheel_version(wheel)})"
        )
    detail = says or reason
    hint = f"; is {ENV_URL} the index's upload URL?" if status in (404, 405) else ""
    return f"the index at {url} refused {wheel.name} (HTTP {status}{': ' + detail if detail else ''}){hint}"


def upload(wheels: Sequence[Path], url: str, user: str, password: str) -> None:
    """Upload with twine's API (so errors come back as exceptions, not as text to parse)."""
    import requests
    from twine.commands.upload import upload as twine_upload
    from twine.exceptions import TwineException
    from twine.settings import Settings

    settings = Settings(
        repository_url=url,
        username=user,
        password=password,
        non_interactive=True,
        disable_progress_bar=True,
    )
    # Twine's own warnings ("Retry with the --verbose option") would reach stderr through
    # logging's last resort; what went wrong is said once, by us. Settings() sets this level,
    # so it is overridden after.
    logging.getLogger("twine").setLevel(logging.CRITICAL)
    for wheel in wheels:
        try:
            twine_upload(settings, [str(wheel)])
        except requests.HTTPError as exc:
            resp = exc.response
            if resp is None:
                raise PublishError(f"uploading {wheel.name} to {url} failed: {exc}") from None
            raise PublishError(
                explain_http_error(resp.status_code, resp.reason or "", resp.text, wheel, url, user)
            ) from None
        except requests.ConnectionError as exc:
            raise PublishError(f"cannot reach the index at {url}: {_connection_reason(exc)}") from None
        except requests.RequestException as exc:
            raise PublishError(
                f"uploading {wheel.name} to {url} failed: {type(exc).__name__}: {exc}"
            ) from None
        except TwineException as exc:
            raise PublishError(f"twine refused to upload {wheel.name}: {type(exc).__name__}: {exc}") from None
        print(f"uploaded {wheel.name}")


def _connection_reason(exc: Exception) -> str:
    """The root cause of a connection error, e.g. "Connection refused", without urllib3's wrapping."""
    found = re.findall(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return found[-1].strip() if found else type(exc).__name__


def _one_line(text: str, password: str | None) -> str:
    if password:
        text = text.replace(password, MASK)
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="publish", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dist", type=Path, help="the folder holding the wheel(s), e.g. dist")
    args = parser.parse_args(argv)
    env: Mapping[str, str] = os.environ if environ is None else environ
    password = env.get(ENV_PASSWORD) or None
    try:
        url, user, password = read_settings(env)
        wheels = find_wheels(args.dist)
        upload(wheels, url, user, password)
    except PublishError as exc:
        print(f"publish: error: {_one_line(str(exc), password)}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("publish: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything unforeseen: still one line, still no password
        print(f"publish: error: {_one_line(f'{type(exc).__name__}: {exc}', password)}", file=sys.stderr)
        return EXIT_UPLOAD
    return 0


if __name__ == "__main__":
    sys.exit(main())
