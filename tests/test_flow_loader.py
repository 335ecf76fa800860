"""Loading and validating flow YAML: the bundled library, yes/no staying words,
and every validation error naming the file, the line and the step.
"""

import textwrap

import pytest

from flows.loader import (
    BUNDLED_FLOWS,
    FlowError,
    FlowProblem,
    load_flow,
    load_library,
    parse_flow,
)

HEADER = "id: demo\nversion: 1\ntitle: Demo\nsteps:\n"


def flow_text(steps: str) -> str:
    """A flow file with the standard header and these (indented) steps."""
    return HEADER + textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ") + "\n"


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "demo.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.mark.parametrize(
    "path", sorted(BUNDLED_FLOWS.glob("*.yaml")), ids=lambda path: path.name
)
def test_every_bundled_flow_loads(path):
    flow = load_flow(path)
    assert flow.id == path.stem
    assert flow.question_ids()
    assert flow.source == str(path)


def test_bundled_library_loads_by_id():
    library = load_library([BUNDLED_FLOWS])
    assert set(library) == {"care-home-life", "friends-and-family"}
    assert library["friends-and-family"].triggers == ("FFT", "FEEDBACK")


def test_yes_and_no_branch_keys_stay_text(write):
    text = flow_text("""
        - id: visits
          kind: yesno
          text: Do you see your family?
          branch:
            no: help
            yes: end
        - {id: help, kind: text, text: What would help}
    """)
    step = load_flow(write(text)).step("visits")
    assert step.branches == {"no": "help", "yes": "end"}
    assert all(isinstance(key, str) for key in step.branches)


def test_yes_no_on_off_option_words_stay_text(write):
    text = flow_text("""
        - id: switch
          kind: choice
          text: Pick one
          options: [Yes, No, on, off]
    """)
    options = load_flow(write(text)).step("switch").options
    assert [option.words for option in options] == ["Yes", "No", "on", "off"]
    assert [option.value for option in options] == ["yes", "no", "on", "off"]


def test_bundled_care_home_branch_keys_are_words():
    flow = load_flow(BUNDLED_FLOWS / "care-home-life.yaml")
    assert flow.step("visits").branches == {"no": "visits-help"}
    assert flow.step("meals").branches == {"bad": "meals-better"}


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
    write, steps, step_id, needle, words
):
    text = flow_text(steps)
    path = write(text)
    line = line_of(text, needle)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    matching = [p for p in caught.value.problems if words in p.message]
    assert matching, str(caught.value)
    problem = matching[0]
    assert (problem.file, problem.line, problem.step) == (str(path), line, step_id)
    assert f"{path}:{line}: step '{step_id}': " in str(caught.value)


def test_unknown_flow_setting_suggests_the_right_one(write):
    path = write(
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
def test_invalid_yaml_reports_the_line(write, text, line):
    path = write(text)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    (problem,) = caught.value.problems
    assert problem.line == line
    assert str(problem).startswith(f"{path}:{line}: not valid YAML")


@pytest.mark.parametrize(
    "text", ["- one\n- two\n", "just some words\n", ""], ids=["list", "string", "empty"]
)
def test_document_that_is_not_a_mapping_is_refused(write, text):
    path = write(text)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert str(caught.value) == f"{path}:1: a flow must be a mapping"


@pytest.mark.parametrize(
    "body",
    [
        "steps: {a: 1}\n",
        "steps:\n  - just a string\n",
        "steps:\n  - id: q1\n    kind: [text]\n    text: Hi\n",
        "steps:\n  - id: q1\n    kind: yesno\n    text: Hi\n    branch: [a]\n",
        "steps:\n  - id: q1\n    kind: text\n    text: {a: b}\n",
    ],
    ids=["steps-mapping", "step-string", "kind-list", "branch-list", "text-mapping"],
)
def test_odd_shapes_give_flow_errors_not_crashes(body):
    with pytest.raises(FlowError) as caught:
        parse_flow("id: demo\nversion: 1\ntitle: Demo\n" + body, "odd.yaml")
    assert all(p.file == "odd.yaml" for p in caught.value.problems)


def test_every_problem_in_a_file_is_reported(write):
    text = flow_text("""
        - id: q1
          kind: scale
          scale: stars
          text: Rate us
        - id: q2
          kind: text
          nxt: end
    """)
    with pytest.raises(FlowError) as caught:
        load_flow(write(text))
    messages = [p.message for p in caught.value.problems]
    assert any("unknown scale 'stars'" in m for m in messages)
    assert any("missing 'text'" in m for m in messages)
    assert any("unknown setting 'nxt'" in m for m in messages)


def test_missing_file_is_a_flow_error(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(FlowError, match="cannot read"):
        load_flow(path)


GOOD = (
    "id: {id}\nversion: 1\ntitle: Demo\nsteps:\n"
    "  - id: q1\n    kind: text\n    text: Hi\n"
)


def test_library_refuses_two_files_with_one_flow_id(write):
    first = write(GOOD.format(id="same"), "a.yaml")
    second = write(GOOD.format(id="same"), "b.yaml")
    with pytest.raises(FlowError) as caught:
        load_library([first.parent])
    assert str(caught.value) == (f"{second}:1: flow id 'same' is also used by {first}")


def test_duplicate_flow_id_points_at_the_id_line(write):
    # Like the bundled flows, these files open with a comment.
    text = "# A flow for the lounge.\n# Reviewed by the group.\n" + GOOD.format(
        id="same"
    )
    first = write(text, "a.yaml")
    second = write(text, "b.yaml")
    with pytest.raises(FlowError) as caught:
        load_library([first.parent])
    (problem,) = caught.value.problems
    assert problem.file == str(second)
    assert problem.line == line_of(text, "id: same")


def test_one_malformed_file_means_no_library(write):
    good = write(GOOD.format(id="good"), "good.yaml")
    write(flow_text("- id: q1\n  kind: riddle\n  text: Hi\n"), "bad.yaml")
    with pytest.raises(FlowError, match="unknown step kind 'riddle'"):
        load_library([good.parent])


def test_malformed_file_yields_no_flow_at_all():
    text = flow_text("""
        - id: q1
          kind: text
          text: Fine
        - id: q2
          kind: number
          text: How many?
          min: 5
          max: 2
    """)
    with pytest.raises(FlowError) as caught:
        parse_flow(text, "half.yaml")
    # One broken step, and the whole file is refused: no half-built Flow.
    assert [p.step for p in caught.value.problems] == ["q2"]


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (
            FlowProblem("flows/a.yaml", 12, "meals", "missing 'text'"),
            "flows/a.yaml:12: step 'meals': missing 'text'",
        ),
        (
            FlowProblem("a.yaml", 1, None, "a flow must be a mapping"),
            "a.yaml:1: a flow must be a mapping",
        ),
        (FlowProblem("a.yaml", None, None, "cannot read"), "a.yaml: cannot read"),
    ],
)
def test_flow_problem_reads_as_path_line_step_message(problem, expected):
    assert str(problem) == expected
