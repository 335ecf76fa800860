"""The kiosk's pages themselves: headers, the service worker, pictures, number
steps without JavaScript, and the kiosk's settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from flows.loader import FlowError, load_flow
from flows.symbols import INTERFACE_SYMBOLS, OPTION_SYMBOLS
from gateway.db import connect
from tests.conftest import REPO, flow_text, line_of
from tests.kiosk_helpers import answers, responses

SYMBOLS = REPO / "kiosk" / "static" / "symbols"


def test_plus_and_minus_work_without_javascript(counting):
    app, kiosk = counting
    page = kiosk.screen()["page"]
    assert 'min="0.0"' in page or 'min="0"' in page
    plus = kiosk.client.post(kiosk.response_url, data={"answer": "", "adjust": "1"})
    assert plus.status_code == 303
    assert "value=0" in plus.location  # the first tap on an empty box: the lowest
    shown = kiosk.client.get(plus.location).get_data(as_text=True)
    assert 'value="0"' in shown
    top = kiosk.client.post(kiosk.response_url, data={"answer": "7", "adjust": "1"})
    assert "value=7" in top.location  # never past the highest
    assert answers(app, kiosk.response_id) == {}  # adjusting is not answering


def test_a_number_out_of_range_asks_again(counting):
    app, kiosk = counting
    reply = kiosk.tap(answer="9")
    assert reply.status_code == 422
    assert "Please choose a number from the ones shown." in reply.get_data(as_text=True)
    kiosk.tap(answer="3")
    assert answers(app, kiosk.response_id)["visits"]["value"] == "3"
    assert kiosk.screen()["step"] == "happy"


def test_odd_numbers_are_asked_again_not_taken_as_no_answer(counting):
    app, kiosk = counting
    for odd in ("nan", "2e0", "1_0", "-1"):
        assert kiosk.tap(answer=odd).status_code == 422
    assert answers(app, kiosk.response_id) == {}


def test_plus_or_minus_counts_as_someone_still_there(counting, counting_clock):
    app, kiosk = counting
    for _ in range(6):  # a minute and a half of taps on plus
        counting_clock.advance(seconds=15)
        kiosk.client.post(kiosk.response_url, data={"answer": "1", "adjust": "1"})
    kiosk.client.get(kiosk.response_url + "time-up")
    assert kiosk.screen()["step"] == "visits"


# The pages themselves ----------------------------------------------------------------


def test_kiosk_pages_are_never_cached_or_framed(lounge):
    lounge.start()
    for page in (lounge.welcome(), lounge.client.get(lounge.response_url)):
        assert page.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in page.get_data(as_text=True)  # no inline script


def test_the_service_worker_keeps_only_assets_that_exist(client, app):
    reply = client.get("/kiosk/sw.js")
    assert reply.status_code == 200
    assert reply.mimetype == "text/javascript"
    script = reply.get_data(as_text=True)
    assets = re.search(r"const ASSETS = (\[.*?\]);", script)[1]
    for path in re.findall(r'"(/kiosk/static/[^"]+)"', assets):
        with client.get(path) as asset:  # a file response: closed after reading
            assert asset.status_code == 200, path
    assert '"/kiosk/offline"' in script


def test_every_symbol_has_a_picture_and_every_picture_a_name():
    files = {path.stem for path in SYMBOLS.glob("*.svg")}
    assert files == OPTION_SYMBOLS | INTERFACE_SYMBOLS
    for path in SYMBOLS.glob("*.svg"):
        text = path.read_text(encoding="utf-8")
        assert 'aria-hidden="true"' in text  # the words on the button say it
        assert "<script" not in text
        assert "http" not in text.replace("http://www.w3.org/2000/svg", "")


def test_a_flow_naming_a_picture_the_kiosk_lacks_is_refused(write_flow):
    text = flow_text(
        """
        - id: pick
          kind: choice
          text: Pick one
          options:
            - words: Tea
              symbol: teapot
            - words: Coffee
        """
    )
    with pytest.raises(FlowError) as error:
        load_flow(write_flow(text))
    assert "there is no picture called 'teapot'" in str(error.value)
    assert f"demo.yaml:{line_of(text, 'symbol: teapot')}:" in str(error.value)


def test_kiosk_idle_settings_refuse_a_warning_shorter_than_20_seconds(tmp_path):
    from gateway.config import ConfigError, load_config

    with pytest.raises(ConfigError) as error:
        load_config(
            {"GATEWAY_KIOSK_STILL_THERE_SECONDS": "10"},
            {"INSTANCE_PATH": str(tmp_path)},
        )
    assert "20 or more" in str(error.value)


def test_idle_kiosk_conversations_close_after_the_abandoned_limit(
    lounge, app, kiosk_clock, runtime
):
    from gateway.conversations import close_idle_conversations

    lounge.start()
    db = connect(app.config["DATABASE"])
    try:
        later = kiosk_clock.now() + timedelta(minutes=29)
        assert close_idle_conversations(db, runtime, later) == 0
        assert close_idle_conversations(db, runtime, later + timedelta(minutes=2)) == 1
    finally:
        db.close()
    assert responses(app)[0]["close_reason"] == "expired"
