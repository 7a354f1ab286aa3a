"""Names derived from a GeWe path: module tag, operationId, model classes, and their registry.

Every name is a function of the path alone (module + last segment), always prefixed by the
module, so names are unique across modules and adding a page never renames anything: a page whose
names would clash with existing ones is an error instead. The generator's own case functions are
used, so what is checked here is what it will emit (two names that differ only in case, such as
`getQRCode` and `getQrCode`, give the same Python module and therefore clash).

Words and digits: openapi-python-client splits a camelCase name into words, and on its own makes a
run of digits a word (`downloadEmojiMd5` -> `download_emoji_md_5`, `qrBase64` -> `qr_base_64`).
Here digits stay with the word they follow (`download_emoji_md5`, `qr_base64`, `v1`, `s3_config`).
`split_words` is that rule; generator.py runs the generator with it, so every name it derives
(methods, fields, model modules and classes) follows it, and the functions below use it too.
Names that are Python keywords or builtins get a trailing underscore, as the generator does:
a field `type` is `type_`, `from` is `from_`, `list` is `list_` (`id` stays `id`).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from openapi_python_client import strings

from .errors import SpecError

# A word: an optional capital, lower-case letters, and the digits that follow them.
_WORD = re.compile(r"([A-Z]?[a-z]+[0-9]*)")


def split_words(value: str) -> list[str]:
    """The words of a name; a run of digits belongs to the word before it (`qrBase64` -> qr, Base64)."""
    if any(c.isupper() for c in value):
        value = " ".join(_WORD.split(value))
    return re.findall(rf"[^{re.escape(strings.DELIMITERS)}]+", value)


def install() -> None:
    """Make openapi-python-client's case functions use `split_words` (see the module docstring)."""
    strings.split_words = split_words  # type: ignore[assignment]


def snake_case(value: str) -> str:
    """The generator's snake_case, with `split_words`."""
    install()
    return strings.snake_case(value)


def pascal_case(value: str) -> str:
    """The generator's PascalCase, with `split_words`."""
    install()
    return strings.pascal_case(value)


def python_name(value: str) -> str:
    """The Python name the generator gives a field or parameter named `value`."""
    install()
    return str(strings.PythonIdentifier(value, prefix="field_"))


PATH_SHAPE = re.compile(r"^/gewe/v2/api/(?P<module>[a-z][a-z0-9]*)/(?P<operation>[A-Za-z][A-Za-z0-9]*)$")
PATH_SHAPE_TEXT = "/gewe/v2/api/<module>/<operation>"


@dataclass(frozen=True)
class OperationNames:
    """Everything named after one operation's path."""

    module: str  # ASCII tag, e.g. "group"
    operation: str  # last path segment as published, e.g. "getChatroomQrCode"
    operation_id: str  # e.g. "groupGetChatroomQrCode"
    function: str  # generated module/function name, e.g. "group_get_chatroom_qr_code"
    method: str  # short client method name within its module, e.g. "get_chatroom_qr_code"
    class_prefix: str  # e.g. "GroupGetChatroomQrCode"

    def model(self, suffix: str) -> str:
        """A model name of this operation, e.g. model("Data") -> "GroupGetChatroomQrCodeData"."""
        return self.class_prefix + suffix


def derive(source: str, path: str) -> OperationNames:
    """The names for `path`; a SpecError (naming `source`) if the path is not of the GeWe shape."""
    match = PATH_SHAPE.match(path)
    if match is None:
        raise SpecError(source, f"path {path!r} is not of the shape {PATH_SHAPE_TEXT}")
    module, operation = match.group("module"), match.group("operation")
    operation_id = module + operation[0].upper() + operation[1:]
    names = OperationNames(
        module=module,
        operation=operation,
        operation_id=operation_id,
        function=snake_case(operation_id),
        method=snake_case(operation),
        class_prefix=pascal_case(module) + pascal_case(operation),
    )
    # The client finds a method's short name by dropping "<module>_" from the function name, and
    # uses both as Python identifiers.
    if names.function != f"{module}_{names.method}":
        raise SpecError(
            source,
            f"path {path!r}: module {module!r} does not survive snake_case ({names.function!r}); rename it",
        )
    for what, name in (("module", module), ("operation", names.method)):
        if keyword.iskeyword(name):
            raise SpecError(source, f"path {path!r}: the {what} name {name!r} is a Python keyword")
    return names


def class_name(name: str) -> str:
    """The class the generator emits for a component schema key."""
    return pascal_case(name)


def property_class_part(prop: str) -> str:
    """The part a property contributes to a nested model's name (ASCII only, never empty)."""
    return pascal_case(re.sub(r"[^0-9A-Za-z_.\- ]", "", prop)) or "Field"


@dataclass
class NameRegistry:
    """Every derived name in the spec, so that no two operations or models end up with one name.

    Names are compared the way the generator uses them: a function or model module is the
    snake_case of its name, so `GroupGetQRCode` and `GroupGetQrCode` clash.
    """

    _taken: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)

    def claim(self, kind: str, name: str, owner: str, source: str) -> None:
        """Record that `owner` (e.g. "POST /path" of `source`) uses `name`; raise on a clash."""
        key = (kind, snake_case(name))
        previous = self._taken.get(key)
        if previous is None:
            self._taken[key] = (name, owner, source)
            return
        other_name, other_owner, other_source = previous
        if other_owner == owner and other_name == name:
            return
        if other_name == name:
            clash = f"{other_owner} in {other_source} derives it too"
        else:
            clash = (
                f"it clashes with {other_name!r} of {other_owner} in {other_source}"
                f" (both are {key[1]!r} in Python)"
            )
        raise SpecError(source, f"name collision: {owner} derives the {kind} name {name!r}; {clash}")

    def claim_operation(self, names: OperationNames, owner: str, source: str) -> None:
        """Claim an operation's operationId (and so its function module and client method)."""
        self.claim("operation", names.operation_id, owner, source)
