"""Sweeps end to end on tiny synthetic data: bad input, figure folders, resume after a kill, the Ray backend."""

import csv
import json
from pathlib import Path

import pytest

from memsnn.cli import main
from memsnn.errors import ConfigError
from memsnn.experiments import huang_figures as hf
from memsnn.experiments.imdb import ImdbConfig
from memsnn.experiments.sweep import Backend, expand_grid, parse_grid, run_sweep

TINY = dict(min_freq=2, epochs=2, T=100, eval_batch=64)


def _cfg(data: Path, **kw: object) -> ImdbConfig:
    return ImdbConfig(data_dir=str(data), **{**TINY, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("argv,message", [
    (["sweep"], "grid is empty"),
    (["sweep", "--grid", "r_tolerance="], "has no values"),
    (["sweep", "--grid", "bogus=1,2"], "unknown sweep parameter 'bogus'"),
    (["sweep", "--grid", "r_tolerance=0.01,1.5"], "r_tolerance must lie in (0.0, 1.0), got 1.5"),
    (["sweep", "--grid", "read_noise=-0.1"], "read_noise must lie in"),
    (["huang-fig4", "--tolerances", "0.01,2"], "r_tolerance must lie in"),
    (["huang-fig4", "--Ts", "100,0"], "T must be > 0"),
    (["huang-fig4", "--seeds", ""], "at least one seed"),
    (["huang-fig5", "--noises", "0,1.0"], "read_noise must lie in"),
    (["huang-fig5", "--parts", "0"], "parts must be > 0"),
    (["huang-fig4", "--workers", "0"], "workers must be >= 1"),
])
def test_bad_input_fails_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                         message: str) -> None:
    out = tmp_path / "never"
    assert main([*argv, "--data-dir", str(tmp_path / "no-data"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("memsnn: error:") and message in err
    assert not out.exists() and not out.with_name("never.partial").exists()


def test_grid_parsing_and_expansion() -> None:
    grid = parse_grid(["r-tolerance=0.005,0.01", "seed=0,1,2", "read_mode=per_sample"])
    assert grid == {"r_tolerance": [0.005, 0.01], "seed": [0, 1, 2], "read_mode": ["per_sample"]}
    cells = expand_grid(grid)
    assert len(cells) == 6 and cells[0] == {"r_tolerance": 0.005, "seed": 0, "read_mode": "per_sample"}
    with pytest.raises(ConfigError, match="empty"):
        expand_grid({})


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_fig4_folder_and_resume_after_kill(tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(Ts=(50, 100), tolerances=(0.005, 0.2), noises=(0.0, 0.1))
    full = hf.run_fig4(_cfg(tiny_data), [0, 1], tmp_path / "full", Backend(workers=1), **kw)
    rows = _rows(tmp_path / "full" / "results.csv")
    assert {r["figure"] for r in rows} >= {"ann", "3b", "4a", "4b", "4c", "4e", "4f"}
    acc = {(r["figure"], r["x"], r["metric"], r["seed"]): float(r["value"]) for r in rows}
    assert acc[("4b", "0.005", "snn_xbar.test_acc", "0")] > 70
    assert acc[("4c", "0.2", "weight_error_std", "0")] > acc[("4c", "0.005", "weight_error_std", "0")]
    assert acc[("4f", "0.1", "read_weight_error_std", "0")] > acc[("4f", "0.0", "read_weight_error_std", "0")]
    assert full["scatter"]["read_noise"] == 0.1 and len(full["scatter"]["measured"]) == 100
    for f in ("fig4.png", "table.md", "summary.json", "config.toml"):
        assert (tmp_path / "full" / f).exists()
    assert "| 0.5 % | 85.88 |" in (tmp_path / "full" / "table.md").read_text()

    real = hf.fig4_eval_task
    calls = {"n": 0}

    def killed(payload: dict) -> dict:  # the sweep dies while computing its fourth group of points
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(payload)

    monkeypatch.setattr(hf, "fig4_eval_task", killed)
    with pytest.raises(KeyboardInterrupt):
        hf.run_fig4(_cfg(tiny_data), [0, 1], tmp_path / "resumed", Backend(workers=1), **kw)
    cells = tmp_path / "resumed.partial" / "cells"
    assert len(list(cells.glob("*.json"))) == 2 + 3  # both trainings and three groups finished
    calls["n"] = -100
    hf.run_fig4(_cfg(tiny_data), [0, 1], tmp_path / "resumed", Backend(workers=1), **kw)
    assert calls["n"] == -100 + 3  # only the three missing groups ran again
    assert _rows(tmp_path / "resumed" / "results.csv") == rows


def test_fig5_shmoo_folder(tiny_data: Path, tmp_path: Path) -> None:
    s = hf.run_fig5(_cfg(tiny_data, epochs=1), tmp_path / "f5", Backend(workers=1), noises=(0.0, 0.01),
                    tolerances=(0.005, 0.03), parts=2)
    assert len(s["cells"]) == 4 and len(s["parts"]) == 2
    assert all(0 <= c["test_acc"] <= 100 and c["trace_w0"] for c in s["cells"])
    traces = json.loads((tmp_path / "f5" / "traces.json").read_text())
    assert len(traces) == 4 and len(traces[0]["trace"]) >= 1
    for f in ("fig5.png", "table.md", "results.csv"):
        assert (tmp_path / "f5" / f).exists()
    assert not list((tmp_path / "f5").glob("checkpoint*"))


def test_fig3b_runs_and_from_table1(tiny_data: Path, tmp_path: Path) -> None:
    s = hf.run_fig3b(_cfg(tiny_data), [0], tmp_path / "f3", Backend(workers=1))
    metrics = {p["metric"] for p in s["points"]}
    assert {"ann.train_acc", "snn.val_acc", "snn_xbar.val_acc"} <= metrics
    assert (tmp_path / "f3" / "fig3b.png").exists()
    with pytest.raises(ConfigError, match="missing"):
        hf.run_fig3b(_cfg(tiny_data), [0], tmp_path / "f3b", Backend(workers=1), from_table1=tmp_path)


def test_generic_sweep_local_processes_then_ray(tiny_data: Path, tmp_path: Path) -> None:
    base = _cfg(tiny_data, approach="convert", epochs=1)
    grid = {"r_tolerance": [0.005, 0.1], "seed": [0]}
    local = run_sweep(base, grid, tmp_path / "local", Backend(workers=2))
    assert {r["metric"] for r in local} >= {"ann.test_acc", "snn_xbar.test_acc", "snn_xbar.weight_error_std"}
    assert len({r["r_tolerance"] for r in local}) == 2
    ray = pytest.importorskip("ray", reason="Ray is not installed (optional extra memsnn[ray])")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(Path(hf.__file__).resolve().parents[2])}})
    try:
        on_ray = run_sweep(base, grid, tmp_path / "ray", Backend(ray_address="auto"))
    finally:
        ray.shutdown()
    key = lambda r: (r["r_tolerance"], r["metric"])  # noqa: E731
    strip = lambda rows: sorted((key(r), r["value"]) for r in rows if not r["metric"].endswith("_s"))  # noqa: E731
    assert strip(on_ray) == strip(local)
    assert json.loads((tmp_path / "ray" / "sweep.json").read_text())["backend"] == "ray"


def test_fig5_batch_killed_mid_training_resumes_to_the_same_table(tiny_data: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from memsnn.learning import direct_batched

    kw = dict(noises=(0.0, 0.01), tolerances=(0.01,), parts=1)
    hf.run_fig5(_cfg(tiny_data, epochs=2), tmp_path / "full", Backend(workers=1), **kw)
    real = direct_batched.direct_epoch_multi
    calls = {"n": 0}

    def killed(*args: object, **kwargs: object) -> object:  # dies in the second epoch
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(direct_batched, "direct_epoch_multi", killed)
    with pytest.raises(KeyboardInterrupt):
        hf.run_fig5(_cfg(tiny_data, epochs=2), tmp_path / "resumed", Backend(workers=1), **kw)
    assert (tmp_path / "resumed.partial" / "checkpoint_part0.pt").exists()
    hf.run_fig5(_cfg(tiny_data, epochs=2), tmp_path / "resumed", Backend(workers=1), **kw)
    assert calls["n"] == 3  # only the second epoch ran again
    assert _rows(tmp_path / "resumed" / "results.csv") == _rows(tmp_path / "full" / "results.csv")


def test_sweep_command_writes_tidy_table(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    rc = main(["sweep", "--grid", "T=50,100", "--approach", "convert", "--no-xbar", "--epochs", "1", "--set",
               "min_freq=2", "--data-dir", str(tiny_data), "--workers", "1", "--out", str(out)])
    assert rc == 0
    rows = _rows(out / "results.csv")
    assert {r["T"] for r in rows} == {"50", "100"} and {"ann.test_acc", "snn.test_acc"} <= {r["metric"] for r in rows}
    assert len(list((out / "cells").glob("*.json"))) == 2
