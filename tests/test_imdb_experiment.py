"""End-to-end runs of both approaches on tiny synthetic IMDB/GloVe files, resume, and bad input via the CLI."""

import json
import lzma
from pathlib import Path

import pytest
import torch

from memsnn.cli import main
from memsnn.experiments import imdb as imdb_exp
from memsnn.experiments.imdb import ImdbConfig, run_imdb

SMALL = dict(T=200, epochs=2, min_freq=2, eval_batch=64)


def _cfg(data: Path, **kw: object) -> ImdbConfig:
    return ImdbConfig(data_dir=str(data), **{**SMALL, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("approach,xbar", [("convert", True), ("convert", False), ("direct", False), ("direct", True)])
def test_smoke_runs_learn_the_synthetic_task(tiny_data: Path, tmp_path: Path, approach: str, xbar: bool) -> None:
    out = tmp_path / "run"
    m = run_imdb(_cfg(tiny_data, approach=approach, xbar=xbar), out)
    keys = {"convert": ["ann", "snn"], "direct": ["snn"]}[approach] if not xbar else \
        {"convert": ["ann", "snn", "snn_xbar"], "direct": ["snn_xbar"]}[approach]
    for k in keys:
        assert m[k]["test_acc"] > 0.7, (k, m[k])
    assert "snn_xbar" not in m or xbar
    for f in ("config.toml", "metrics.json", "epochs.csv", "curves.png"):
        assert (out / f).exists()
    assert not list(out.glob("checkpoint*")) and not out.with_name("run.partial").exists()
    assert len((out / "epochs.csv").read_text().strip().splitlines()) == 3
    if approach == "convert" and xbar:
        assert {"mean_pulses", "frac_outside_tolerance", "weight_error_std"} <= set(m["snn_xbar"])


def test_same_seed_same_numbers(tiny_data: Path, tmp_path: Path) -> None:
    a = run_imdb(_cfg(tiny_data, approach="direct", epochs=1), tmp_path / "a")
    b = run_imdb(_cfg(tiny_data, approach="direct", epochs=1), tmp_path / "b")
    c = run_imdb(_cfg(tiny_data, approach="direct", epochs=1, seed=1), tmp_path / "c")
    assert a["snn_xbar"]["test_loss"] == b["snn_xbar"]["test_loss"]
    assert a["snn_xbar"]["test_loss"] != c["snn_xbar"]["test_loss"]


def test_interrupted_direct_run_resumes_with_same_result(tiny_data: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _cfg(tiny_data, approach="direct", epochs=3)
    full = run_imdb(cfg, tmp_path / "full")
    real_epoch = imdb_exp.direct_epoch
    calls = {"n": 0}

    def interrupted(*args, **kwargs):  # the third epoch is killed part-way
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(imdb_exp, "direct_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_imdb(cfg, tmp_path / "resumed")
    partial = tmp_path / "resumed.partial"
    assert (partial / "checkpoint_direct.pt").exists() and not (tmp_path / "resumed").exists()
    monkeypatch.setattr(imdb_exp, "direct_epoch", real_epoch)
    calls["n"] = 0
    resumed = run_imdb(cfg, tmp_path / "resumed")
    assert resumed["snn_xbar"] == {**full["snn_xbar"], "inference_s": resumed["snn_xbar"]["inference_s"]}
    hist_full = (tmp_path / "full" / "epochs.csv").read_text().splitlines()
    hist_res = (tmp_path / "resumed" / "epochs.csv").read_text().splitlines()
    strip = lambda rows: [r.rsplit(",", 1)[0] for r in rows]  # noqa: E731 (drop the epoch time column)
    assert strip(hist_full) == strip(hist_res)


def test_cli_run_writes_results(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text("T = 100\nepochs = 1\nmin_freq = 2\n")
    out = tmp_path / "cli"
    rc = main(["imdb", "--config", str(cfg_file), "--approach", "convert", "--no-xbar", "--data-dir", str(tiny_data),
               "--out", str(out), "--set", "eval_batch=32"])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert set(m) >= {"ann", "snn", "wall_time_s", "seed"} and "snn_xbar" not in m
    assert "T = 100" in (out / "config.toml").read_text()
    assert "test accuracy" in capsys.readouterr().out


def _truncated_tar(tiny_data: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "bad" / "imdb"
    bad.mkdir(parents=True)
    data = (tiny_data / "imdb" / "aclImdb_v1.tar.gz").read_bytes()
    (bad / "aclImdb_v1.tar.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "bad" / "glove").mkdir()
    (tmp_path / "bad" / "glove" / "glove.6B.100d.txt").write_bytes(
        __import__("gzip").decompress((tiny_data / "glove" / "glove.6B.100d.txt.gz").read_bytes()))
    return tmp_path / "bad"


def _bad_glove(tiny_data: Path, tmp_path: Path) -> Path:
    root = tmp_path / "badglove"
    (root / "imdb").mkdir(parents=True)
    (root / "imdb" / "aclImdb_v1.tar.gz").write_bytes((tiny_data / "imdb" / "aclImdb_v1.tar.gz").read_bytes())
    (root / "glove").mkdir()
    (root / "glove" / "glove.6B.100d.txt").write_text("the 0.1 0.2 0.3\n")
    return root


@pytest.mark.parametrize("args,message", [
    (["--data-dir", "{tmp}/missing"], "does not exist"),
    (["--data-dir", "{truncated}"], "truncated or corrupt"),
    (["--data-dir", "{badglove}"], "expected a word and 100 values"),
    (["--T", "0"], "T must be > 0"),
    (["--T", "-5"], "T must be > 0"),
    (["--r-min", "20000"], "R_min must be < R_max"),
    (["--r-tolerance", "0"], "r_tolerance must lie in (0.0, 1.0)"),
    (["--r-tolerance", "1.5"], "r_tolerance must lie in (0.0, 1.0)"),
    (["--read-noise", "-0.1"], "read_noise must lie in [0.0, 1.0)"),
    (["--set", "bogus=1"], "unknown option 'bogus'"),
    (["--approach", "magic"], "approach must be one of"),
])
def test_bad_input_gives_one_clear_error(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         args: list[str], message: str) -> None:
    subst = {"tmp": str(tmp_path), "truncated": str(_truncated_tar(tiny_data, tmp_path)),
             "badglove": str(_bad_glove(tiny_data, tmp_path))}
    argv = [a.format(**subst) for a in args]
    if "--data-dir" not in argv:
        argv += ["--data-dir", str(tiny_data)]
    out = tmp_path / "out"
    rc = main(["imdb", "--epochs", "1", "--set", "min_freq=2", "--out", str(out), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("memsnn: error:") and message in err[0], err
    assert not out.exists() and not out.with_name("out.partial").exists()


def test_unknown_cli_flag_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["imdb", "--no-such-flag"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error: unrecognized arguments: --no-such-flag" in err[0]


def test_aclimdb_folder_and_xz_tar_give_the_same_corpus(tiny_data: Path, tmp_path: Path) -> None:
    import tarfile

    from memsnn.data.imdb import load_imdb

    with tarfile.open(tiny_data / "imdb" / "aclImdb_v1.tar.gz") as tar:
        tar.extractall(tmp_path / "folder", filter="data")
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()]
    with tarfile.open(tmp_path / "c.tar.xz", "w:xz") as xz:
        import io

        for m, data in members:
            xz.addfile(m, io.BytesIO(data))
    a, _ = load_imdb(tmp_path / "folder" / "aclImdb", use_cache=False)
    b, _ = load_imdb(tmp_path / "c.tar.xz", use_cache=False)
    assert a.tokens == b.tokens and torch.equal(a.labels, b.labels) and len(a) == 60
    assert lzma is not None
