"""Names derived from a GeWe path: module tag, operationId, model classes.

Every name is a function of the path alone (module + last segment), always prefixed by the
module, so names are unique across modules and adding a page never renames anything. The
generator's own case functions are used so that what we check is what it will emit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openapi_python_client.strings import pascal_case, snake_case

from .errors import SpecError

PATH_SHAPE = re.compile(r"^/gewe/v2/api/(?P<module>[a-z][a-z0-9]*)/(?P<operation>[A-Za-z][A-Za-z0-9]*)$")
PATH_SHAPE_TEXT = "/gewe/v2/api/<module>/<operation>"


@dataclass(frozen=True)
class OperationNames:
    module: str  # ASCII tag, e.g. "group"
    operation: str  # last path segment as published, e.g. "getChatroomQrCode"
    operation_id: str  # e.g. "groupGetChatroomQrCode"
    function: str  # generated module/function name, e.g. "group_get_chatroom_qr_code"
    method: str  # short client method name within its module, e.g. "get_chatroom_qr_code"
    class_prefix: str  # e.g. "GroupGetChatroomQrCode"

    def model(self, suffix: str) -> str:
        return self.class_prefix + suffix


def derive(source: str, path: str) -> OperationNames:
    match = PATH_SHAPE.match(path)
    if match is None:
        raise SpecError(source, f"path {path!r} is not of the shape {PATH_SHAPE_TEXT}")
    module, operation = match.group("module"), match.group("operation")
    operation_id = module + operation[0].upper() + operation[1:]
    return OperationNames(
        module=module,
        operation=operation,
        operation_id=operation_id,
        function=snake_case(operation_id),
        method=snake_case(operation),
        class_prefix=pascal_case(module) + pascal_case(operation),
    )


def class_name(name: str) -> str:
    """The class the generator emits for a component schema key."""
    return pascal_case(name)


def property_class_part(prop: str) -> str:
    return pascal_case(prop) or "Field"
