"""A person's own copy of what is held about them, as one readable file.

`gateway subject-access --phone NUMBER` gathers everything this site holds
(store.subject_access) and, once the site is enrolled, what the board adds to
this site's responses of theirs: review, tags, comments and notes, hidden
words. It is written in plain words, so it can be sent to the person as it
is. The file holds their number, so it is written readable by its owner only.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway import store

NOT_KEPT = "nothing"


def copy_for(db, participant_id: str, board_part: list[dict] | None) -> str:
    """The whole copy as text. `board_part`: the board's answer, or None if it
    could not be asked (then the copy says so)."""
    held = store.subject_access.everything_about(db, participant_id)
    person = held["person"] or {}
    lines = [
        "What we hold about you",
        "======================",
        "",
        f"Your phone number: {person.get('phone') or 'no longer kept'}",
        f"Your pseudonym (how the board knows you): {participant_id}",
        f"We first heard from you: {person.get('created_at') or NOT_KEPT}",
        f"You opted out of our texts: {person.get('opted_out_at') or 'no'}",
        f"You were erased: {person.get('erased_at') or 'no'}",
        "",
    ]
    on_board = _by_id(board_part)
    lines += _responses(held["responses"], on_board)
    lines += _board_only(held["responses"], on_board)
    lines += _section("Messages you sent us, and our replies", _messages(held))
    lines += _section(
        "Other messages we sent you",
        [
            f"{m['created_at']} ({m['kind']}, {m['status']}): "
            f"{m['body'] or '(not kept)'}"
            for m in held["messages_out"]
        ],
    )
    lines += _section(
        "Times we worried you might be at risk",
        [_alert_line(a, _alerts_on(board_part)) for a in held["alerts"]],
    )
    lines += _section(
        "Times a duty contact saw your number",
        [f"{v['revealed_at']}: {v['reason']}" for v in held["number_shown"]],
    )
    lines += _section(
        "Requests to delete",
        [
            f"{e['requested_at']} by {e['channel']}: {e['status']}"
            + (f" {e['done_at']}" if e["done_at"] else "")
            for e in held["erasure_requests"]
        ],
    )
    if held["duty"]:
        lines += _section(
            "You are a duty contact",
            [f"{d['name']}, from {d['added_at']}" for d in held["duty"]],
        )
    if board_part is None:
        lines += [
            "The board",
            "---------",
            "We could not ask the board what it adds. Run this again when the",
            "site can reach it.",
            "",
        ]
    return "\n".join(lines)


def write_copy(path: Path, text: str) -> None:
    """Write the copy for its owner's eyes only: it holds a phone number."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _messages(held: dict) -> list[str]:
    from gateway.simulator import reply_text

    lines = []
    for message in held["messages_in"]:
        lines.append(f"{message['received_at']}: {message['body'] or '(emptied)'}")
        replied = reply_text(message["reply"]) if message["reply"] else ""
        if replied:
            lines.append(f"  We replied: {replied}")
    return lines


def _alerts_on(board_part: list[dict] | None) -> dict[str, dict]:
    return {
        alert.get("id"): alert
        for response in board_part or []
        if isinstance(response, dict)
        for alert in response.get("alerts") or []
        if isinstance(alert, dict)
    }


def _alert_line(alert: dict, on_board: dict[str, dict]) -> str:
    line = f"{alert['raised_at']}: {alert['category'].replace('_', ' ')}"
    handled = on_board.get(alert["id"]) or {}
    if handled.get("what_was_done"):
        line += f". What staff did ({handled.get('acknowledged_at')}): "
        line += str(handled["what_was_done"])
    elif alert["dealt_with_at"]:
        line += f", dealt with {alert['dealt_with_at']}"
    return line


def _board_only(responses: list[dict], on_board: dict[str, dict]) -> list[str]:
    """Responses the board still keeps that this site no longer holds."""
    held_here = {response["id"] for response in responses}
    only = [r for i, r in on_board.items() if i not in held_here]
    if not only:
        return []
    title = "Your answers kept on the board only"
    lines = [title, "-" * len(title), ""]
    for response in only:
        lines.append(f"{response.get('flow_id')}, {response.get('closed_at')}")
        for answer in response.get("answers") or []:
            said = answer.get("raw") if answer.get("state") == "answered" else None
            lines.append(f"  {answer.get('prompt')}")
            lines.append(f"    {said or answer.get('state')}")
        lines += _board_lines(response)
        lines.append("")
    return lines


def _by_id(board_part: list[dict] | None) -> dict[str, dict]:
    return {r.get("id"): r for r in board_part or [] if isinstance(r, dict)}


def _responses(responses: list[dict], on_board: dict[str, dict]) -> list[str]:
    lines = ["Your answers", "------------", ""]
    if not responses:
        lines += [f"We hold {NOT_KEPT}.", ""]
    for response in responses:
        lines.append(
            f"{response['flow_id']}, by {response['channel']}, "
            f"{response['started_at']} ({response['status']})"
        )
        if response["opening_text"]:
            lines.append(f"  You wrote first: {response['opening_text']}")
        for answer in response["answers"]:
            said = answer["raw"] if answer["state"] == "answered" else answer["state"]
            lines.append(f"  {answer['prompt']}")
            lines.append(f"    {said}")
        lines += _board_lines(on_board.get(response["id"]))
        lines.append("")
    return lines


def _board_lines(board: dict | None) -> list[str]:
    if not board:
        return []
    lines = [f"  On the board: {str(board.get('review_status', '')).replace('_', ' ')}"]
    if board.get("tags"):
        lines.append(f"  Tags: {', '.join(map(str, board['tags']))}")
    for note in board.get("notes") or []:
        kind = "Staff note" if note.get("staff_only") else "Comment"
        lines.append(f"  {kind}, {note.get('created_at')}: {note.get('body')}")
    for passage in board.get("hidden") or []:
        lines.append(f"  Hidden from board members: {passage}")
    return lines


def _section(title: str, items: list[str]) -> list[str]:
    return [title, "-" * len(title), *(items or [f"We hold {NOT_KEPT}."]), ""]
