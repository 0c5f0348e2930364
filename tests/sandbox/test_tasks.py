"""Actions and tasks: reboot, reset password and reinstall progress from activated to completed."""

import re
from datetime import datetime

import pytest

from apps.sandbox import catalog

from .conftest import PASSWORD, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = catalog.server_id_for(1)
SECOND = catalog.server_id_for(2)
# The pattern the provider's own WHMCS module reads the new password with.
PASSWORD_PATTERN = re.compile(r"Password:\s(.*)\s?")
REFERENCE_TASK = {
    "name": "server_recreate",
    "activated": "2026-11-22T10:00:00+00:00",
    "assigned": "2026-11-22T10:00:05+00:00",
    "completed": "2026-11-22T10:03:10+00:00",
    "results": "Password: q9Zr-example",
}


def iso(value: str) -> datetime:
    assert value.endswith("+00:00"), value
    return datetime.fromisoformat(value)


def completed_task(api, server_id: int, task_id: int) -> dict:
    return wait_until(
        lambda: (body := api.get(f"/server/{server_id}/task/{task_id}").json())["completed"] and body,
        what=f"task {task_id} to complete",
    )


def test_an_action_answers_a_task_id(api):
    response = api.post(f"/server/{FIRST}/reboot")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"task_id"}
    assert type(body["task_id"]) is int


def test_a_running_task_has_empty_assigned_completed_and_results(api):
    task_id = api.post(f"/server/{FIRST}/resetpassword").json()["task_id"]

    task = api.get(f"/server/{FIRST}/task/{task_id}").json()

    assert set(task) == set(REFERENCE_TASK)
    assert task["name"] == "server_reset_password"
    iso(task["activated"])
    assert (task["assigned"], task["completed"], task["results"]) == ("", "", "")


def test_reset_password_progresses_to_completed_with_the_new_password_in_results(api, settings):
    settings.SANDBOX_TASK_SECONDS = 0.3
    task_id = api.post(f"/server/{FIRST}/resetpassword").json()["task_id"]

    task = completed_task(api, FIRST, task_id)

    assert set(task) == set(REFERENCE_TASK)
    assert all(type(task[key]) is str for key in REFERENCE_TASK)
    activated, assigned, completed = iso(task["activated"]), iso(task["assigned"]), iso(task["completed"])
    assert activated <= assigned <= completed
    match = PASSWORD_PATTERN.search(task["results"])
    assert match
    assert len(match.group(1).strip()) >= 12
    assert api.get(f"/server/{FIRST}").json()["active_task"] is None


def test_each_reset_generates_a_different_password(api, settings):
    settings.SANDBOX_TASK_SECONDS = 0
    first = api.post(f"/server/{FIRST}/resetpassword").json()["task_id"]
    first_results = completed_task(api, FIRST, first)["results"]
    second = api.post(f"/server/{FIRST}/resetpassword").json()["task_id"]

    assert completed_task(api, FIRST, second)["results"] != first_results


def test_a_busy_server_shows_its_active_task_and_refuses_a_second_action(api):
    api.post(f"/server/{FIRST}/reboot")

    details = api.get(f"/server/{FIRST}").json()
    second = api.post(f"/server/{FIRST}/resetpassword")
    third = api.post(f"/server/{FIRST}/reinstall", json={"os": "debian-12-x86_64"})

    assert set(details["active_task"]) == {"name", "activated"}
    assert details["active_task"]["name"] == "server_reboot"
    iso(details["active_task"]["activated"])
    assert second.status_code == third.status_code == 409
    assert second.json() == {"error": ["Server is busy: another task is in progress"]}
    assert third.json() == second.json()


def test_a_busy_server_does_not_keep_other_servers_busy(api):
    api.post(f"/server/{FIRST}/reboot")

    assert api.post(f"/server/{SECOND}/reboot").status_code == 200


def test_a_server_accepts_a_new_action_once_its_task_is_done(api, settings):
    task_id = api.post(f"/server/{FIRST}/reboot").json()["task_id"]
    settings.SANDBOX_TASK_SECONDS = 0

    response = api.post(f"/server/{FIRST}/reboot")

    assert response.status_code == 200
    reboot = api.get(f"/server/{FIRST}/task/{task_id}").json()
    assert reboot["completed"]
    assert reboot["results"] == ""


def test_reinstall_sets_active_task_then_changes_the_os_and_clears_it_on_completion(api, settings):
    before = api.get(f"/server/{FIRST}").json()
    new_os = next(code for code, _ in catalog.OS_TEMPLATES if code != before["os"])

    task_id = api.post(
        f"/server/{FIRST}/reinstall", json={"os": new_os, "ssh_key": "ssh-ed25519 AAAA test", "script": None}
    ).json()["task_id"]
    running = api.get(f"/server/{FIRST}").json()
    settings.SANDBOX_TASK_SECONDS = 0.2
    task = completed_task(api, FIRST, task_id)
    after = api.get(f"/server/{FIRST}").json()

    assert running["active_task"]["name"] == "server_recreate"
    assert running["os"] == before["os"]
    assert task["name"] == "server_recreate"
    assert PASSWORD_PATTERN.search(task["results"])
    assert after["active_task"] is None
    assert after["os"] == new_os
    assert after["last_tasks"][0] == {"task_id": task_id, **task}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required parameter: os"),
        ({"os": ""}, "Missing required parameter: os"),
        ({"os": None, "ssh_key": None, "script": None}, "Missing required parameter: os"),
        ({"os": "windows-2022"}, "Invalid OS template: choose one from /server/{id}/oses"),
        ({"os": 12}, "Invalid OS template: choose one from /server/{id}/oses"),
        ({"os": "debian-12-x86_64", "ssh_key": 5}, "Invalid ssh_key: expected a public key string"),
        ({"os": "debian-12-x86_64", "script": "abc"}, "Invalid script: expected an init script ID"),
    ],
)
def test_reinstall_validates_its_parameters(api, body, message):
    response = api.post(f"/server/{FIRST}/reinstall", json=body)

    assert response.status_code == 400
    assert response.json() == {"error": [message]}
    assert api.get(f"/server/{FIRST}").json()["active_task"] is None


def test_reinstall_accepts_every_os_the_os_list_offers(api, settings):
    settings.SANDBOX_SERVER_COUNT = len(catalog.OS_TEMPLATES)
    oses = [entry["os"] for entry in api.get(f"/server/{FIRST}/oses").json()]

    responses = [
        api.post(f"/server/{catalog.server_id_for(n)}/reinstall", json={"os": os, "script": 3})
        for n, os in enumerate(oses, start=1)
    ]

    assert [response.status_code for response in responses] == [200] * len(oses)


def test_reinstall_accepts_form_encoded_parameters_too(api):
    response = api.post(f"/server/{FIRST}/reinstall", data={"os": "debian-12-x86_64"})

    assert response.status_code == 200


def test_an_unknown_task_id_answers_invalid_task_id(api):
    response = api.get(f"/server/{FIRST}/task/987654")

    assert response.status_code == 404
    assert response.json() == {"error": ["Invalid task ID"]}


def test_a_task_of_another_server_is_an_invalid_task_id(api):
    task_id = api.post(f"/server/{FIRST}/reboot").json()["task_id"]

    response = api.get(f"/server/{SECOND}/task/{task_id}")

    assert response.json() == {"error": ["Invalid task ID"]}


def test_a_task_can_be_read_by_name_as_the_providers_module_does(api, settings):
    settings.SANDBOX_TASK_SECONDS = 0
    api.post(f"/server/{FIRST}/resetpassword")
    latest = api.post(f"/server/{FIRST}/resetpassword").json()["task_id"]

    by_name = api.get(f"/server/{FIRST}/task/server_reset_password").json()
    never_ran = api.get(f"/server/{FIRST}/task/server_recreate")

    assert by_name == api.get(f"/server/{FIRST}/task/{latest}").json()
    assert never_ran.status_code == 404
    assert never_ran.json() == {"error": ["Invalid task ID"]}


def test_last_tasks_lists_the_newest_first(api, settings):
    settings.SANDBOX_TASK_SECONDS = 0
    ids = [api.post(f"/server/{FIRST}/{action}").json()["task_id"] for action in ("reboot", "resetpassword")]

    last_tasks = api.get(f"/server/{FIRST}").json()["last_tasks"]

    assert [task["task_id"] for task in last_tasks] == ids[::-1]
    assert [task["name"] for task in last_tasks] == ["server_reset_password", "server_reboot"]
    assert PASSWORD_PATTERN.search(last_tasks[0]["results"])


def test_no_secret_reaches_a_log_line(api, settings, caplog):
    caplog.set_level("DEBUG")
    settings.SANDBOX_TASK_SECONDS = 0
    api.get("/server", auth=("sandbox-tests@example.com", "a-wrong-password"))
    task_id = api.post(f"/server/{FIRST}/resetpassword").json()["task_id"]
    new_password = PASSWORD_PATTERN.search(completed_task(api, FIRST, task_id)["results"]).group(1).strip()

    logged = caplog.text + "".join(repr(record.msg) + repr(record.args) for record in caplog.records)

    assert "sandbox.task_completed" in logged
    assert new_password not in logged
    assert PASSWORD not in logged
    assert "a-wrong-password" not in logged
