"""ngspice co-simulation: netlist invariants, the emulator and neuron in SPICE, network agreement, failures.

Tests that simulate really run ngspice; they are skipped (with the install command) only where it is absent.
"""

import math
import os
import re
import shutil

import numpy as np
import pytest
import torch

from memsnn.cli import main
from memsnn.data.patterns import DIGITS_012345, XPUE
from memsnn.devices.emulator import EmulatorParams
from memsnn.learning.imprint import imprint
from memsnn.snn.insitu_network import InSituNetwork
from memsnn.snn.lapicque import LapicqueConfig, first_crossing, predict
from memsnn.spice.cosim import spice_infer, spice_train
from memsnn.spice.netlist import NetworkStimulus, emulator_netlist, network_netlist, neuron_netlist
from memsnn.spice.ngspice import NgspiceError, find_ngspice, parse_raw, run_netlist

from insitu_golden import e_table, within

needs_ngspice = pytest.mark.skipif(shutil.which("ngspice") is None and not os.environ.get("MEMSNN_NGSPICE"),
                                   reason="ngspice not installed (apt-get install -y ngspice)")


def test_netlist_invariants_i():
    stim = NetworkStimulus(XPUE, 5e-3, 15e-3, 10e-6, train=True)
    text, saved = network_netlist(9, 4, stim, EmulatorParams(), LapicqueConfig())
    assert ".options TEMP=25C TNOM=25C" in text
    assert "Vin0_2 in0_2 in0_1 PULSE(0V 1V 0.03s 0s 0s 0.005s" in text  # pattern 2 (U) pixel 0 at 2·P
    assert "Vphi3 phi3 0 PULSE(0V 1.2V 0.045s 0s 0s 0.005s" in text
    assert len(re.findall(r"^Vt\d+_\d+ phi(\d+)_\d+ phi\1 DC 0$", text, flags=re.M)) == 36
    assert len(re.findall(r"^Rload\d+ out\d+ 0 1k$", text, flags=re.M)) == 4
    ic = re.search(r"^\.ic (.*)$", text, flags=re.M).group(1)
    assert len(re.findall(r"V\(xm\d+_\d+\.cmem\)=0", ic)) == 36
    assert text.count(".subckt memsnn_emulator") == 1 and "xm3_8.cmem" in saved
    infer, _ = network_netlist(9, 4, NetworkStimulus(XPUE, 5e-3, 15e-3, 10e-6, train=False), EmulatorParams(),
                               LapicqueConfig(), gates=torch.full((4, 9), 7.05))
    assert "Vphi0 phi0 0 DC 0" in infer and "V(xm0_0.cmem)=7.05" in infer
    with pytest.raises(Exception, match="expected"):
        network_netlist(15, 4, stim, EmulatorParams(), LapicqueConfig())


def test_parse_ascii_raw():
    raw = (b"Title: t\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\nNo. Points: 2\n"
           b"Variables:\n\t0\ttime\ttime\n\t1\tv(out)\tvoltage\nValues:\n 0\t0\n\t1\n 1\t1e-6\n\t2\n")
    t, v = parse_raw(raw)
    assert t.tolist() == [0.0, 1e-6] and v["out"].tolist() == [1.0, 2.0]
    with pytest.raises(NgspiceError):
        parse_raw(b"garbage")


def test_missing_ngspice_message(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMSNN_NGSPICE", str(tmp_path / "no-ngspice"))
    with pytest.raises(NgspiceError, match="apt-get install -y ngspice"):
        find_ngspice()
    out = tmp_path / "run"
    assert main(["insitu-spice", "--dataset", "xpue", "--out", str(out)]) == 2
    assert not out.exists() and not (tmp_path / "run.partial").exists()


@needs_ngspice
def test_emulator_in_ngspice_check_a():
    text, _ = emulator_netlist(EmulatorParams(), "DC 1", 10e-6, 5e-3)
    r = run_netlist(text)
    got = np.interp([0.5e-3, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3], r.time, r["x1.cmem"])
    assert np.allclose(got, [1.284, 2.042, 3.474, 4.889, 6.299, 7.710], rtol=0.02)
    r = run_netlist(emulator_netlist(EmulatorParams(), "DC 0.5", 10e-6, 5e-3)[0])
    assert r["x1.cmem"][-1] == pytest.approx(3.855, rel=0.02)
    # read law in SPICE: switch open, gate held; I(Vs) = Kp·(Vg·V_DS − V_DS²/2) at Vg after the start-up step
    r = run_netlist(emulator_netlist(EmulatorParams(), "DC 0.25", 10e-6, 0.1e-3, phi=0.0, vc0=7.0)[0])
    vg = r["x1.cmem"][-1]
    assert r["i(vs)"][-1] == pytest.approx(1.3e-4 * (vg * 0.25 - 0.25**2 / 2), rel=1e-3)


@needs_ngspice
def test_neuron_in_ngspice_check_g():
    cfg = LapicqueConfig()
    for current in (4.544e-3, 9.0e-3):
        r = run_netlist(neuron_netlist(cfg, current, 1e-6, 1e-3)[0])
        k = int(np.argmax(r["out"] > 0.5))
        assert k > 0
        want = first_crossing(cfg, torch.tensor(current, dtype=torch.float64)).item()
        assert r.time[k] == pytest.approx(want, abs=5e-6)
        assert r["out"][-1] == pytest.approx(1.0, abs=0.01) and (r["out"][k + 5:] > 0.9).all()
    r = run_netlist(neuron_netlist(cfg, 3.9e-3, 1e-6, 1e-3)[0])
    assert (r["out"] < 0.01).all()


@needs_ngspice
@pytest.mark.parametrize("name, patterns", [("xpue", XPUE), ("012345", DIGITS_012345)])
def test_network_spice_agrees_with_behavioural(name, patterns):
    n_c, n_in = patterns.shape
    p, cfg = EmulatorParams(), LapicqueConfig()
    gates, _ = spice_train(patterns, 5e-3, 15e-3, 10e-6, p, cfg)
    on = patterns > 0
    assert gates[on].min() > 7.0 and gates[on].max() < 7.08  # spec D ranges (7.0074-7.0748 V)
    assert gates[~on].max() < 0.01 and gates[~on].min() > -0.2
    times, _ = spice_infer(gates, patterns, 5e-3, 15e-3, 10e-6, p, cfg, window=5e-3)
    net = InSituNetwork(n_in, n_c)
    net.state = imprint(net.emulator, net.state, patterns, 5e-3)
    beh = net.infer(patterns, window=5e-3, input_rise=10e-6)
    assert predict(times).tolist() == list(range(n_c)) == beh.predictions.tolist()
    assert torch.equal(torch.isinf(times), torch.isinf(beh.times))
    fin = torch.isfinite(times)
    assert ((times - beh.times)[fin].abs() < 15e-6).all()
    assert within((times * 1e6).tolist(), e_table(name), 15.0)  # and the paper's circuit (spec E)


@needs_ngspice
def test_non_convergence_is_a_clear_error(tmp_path):
    text = "* diverging\nB1 a 0 I = V(a)*V(a)*1e9+1\nR1 a 0 1k\nC1 a 0 1n\n.tran 1u 1m\n.end\n"
    with pytest.raises(NgspiceError, match="did not converge.*[Tt]imestep too small"):
        run_netlist(text)
    with pytest.raises(NgspiceError, match="failed"):
        run_netlist("* broken\nX1 a b nosuchsubckt\n.tran 1u 1m\n.end\n")
