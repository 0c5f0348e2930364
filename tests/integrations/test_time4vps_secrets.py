"""The Time4VPS client against the fake provider: no credential leaks into errors, objects or logs."""

from __future__ import annotations

import pytest

from apps.integrations.providers.time4vps import (
    AuthenticationError,
    InvalidResponseError,
    ProviderRequestError,
    ProviderUnavailableError,
    Time4VPSError,
)
from tests.integrations.time4vps_helpers import FIRST, assert_no_secret

# --- secrets -------------------------------------------------------------------------------------


def test_no_password_or_authorization_value_appears_in_errors_or_returned_objects(make_client, fake_provider):
    client = make_client(retry_attempts=1)
    task_id = client.reinstall(FIRST, os="debian-12-x86_64")
    task = client.get_task(FIRST, task_id)
    new_password = fake_provider.tasks[task_id].password
    assert task.password() == new_password
    assert new_password not in repr(task)
    assert new_password not in str(task)
    assert_no_secret(repr(client), fake_provider)
    assert_no_secret(repr(client.get_server(FIRST)), fake_provider)

    errors: list[Time4VPSError] = []
    for failure in (
        {"status": 500},
        {"status": 400, "body": {"error": [f"Login {fake_provider.username}:{fake_provider.password} refused"]}},
        {"malformed": True},
        {"wrong_credentials": True},
    ):
        fake_provider.clear_failures()
        fake_provider.fail("/server", **failure)
        with pytest.raises(Time4VPSError) as caught:
            client.list_servers()
        errors.append(caught.value)

    assert [type(error) for error in errors] == [
        ProviderUnavailableError,
        ProviderRequestError,
        InvalidResponseError,
        AuthenticationError,
    ]
    assert "[redacted]" in str(errors[1])  # the provider echoed the password: it is cut out
    for error in errors:
        assert_no_secret(str(error), fake_provider)
        assert_no_secret(repr(error), fake_provider)


def test_log_lines_name_the_call_but_never_the_credentials(client, fake_provider, caplog):
    caplog.set_level("INFO", logger="apps.integrations.providers.time4vps.client")
    fake_provider.fail("/server", status=500, times=1)

    client.list_servers()

    records = [record for record in caplog.records if record.name == "apps.integrations.providers.time4vps.client"]
    events = [record.msg for record in records]
    assert [(event["path"], event["status"], event["attempt"]) for event in events] == [
        ("/server", 500, 1),
        ("/server", 200, 2),
    ]
    assert all(event["method"] == "GET" and "duration_ms" in event for event in events)
    assert_no_secret(caplog.text, fake_provider)
