"""How the contract suite works each channel as a person would.

Every driver answers the same bundled flow (the Friends and Family Test: a
scale, a free-text "why", and on text channels a consent question) in its
own channel's way: a signed Twilio webhook, a kiosk's plain form posts, a
simulated terminal. Add a driver here when a channel is registered.
"""

from __future__ import annotations

import itertools
import re
from html import unescape

from gateway.db import connect
from gateway.simulator import Simulation
from tests.kiosk.helpers import Kiosk, add_kiosk
from tests.sms.helpers import form, poster, said

_phones = itertools.count(100)


class SmsDriver:
    """A phone texting the gateway through Twilio's signed webhook."""

    def __init__(self, app, runner):
        self.post = poster(app)
        self.phone = f"+4477009{next(_phones):05d}"
        self.last: dict | None = None

    def start(self) -> str:
        return self._send("Hello")

    def rate(self, number: int) -> str:
        return self._send(str(number))

    def write(self, text: str) -> str:
        return self._send(text)

    def finish(self) -> str:
        return self._send("no")  # "Can we text you...?": the last question

    def repeat_last(self) -> str:
        return self._said(self.post(self.last))  # the same MessageSid again

    def leave_early(self) -> None:
        self._send("STOP")

    def _send(self, text: str) -> str:
        self.last = form(text, self.phone)
        return self._said(self.post(self.last))

    @staticmethod
    def _said(response) -> str:
        assert response.status_code == 200, response.data
        return "\n".join(said(response))


class KioskDriver:
    """A kiosk tablet without JavaScript: every tap a form post."""

    values = ("very_good", "good", "neither", "poor", "very_poor", "dont_know")

    def __init__(self, app, runner):
        self.kiosk = Kiosk(
            app.test_client(), add_kiosk(runner, f"Kiosk {next(_phones)}")
        )
        self.last: dict | None = None

    def start(self) -> str:
        self.kiosk.start()
        return self.kiosk.screen()["page"]

    def rate(self, number: int) -> str:
        return self._tap(answer=self.values[number - 1])

    def write(self, text: str) -> str:
        return self._tap(answer=text)

    def finish(self) -> str:
        return ""  # the kiosk does not ask the texting question: already done

    def repeat_last(self) -> str:
        return self._page(
            self.kiosk.client.post(self.kiosk.response_url, data=self.last)
        )

    def leave_early(self) -> None:
        url = self.kiosk.response_url + "reset"
        self.kiosk.client.post(url, data={"why": "finished"})

    def _tap(self, **fields) -> str:
        showing = self.kiosk.screen()
        self.last = {"screen": showing["screen"], "step": showing["step"], **fields}
        return self._page(
            self.kiosk.client.post(self.kiosk.response_url, data=self.last)
        )

    def _page(self, reply) -> str:
        assert reply.status_code in (200, 303), reply.status_code
        if reply.status_code == 303:
            reply = self.kiosk.client.get(reply.location)
        return " ".join(
            unescape(re.sub(r"<[^>]+>", " ", reply.get_data(as_text=True))).split()
        )


class SimulatorDriver:
    """The terminal simulator, a line at a time."""

    def __init__(self, app, runner):
        self.app = app
        self.db = connect(app.config["DATABASE"])
        runtime = app.extensions["gateway"]
        self.simulation = Simulation(self.db, runtime, runtime.clock)
        self.last: tuple[str, str] | None = None

    def start(self) -> str:
        return self.simulation.begin("friends-and-family")

    def rate(self, number: int) -> str:
        return self._send(str(number))

    def write(self, text: str) -> str:
        return self._send(text)

    def finish(self) -> str:
        return self._send("no")

    def repeat_last(self) -> str:
        return self.simulation.send(*self.last)  # the same line, the same id

    def leave_early(self) -> None:
        self.simulation.end_early()  # the end of its input

    def _send(self, text: str) -> str:
        self.last = (text, f"SIMcontract{next(_phones)}")
        return self.simulation.send(*self.last)

    def close(self) -> None:
        self.db.close()


DRIVERS = {"sms": SmsDriver, "kiosk": KioskDriver, "simulator": SimulatorDriver}
