"""Bad input gets a one-line error naming the problem and exit code 2."""
from __future__ import annotations

import pytest

from drainverify.cli import main
from model.config import Config, ConfigError


@pytest.mark.parametrize("kw, words", [
    ({"cpus": 0}, "--cpus must be at least 1"),
    ({"batch": 5, "high": 4}, "--batch 5 > --high 4"),
    ({"pages": -1}, "--pages must not be negative"),
    ({"zones": 0}, "--zones must be at least 1"),
    ({"offstack": "maybe"}, "--offstack must be one of"),
    ({"memory_model": "arm"}, "--memory-model must be sc or tso"),
])
def test_invalid_configurations_are_rejected_with_the_reason(kw, words):
    """Each invalid configuration raises a ConfigError whose one-line message names the flag."""
    with pytest.raises(ConfigError) as e:
        Config(**kw).validate()
    assert words in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("argv, words", [
    (["check", "--cpus", "0"], "--cpus must be at least 1"),
    (["check", "--batch", "9"], "--batch 9 > --high 4"),
    (["check", "--variant", "v9-imaginary"], "unknown variant 'v9-imaginary'"),
    (["check", "--property", "liveness"], "unknown property 'liveness'"),
    (["check", "--pages", "-2"], "--pages must not be negative"),
    (["check", "--cpus", "two"], "invalid int value"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, words, capsys):
    """The command line prints one line on stderr and exits 2 for bad input."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1


def test_replay_of_an_unreadable_file_exits_2(tmp_path, capsys):
    """A file that is not a counterexample artifact is reported in one line with exit 2."""
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    assert main(["replay", str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "missing.json")]) == 2
