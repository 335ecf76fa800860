"""Reading flow YAML the way a non-programmer means it.

`yes`, `no`, `on` and `off` stay words (YAML 1.1 would make them booleans), and
every mapping remembers the line it started on so errors can point at it.
"""

from __future__ import annotations

import re

import yaml

LINE_KEY = "__line__"  # the line a mapping starts on
KEY_LINES = "__key_lines__"  # the line each of its keys is on


class FlowYamlLoader(yaml.SafeLoader):
    """SafeLoader where only true/false are booleans and mappings carry lines."""


# Rebuild the implicit resolvers without YAML 1.1's yes/no/on/off booleans.
FlowYamlLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FlowYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping_with_line(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    mapping[KEY_LINES] = {
        loader.construct_object(key_node): key_node.start_mark.line + 1
        for key_node, _value in node.value
    }
    return mapping


FlowYamlLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_with_line
)


def is_bookkeeping(key) -> bool:
    return key in (LINE_KEY, KEY_LINES)


def key_line(mapping: dict, key: str) -> int | None:
    """The line `key` is on, else the line its mapping starts on."""
    return mapping.get(KEY_LINES, {}).get(key, mapping.get(LINE_KEY))


def parse_yaml(text: str):
    """Parse flow YAML; raises yaml.YAMLError with a line on bad syntax."""
    return yaml.load(text, Loader=FlowYamlLoader)  # noqa: S506 - a SafeLoader


# PyYAML's words for the mistakes people make most, and what they mean.
YAML_HINTS = (
    ("end of stream", "a quote or bracket opened here is never closed"),
    ("mapping values are not allowed", "a ':' inside text; put the text in quotes"),
    ("cannot start any token", "a tab or stray character; indent with spaces"),
    ("expected <block end>", "the indenting does not line up with the lines above"),
    ("could not find expected ':'", "a line is missing its ':'"),
)


def plain_yaml_problem(problem: str) -> str:
    for words, hint in YAML_HINTS:
        if words in problem:
            return f"{hint} ({problem})"
    return problem or "the file could not be read as YAML"


def yaml_error_line(error: yaml.YAMLError) -> int | None:
    """Where to look: an unclosed quote or bracket is only noticed at the end of
    the file, so then the line where it was opened is the one to fix."""
    problem = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    if context and "end of stream" in str(getattr(error, "problem", "")):
        return context.line + 1
    return problem.line + 1 if problem else None
