"""Strict YAML in, byte-stable YAML out.

Reading: mapping keys must be unique and are kept as the text they were written as (an unquoted
`200:` is the key "200"), and dates stay strings, so a YAML page means what the same page as JSON
would mean.

Writing: sorted keys, no line wrapping, no anchors, unicode kept readable, and multi-line strings
(descriptions) as literal `|` blocks wherever YAML allows it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

# libyaml's parser when PyYAML has it (ten times faster on big pages); the constructing is ours.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc,unused-ignore]
    """A safe loader without implicit timestamps, with string keys and no duplicate keys."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)  # `<<` merges come first; the mapping's own keys may override them
        first_own = len(node.value) - own
        mapping: dict[Any, Any] = {}
        own_keys: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a non-scalar key",
                    key_node.start_mark,
                )
            key = key_node.value
            if index >= first_own:
                if key in own_keys:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                own_keys.add(key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, StrictLoader.construct_mapping)


def load(text: str) -> Any:
    """Parse YAML strictly (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=StrictLoader)


class StableDumper(yaml.SafeDumper):  # type: ignore[misc,unused-ignore]
    """SafeDumper that never emits anchors and writes multi-line strings as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Line breaks YAML knows besides \n: PyYAML's emitter writes them raw in single-quoted and block
# scalars, where a reader folds them into spaces; only double quotes (escaped) keep them.
_UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> Node:
    # The emitter falls back to a quoted style when a literal block cannot hold the text exactly
    # (trailing spaces, control characters), so this never changes the value.
    style: str | None = None
    if any(ch in data for ch in _UNICODE_BREAKS):
        style = '"'
    elif "\n" in data:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


StableDumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """YAML text that depends only on `data`: sorted keys, unwrapped lines, no aliases."""
    text: str = yaml.dump(
        data,
        Dumper=StableDumper,
        sort_keys=True,
        allow_unicode=True,
        width=1 << 30,
        default_flow_style=False,
    )
    return text
