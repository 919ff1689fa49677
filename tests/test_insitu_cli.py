"""insitu-* command line: results folders, metrics, bad input leaves nothing behind."""

import json

import pytest

from memsnn.cli import main


def test_train_then_infer_with_stored_gates(tmp_path):
    out = tmp_path / "train"
    assert main(["insitu-train", "--dataset", "xpue", "--out", str(out)]) == 0
    for f in ("gates.json", "metrics.json", "config.toml", "dataset_images.png", "capacitor_voltages.png",
              "input_voltages.png", "control_voltages.png"):
        assert (out / f).exists(), f
    m = json.loads((out / "metrics.json").read_text())
    assert 7.0 < m["vc_imprinted_min"] <= m["vc_imprinted_max"] < 7.08
    inf = tmp_path / "infer"
    assert main(["insitu-infer", "--dataset", "xpue", "--gates", str(out / "gates.json"), "--out", str(inf)]) == 0
    m = json.loads((inf / "metrics.json").read_text())
    assert m["correct"] == 4 and m["published_correct"] == 4
    assert (inf / "confusion_matrix.png").exists() and (inf / "crossings.csv").exists()


@pytest.mark.parametrize("argv, msg", [
    (["--set", "t_pw=0.02"], "t_pw"),
    (["--set", "edge=sideways"], "edge"),
    (["--set", "nonsense=1"], "unknown option"),
])
def test_bad_config_is_one_line_error(tmp_path, capsys, argv, msg):
    out = tmp_path / "r"
    assert main(["insitu-infer", "--dataset", "xpue", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("memsnn: error:") and msg in err
    assert not out.exists() and not (tmp_path / "r.partial").exists()


def test_wrong_size_gates_leave_nothing_half_written(tmp_path, capsys):
    gates = tmp_path / "g.json"
    gates.write_text(json.dumps({"vc": [[7.0] * 15] * 6}))
    out = tmp_path / "r"
    assert main(["insitu-infer", "--dataset", "xpue", "--gates", str(gates), "--out", str(out)]) == 2
    assert "expected (4, 9)" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "r.partial").exists()


@pytest.mark.skipif(__import__("shutil").which("ngspice") is None, reason="ngspice not installed (apt-get install -y ngspice)")
def test_spice_command_end_to_end(tmp_path):
    out = tmp_path / "spice"
    assert main(["insitu-spice", "--dataset", "xpue", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["spice_correct"] == m["behavioural_correct"] == 4 and m["winners_agree"] and m["same_neurons_fire"]
    assert m["max_abs_dt_us"] < 15 and m["spice_wall_s"] > 0
    assert (out / "gates.json").exists() and (out / "spice_output_voltages.png").exists()


@pytest.mark.skipif(__import__("shutil").which("ngspice") is None, reason="ngspice not installed (apt-get install -y ngspice)")
def test_spice_failure_leaves_nothing_half_written(tmp_path, monkeypatch, capsys):
    """A netlist that ngspice cannot converge: one-line error, no results folder."""
    import memsnn.spice.cosim as cosim

    diverging = "* diverging\nB1 a 0 I = V(a)*V(a)*1e9+1\nR1 a 0 1k\nC1 a 0 1n\n.tran 1u 1m\n.end\n"
    monkeypatch.setattr(cosim, "network_netlist", lambda *a, **k: (diverging, []))
    out = tmp_path / "spice"
    assert main(["insitu-spice", "--dataset", "xpue", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("memsnn: error: ngspice simulation failed") and "converge" in err
    assert not out.exists() and not (tmp_path / "spice.partial").exists()
