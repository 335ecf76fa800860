"""Validating flow YAML: every error names the file, the line and the step,
in words the people who edit flows can act on.
"""

import os
import subprocess
from pathlib import Path

import pytest

from flows.loader import (
    FlowError,
    load_flow,
)
from tests.conftest import GATEWAY, flow_text, line_of

# (case, steps, step id, text on the reported line, words in the message)
VALIDATION_CASES = [
    (
        "unknown-kind",
        "- {id: q1, kind: question, text: Hi}",
        "q1",
        "id: q1",
        "unknown step kind 'question'",
    ),
    (
        "duplicate-id",
        """
        - {id: q1, kind: text, text: One}
        - {id: q1, kind: text, text: Two}
     """,
        "q1",
        "Two",
        "duplicate step id 'q1'",
    ),
    (
        "missing-target",
        """
        - id: q1
          kind: yesno
          text: Are you well?
          branch:
            no: nowhere
        - {id: q2, kind: text, text: Why}
     """,
        "q1",
        "id: q1",
        "goes to a missing step 'nowhere'",
    ),
    (
        "unreachable",
        """
        - {id: q1, kind: text, text: Hi, next: end}
        - {id: q2, kind: text, text: Never asked}
     """,
        "q2",
        "id: q2",
        "no answer leads to this step",
    ),
    (
        "no-options",
        "- {id: q1, kind: choice, text: Pick, options: []}",
        "q1",
        "id: q1",
        "a choice needs a list of 'options'",
    ),
    ("missing-text", "- {id: q1, kind: text}", "q1", "id: q1", "missing 'text'"),
    (
        "unknown-setting",
        """
        - id: q1
          kind: text
          text: Hi
          nxt: end
     """,
        "q1",
        "nxt: end",
        "unknown setting 'nxt' (did you mean 'next'?)",
    ),
    (
        "unknown-option-setting",
        """
        - id: q1
          kind: choice
          text: Drink?
          options:
            - words: Tea
              synonym: [cuppa]
     """,
        "q1",
        "synonym: [cuppa]",
        "unknown option setting 'synonym' (did you mean",
    ),
    (
        "branch-not-an-answer",
        """
        - id: q1
          kind: yesno
          text: Are you well?
          branch:
            maybe: q2
        - {id: q2, kind: text, text: Why}
     """,
        "q1",
        "id: q1",
        "branch on 'maybe', which is not an answer here",
    ),
    (
        "next-backwards",
        """
        - {id: q1, kind: text, text: One}
        - {id: q2, kind: text, text: Two, next: q1}
     """,
        "q2",
        "id: q2",
        "goes back to step 'q1'",
    ),
    (
        "branch-backwards",
        """
        - {id: q1, kind: text, text: One}
        - id: q2
          kind: yesno
          text: Again?
          branch:
            yes: q1
     """,
        "q2",
        "id: q2",
        "goes back to step 'q1'",
    ),
    (
        "min-over-max",
        "- {id: q1, kind: number, text: How many, min: 10, max: 1}",
        "q1",
        "id: q1",
        "'min' is bigger than 'max'",
    ),
    (
        "unknown-scale",
        "- {id: q1, kind: scale, scale: five-stars, text: Rate}",
        "q1",
        "id: q1",
        "unknown scale 'five-stars'",
    ),
    (
        "unknown-channel",
        "- {id: q1, kind: text, channels: [web], text: Hi}",
        "q1",
        "id: q1",
        "unknown channel 'web'",
    ),
    (
        "ambiguous-synonym",
        """
        - id: drink
          kind: choice
          text: What would you like?
          options:
            - {words: Tea, synonyms: [Hot drink]}
            - {words: Coffee, synonyms: [hot-drink]}
     """,
        "drink",
        "id: drink",
        "could mean 'tea' or 'coffee'",
    ),
]


@pytest.mark.parametrize(
    ("steps", "step_id", "needle", "words"),
    [case[1:] for case in VALIDATION_CASES],
    ids=[case[0] for case in VALIDATION_CASES],
)
def test_validation_error_names_file_line_and_step(
    write_flow, steps, step_id, needle, words
):
    text = flow_text(steps)
    path = write_flow(text)
    line = line_of(text, needle)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    matching = [p for p in caught.value.problems if words in p.message]
    assert matching, str(caught.value)
    problem = matching[0]
    assert (problem.file, problem.line, problem.step) == (str(path), line, step_id)
    assert f"{path}:{line}: step '{step_id}': " in str(caught.value)


def test_unknown_flow_setting_suggests_the_right_one(write_flow):
    path = write_flow(
        "id: demo\nversion: 1\ntitel: Demo\nsteps:\n"
        "  - id: q1\n    kind: text\n    text: Hi\n"
    )
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert f"{path}:3: unknown setting 'titel' (did you mean 'title'?)" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id: demo\nversion: 1\ntitle: Demo: a flow\n", 3),
        ("id: demo\nversion: 1\nsteps:\n  - id: a\n    kind: text\n   text: x\n", 6),
        ("id: demo\n\tversion: 1\n", 2),
    ],
    ids=["colon-in-value", "bad-indent", "tab"],
)
def test_invalid_yaml_reports_the_line(write_flow, text, line):
    path = write_flow(text)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    (problem,) = caught.value.problems
    assert problem.line == line
    assert str(problem).startswith(f"{path}:{line}: not valid YAML")


@pytest.mark.parametrize(
    "steps",
    [
        """
        - {id: q1, kind: text, text: One}
        - {id: q1, kind: text, text: Two}
        """,
        """
        - {id: q0, kind: text, text: Zero}
        - {id: q1, kind: text, text: One}
        - {id: q1, kind: text, text: Two}
        - {id: q2, kind: text, text: Three}
        """,
        """
        - id: q0
          kind: yesno
          text: Well?
          branch:
            yes: q1
            no: q2
        - {id: q1, kind: text, text: One, next: q2}
        - {id: q2, kind: text, text: Two}
        - {id: q1, kind: text, text: Again, next: end}
        """,
    ],
    ids=["adjacent", "between-others", "branched-to"],
)
def test_a_duplicate_step_id_gives_only_the_duplicate_error(write_flow, steps):
    text = flow_text(steps)
    with pytest.raises(FlowError) as caught:
        load_flow(write_flow(text))
    messages = [problem.message for problem in caught.value.problems]
    assert len(messages) == len(set(messages)) == 1, messages
    assert messages[0].startswith("duplicate step id ")


MANY_PROBLEMS = flow_text("""
    - id: pick
      kind: choice
      text: Pick one
      options: [Alpha, Bravo, Charlie, Delta, Echo]
      branch:
        alpha: to-alpha
        bravo: to-bravo
        charlie: to-charlie
        delta: to-delta
        echo: to-echo
      next: to-foxtrot
    - {id: q2, kind: text, text: Why, nxt: end}
    - {id: q3, kind: scale, scale: stars, text: Rate}
""")


def test_problems_come_in_line_order(write_flow):
    with pytest.raises(FlowError) as caught:
        load_flow(write_flow(MANY_PROBLEMS))
    lines = [problem.line or 0 for problem in caught.value.problems]
    assert len(lines) >= 8
    assert lines == sorted(lines)
    # The message, as `flows check` prints it, is in the same order.
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]


def test_a_file_named_two_ways_is_checked_once(write_flow, runner, monkeypatch):
    path = write_flow(MANY_PROBLEMS)
    monkeypatch.chdir(path.parent)
    result = runner.invoke(["flows", "check", path.name, str(path.resolve())])
    assert result.exit_code != 0
    assert "1 of 1 flow file(s) have errors." in result.output, result.output


def test_flows_check_prints_errors_in_one_order_every_run(tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    for name in ("c.yaml", "b.yml", "a.yaml"):
        (folder / name).write_text(MANY_PROBLEMS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    runs = [
        subprocess.run(
            [GATEWAY, "flows", "check", str(folder)],
            env={**env, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stderr
        for seed in ("1", "2", "3", "4")
    ]
    assert len(set(runs)) == 1, runs
    errors = [line for line in runs[0].splitlines() if line.startswith("error: ")]
    places = []
    for error in errors:
        path, line = error.removeprefix("error: ").split(":")[:2]
        places.append((Path(path).name, int(line)))
    assert [name for name, _ in places[:1]] == ["a.yaml"]
    assert places == sorted(places)
