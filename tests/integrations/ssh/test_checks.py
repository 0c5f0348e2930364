"""The health commands and the parsers of their output, on crafted and on real output."""

from __future__ import annotations

import pytest

from apps.integrations.ssh import (
    DOCKER_VERSION_COMMAND,
    HEALTH_COMMANDS,
    CheckOutputError,
    DiskUsage,
    LoadAverage,
    parse_df,
    parse_loadavg,
    parse_meminfo,
    run_checks,
)

DF_OUTPUT = """\
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda1         51475068 20512340  28325268      43% /
/dev/sdb1        103081248  1048576  96789640       2% /mnt/backup disk
tmpfs              1024000        0   1024000       0% /run/user/1000
"""

MEMINFO = """\
MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    6000000 kB
Buffers:          200000 kB
Cached:          3000000 kB
SwapTotal:       2097148 kB
SwapFree:        2000000 kB
HugePages_Total:       0
"""


def test_the_health_commands_quote_mounts_and_add_docker_only_when_asked():
    commands = HEALTH_COMMANDS(["/", "/mnt/backup disk"], docker=False)

    assert commands["disk"] == "df -P -k / '/mnt/backup disk'"
    assert commands["load"] == "cat /proc/loadavg"
    assert commands["memory"] == "cat /proc/meminfo"
    assert "docker" not in commands
    assert HEALTH_COMMANDS([], docker=True)["docker"] == DOCKER_VERSION_COMMAND


def test_df_output_is_read_per_mount_point_including_one_with_spaces():
    usage = parse_df(DF_OUTPUT)

    assert usage["/"] == DiskUsage(total_kb=51475068, used_kb=20512340, available_kb=28325268, used_percent=43.0)
    assert usage["/mnt/backup disk"].available_kb == 96789640
    assert usage["/run/user/1000"].used_percent == 0.0
    assert len(usage) == 3


@pytest.mark.parametrize(
    "output",
    [
        "",
        "garbage",
        "Filesystem 1024-blocks Used Available Capacity Mounted on\n",
        DF_OUTPUT + "/dev/x 1 two 3 4% /x\n",
    ],
)
def test_unreadable_df_output_is_a_check_output_error(output):
    with pytest.raises(CheckOutputError):
        parse_df(output)


def test_loadavg_is_read():
    assert parse_loadavg("0.42 0.30 0.25 2/345 6789\n") == LoadAverage(0.42, 0.30, 0.25, 2, 345)
    with pytest.raises(CheckOutputError):
        parse_loadavg("0.42 0.30")


def test_meminfo_is_read_and_used_percent_counts_available_memory():
    memory = parse_meminfo(MEMINFO)

    assert (memory.total_kb, memory.available_kb, memory.free_kb) == (8000000, 6000000, 1000000)
    assert (memory.swap_total_kb, memory.swap_free_kb) == (2097148, 2000000)
    assert memory.used_percent == 25.0
    assert parse_meminfo(MEMINFO.replace("MemAvailable:    6000000 kB\n", "")).available_kb == 4200000
    with pytest.raises(CheckOutputError):
        parse_meminfo("nothing here")


def test_real_health_output_of_a_host_parses(sshd):
    result = run_checks(
        host=sshd.host,
        port=sshd.port,
        username=sshd.username,
        private_key=sshd.private_key,
        pinned_host_key=sshd.host_key_line,
        commands=HEALTH_COMMANDS(["/"], docker=False),
        connect_timeout=5,
        command_timeout=5,
    )

    disk = parse_df(result.outputs["disk"].stdout)["/"]
    assert disk.total_kb > 0
    assert disk.used_kb + disk.available_kb <= disk.total_kb
    assert 0 <= disk.used_percent <= 100
    assert parse_loadavg(result.outputs["load"].stdout).total >= 1
    assert parse_meminfo(result.outputs["memory"].stdout).total_kb > 0
