"""Data-driven RRAM model against the golden pulse table (spec §4, golden/rram_pulse_table.csv)."""

import csv
from pathlib import Path

import pytest
import torch

from memsnn.devices.rram import RRAM_PRESETS, RRAMDevice, RRAMParams, pulse_euler, pulse_exact, reachable_range
from memsnn.errors import ConfigError

GOLDEN = Path(__file__).resolve().parent / "data" / "rram_pulse_table.csv"


def _golden() -> dict[str, torch.Tensor]:
    rows = list(csv.DictReader(GOLDEN.open()))
    return {k: torch.tensor([float(r[k]) for r in rows], dtype=torch.float64)
            for k in ("v", "pw_s", "R0", "R_euler", "R_exact")}


def test_euler_path_matches_reference_column() -> None:
    g = _golden()
    R = pulse_euler(RRAMParams(), g["R0"], g["v"], g["pw_s"])
    assert ((R - g["R_euler"]) / g["R_euler"]).abs().max() < 1e-5


def test_closed_form_matches_exact_column() -> None:
    g = _golden()
    R = pulse_exact(RRAMParams(), g["R0"], g["v"], g["pw_s"])
    assert ((R - g["R_exact"]) / g["R_exact"]).abs().max() < 1e-6


def test_euler_and_exact_differ_by_discretisation_only() -> None:
    g = _golden()
    p = RRAMParams()
    rel = ((pulse_euler(p, g["R0"], g["v"], g["pw_s"]) - pulse_exact(p, g["R0"], g["v"], g["pw_s"])) / g["R_exact"])
    assert 1e-3 < rel.abs().max() < 4.3e-3  # up to 0.42 %: the Euler error of the reference


def test_tabulated_euler_equals_step_by_step_euler() -> None:
    p = RRAMParams()
    dev = RRAMDevice(p, method="euler")
    R0 = torch.cat([torch.linspace(1500.0, 45000.0, 2001, dtype=torch.float64),
                    torch.tensor([2230.596, 2230.6, 18912.75, 18912.76], dtype=torch.float64)])
    widths = (1e-6, 2e-6, 1e-5, 2e-5, 1e-4, 1e-3)
    for v in (0.9, -1.2):
        opts = dev.predict_options(R0, v, widths)
        for j, w in enumerate(widths):
            loop = pulse_euler(p, R0, v, w)
            assert ((opts[..., j] - loop) / loop).abs().max() < 1e-10
    mixed_v = torch.tensor([0.9, -1.2, 0.9, -1.2], dtype=torch.float64)
    mixed_w = torch.tensor([1e-6, 1e-4, 5e-5, 5e-3], dtype=torch.float64)
    R = torch.tensor([5000.0, 9000.0, 12000.0, 16000.0], dtype=torch.float64)
    torch.testing.assert_close(dev.pulse(R, mixed_v, mixed_w), pulse_euler(p, R, mixed_v, mixed_w), rtol=1e-10, atol=0)


def test_direction_boundaries_and_no_move_past_asymptote() -> None:
    p = RRAMParams()
    R = torch.tensor([5000.0, 19000.0], dtype=torch.float64)
    up = pulse_exact(p, R, 0.9, 1e-4)
    assert up[0] > R[0] and up[1] == R[1]  # r_p(0.9) = 18912.6: above it a positive pulse does nothing
    down = pulse_exact(p, torch.tensor([2200.0, 9000.0], dtype=torch.float64), -1.2, 1e-4)
    assert down[0] == 2200.0 and down[1] < 9000.0  # r_n(-1.2) = 2230.6
    lo, hi = reachable_range(p, 0.9, -1.2)
    assert lo == pytest.approx(2230.6, abs=0.1) and hi == pytest.approx(18912.6, abs=0.2)


def test_device_interface_init_read_and_mask() -> None:
    dev = RRAMDevice(RRAM_PRESETS.get("huang2022"))
    g = torch.Generator().manual_seed(0)
    st = dev.init_state((3, 4), g)
    assert st.R.shape == (3, 4) and (st.R >= 7000).all() and (st.R <= 15000).all()
    mask = torch.zeros(3, 4, dtype=torch.bool)
    mask[0, 0] = True
    new = dev.apply_pulse(st, 0.9, 1e-5, mask)
    assert new.R[0, 0] > st.R[0, 0] and torch.equal(new.R[1:], st.R[1:])
    R_read, _ = dev.read_resistance(st, 0.1, generator=g)
    rel = (R_read - st.R) / st.R
    assert rel.abs().max() <= 0.1 and rel.abs().max() > 0
    torch.testing.assert_close(dev.conductance(st), 1 / st.R)


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ConfigError, match="method"):
        RRAMDevice(method="rk4")
    with pytest.raises(ConfigError, match="R_init"):
        RRAMDevice(RRAMParams(R_init=1000.0, R_var=4000.0))
    with pytest.raises(ConfigError, match="unknown RRAM preset"):
        RRAM_PRESETS.get("nope")
