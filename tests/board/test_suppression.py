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
