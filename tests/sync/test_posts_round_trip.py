"""A post published on a real board reaches a real site's kiosk: the board
served as a process, the site's own `gateway sync run`, the kiosk's page."""

from __future__ import annotations

import re
from html import unescape

from gateway.board.database import make_engine, writing
from gateway.board.store import stream as board_stream
from tests.conftest import serve_gateway
from tests.posts import a_post
from tests.sync.helpers import database, enrol, identity, install, run, site_app

POST = a_post()


def test_a_post_for_one_site_shows_on_its_kiosk_and_no_other(tmp_path):
    board_env = install(tmp_path / "board", "board")
    rose = install(tmp_path / "rose", "site")
    oak = install(tmp_path / "oak", "site")
    with serve_gateway(board_env, tmp_path / "board.log") as (url, _process):
        enrol(rose, board_env, url, "Rose Court")
        enrol(oak, board_env, url, "Oak House")
        engine = make_engine(database(board_env))
        try:
            with writing(engine) as conn:
                board_stream.publish(
                    conn, "post", POST, POST["published_at"], sites=[identity(rose)[0]]
                )
        finally:
            engine.dispose()
        said = {
            name: run(env, "sync", "run").stdout
            for name, env in (("rose", rose), ("oak", oak))
        }

    assert "Took 1 post(s) for 'You said, we did'." in said["rose"]
    assert "post(s)" not in said["oak"]
    assert POST["words"] in welcome_screen(rose)
    assert "You said, we did" not in welcome_screen(oak)


def welcome_screen(env: dict) -> str:
    added = run(env, "kiosk", "add", "Lounge").stdout.strip().splitlines()[-1]
    key = re.search(r"/kiosk/([\w-]+)/", added).group(1)
    reply = site_app(env).test_client().get(f"/kiosk/{key}/")
    assert reply.status_code == 200
    return unescape(reply.get_data(as_text=True))
