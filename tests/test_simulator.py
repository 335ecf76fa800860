"""`gateway simulate` as a person at a terminal or a script sees it: what was
typed, how to stop, what STOP does, a language it has, and a closed pipe."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

from tests.conftest import GATEWAY

FFT = "friends-and-family"


def exported(runner) -> list[dict]:
    result = runner.invoke(["export", "--format", "jsonl", "--include-test"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_language_with_no_catalog_is_refused_with_the_ones_there_are(
    runner, initialised
):
    result = runner.invoke(["simulate", FFT, "--language", "xx"], input="1\n")
    assert result.exit_code == 2
    assert "'xx'" in result.output and "Languages here: en." in result.output
    assert exported(runner) == []


def test_the_default_language_can_be_chosen(runner, initialised):
    result = runner.invoke(["simulate", FFT, "--language", "en"], input="1\n")
    assert result.exit_code == 0, result.output
    [record] = exported(runner)
    assert record["language"] == "en"


def test_a_scripted_run_shows_each_line_as_typed_between_the_replies(
    runner, initialised
):
    result = runner.invoke(["simulate", FFT], input="1\nlovely staff\nyes\n")
    assert result.exit_code == 0, result.output
    shown = result.stdout
    assert shown.startswith("We keep your answers, not your name.")
    order = [
        "Overall, how was your experience",
        "\nyou> 1\n",
        "Please tell us why",
        "\nyou> lovely staff\n",
        "Can we text you",
        "\nyou> yes\n",
        "Thank you. We read every answer.",
    ]
    positions = [shown.index(part) for part in order]
    assert positions == sorted(positions), shown


def test_the_simulator_says_how_to_stop_before_anything_else(runner, initialised):
    result = runner.invoke(["simulate", FFT], input="")
    assert result.exit_code == 0, result.output
    first = result.stderr.splitlines()[0]
    assert "Each line you type is one text message." in first
    assert "To stop, press Ctrl+D" in first
    [record] = exported(runner)
    assert (record["status"], record["close_reason"]) == ("partial", "reset")


def test_after_stop_it_says_the_number_is_opted_out_and_twilio_replies(
    runner, initialised
):
    result = runner.invoke(["simulate", FFT], input="1\nSTOP\n")
    assert result.exit_code == 0, result.output
    assert "This number is opted out now." in result.stderr
    assert "Twilio sends its own reply to STOP" in result.stderr
    assert result.stdout.rstrip().endswith("you> STOP")


def test_when_the_gateway_answers_a_stop_the_simulator_shows_that_instead(
    runner, initialised, monkeypatch
):
    """ "Stop please" is a stop Twilio does not catch, so the gateway confirms it."""
    from gateway.sms import inbound as sms_inbound

    real = sms_inbound.handle_inbound
    confirmation = "You will not get any more texts from us."

    def confirming(db, runtime, message, now, **options):
        if message.body != "Stop please":
            return real(db, runtime, message, now, **options)
        real(db, runtime, replace(message, body="STOP"), now, **options)
        return f"<Response><Message>{confirmation}</Message></Response>"

    monkeypatch.setattr(sms_inbound, "handle_inbound", confirming)
    result = runner.invoke(["simulate", FFT], input="1\nStop please\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(f"you> Stop please\n{confirmation}")
    assert "Twilio" not in result.stderr
    [record] = exported(runner)
    assert (record["status"], record["close_reason"]) == ("partial", "opted_out")


def test_output_closed_early_ends_the_run_as_partial_and_quietly(gateway_env, tmp_path):
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [GATEWAY, "simulate", FFT],
            env=gateway_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            first_line = process.stdout.readline()  # as `| head -1` reads
            process.stdout.close()
            process.stdin.write("1\nlovely staff\nyes\n")
            process.stdin.close()
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert first_line.startswith("We keep your answers")
    said = errors.read_text()
    assert "Traceback" not in said and "Exception ignored" not in said
    assert "BrokenPipe" not in said and "Broken pipe" not in said
    listing = subprocess.run(
        [GATEWAY, "export", "--format", "jsonl", "--include-test"],
        env=gateway_env,
        capture_output=True,
        text=True,
        check=True,
    )
    [record] = [json.loads(line) for line in listing.stdout.splitlines()]
    assert (record["status"], record["close_reason"]) == ("partial", "reset")
