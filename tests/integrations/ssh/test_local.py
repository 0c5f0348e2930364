"""run_local_checks: the same commands on this machine."""

from __future__ import annotations

import time

import pytest

from apps.integrations.ssh import HEALTH_COMMANDS, MAX_OUTPUT_BYTES, SshTimeoutError, parse_df, run_local_checks


def test_local_commands_return_their_output_and_exit_status():
    result = run_local_checks(commands={"ok": "echo hi", "fails": "echo oops >&2; exit 3"}, command_timeout=5)

    assert result.outputs["ok"].stdout == "hi\n"
    assert result.outputs["ok"].exit_status == 0
    assert (result.outputs["fails"].exit_status, result.outputs["fails"].stderr) == (3, "oops\n")
    assert result.host_key == ""


def test_local_health_commands_parse():
    result = run_local_checks(commands=HEALTH_COMMANDS(["/"], docker=False), command_timeout=5)

    assert parse_df(result.outputs["disk"].stdout)["/"].total_kb > 0


def test_a_local_command_that_outlives_its_timeout_is_killed():
    started = time.monotonic()
    with pytest.raises(SshTimeoutError, match="'slow'"):
        run_local_checks(commands={"slow": "sleep 10"}, command_timeout=0.5)

    assert time.monotonic() - started < 3


def test_long_local_output_is_cut_at_the_limit():
    result = run_local_checks(commands={"big": f"head -c {2 * MAX_OUTPUT_BYTES} /dev/zero"}, command_timeout=5)

    assert len(result.outputs["big"].stdout) == MAX_OUTPUT_BYTES
    assert result.outputs["big"].truncated
