"""How a flow's steps connect: unique ids, real targets ahead, all reachable.

Steps only move forward, so no answer can send a person round in a loop.
"""

from __future__ import annotations

from flows.model import END, Step


def check_graph(steps: list[Step], check) -> None:
    """Unique ids, targets that exist and lie ahead, and no step left unreachable.

    Where an id is used twice, which step a target means is unclear: the
    duplicate is the one problem reported about it, until it is renamed.
    """
    positions: dict[str, int] = {}
    duplicated: set[str] = set()
    for position, step in enumerate(steps):
        if step.id in positions:
            check.problem(f"duplicate step id '{step.id}'", step.line, step.id)
            duplicated.add(step.id)
        positions.setdefault(step.id, position)
    successors: dict[str, list[str]] = {}
    for position, step in enumerate(steps):
        leads_to = successors.setdefault(step.id, [])
        for target in _targets(steps, position):
            if target == END:
                continue
            if target in duplicated:
                leads_to.append(target)
            elif target not in positions:
                check.problem(f"goes to a missing step '{target}'", step.line, step.id)
            elif positions[target] <= position:
                check.problem(
                    f"goes back to step '{target}'; flows only move forward, "
                    "so nobody is caught in a loop",
                    step.line,
                    step.id,
                )
            else:
                leads_to.append(target)
    if not steps:
        return
    reached, frontier = {steps[0].id}, [steps[0].id]
    while frontier:
        for target in successors.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    for step in steps:
        if step.id not in reached and step.id not in duplicated:
            check.problem("no answer leads to this step", step.line, step.id)


def _targets(steps: list[Step], position: int) -> list[str]:
    """Where a step can lead, in the order the file names them, each once."""
    step = steps[position]
    targets = list(step.branches.values())
    if step.next is not None:
        targets.append(step.next)
    else:
        # A branch table with gaps falls back on the default next step.
        following = steps[position + 1].id if position + 1 < len(steps) else END
        targets.append(following)
    return list(dict.fromkeys(targets))
