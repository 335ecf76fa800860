"""Loading flow YAML: the bundled library, yes/no staying words, whole-file
refusal, and libraries that refuse duplicate ids.
"""

import pytest

from flows.loader import (
    BUNDLED_FLOWS,
    FlowError,
    FlowProblem,
    load_flow,
    load_library,
    parse_flow,
)
from tests.conftest import flow_text, line_of


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


def test_yes_and_no_branch_keys_stay_text(write_flow):
    text = flow_text("""
        - id: visits
          kind: yesno
          text: Do you see your family?
          branch:
            no: help
            yes: end
        - {id: help, kind: text, text: What would help}
    """)
    step = load_flow(write_flow(text)).step("visits")
    assert step.branches == {"no": "help", "yes": "end"}
    assert all(isinstance(key, str) for key in step.branches)


def test_yes_no_on_off_option_words_stay_text(write_flow):
    text = flow_text("""
        - id: switch
          kind: choice
          text: Pick one
          options: [Yes, No, on, off]
    """)
    options = load_flow(write_flow(text)).step("switch").options
    assert [option.words for option in options] == ["Yes", "No", "on", "off"]
    assert [option.value for option in options] == ["yes", "no", "on", "off"]


def test_bundled_care_home_branch_keys_are_words():
    flow = load_flow(BUNDLED_FLOWS / "care-home-life.yaml")
    assert flow.step("visits").branches == {"no": "visits-help"}
    assert flow.step("meals").branches == {"bad": "meals-better"}


@pytest.mark.parametrize(
    "text", ["- one\n- two\n", "just some words\n", ""], ids=["list", "string", "empty"]
)
def test_document_that_is_not_a_mapping_is_refused(write_flow, text):
    path = write_flow(text)
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


def test_every_problem_in_a_file_is_reported(write_flow):
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
        load_flow(write_flow(text))
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


def test_library_refuses_two_files_with_one_flow_id(write_flow):
    first = write_flow(GOOD.format(id="same"), "a.yaml")
    second = write_flow(GOOD.format(id="same"), "b.yaml")
    with pytest.raises(FlowError) as caught:
        load_library([first.parent])
    assert str(caught.value) == (f"{second}:1: flow id 'same' is also used by {first}")


def test_duplicate_flow_id_points_at_the_id_line(write_flow):
    # Like the bundled flows, these files open with a comment.
    text = "# A flow for the lounge.\n# Reviewed by the group.\n" + GOOD.format(
        id="same"
    )
    first = write_flow(text, "a.yaml")
    second = write_flow(text, "b.yaml")
    with pytest.raises(FlowError) as caught:
        load_library([first.parent])
    (problem,) = caught.value.problems
    assert problem.file == str(second)
    assert problem.line == line_of(text, "id: same")


def test_one_malformed_file_means_no_library(write_flow):
    good = write_flow(GOOD.format(id="good"), "good.yaml")
    write_flow(flow_text("- id: q1\n  kind: riddle\n  text: Hi\n"), "bad.yaml")
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
