"""Reading the README and docs/ as their reader would: pages, code blocks, the
shell lines in them and the `gateway` commands they show, links and tables.

Every `gateway ...` command in a ```sh block is parsed by the real CLI (so a
command, option or argument that does not exist fails), and those safe on a
fresh install in a temporary folder can be run in the order a reader meets them.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

from gateway.cli import cli
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SETTINGS_PAGE = REPO / "docs" / "settings.md"
OPERATIONS_PAGE = REPO / "docs" / "operations.md"

# Safe on a fresh install in a temporary folder: no network, nothing outside it.
# The rest are only parsed: `serve` and `worker` run until stopped, and
# `sync enroll`, `sync run` and `sync verify` need a board over the network.
SAFE_TO_RUN = {
    tuple(command.split())
    for command in (
        "init", "migrate", "flows check", "simulate", "export", "backup",
        "erase", "subject-access", "retention run",
        "kiosk add", "kiosk list", "kiosk retire", "invite", "outbox",
        "duty add", "duty list", "duty remove", "duty reveals",
        "sync status", "board add-site", "board revoke-site", "board sites",
        "board add-user", "board new-link", "board users", "board fft-return",
    )
}  # fmt: skip

# The file the docs' invitation example reads, in Ofcom's range for drama.
NUMBERS_CSV = "phone\n07700 900123\n07700 900123\nnot a number\n+447700900456\n"


def relative(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


# Reading the pages --------------------------------------------------------------

FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, and its text with the fence's indent."""

    language: str
    line: int  # of its first line of text
    text: str


def code_blocks(markdown: str) -> list[Block]:
    found = []
    for match in FENCE.finditer(markdown):
        indent, language, body = match.groups()
        lines = [line.removeprefix(indent) for line in body.splitlines()]
        line = markdown.count("\n", 0, match.start()) + 2
        found.append(Block(language, line, "\n".join(lines) + "\n"))
    return found


def prose(markdown: str) -> str:
    """The page without its code blocks and code spans, where links live."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))


@dataclass(frozen=True)
class ShownCommand:
    """One `gateway ...` command as a reader would type it from a page."""

    page: str
    line: int
    words: tuple[str, ...]  # after `gateway`
    env: tuple[tuple[str, str], ...] = ()  # exported earlier on the page, or VAR=x
    stdin: str | None = None  # what `printf '...' |` feeds it

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: gateway {shlex.join(self.words)}"


@dataclass(frozen=True)
class ShownMake:
    page: str
    line: int
    targets: tuple[str, ...]


SEPARATORS = {"|", "||", "&", "&&", ";"}


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(line offset, logical line), joining lines that end in a backslash."""
    joined, start, pending = [], 0, ""
    for offset, line in enumerate(text.splitlines()):
        if not pending:
            start = offset
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append((start, pending + line))
        pending = ""
    return joined


def segments(line: str) -> list[tuple[list[str], str]]:
    """Each simple command on a shell line, with the separator after it."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found, words = [], []
    for token in lexer:
        if token in SEPARATORS:
            found.append((words, token))
            words = []
        else:
            words.append(token)
    if words:
        found.append((words, ""))
    return found


def printf_output(words: list[str]) -> str:
    return words[1].replace("\\n", "\n").replace("%%", "%") if len(words) > 1 else ""


def shown_in(page: str, markdown: str) -> tuple[list[ShownCommand], list[ShownMake]]:
    """The gateway and make commands in a page's ```sh blocks, in reading order.

    `export` carries on to later blocks of the page, as in the reader's terminal.
    """
    commands, makes, exported = [], [], {}
    for block in code_blocks(markdown):
        if block.language != "sh":
            continue
        for offset, line in shell_lines(block.text):
            stdin = None
            for words, separator in segments(line):
                prefix = {}
                while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                    name, _, value = words.pop(0).partition("=")
                    prefix[name] = value
                for cut in ("<", ">", ">>"):  # a redirection is not an argument
                    if cut in words:
                        words = words[: words.index(cut)]
                where = block.line + offset
                if not words:
                    continue
                if words[0] == "export":
                    exported.update(w.partition("=")[::2] for w in words[1:])
                elif words[0] == "printf" and separator == "|":
                    stdin = printf_output(words)
                    continue
                elif words[0] == "gateway" or words[0].endswith("/gateway"):
                    env = tuple({**exported, **prefix}.items())
                    commands.append(
                        ShownCommand(page, where, tuple(words[1:]), env, stdin)
                    )
                elif words[0] == "make":
                    targets = tuple(w for w in words[1:] if "=" not in w)
                    makes.append(ShownMake(page, where, targets))
                stdin = None
    return commands, makes


def everything_shown() -> tuple[list[ShownCommand], list[ShownMake]]:
    commands, makes = [], []
    for page in PAGES:
        more, more_makes = shown_in(relative(page), page.read_text(encoding="utf-8"))
        commands += more
        makes += more_makes
    return commands, makes


SHOWN_COMMANDS, SHOWN_MAKES = everything_shown()


# Checking a command against the real CLI ---------------------------------------


def parse_shown(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Parse `gateway WORDS` exactly as the CLI would, without running it.

    Returns the command's path, such as ("kiosk", "add"). Raises a
    click.ClickException for a command, option, argument or value it refuses.
    """
    command, name, parent, rest, path = cli, "gateway", None, list(words), ()
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        context = click.Context(command, info_name=name, parent=parent)
        sub = command.get_command(context, rest[0])
        if sub is None:
            raise click.UsageError(f"No such command '{rest[0]}'.", context)
        command, name, parent = sub, rest[0], context
        path, rest = (*path, rest[0]), rest[1:]
    try:
        with command.make_context(name, rest, parent=parent):
            pass
    except click.exceptions.Exit:  # --help: printed, nothing run
        pass
    return path


def problem_with(shown: ShownCommand) -> str | None:
    """Why the CLI would refuse this command, or None if it takes it."""
    try:
        parse_shown(shown.words)
    except click.ClickException as error:
        return f"{shown}: {error.format_message()}"
    return None


def safe_to_run(shown: ShownCommand) -> bool:
    """Run it only if it acts on the temporary folder alone."""
    if "--help" in shown.words or "-h" in shown.words:
        return True
    if any(w.startswith(("/", "~")) or ".." in w for w in shown.words):
        return False
    return parse_shown(shown.words) in SAFE_TO_RUN


def run_shown(shown: ShownCommand, installs: set[Path]):
    """Run the command as the reader would, against a fresh install of its own."""
    env: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith(("GATEWAY_", "TWILIO_"))
    }
    env.update(shown.env)
    instance = Path(env.get("GATEWAY_INSTANCE_PATH") or "instance").resolve()
    runner = CliRunner()
    if instance not in installs and shown.words[:1] != ("init",):
        made = runner.invoke(cli, ["init"], env=env, obj={})
        assert made.exit_code == 0, f"gateway init\n{made.output}{made.exception!r}"
    installs.add(instance)
    return runner.invoke(cli, list(shown.words), env=env, input=shown.stdin, obj={})


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors for a page's headings."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCE.sub("", markdown), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower())
        slug = slug.replace(" ", "-")
        anchor, n = slug, 0
        while anchor in found:
            n += 1
            anchor = f"{slug}-{n}"
        found.add(anchor)
    return found


def broken_links(page: Path, markdown: str) -> list[str]:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(markdown)):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        if not path:  # a heading on this page
            headings = anchors(markdown)
        else:
            file = (page.parent / path).resolve()
            if REPO not in file.parents or not file.exists():
                broken.append(f"{relative(page)}: {target} (no such file)")
                continue
            headings = (
                anchors(file.read_text(encoding="utf-8"))
                if file.suffix == ".md"
                else set()
            )
        if fragment and fragment not in headings:
            broken.append(f"{relative(page)}: {target} (no such heading)")
    return broken


def make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.MULTILINE))


def leaf_commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    """Every command a person can run, by path, with the options it takes."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            options = [
                p.opts + p.secondary_opts
                for p in command.params
                if isinstance(p, click.Option) and p.name != "help"
            ]
            yield (*path, name), options


def table_rows(markdown: str) -> dict[tuple[str, ...], str]:
    """The commands table: each command's path and the form shown for it."""
    rows = {}
    for line in markdown.splitlines():
        cells = re.split(r"(?<!\\)\|", line)
        if len(cells) < 3 or not cells[1].strip().startswith("`gateway "):
            continue
        form = re.findall(r"`([^`]+)`", cells[1])[0]
        path = []
        for word in form.split()[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            path.append(word)
        rows[tuple(path)] = form
    return rows


def table_problems(markdown: str) -> list[str]:
    """Commands missing from the table, or shown there with options they lack."""
    rows = table_rows(markdown)
    problems = []
    real = dict(leaf_commands())
    for path, options in real.items():
        form = rows.get(path)
        if form is None:
            problems.append(f"gateway {' '.join(path)}: not in the table")
            continue
        shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", form))
        for opts in options:
            if not shown & set(opts):
                problems.append(f"{form}: {opts[0]} is not shown")
        for option in shown - {o for opts in options for o in opts}:
            problems.append(f"{form}: {option} is not an option of the command")
    for path, form in rows.items():
        if path not in real:
            problems.append(f"{form}: no such command")
    return problems
