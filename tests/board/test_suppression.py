"""NHS England's three rules for small numbers, on sites of 0, 2, 4, 5 and 40."""

from __future__ import annotations

from gateway.board.suppression import (
    ALL_HIDDEN,
    COUNTS_HIDDEN,
    SHOWN,
    among_siblings,
    for_one,
)

SITES = {"Ash": 0, "Birch": 2, "Cedar": 4, "Damson": 5, "Elm": 40}


def test_rule_1_hides_a_row_of_1_to_4_but_not_one_of_none():
    hidden = among_siblings(SITES, 5)
    assert hidden["Ash"] == SHOWN  # no one to pick out
    assert hidden["Birch"] == ALL_HIDDEN
    assert hidden["Cedar"] == ALL_HIDDEN
    assert hidden["Elm"] == SHOWN


def test_rule_2_needs_no_more_when_the_next_smallest_is_hidden_already():
    # Birch (2) is the smallest with responses; Cedar (4), next, is hidden by
    # rule 1 itself, so Damson (5) stays shown.
    assert among_siblings(SITES, 5)["Damson"] == SHOWN


def test_rule_2_hides_the_counts_of_the_next_smallest():
    hidden = among_siblings({"Ash": 0, "Birch": 2, "Damson": 5, "Elm": 40}, 5)
    assert hidden["Birch"] == ALL_HIDDEN
    assert hidden["Damson"] == COUNTS_HIDDEN  # its percentages stay
    assert hidden["Elm"] == SHOWN
    assert hidden["Ash"] == SHOWN


def test_rule_3_a_hidden_parent_hides_its_two_smallest_children():
    hidden = among_siblings({"Ash": 0, "Damson": 5, "Elm": 40}, 5, parent_hidden=True)
    assert hidden == {"Ash": SHOWN, "Damson": COUNTS_HIDDEN, "Elm": COUNTS_HIDDEN}
    assert among_siblings({"Damson": 5, "Elm": 40}, 5)["Damson"] == SHOWN


def test_ties_fall_by_name():
    hidden = among_siblings({"Beta": 3, "Alpha": 8, "Gamma": 8}, 5)
    assert hidden["Alpha"] == COUNTS_HIDDEN
    assert hidden["Gamma"] == SHOWN


def test_a_row_alone_follows_rule_1_and_the_threshold_is_a_setting():
    assert for_one(4, 5) == ALL_HIDDEN
    assert for_one(0, 5) == SHOWN
    assert for_one(5, 5) == SHOWN
    assert among_siblings({"Elm": 9, "Oak": 40}, 10)["Elm"] == ALL_HIDDEN


def test_a_tie_for_smallest_falls_by_name_too():
    hidden = among_siblings({"Birch": 3, "Ash": 3, "Elm": 40}, 5)
    assert hidden == {"Ash": ALL_HIDDEN, "Birch": ALL_HIDDEN, "Elm": SHOWN}


def test_a_single_child_and_a_parent_of_nothing():
    assert among_siblings({"Only": 3}, 5) == {"Only": ALL_HIDDEN}
    assert among_siblings({"Only": 30}, 5, parent_hidden=True) == {
        "Only": COUNTS_HIDDEN
    }
    assert among_siblings({"Ash": 0, "Elm": 0}, 5, parent_hidden=True) == {
        "Ash": SHOWN,
        "Elm": SHOWN,
    }


def test_rule_3_hides_only_the_two_smallest_even_when_one_is_hidden_already():
    hidden = among_siblings({"A": 2, "B": 9, "C": 10, "D": 50}, 5, parent_hidden=True)
    assert hidden == {"A": ALL_HIDDEN, "B": COUNTS_HIDDEN, "C": SHOWN, "D": SHOWN}


def test_a_site_hidden_by_rule_2_passes_rule_3_to_its_wards():
    from gateway.board.fft import Count, build_return, suppressed

    def answers(site, ward, times):
        return [Count(site, ward, "kiosk", "good", 1) for _ in range(times)]

    counts = [
        *answers("Two Trees", None, 2),
        *answers("Five Oaks", "Lounge", 6),
        *answers("Five Oaks", "Garden", 8),
        *answers("Big House", None, 40),
    ]
    rows = build_return(counts, ["Big House", "Five Oaks", "Two Trees"], {})
    shown = {(r.site, r.ward): r.hidden for r in suppressed(rows, 5)}
    assert shown[("Five Oaks", "")] == COUNTS_HIDDEN  # rule 2, with 14
    assert shown[("Five Oaks", "Lounge")] == COUNTS_HIDDEN  # rule 3, with 6
    assert shown[("Five Oaks", "Garden")] == COUNTS_HIDDEN  # rule 3, with 8
    assert shown[("Big House", "")] == SHOWN
