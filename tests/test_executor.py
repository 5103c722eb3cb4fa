"""`check --executor ADDRESS`: the sweeps run on a Dask cluster and the JSON is the
local run's, byte for byte (the results carry no timings)."""
from __future__ import annotations

import pytest

from drainverify.cli import main


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="Dask's distributed is not installed")
    cl = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield cl.scheduler_address
    cl.close()


def test_a_dask_cluster_gives_the_json_of_the_local_run(cluster, tmp_path):
    args = ["check", "--variant", "v3.4-static-mask", "--variant", "mut-no-fallback", "--no-proofs"]
    local, remote = tmp_path / "local.json", tmp_path / "remote.json"
    assert main(args + ["--json", str(local)]) == 0
    assert main(args + ["--json", str(remote), "--executor", cluster]) == 0
    assert remote.read_bytes() == local.read_bytes()


def test_an_unreachable_executor_is_one_line_and_exit_2(capsys):
    pytest.importorskip("distributed", reason="Dask's distributed is not installed")
    assert main(["check", "--variant", "v3.2-broadcast", "--property", "returns",
                 "--executor", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot reach a Dask scheduler" in err
