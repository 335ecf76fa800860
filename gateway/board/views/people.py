"""Board pages for admins: the people who use the board, and the sites.

An admin adds a person (who gets a one-time link to choose a password),
changes their role and sites, turns their account off or on, makes them a
new link, and says whether staff and admins must use a second step. They
also add sites (each with a one-time enrolment code) and revoke them. Every
change goes in the audit log. No admin can turn themselves off, and there is
always one admin left.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request
from flask import url_for as url
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from flows.formats import iso
from gateway.board import accounts as rules
from gateway.board.access import needs
from gateway.board.database import current_engine, reading, writing
from gateway.board.store import accounts, audit, sites
from gateway.board.views import pages_bp
from gateway.board.views.account import ROLE_NAMES, long_date, second_step_required
from gateway.board.views.auth import errors_of, now

ONLY_ADMIN = _l("They are the only admin. Make someone else an admin first.")
ROLE_CHOICES = [
    SelectChoice("member", _l("Board member: reads feedback, adds tags and comments")),
    SelectChoice(
        "staff", _l("Staff: also reviews, sees safeguarding alerts, types paper cards")
    ),
    SelectChoice("admin", _l("Admin: also adds people and sites")),
]


class MultiCheckboxField(SelectMultipleField):
    """Drawn as checkboxes by the `field` macro."""

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("Choose from the sites on the list."))


class PersonForm(FlaskForm):
    role = RadioField(
        _l("Role"),
        choices=ROLE_CHOICES,
        validators=[InputRequired(_l("Choose a role."))],
    )
    sites = MultiCheckboxField(
        _l("Sites they can see"),
        description=_l("Tick none to let them see every site."),
    )


class AddPersonForm(PersonForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            InputRequired(_l("Enter their email address.")),
            Length(max=254, message=_l("The email address is too long.")),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message=_l("Enter an email address like name@example.org."),
            ),
        ],
        render_kw={"spellcheck": "false"},
    )
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter their name.")),
            Length(max=100, message=_l("The name must be 100 characters or fewer.")),
        ],
    )


class SiteForm(FlaskForm):
    name = StringField(
        _l("Name of the site"),
        description=_l("For example: Rose Court."),
        filters=[lambda text: (text or "").strip()],
        validators=[
            InputRequired(_l("Enter the name of the site.")),
            Length(max=100, message=_l("The name must be 100 characters or fewer.")),
        ],
    )


class SecondStepRuleForm(FlaskForm):
    required = BooleanField(_l("Staff and admins must use a second step"))


def _site_choices(conn) -> list[SelectChoice]:
    return [SelectChoice(site["name"], site["name"]) for site in sites.list_sites(conn)]


def _person(conn, user_id: int) -> dict:
    found = accounts.user(conn, user_id)
    if found is None:
        abort(404)
    return found


def _link_page(person: dict, token: str, *, new_person: bool):
    return render_template(
        "board/person_link.html",
        person=person,
        link=rules.link_address(
            current_app.config["PUBLIC_URL"], token, request.host_url
        ),
        until=long_date(iso(now() + timedelta(hours=rules.LINK_HOURS))),
        new_person=new_person,
    )


def _log(conn, action: str, **detail) -> None:
    audit.record(
        conn, at=iso(now()), user_id=current_user.user_id, action=action, detail=detail
    )


@pages_bp.get("/people")
@needs("people")
def users():
    with reading(current_engine()) as conn:
        people = accounts.list_users(conn)
    rule = SecondStepRuleForm(data={"required": second_step_required()})
    return render_template(
        "board/people.html",
        people=people,
        role_names=ROLE_NAMES,
        long_date=long_date,
        rule=rule,
    )


@pages_bp.post("/people/second-step")
@needs("people")
def second_step_rule():
    form = SecondStepRuleForm()
    if form.validate_on_submit():
        wanted = "1" if form.required.data else "0"
        with writing(current_engine()) as conn:
            before = accounts.setting(conn, rules.REQUIRE_SECOND_STEP, "0")
            if before != wanted:
                accounts.set_setting(conn, rules.REQUIRE_SECOND_STEP, wanted)
                _log(conn, "setting_changed", **{rules.REQUIRE_SECOND_STEP: wanted})
        flash(gettext("Saved."), "success")
    return redirect(url("board_pages.users"))


@pages_bp.route("/people/add", methods=["GET", "POST"])
@needs("people")
def person_add():
    form = AddPersonForm()
    with reading(current_engine()) as conn:
        form.sites.choices = _site_choices(conn)
    if form.validate_on_submit():
        added = _add_person(form)
        if added is not None:
            return _link_page(*added, new_person=True)
        form.email.errors = [_l("Someone has this email address already.")]
    errors = errors_of(form, first="email")
    page = render_template("board/person_add.html", form=form, errors=errors)
    return page, 400 if errors else 200


def _add_person(form: AddPersonForm) -> tuple[dict, str] | None:
    """The new account and its link's token; None if the email has one."""
    with writing(current_engine()) as conn:
        if accounts.user_by_email(conn, form.email.data) is not None:
            return None
        user_id = accounts.add_user(
            conn,
            email=form.email.data,
            name=form.name.data.strip(),
            role=form.role.data,
            sites=tuple(form.sites.data),
            now=iso(now()),
        )
        token = rules.issue_password_link(conn, user_id, now())
        person = accounts.user(conn, user_id)
        _log(
            conn,
            "user_added",
            user=user_id,
            email=person["email"],
            role=person["role"],
            sites=list(person["sites"]),
        )
    return person, token


@pages_bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@needs("people")
def person(user_id: int):
    with reading(current_engine()) as conn:
        found = _person(conn, user_id)
        choices = _site_choices(conn)
    form = PersonForm(data={"role": found["role"], "sites": list(found["sites"])})
    form.sites.choices = choices
    if form.validate_on_submit():
        wanted_sites = tuple(sorted(form.sites.data))
        with writing(current_engine()) as conn:
            found = _person(conn, user_id)
            if _last_admin(conn, found) and form.role.data != "admin":
                form.role.errors = [ONLY_ADMIN]
            else:
                changed = {}
                if form.role.data != found["role"]:
                    accounts.set_role(conn, user_id, form.role.data)
                    changed["role"] = [found["role"], form.role.data]
                if wanted_sites != found["sites"]:
                    accounts.set_sites(conn, user_id, wanted_sites)
                    changed["sites"] = [list(found["sites"]), list(wanted_sites)]
                if changed:
                    _log(conn, "user_changed", user=user_id, **changed)
        if not form.role.errors:
            flash(
                gettext("Saved the changes for %(name)s.", name=found["name"]),
                "success",
            )
            return redirect(url("board_pages.users"))
    errors = errors_of(form)
    page = render_template(
        "board/person.html",
        person=found,
        form=form,
        errors=errors,
        role_name=ROLE_NAMES.get(found["role"], found["role"]),
        is_me=found["id"] == current_user.user_id,
    )
    return page, 400 if errors else 200


def _last_admin(conn, person: dict) -> bool:
    return (
        person["role"] == "admin"
        and not person["disabled_at"]
        and accounts.enabled_admins(conn) <= 1
    )


@pages_bp.post("/people/<int:user_id>/turn-off")
@needs("people")
def person_disable(user_id: int):
    with writing(current_engine()) as conn:
        found = _person(conn, user_id)
        if found["id"] == current_user.user_id:
            flash(gettext("You cannot turn off your own account."), "error")
        elif _last_admin(conn, found):
            flash(str(ONLY_ADMIN), "error")
        elif not found["disabled_at"]:
            accounts.disable_user(conn, user_id, iso(now()))
            _log(conn, "user_disabled", user=user_id)
            flash(
                gettext("%(name)s cannot sign in now.", name=found["name"]), "success"
            )
    return redirect(url("board_pages.person", user_id=user_id))


@pages_bp.post("/people/<int:user_id>/turn-on")
@needs("people")
def person_enable(user_id: int):
    with writing(current_engine()) as conn:
        found = _person(conn, user_id)
        if found["disabled_at"]:
            accounts.enable_user(conn, user_id)
            _log(conn, "user_enabled", user=user_id)
            flash(gettext("%(name)s can sign in again.", name=found["name"]), "success")
    return redirect(url("board_pages.person", user_id=user_id))


@pages_bp.post("/people/<int:user_id>/new-link")
@needs("people")
def person_new_link(user_id: int):
    token = None
    with writing(current_engine()) as conn:
        found = _person(conn, user_id)
        if not found["disabled_at"]:
            token = rules.issue_password_link(conn, user_id, now())
            _log(conn, "password_link_made", user=user_id)
    if token is not None:
        return _link_page(found, token, new_person=False)
    flash(gettext("Turn their account on first."), "error")
    return redirect(url("board_pages.person", user_id=user_id))


# Sites ------------------------------------------------------------------------


@pages_bp.get("/sites")
@needs("people")
def site_list():
    with reading(current_engine()) as conn:
        found = sites.list_sites(conn)
    return render_template("board/sites.html", sites=found, long_date=long_date)


@pages_bp.route("/sites/add", methods=["GET", "POST"])
@needs("people")
def site_add():
    form = SiteForm()
    if form.validate_on_submit():
        name = form.name.data
        try:
            with writing(current_engine()) as conn:
                existed = sites.site(conn, name=name) is not None
                code, expires = rules.offer_enrolment(conn, name, now())
                _log(conn, "site_code_made" if existed else "site_added", site=name)
        except rules.EnrolmentRefused:
            form.name.errors = [
                gettext("There is a site called %(name)s already.", name=name)
            ]
        else:
            return render_template(
                "board/site_code.html",
                name=name,
                code=code,
                until=long_date(expires),
                board_url=(current_app.config["PUBLIC_URL"] or request.host_url).rstrip(
                    "/"
                ),
            )
    errors = errors_of(form)
    page = render_template("board/site_add.html", form=form, errors=errors)
    return page, 400 if errors else 200


@pages_bp.route("/sites/<path:name>/revoke", methods=["GET", "POST"])
@needs("people")
def site_revoke(name: str):
    with reading(current_engine()) as conn:
        found = sites.site(conn, name=name)
    if found is None or found["revoked_at"]:
        abort(404)
    if request.method == "POST":
        with writing(current_engine()) as conn:
            if sites.revoke_site(conn, name, iso(now())):
                _log(conn, "site_revoked", site=name)
        flash(gettext("%(name)s is revoked.", name=name), "success")
        return redirect(url("board_pages.site_list"))
    return render_template("board/site_revoke.html", site=found)
