"""`gateway kiosk add`, `list` and `retire`: naming tablets, giving them addresses."""

from __future__ import annotations

import re

import pytest


def test_kiosk_add_prints_an_address_that_opens_the_welcome_screen(lounge):
    page = lounge.welcome()
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Tell us what you think" in text
    assert "You do not need to give your name." in text
    assert re.search(r'<button type="submit" class="button primary start">', text)


def test_kiosk_add_uses_the_public_url_or_the_one_given(runner, initialised):
    result = runner.invoke(
        ["kiosk", "add", "Hall", "--base-url", "http://192.168.1.20:8080/"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"http://192\.168\.1\.20:8080/kiosk/[\w-]{22}/$", result.output)


def test_kiosk_names_must_be_new_and_plain(runner, initialised):
    assert runner.invoke(["kiosk", "add", "Lounge"]).exit_code == 0
    again = runner.invoke(["kiosk", "add", "Lounge"])
    assert again.exit_code == 1
    assert "already a kiosk called 'Lounge'" in again.output
    odd = runner.invoke(["kiosk", "add", "<script>"])
    assert odd.exit_code == 1
    assert "A kiosk name is" in odd.output
    unknown = runner.invoke(["kiosk", "add", "Hall", "--flow", "nope"])
    assert unknown.exit_code == 1
    assert "No flow called 'nope'" in unknown.output


def test_kiosk_list_and_retire(runner, lounge, app):
    listed = runner.invoke(["kiosk", "list"])
    assert listed.exit_code == 0
    assert (
        f"Lounge  (the site's flow, 0 responses)  http://127.0.0.1:8080/kiosk/{lounge.key}/"
        in listed.output
    )
    retired = runner.invoke(["kiosk", "retire", "Lounge"])
    assert retired.exit_code == 0, retired.output
    assert lounge.welcome().status_code == 404
    assert "retired" in runner.invoke(["kiosk", "list"]).output
    assert runner.invoke(["kiosk", "retire", "Lounge"]).exit_code == 1


def test_an_empty_kiosk_list_says_how_to_add_one(runner, initialised):
    result = runner.invoke(["kiosk", "list"])
    assert "gateway kiosk add NAME" in result.output


def test_kiosk_index_explains_that_each_kiosk_has_its_own_address(client):
    page = client.get("/kiosk/")
    assert page.status_code == 200
    assert "Each kiosk has an address of its own." in page.get_data(as_text=True)


def test_kiosk_list_shows_the_address_each_kiosk_was_added_with(runner, initialised):
    added = runner.invoke(
        ["kiosk", "add", "Hall", "--base-url", "http://192.168.1.20:8080"]
    )
    assert added.exit_code == 0, added.output
    address = added.output.strip().splitlines()[-1]
    assert address.startswith("http://192.168.1.20:8080/kiosk/")
    assert runner.invoke(["kiosk", "add", "Lounge"]).exit_code == 0

    listed = runner.invoke(["kiosk", "list"]).output.splitlines()
    [hall] = [line for line in listed if line.startswith("Hall ")]
    [lounge] = [line for line in listed if line.startswith("Lounge ")]
    assert hall.endswith(address)
    assert re.search(r"  http://127\.0\.0\.1:8080/kiosk/[\w-]{22}/$", lounge)

    shown = runner.invoke(["kiosk", "list", "--base-url", "http://10.0.0.5:8081/"])
    assert shown.exit_code == 0, shown.output
    [hall] = [line for line in shown.output.splitlines() if line.startswith("Hall ")]
    key = address.rstrip("/").rsplit("/", 1)[1]
    assert hall.endswith(f"  http://10.0.0.5:8081/kiosk/{key}/")


@pytest.mark.parametrize(
    "base_url",
    [
        "notaurl",
        "192.168.1.20:8080",
        "ftp://192.168.1.20",
        "http://",
        "http:///x",
        "https://host:port",
        "http://exa mple.org",
        "http://192.168.1.20:8080/?kiosk=1",
    ],
)
@pytest.mark.parametrize("command", ["add", "list"])
def test_a_base_url_that_is_not_a_web_address_is_refused(
    runner, initialised, command, base_url
):
    args = ["kiosk", "add", "Hall"] if command == "add" else ["kiosk", "list"]
    result = runner.invoke([*args, "--base-url", base_url])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "such as http://192.168.1.20:8080" in result.output
    assert "There are no kiosks yet" in runner.invoke(["kiosk", "list"]).output


@pytest.mark.parametrize(
    "base_url", ["https://feedback.example.org/care-home", "http://[::1]:8080"]
)
def test_a_base_url_may_have_a_path_or_an_ipv6_host(runner, initialised, base_url):
    result = runner.invoke(["kiosk", "add", "Hall", "--base-url", base_url])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("/")
    assert f"{base_url}/kiosk/" in result.output
