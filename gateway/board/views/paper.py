"""Typing in a paper card: where and when it was filled in and which questions
it has, then its answers, then "Card saved. Add another?".

The answers go through the flow engine (gateway.board.paper), so a card is
checked, branched and safeguarded as a kiosk's answers are. The card page
carries a one-time form id that becomes the response's id: the same form
sent twice stores one response.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from flows.formats import iso
from gateway.board import paper
from gateway.board.access import needs, require_visible, visible_sites
from gateway.board.database import current_engine, reading, writing
from gateway.board.intake import own_words_by_flows
from gateway.board.store import audit, own_responses, records, sites
from gateway.board.views import pages_bp
from gateway.board.views.paper_forms import (
    CardStartForm,
    answer_field,
    card_form,
    date_problem,
    form_errors,
    given_answers,
    hint_for,
    is_form_id,
    problem_words,
)
from gateway.ids import uuid7
from gateway.runtime import current_runtime

DATE_SHOWN = "d MMMM y"  # 1 December 2026


def today() -> date:
    """Today where the board is (GATEWAY_TIMEZONE), not in UTC."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return current_runtime().clock().astimezone(zone).date()


def sites_to_choose() -> list[dict]:
    """Sites this user may see that can have responses: enrolled, not revoked."""
    shown = visible_sites()
    with reading(current_engine()) as conn:
        found = sites.list_sites(conn)
    return [
        site
        for site in found
        if site["site_id"]
        and not site["revoked_at"]
        and (shown is None or site["name"] in shown)
    ]


@pages_bp.route("/paper", methods=["GET", "POST"])
@needs("paper")
def paper_entry():
    form = CardStartForm()
    form.today = today()
    choices = sites_to_choose()
    form.site.choices = [SelectChoice("", gettext("Choose a site"))] + [
        SelectChoice(site["name"]) for site in choices
    ]
    form.flow.choices = sorted(
        (SelectChoice(f.id, f.title or f.id) for f in flows_with_questions()),
        key=_words,
    )
    if form.validate_on_submit():
        return redirect(
            url_for(
                ".paper_card",
                site=form.site.data,
                date=form.written().isoformat(),
                flow=form.flow.data,
            )
        )
    errors = form_errors(form) if request.method == "POST" else []
    page = render_template("board/paper.html", form=form, errors=errors, sites=choices)
    return page, 400 if errors else 200


def _words(choice: SelectChoice) -> str:
    return choice.label


def flows_with_questions() -> list:
    """The board's flows that a kiosk asks at least one question of."""
    flows = current_runtime().flows.values()
    return [flow for flow in flows if paper.questions_shown(flow)]


def card_settings(values) -> tuple[dict, date, object]:
    """The site, date and flow a card page is for, from its address (its form
    posts back to the same address): 404 for a site this user may not see;
    ValueError for a date or flow the first page would not take."""
    site_name, flow_id = values.get("site"), values.get("flow")
    site = next((s for s in sites_to_choose() if s["name"] == site_name), None)
    if site is None:
        abort(404)
    flow = next((f for f in flows_with_questions() if f.id == flow_id), None)
    written = date.fromisoformat(values.get("date", ""))
    if flow is None or date_problem(written, today()):
        raise ValueError("not a card the first page would take")
    return site, written, flow


@pages_bp.route("/paper/card", methods=["GET", "POST"])
@needs("paper")
def paper_card():
    try:
        site, written, flow = card_settings(request.args)
    except ValueError:
        return redirect(url_for(".paper_entry"))
    runtime = current_runtime()
    language = runtime.config["DEFAULT_LANGUAGE"]
    translate = runtime.translate(language)
    form = card_form(flow, translate)
    if request.method == "GET":
        form.form_id.data = uuid7()
    elif not is_form_id(form.form_id.data):
        return redirect(url_for(".paper_entry"))
    elif form.validate_on_submit():
        answers = given_answers(form, flow)
        questions = paper.questions_shown(flow)
        if not answers:
            form[answer_field(questions[0])].errors.append(
                gettext("The card has no answers. Choose or type at least one.")
            )
        else:
            try:
                saved = save_card(form, site, written, flow, answers, language)
            except paper.CardProblem as problem:
                form[answer_field(flow.step(problem.step_id))].errors.append(
                    problem_words(flow, problem, translate)
                )
            else:
                return redirect(url_for(".paper_saved", response_id=saved))
    errors = form_errors(form) if request.method == "POST" else []
    page = render_template(
        "board/paper_card.html",
        form=form,
        site=site,
        card_date=format_date(written, DATE_SHOWN),
        flow=flow,
        questions=[
            (answer_field(step), hint_for(flow, step, translate))
            for step in paper.questions_shown(flow)
        ],
        errors=errors,
    )
    return page, 400 if errors else 200


def save_card(form, site: dict, written: date, flow, answers, language) -> str:
    """Run the card through the engine and store it, with any alert and the
    audit entry; the response's id. CardProblem if the engine refuses it."""
    runtime = current_runtime()
    result = paper.run_card(
        flow,
        answers,
        at=paper.card_moment(written),
        ctx=runtime.context(language),
        language=language,
    )
    response_id = form.form_id.data
    record = paper.response_record(
        result,
        response_id=response_id,
        site_id=site["site_id"],
        helped=bool(form.helped.data),
        entered_by=current_user.user_id,
    )
    own_steps = own_words_by_flows(runtime.flows)(record)
    record["flow_version"] = str(record["flow_version"])  # the board keeps text
    now = iso(runtime.clock())
    with writing(current_engine()) as conn:
        if not own_responses.add_response_once(conn, record, now, own_steps):
            return response_id  # sent twice: the first is the one kept
        alerts = paper.alert_records(
            result,
            response_id=response_id,
            site_id=site["site_id"],
            raised_at=now,
            new_id=uuid7,
        )
        for alert in alerts:
            records.apply_alert(conn, alert, now)
        audit.record(
            conn,
            at=now,
            user_id=current_user.user_id,
            action="paper_entered",
            response_id=response_id,
            detail={
                "site": site["name"],
                "flow": flow.id,
                "card_date": written.isoformat(),
                "status": record["status"],
                "alerts": len(alerts),
            },
        )
    return response_id


@pages_bp.get("/paper/saved/<response_id>")
@needs("paper")
def paper_saved(response_id: str):
    with reading(current_engine()) as conn:
        card = require_visible(own_responses.paper_card(conn, response_id))
    written = date.fromisoformat(card["closed_at"][:10])
    flow = current_runtime().flows.get(card["flow_id"])
    again = None
    if flow is not None and not date_problem(written, today()):
        again = url_for(
            ".paper_card",
            site=card["site_name"],
            date=written.isoformat(),
            flow=flow.id,
        )
    return render_template(
        "board/paper_saved.html",
        card=card,
        card_date=format_date(written, DATE_SHOWN),
        flow=flow,
        again_url=again,
    )
