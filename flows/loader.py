"""Loading flow files into `Flow` objects, refusing them with errors a person can fix.

Every problem names the file, the line and the step. Nothing half-loaded is
ever returned: a file with one problem yields no flow at all.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from flows.flow_graph import check_graph
from flows.model import (
    END,
    FAMILY_WORDS,
    OPTION_KINDS,
    TEXT_LIMIT,
    Flow,
    Option,
    Step,
    StepKind,
)
from flows.scales import SCALES, YES_NO
from flows.symbols import OPTION_SYMBOLS
from flows.yaml_source import (
    LINE_KEY,
    is_bookkeeping,
    key_line,
    parse_yaml,
    plain_yaml_problem,
    yaml_error_line,
)

BUNDLED_FLOWS = Path(__file__).parent / "library"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

FLOW_KEYS = {"id", "version", "title", "language", "steps", "thank_you", "triggers"}
STEP_KEYS = {
    StepKind.MESSAGE: {"id", "kind", "text", "channels", "next"},
    StepKind.CHOICE: {"id", "kind", "text", "channels", "next", "branch", "options"},
    StepKind.SCALE: {"id", "kind", "text", "channels", "next", "branch", "scale"},
    StepKind.YESNO: {"id", "kind", "text", "channels", "next", "branch"},
    StepKind.CONSENT: {"id", "kind", "text", "channels", "next", "branch"},
    StepKind.NUMBER: {"id", "kind", "text", "channels", "next", "min", "max"},
    StepKind.TEXT: {"id", "kind", "text", "channels", "next", "max_length"},
}
OPTION_KEYS = {"value", "words", "synonyms", "symbol"}


@dataclass(frozen=True)
class FlowProblem:
    file: str
    line: int | None
    step: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        step = f" step '{self.step}':" if self.step else ""
        return f"{where}:{step} {self.message}"


class FlowError(Exception):
    """A flow file could not be loaded; `problems` says every reason, by file
    and then by line, so the same file always reads the same way."""

    def __init__(self, problems: list[FlowProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
        super().__init__("\n".join(str(problem) for problem in self.problems))


class _Checker:
    """Collects problems while one file is turned into a Flow."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[FlowProblem] = []

    def problem(self, message: str, line: int | None = None, step: str | None = None):
        self.problems.append(FlowProblem(self.file, line, step, message))

    def unknown_keys(self, data: dict, allowed: set, what: str, step: str | None):
        for key in data:
            if is_bookkeeping(key) or key in allowed:
                continue
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.problem(f"unknown {what} '{key}'{hint}", key_line(data, key), step)

    def text(self, data: dict, key: str, step: str | None, required=True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"missing '{key}'", data.get(LINE_KEY), step)
            return ""
        if not isinstance(value, str | int | float):
            self.problem(f"'{key}' must be text", key_line(data, key), step)
            return ""
        return str(value).strip()


def load_flow(path: str | Path) -> Flow:
    """Read and validate one flow file; raise FlowError naming every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FlowError(
            [FlowProblem(str(path), None, None, f"cannot read: {error}")]
        ) from None
    return parse_flow(text, str(path))


def parse_flow(text: str, file: str = "<flow>") -> Flow:
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as error:
        line = yaml_error_line(error)
        reason = plain_yaml_problem(str(getattr(error, "problem", "") or ""))
        problem = FlowProblem(file, line, None, f"not valid YAML: {reason}")
        raise FlowError([problem]) from None
    if not isinstance(data, dict):
        raise FlowError([FlowProblem(file, 1, None, "a flow must be a mapping")])
    checker = _Checker(file)
    flow = _build_flow(data, checker)
    if checker.problems:
        raise FlowError(checker.problems)
    return flow


def _build_flow(data: dict, check: _Checker) -> Flow | None:
    check.unknown_keys(data, FLOW_KEYS, "setting", None)
    flow_id = check.text(data, "id", None)
    if flow_id and not SLUG.match(flow_id):
        check.problem(
            f"id '{flow_id}' must use lower-case letters, digits and dashes",
            key_line(data, "id"),
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        check.problem(
            "'version' must be a whole number from 1 up", key_line(data, "version")
        )
        version = 0
    title = check.text(data, "title", None)
    language = check.text(data, "language", None, required=False) or "en"
    thank_you = check.text(data, "thank_you", None, required=False)
    triggers = data.get("triggers") or []
    if not isinstance(triggers, list) or not all(
        isinstance(t, str) and t.strip() and " " not in t.strip() for t in triggers
    ):
        check.problem("'triggers' must be a list of single words", data[LINE_KEY])
        triggers = []
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        check.problem("a flow needs a list of 'steps'", data[LINE_KEY])
        return None
    steps = [
        _build_step(raw, position, check) for position, raw in enumerate(raw_steps)
    ]
    steps = [step for step in steps if step is not None]
    check_graph(steps, check)
    if not any(
        step.kind in OPTION_KINDS | {StepKind.NUMBER, StepKind.TEXT} for step in steps
    ):
        check.problem("a flow needs at least one question", data[LINE_KEY])
    return Flow(
        id=flow_id,
        version=version,
        title=title,
        language=language,
        steps=tuple(steps),
        thank_you=thank_you,
        triggers=tuple(t.strip().upper() for t in triggers),
        source=check.file,
        line=key_line(data, "id"),
    )


def _build_step(raw, position: int, check: _Checker) -> Step | None:
    if not isinstance(raw, dict):
        check.problem(f"step {position + 1} must be a mapping of settings", None)
        return None
    line = raw[LINE_KEY]
    step_id = check.text(raw, "id", None)
    label = step_id or f"#{position + 1}"
    if step_id and (not SLUG.match(step_id) or step_id == END):
        check.problem(
            "id must use lower-case letters, digits, '-' or '_' and not be 'end'",
            line,
            label,
        )
    kind_name = raw.get("kind")
    try:
        kind = StepKind(kind_name)
    except ValueError:
        kinds = ", ".join(StepKind)
        check.problem(
            f"unknown step kind '{kind_name}' (use one of: {kinds})", line, label
        )
        return None
    check.unknown_keys(raw, STEP_KEYS[kind], "setting", label)
    text = check.text(raw, "text", label)
    options, scale = _build_options(raw, kind, label, check)
    channels = _build_channels(raw, label, check)
    branches = _build_branches(raw, options, label, check)
    minimum, maximum = raw.get("min"), raw.get("max")
    for name, value in (("min", minimum), ("max", maximum)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            check.problem(f"'{name}' must be a number", line, label)
    if (
        isinstance(minimum, int | float)
        and isinstance(maximum, int | float)
        and minimum > maximum
    ):
        check.problem("'min' is bigger than 'max'", line, label)
    max_length = raw.get("max_length", 500)
    if not isinstance(max_length, int) or not 1 <= max_length <= TEXT_LIMIT:
        check.problem(f"'max_length' must be from 1 to {TEXT_LIMIT}", line, label)
        max_length = 500
    next_step = raw.get("next")
    if next_step is not None and not isinstance(next_step, str):
        check.problem("'next' must name a step, or 'end'", line, label)
        next_step = None
    return Step(
        id=step_id or label,
        kind=kind,
        text=text,
        options=options,
        scale=scale,
        channels=channels,
        branches=branches,
        next=next_step,
        minimum=minimum if isinstance(minimum, int | float) else None,
        maximum=maximum if isinstance(maximum, int | float) else None,
        max_length=max_length,
        line=line,
    )


def _build_options(raw: dict, kind: StepKind, label: str, check: _Checker):
    line = raw[LINE_KEY]
    if kind in (StepKind.YESNO, StepKind.CONSENT):
        return YES_NO, None
    if kind is StepKind.SCALE:
        scale = raw.get("scale")
        if scale not in SCALES:
            names = ", ".join(SCALES)
            check.problem(f"unknown scale '{scale}' (use one of: {names})", line, label)
            return (), None
        return SCALES[scale], scale
    if kind is not StepKind.CHOICE:
        return (), None
    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or not raw_options:
        check.problem("a choice needs a list of 'options'", line, label)
        return (), None
    options: list[Option] = []
    for raw_option in raw_options:
        option = _build_option(raw_option, line, label, check)
        if option:
            options.append(option)
    _check_options_distinct(options, line, label, check)
    return tuple(options), None


def _build_option(raw, step_line: int, label: str, check: _Checker) -> Option | None:
    if isinstance(raw, str):
        raw = {"words": raw, LINE_KEY: step_line}
    if not isinstance(raw, dict):
        check.problem("each option needs 'words'", step_line, label)
        return None
    check.unknown_keys(raw, OPTION_KEYS, "option setting", label)
    words = check.text(raw, "words", label)
    value = check.text(raw, "value", label, required=False) or _slug(words)
    synonyms = raw.get("synonyms") or []
    if not isinstance(synonyms, list):
        check.problem("'synonyms' must be a list", raw[LINE_KEY], label)
        synonyms = []
    symbol = raw.get("symbol")
    if symbol is not None and symbol not in OPTION_SYMBOLS:
        known = ", ".join(sorted(OPTION_SYMBOLS))
        check.problem(
            f"there is no picture called '{symbol}' (pictures: {known})",
            key_line(raw, "symbol"),
            label,
        )
        symbol = None
    return Option(value, words, tuple(str(s) for s in synonyms), symbol)


def _check_options_distinct(options, line, label, check: _Checker):
    from flows.answers import normalise  # a late import keeps the modules layered

    seen_values: set[str] = set()
    seen_words: dict[str, str] = {}
    for option in options:
        if option.value in seen_values:
            check.problem(f"two options have the value '{option.value}'", line, label)
        seen_values.add(option.value)
        for phrase in (option.words, *option.synonyms):
            key = normalise(phrase)
            other = seen_words.setdefault(key, option.value)
            if other != option.value:
                check.problem(
                    f"'{phrase}' could mean '{other}' or '{option.value}'", line, label
                )


def _build_channels(raw: dict, label: str, check: _Checker):
    channels = raw.get("channels")
    if channels is None:
        return None
    if not isinstance(channels, list) or not channels:
        check.problem("'channels' must be a list such as [sms]", raw[LINE_KEY], label)
        return None
    unknown = [c for c in channels if c not in FAMILY_WORDS]
    if unknown:
        check.problem(
            f"unknown channel '{unknown[0]}' (use: {', '.join(FAMILY_WORDS)})",
            raw[LINE_KEY],
            label,
        )
    return frozenset(FAMILY_WORDS[c] for c in channels if c in FAMILY_WORDS)


def _build_branches(raw: dict, options, label: str, check: _Checker) -> dict:
    branches = raw.get("branch")
    if branches is None:
        return {}
    line = raw[LINE_KEY]
    if not isinstance(branches, dict):
        check.problem("'branch' must map answers to steps", line, label)
        return {}
    values = {option.value for option in options}
    result = {}
    for answer, target in branches.items():
        if is_bookkeeping(answer):
            continue
        answer = str(answer)
        if answer not in values:
            check.problem(
                f"branch on '{answer}', which is not an answer here "
                f"(answers: {', '.join(sorted(values))})",
                line,
                label,
            )
        if not isinstance(target, str):
            check.problem(f"branch on '{answer}' must name a step", line, label)
            continue
        result[answer] = target
    return result


def _slug(words: str) -> str:
    from flows.answers import normalise

    return re.sub(r"[^a-z0-9]+", "_", normalise(words)).strip("_") or "option"


def flow_files(directories: list[Path]) -> list[Path]:
    """The flow files in each folder, by name, folder by folder."""
    files: list[Path] = []
    for directory in directories:
        folder = Path(directory)
        files.extend(sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]))
    return files


def load_library(directories: list[Path]) -> dict[str, Flow]:
    """Every flow in these folders by id; raise FlowError if any is wrong."""
    flows: dict[str, Flow] = {}
    problems: list[FlowProblem] = []
    for path in flow_files(directories):
        try:
            flow = load_flow(path)
        except FlowError as error:
            problems.extend(error.problems)
            continue
        if flow.id in flows:
            problems.append(
                FlowProblem(
                    str(path),
                    flow.line,
                    None,
                    f"flow id '{flow.id}' is also used by {flows[flow.id].source}",
                )
            )
        flows[flow.id] = flow
    if problems:
        raise FlowError(problems)
    return flows
