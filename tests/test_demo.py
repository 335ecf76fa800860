"""`gateway demo`: its sample data (marked as test data, once), its folder of
its own with the same sign-ins every run, and the real process serving the
board on 127.0.0.1."""

from __future__ import annotations

import http.cookiejar
import os
import re
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import click
import pytest
from sqlalchemy import func, select

from gateway import create_app
from gateway.board import demo
from gateway.board.database import reading, writing
from gateway.board.schema import alerts, answers, audit, responses, sites
from gateway.cli import demo_command
from gateway.conversations import answer, start_conversation
from gateway.db import connect
from tests.board.pages import Browser
from tests.conftest import GATEWAY, free_port, wait_for_http

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture
def both(test_config, runner):
    """An install in role both, as the demo runs, not yet filled."""
    test_config.update(ROLE="both", SECURE_COOKIES=False, SITE=demo.FIRST_SITE)
    assert runner.invoke(["init"]).exit_code == 0
    return create_app(test_config)


def fill(app, people) -> bool:
    runtime = app.extensions["gateway"]
    with writing(app.extensions["board_engine"]) as conn:
        return demo.fill_board(
            conn, runtime, local_site_id=runtime.site_id, people=people, now=NOW
        )


def held(app) -> dict:
    with reading(app.extensions["board_engine"]) as conn:
        rows = conn.execute(select(responses)).mappings().all()
        return {
            "responses": [dict(row) for row in rows],
            "alerts": conn.execute(select(alerts)).mappings().all(),
            "sites": conn.execute(select(sites.c.name, sites.c.site_id)).all(),
            "overall": dict(
                conn.execute(
                    select(answers.c.value, func.count())
                    .where(answers.c.step_id == "overall")
                    .group_by(answers.c.value)
                ).all()
            ),
            "audit": conn.execute(select(func.count()).select_from(audit)).scalar(),
        }


def test_the_sample_data_is_marked_and_looks_like_real_feedback(both):
    assert fill(both, demo.sign_ins()) is True
    found = held(both)
    assert len(found["responses"]) == demo.HOW_MANY
    assert all(response["is_test"] for response in found["responses"])
    assert {name for name, _ in found["sites"]} == {
        "Riverside Care Home (sample)",
        "Hillside Day Centre (sample)",
    }
    local = dict(found["sites"])["Riverside Care Home (sample)"]
    assert local == both.extensions["gateway"].site_id  # where the kiosk's go
    assert {r["channel"] for r in found["responses"]} == {"sms", "kiosk", "paper"}
    assert {r["flow_id"] for r in found["responses"]} == {"friends-and-family"}
    assert found["overall"]["poor"] + found["overall"]["very_poor"] >= 5
    assert set(found["overall"]) <= set(demo.OVERALL)
    assert sum(r["has_free_text"] for r in found["responses"]) >= 30
    assert {r["status"] for r in found["responses"]} == {"complete", "partial"}
    paper = [r for r in found["responses"] if r["channel"] == "paper"]
    assert all(r["entered_by"] for r in paper)


def test_one_alert_on_the_response_that_discloses_harm(both):
    fill(both, demo.sign_ins())
    [alert] = held(both)["alerts"]
    with reading(both.extensions["board_engine"]) as conn:
        said = conn.execute(
            select(answers.c.raw).where(
                answers.c.response_id == alert["response_id"],
                answers.c.step_id == "why",
            )
        ).scalar()
    assert said == demo.DISCLOSURE
    assert alert["category"] == "abuse"


def test_the_demo_people_sign_in_with_their_passwords(both):
    people = demo.sign_ins()
    fill(both, people)
    admin, member = people
    for person in people:
        browser = Browser(both)
        signed = browser.sign_in(person.email, person.password)
        assert signed.status_code == 302, person.role
    limited = Browser(both)
    limited.sign_in(member.email, member.password)
    assert limited.get("/board/paper").status_code == 403  # a member
    assert admin.role == "admin" and member.sites == (demo.FIRST_SITE,)


def test_filling_again_adds_nothing_and_keeps_the_passwords(both):
    people = demo.sign_ins()
    fill(both, people)
    before = held(both)
    assert fill(both, demo.sign_ins({p.role: p.password for p in people})) is False
    after = held(both)
    assert len(after["responses"]) == len(before["responses"])
    assert len(after["alerts"]) == 1 and after["audit"] == before["audit"]
    assert Browser(both).sign_in(people[0].email, people[0].password).status_code == 302


# The command's folder ------------------------------------------------------------


def set_up(folder):
    context = click.Context(demo_command.demo, obj={"test_config": {"TESTING": True}})
    with context:
        people, key = demo_command.set_up(context, folder)
    return context.obj["test_config"], people, key


def test_every_run_uses_the_same_folder_data_and_sign_ins(tmp_path):
    folder = tmp_path / "demo"
    settings, people, key = set_up(folder)
    again_settings, again_people, again_key = set_up(folder)
    assert (again_people, again_key) == (people, key)
    sign_in_file = folder / "demo-sign-in.txt"
    assert stat.S_IMODE(sign_in_file.stat().st_mode) == 0o600
    assert people[0].password in sign_in_file.read_text(encoding="utf-8")
    app = create_app(again_settings)
    assert len(held(app)["responses"]) == demo.HOW_MANY
    assert settings["ROLE"] == "both" and settings["SECURE_COOKIES"] is False
    assert settings["INSTANCE_PATH"] == str(folder.resolve())


def test_a_folder_that_is_not_a_demo_is_never_touched(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "gateway.sqlite3").write_bytes(b"someone's real answers")
    with pytest.raises(click.ClickException, match="not a demo's"):
        set_up(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["gateway.sqlite3"]


def test_a_kiosk_answer_reaches_the_demo_board(tmp_path):
    settings, _people, _key = set_up(tmp_path / "demo")
    app = create_app(settings)
    runtime = app.extensions["gateway"]
    db = connect(app.config["DATABASE"])
    try:
        turn = start_conversation(
            db, runtime, channel="kiosk", now=NOW, kiosk=demo_command.KIOSK
        )
        for text in ("1", "Friendly people"):
            turn = answer(db, runtime, turn.response_id, text, NOW)
    finally:
        db.close()
    assert turn.outcome.done
    from gateway.sync.runner import SyncSchedule

    demo_command.background_pass(app, SyncSchedule(60))
    found = held(app)["responses"]
    assert len(found) == demo.HOW_MANY + 1
    [real] = [r for r in found if not r["is_test"]]
    assert real["id"] == turn.response_id


# The real process --------------------------------------------------------------


def test_gateway_demo_serves_the_board_on_this_machine(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_INSTANCE_PATH"] = str(tmp_path / "real")  # never used by a demo
    env["PYTHONUNBUFFERED"] = "1"
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [GATEWAY, "demo", "--port", str(port), "--folder", str(tmp_path / "demo")],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(base + "/board/sign-in", timeout=60, process=process)
            printed = log.read_text(encoding="utf-8")
            assert "This is sample data. Nothing here is real." in printed
            assert f"Sign in to the board at {base}/board/" in printed
            email, password = re.search(
                r"email (demo-admin@\S+)  password (\S+)", printed
            ).groups()
            assert signs_in_over_http(base, email, password)
            kiosk = re.search(r"The kiosk: (\S+)", printed).group(1)
            with urllib.request.urlopen(kiosk, timeout=10) as page:  # noqa: S310
                assert page.status == 200
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert not (tmp_path / "real").exists()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer to look at


def signs_in_over_http(base: str, email: str, password: str) -> bool:
    """Sign in as a browser would over plain http: the session cookie must
    come back, and open a signed-in page."""
    jar = http.cookiejar.CookieJar()
    cookies = urllib.request.HTTPCookieProcessor(jar)
    opener = urllib.request.build_opener(cookies, NoRedirects)
    with opener.open(base + "/board/sign-in", timeout=10) as page:
        token = CSRF.search(page.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": token}
    ).encode()
    try:
        opener.open(base + "/board/sign-in", data=form, timeout=10)
        return False  # a page again, not the way in
    except urllib.error.HTTPError as answer:
        if answer.code != 302 or answer.headers["Location"] != "/board/":
            return False
    with opener.open(base + "/board/paper", timeout=10) as page:
        return page.status == 200 and "Type in a paper card" in page.read().decode()
