"""`python -m tools.gewe_spec.generator ...`: openapi-python-client's command line, with our word rule.

The same arguments as `openapi-python-client`; the only difference is that digits stay with the
word they follow in every name it derives (names.split_words): `download_emoji_md5`, `qr_base64`.
The generator has no setting for this (its names come from `strings.split_words`), so the rule is
installed before its CLI runs. The version is pinned (requirements/dev.txt) and
tests/spec/test_names.py checks the generated names, so a generator upgrade that moved the
function would fail there, not silently.
"""

from __future__ import annotations

from .names import install

if __name__ == "__main__":
    install()
    from openapi_python_client.cli import app

    app(prog_name="openapi-python-client")
