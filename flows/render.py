"""Turning the engine's replies into words, in the person's language.

Flow text and interface text are both msgids; `translate` is a gettext
function for the conversation's language. SMS and the simulator use these
texts as they are; the kiosk draws its own screens from the same replies.
"""

from __future__ import annotations

from collections.abc import Callable

from flows.formats import plain_number
from flows.model import OPTION_KINDS, Family, Flow, Reply, Step, StepKind

Translate = Callable[[str], str]


def prompt_as_shown(step: Step, family: Family, translate: Translate) -> str:
    """The question as the person saw it: kept with their answer."""
    _ = translate
    question = _(step.text)
    if step.kind in (StepKind.YESNO, StepKind.CONSENT):
        if family == Family.TOUCH:
            return question
        return question + "\n" + _("Reply YES or NO.")
    if step.kind in OPTION_KINDS:
        if family == Family.TOUCH:
            return question
        lines = [f"{n} {_(option.words)}" for n, option in enumerate(step.options, 1)]
        return "\n".join([question, *lines])
    return question


def reply_text(flow: Flow, reply: Reply, family: Family, translate: Translate) -> str:
    """One reply as text for SMS and the simulator."""
    _ = translate
    step = flow.step(reply.step_id) if reply.step_id else None
    if reply.kind in ("question", "message"):
        return prompt_as_shown(step, family, translate)
    if reply.kind == "reprompt":
        return _reprompt(step, reply.params, translate)
    if reply.kind == "shortened":
        return _("Your message was long. We kept the first %(kept)s letters of it.") % {
            "kept": reply.params["kept"]
        }
    if reply.kind == "moving_on":
        return _("That is OK. We will go on to the next question.")
    if reply.kind == "signpost":
        return signposting(translate)
    if reply.kind == "thank_you":
        return _(flow.thank_you) if flow.thank_you else default_thank_you(translate)
    raise ValueError(f"unknown reply kind {reply.kind!r}")


def sms_text(flow: Flow, replies, family: Family, translate: Translate) -> str:
    """Every reply of one turn as a single message, signposting first."""
    ordered = sorted(replies, key=lambda reply: reply.kind != "signpost")
    return "\n\n".join(reply_text(flow, reply, family, translate) for reply in ordered)


def signposting(translate: Translate) -> str:
    _ = translate
    return _(
        "You can talk to someone now. Samaritans: call 116 123, free, any time. "
        "NHS: call 111 and choose 2. In danger now? Call 999."
    )


def default_thank_you(translate: Translate) -> str:
    _ = translate
    return _("Thank you. Your answers help us make things better.")


def _reprompt(step: Step, params: dict, translate: Translate) -> str:
    _ = translate
    if step.kind in (StepKind.YESNO, StepKind.CONSENT):
        return _("Sorry, I did not understand. Please reply YES or NO.")
    if step.kind in OPTION_KINDS:
        return _(
            "Sorry, I did not understand. Please reply with a number from 1 to "
            "%(count)s."
        ) % {"count": params["count"]}
    if step.kind is StepKind.NUMBER:
        low, high = params.get("minimum"), params.get("maximum")
        if low is not None and high is not None:
            return _(
                "Sorry, I did not understand. Please reply with a number from "
                "%(low)s to %(high)s."
            ) % {"low": plain_number(low), "high": plain_number(high)}
        return _("Sorry, I did not understand. Please reply with a number.")
    return _("Sorry, your message was empty. Please send a few words.")
