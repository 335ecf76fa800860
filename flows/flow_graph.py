"""How a flow's steps connect: unique ids, real targets ahead, all reachable.

Steps only move forward, so no answer can send a person round in a loop.
"""

from __future__ import annotations

from flows.model import END, Step


def check_graph(steps: list[Step], check) -> None:
    """Unique ids, targets that exist and lie ahead, and no step left unreachable."""
    positions: dict[str, int] = {}
    for position, step in enumerate(steps):
        if step.id in positions:
            check.problem(f"duplicate step id '{step.id}'", step.line, step.id)
        positions.setdefault(step.id, position)
    successors: dict[str, set[str]] = {}
    for position, step in enumerate(steps):
        targets = {*step.branches.values()}
        if step.next is not None:
            targets.add(step.next)
        # A branch table with gaps falls back on the default next step.
        if step.next is None:
            following = steps[position + 1].id if position + 1 < len(steps) else END
            targets.add(following)
        successors[step.id] = set()
        for target in targets:
            if target == END:
                continue
            if target not in positions:
                check.problem(f"goes to a missing step '{target}'", step.line, step.id)
            elif positions[target] <= position:
                check.problem(
                    f"goes back to step '{target}'; flows only move forward, "
                    "so nobody is caught in a loop",
                    step.line,
                    step.id,
                )
            else:
                successors[step.id].add(target)
    if not steps:
        return
    reached, frontier = {steps[0].id}, [steps[0].id]
    while frontier:
        for target in successors.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    for step in steps:
        if step.id not in reached:
            check.problem("no answer leads to this step", step.line, step.id)
