"""Memristor-emulator device model against the spec's golden numbers (Jurj 2024; checks A, B, C)."""

import math

import pytest
import torch

from memsnn.devices.base import DeviceModel
from memsnn.devices.emulator import EMULATOR_PRESETS, EmulatorParams, MemristorEmulator, drain_current, pinched_loop
from memsnn.errors import ConfigError

A_TIMES = [0.5e-3, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3]
A_VALUES = [1.284, 2.042, 3.474, 4.889, 6.299, 7.710]


def test_interface_and_presets():
    em = MemristorEmulator(EMULATOR_PRESETS.get("jurj2024"))
    assert isinstance(em, DeviceModel)
    assert EMULATOR_PRESETS.get("jurj2024_iv").k == 2e-4
    assert em.p.cox == pytest.approx(3.453e-12, rel=1e-3)  # 35x the explicit 0.1 pF
    assert em.p.c_eff_linear == pytest.approx(5e-9 / 1.41e3, rel=0.01)  # slope 1.41 V/ms
    with pytest.raises(ConfigError, match="kp"):
        EmulatorParams(kp=-1.0)


def test_read_law_check_b():
    p = EmulatorParams()
    vds = torch.tensor([0.25, 0.5, 1.0], dtype=torch.float64)
    got = drain_current(p, torch.full_like(vds, 7.0658), vds)
    assert torch.allclose(got, torch.tensor([2.25576e-4, 4.43027e-4, 8.53554e-4], dtype=torch.float64), rtol=1e-5)
    got = drain_current(p, torch.full_like(vds, 2.8386), vds)
    assert torch.allclose(got, torch.tensor([8.81920e-5, 1.68259e-4, 3.04018e-4], dtype=torch.float64), rtol=1e-5)
    # cut-off, saturation and the drain/source swap
    assert drain_current(p, torch.tensor(-0.1), torch.tensor(1.0)).item() == 0.0
    assert drain_current(p, torch.tensor(0.5), torch.tensor(1.0)).item() == pytest.approx(0.5 * 1.3e-4 * 0.25)
    assert drain_current(p, torch.tensor(3.0), torch.tensor(-0.5)).item() == pytest.approx(
        -1.3e-4 * (3.5 * 0.5 - 0.125))


def test_integration_check_a_behavioural():
    """DC drive from Vc = 0 as ngspice starts it (UIC: the drain steps within the first time point)."""
    em = MemristorEmulator(substeps=200)
    start = em.edge(em.init_state((1,)), 1.0, mode="single_step")
    for t, want in zip(A_TIMES, A_VALUES):
        assert em.hold(start, t).vc.item() == pytest.approx(want, rel=0.02)
    half = em.edge(em.init_state((1,)), 0.5, mode="single_step")
    assert em.hold(half, 5e-3).vc.item() == pytest.approx(3.855, rel=0.02)
    # switch open: nothing is written
    assert em.hold(start, 5e-3, mask=torch.tensor([False])).vc.item() == start.vc.item()


def test_pulse_write_and_charge_redistribution():
    em = MemristorEmulator()
    s = em.apply_pulse(em.init_state((2,)), torch.tensor([1.0, 0.0]), 5e-3)
    assert 7.00 < s.vc[0].item() < 7.08  # stored after the input returns to 0 (spec: 7.04-7.07 V)
    assert abs(s.vc[1].item()) < 1e-9  # no input, no flux
    read = em.read_state(s)
    assert read.vc[0].item() == pytest.approx(7.494, abs=0.03)  # back near the end-of-pulse value
    s2 = em.apply_pulse(em.init_state((1,)), 1.0, 2e-3)
    assert 2.72 <= s2.vc.item() <= 2.85  # MNIST pulse width
    # conductance = I(1 V)/1 V after the read edge
    g = em.conductance(s)
    assert g[0].item() == pytest.approx(1.3e-4 * (read.vc[0].item() - 0.5), rel=1e-9)
    assert g[1].item() < 1e-7  # an unwritten gate stays (almost) off


def test_fast_path_matches_step_by_step_reference():
    em = MemristorEmulator(substeps=200, edge_steps=64)
    dt = 4e-6
    t = torch.arange(0, 7e-3, dt, dtype=torch.float64)
    on = (t >= 1e-3) & (t < 6e-3)
    vd = on.double().unsqueeze(1) * torch.tensor([1.0, 0.5], dtype=torch.float64)
    vc, _ = em.transient(0.0, t, vd, 0.0, on.unsqueeze(1).expand_as(vd))
    fast = em.apply_pulse(em.init_state((2,)), torch.tensor([1.0, 0.5]), 5e-3)
    assert torch.allclose(vc[-1], fast.vc, atol=0.02)


def test_iv_loop_check_c():
    em = MemristorEmulator(EMULATOR_PRESETS.get("jurj2024_iv"))
    t = torch.arange(0, 1e-3 + 1e-12, 0.5e-6, dtype=torch.float64)
    vd = torch.sin(2 * math.pi * 1e3 * t)
    vc, i = em.transient(0.0, t, vd)
    assert vc.max().item() == pytest.approx(17916, rel=0.02)
    assert t[vc.argmax()].item() == pytest.approx(0.5e-3, abs=2e-6)
    assert i[500].item() == pytest.approx(1.165, rel=0.02)  # V_DS = 1 V at 0.25 ms
    assert abs(i[0].item()) < 1e-12 and abs(i[-1].item()) < 1e-3  # pinched at the origin
    _, v, ia = pinched_loop()
    assert torch.all((v == 0) <= (ia == 0))


def test_closed_form_write_matches_rk4():
    em = MemristorEmulator(substeps=2000)
    vc = torch.tensor([0.0, 0.0, 0.3, 2.0, 7.0, 5.0, 0.0, -0.05, 0.01, 3.0], dtype=torch.float64)
    vd = torch.tensor([1.0, 0.5, 1.0, 1.0, 1.0, 0.0, 0.2, 1.0, 0.01, -0.5], dtype=torch.float64)
    from memsnn.devices.emulator import EmulatorState

    s = EmulatorState(vc, vd, torch.zeros_like(vc))
    fast, ref = em.hold(s, 5e-3).vc, em.hold(s, 5e-3, method="rk4").vc
    assert torch.allclose(fast, ref, atol=2e-5)
    # without leak the charge balance is exact
    em0 = MemristorEmulator(EmulatorParams(r_leak=1e30), substeps=2000)
    assert torch.allclose(em0.hold(s, 5e-3).vc, em0.hold(s, 5e-3, method="rk4").vc, atol=1e-7)
    with pytest.raises(ConfigError, match="method"):
        em.hold(s, 1e-3, method="euler")
