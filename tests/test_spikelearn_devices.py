"""Golden checks of the Memristor-Spikelearn device models (spec §8 A–E, J)."""

import math

import pytest
import torch

from memsnn.crossbar.pulse_scheme import DeviceSynapses, InverseEncoding, LogEncoding
from memsnn.devices.chen_yu import CHEN_YU_PRESETS, ChenYuDevice
from memsnn.devices.lut import LutDevice, LutParams, LutTable, bilinear
from memsnn.devices.vteam import VTEAM_PRESETS, VteamDevice
from memsnn.errors import ConfigError, DataError

T = lambda *x: torch.tensor(x, dtype=torch.float64)  # noqa: E731


def weights_after_pulses(syn: DeviceSynapses, v: float, n: int, path: str) -> list[float]:
    out = []
    for _ in range(n):
        if path == "pot":
            syn.potentiate_rows(torch.tensor([1]), T(v))
        else:
            syn.depress_columns(torch.tensor([1]), T(v))
        out.append(float(syn.w[0, 0]))
    return out


# --- A, B, C: Chen & Yu 2015 -----------------------------------------------------------------------------------
def test_chen_yu_constants():
    p = CHEN_YU_PRESETS.get("spikelearn")
    assert p.g_prefactor == pytest.approx(2.1476243211192452e-4, rel=1e-14)
    assert p.gen_factor == pytest.approx(2.435407689295586e-22, rel=1e-12)
    assert p.rec_factor == pytest.approx(2.517508963670265e-22, rel=1e-12)
    assert p.field_factor == pytest.approx(1.6577867379906823, rel=1e-14)
    dev = ChenYuDevice(p)
    gmin, gmax = dev.conductance_range()
    assert gmax / 1e-4 == pytest.approx(1.493006697288257, rel=1e-12)
    assert gmin / 1e-4 == pytest.approx(0.004443414551790035, rel=1e-12)
    gap = dev.state_from_conductance(T(0.01, 0.1, 0.3, 1.0) * 1e-4).gap
    assert gap.tolist() == pytest.approx([1.476890e-9, 8.435639e-10, 5.413906e-10, 2.102378e-10], rel=1e-6)


def _chen_yu_syn(nsub: int, width_pot: float = 10e-9) -> DeviceSynapses:
    syn = DeviceSynapses(ChenYuDevice(CHEN_YU_PRESETS.get("spikelearn", nsubstep=nsub)), (1, 1), 1e-4,
                         width_pot=width_pot, width_dep=1e-9)
    syn.program(T(0.3).reshape(1, 1))
    return syn


@pytest.mark.parametrize("nsub,v,expected", [
    (1, 1.3, [0.300722, 0.301447, 0.302175, 0.302905, 0.303639]),
    (10, 1.3, [0.300723, 0.301448, 0.302176, 0.302907, 0.303642]),
    (10, 1.4, [0.311079, 0.322861, 0.335399, 0.348747, 0.362965]),
    (10, 1.2, [0.300048, 0.300097, 0.300145, 0.300193, 0.300242]),
])
def test_chen_yu_potentiation(nsub, v, expected):
    syn = _chen_yu_syn(nsub)
    assert weights_after_pulses(syn, v, 5, "pot") == pytest.approx(expected, abs=1.5e-6)
    if nsub == 10 and v == 1.3:
        assert float(syn.state.gap[0, 0]) == pytest.approx(5.380720e-10, rel=1e-6)


@pytest.mark.parametrize("v,expected", [
    (-1.5, [0.284155, 0.269751, 0.256631, 0.244660, 0.233714]),
    (-1.7, [0.043977, 0.035797, 0.031912, 0.029495, 0.027792]),
    (-1.3, [0.299925, 0.299851, 0.299776, 0.299702, 0.299628]),
])
def test_chen_yu_depression(v, expected):
    assert weights_after_pulses(_chen_yu_syn(10), v, 5, "dep") == pytest.approx(expected, abs=1.5e-6)


def test_chen_yu_vectorised_matches_single_devices():
    dev = ChenYuDevice()
    g = torch.linspace(2e-10, 1.6e-9, 12, dtype=torch.float64).reshape(3, 4)
    v = torch.linspace(-1.8, 1.6, 12, dtype=torch.float64).reshape(3, 4)
    batch = dev.apply_pulse(type(dev.init_state((1,)))(g), v, 5e-9).gap
    for i in range(3):
        for j in range(4):
            one = dev.apply_pulse(type(dev.init_state((1,)))(g[i, j].reshape(1)), v[i, j], 5e-9).gap
            assert float(one) == float(batch[i, j])


# --- D: VTEAM -----------------------------------------------------------------------------------------------------
def test_vteam_inverse_encodings_and_pulses():
    lr, g1 = 0.01, 1e-4
    dev = VteamDevice(VTEAM_PRESETS.get("spikelearn", g_ref=g1))
    te2v = InverseEncoding(dev, -lr / g1)
    to2v = InverseEncoding(dev, 0.01 * lr / g1)
    assert te2v(T(0.1, 0.5, 1.0)).tolist() == pytest.approx([1.264629867, 1.314090916, 1.335984245], abs=1e-9)
    assert to2v(T(0.1, 0.5, 1.0)).tolist() == pytest.approx([-1.061037530, -1.104992283, -1.124479200], abs=1e-9)
    syn = DeviceSynapses(dev, (1, 1), g1, pre_encoding=te2v, post_encoding=to2v)
    syn.program(T(0.3).reshape(1, 1))
    assert float(syn.state.r) == pytest.approx(33333.333333, rel=1e-10)
    rs, ws = [], []
    for k in range(6):
        if k < 3:
            syn.stdp_update(torch.tensor([0]), torch.tensor([1]), T(1.0), T(0.0))
        else:
            syn.stdp_update(torch.tensor([1]), torch.tensor([0]), T(0.0), T(1.0))
        rs.append(float(syn.state.r))
        ws.append(float(syn.w))
    assert rs == pytest.approx([33233.33, 33133.33, 33033.33, 33034.33, 33035.33, 33036.33], abs=0.01)
    assert ws == pytest.approx([0.300903, 0.301811, 0.302725, 0.302715, 0.302706, 0.302697], abs=1e-6)
    assert syn.weight_range() == pytest.approx((0.0044434, 1.4930066), abs=1e-7)


def test_vteam_clipping_and_count_closed_form():
    dev = VteamDevice()
    s = dev.state_from_conductance(T(1.0, 1e-9, 1e-5))
    assert s.r.tolist() == pytest.approx([dev.p.r_on, dev.p.r_off, 1e5])
    one = s
    for _ in range(7):
        one = dev.apply_pulse(one, T(1.5, -1.2, 1.3), 0.0)
    many = dev.apply_pulses(s, T(1.5, -1.2, 1.3), torch.tensor([7, 7, 7]))
    assert many.r.tolist() == pytest.approx(one.r.tolist(), rel=1e-12)
    assert bool(((one.r >= dev.p.r_on) & (one.r <= dev.p.r_off)).all())


# --- E: LUT ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lut_device():
    return LutDevice(LutParams())


def test_lut_interpolation(lut_device):
    tb = lut_device.table
    pot = bilinear(tb.pot_g, tb.pot_v, tb.pot_dg, T(1e-5, 1e-5, 1e-4, 1e-4), T(0.4, 0.6, 0.4, 0.6))
    assert pot.tolist() == pytest.approx([3.7067e-5, 1.3930e-4, 3.5781e-8, 4.9301e-5], rel=2e-4)
    dep = bilinear(tb.dep_g, tb.dep_v, tb.dep_dg, T(1e-5, 1e-5, 1e-4, 1e-4, 1e-4, 1e-4), T(1.5, 2.0, 1.5, 2.0, 2.5, 1.0))
    assert dep.tolist() == pytest.approx([-4.8696e-8, -8.8595e-6, -1.5260e-5, -9.8926e-5, -9.9556e-5, -6.6934e-12],
                                         rel=2e-4)
    # on grid nodes the interpolation returns the table value
    assert float(bilinear(tb.pot_g, tb.pot_v, tb.pot_dg, tb.pot_g[7:8], tb.pot_v[11:12])) == float(tb.pot_dg[7, 11])


@pytest.mark.parametrize("faithful", [True, False])
def test_lut_single_device_sequence(lut_device, faithful):
    syn = DeviceSynapses(lut_device, (1, 1), 1e-4, faithful_lut_depression=faithful)
    syn.program(T(0.3).reshape(1, 1))
    pot = weights_after_pulses(syn, 0.6, 3, "pot")
    assert pot == pytest.approx([1.4930067] * 3, abs=1e-7)
    if faithful:  # the original's depression path takes positive voltages; a negative one does nothing (bug 1)
        assert weights_after_pulses(syn, 1.5, 3, "dep") == pytest.approx([1.4479937, 1.1851237, 0.9885926], abs=1e-6)
        w = float(syn.w)
        assert weights_after_pulses(syn, -1.5, 1, "dep") == [w]
    else:  # sign-consistent default: a negative depression-path voltage depresses
        assert weights_after_pulses(syn, -1.5, 3, "dep") == pytest.approx([1.4479937, 1.1851237, 0.9885926], abs=1e-6)
        w = float(syn.w)
        assert weights_after_pulses(syn, 1.5, 1, "dep")[0] > w  # positive voltage = potentiation


def test_lut_voltage_bounds(lut_device):
    strict = LutDevice(LutParams(clamp_voltage=False), table=lut_device.table)
    s = strict.state_from_conductance(T(1e-5))
    with pytest.raises(ConfigError, match="exceeds"):
        strict.apply_pulse(s, T(0.9), 1e-8)
    clamped = lut_device.apply_pulse(s, T(0.9), 1e-8).g
    assert float(clamped) == pytest.approx(float(lut_device.apply_pulse(s, T(0.8), 1e-8).g))
    assert float(lut_device.apply_pulse(s, T(0.001), 1e-8).g) == 1e-5  # below the table: no change


def test_lut_malformed_file(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable"):
        LutTable.load(bad)
    import numpy as np

    np.savez(tmp_path / "short.npz", gmin=1.0)
    with pytest.raises(DataError, match="lacks"):
        LutTable.load(tmp_path / "short.npz")


# --- J: range invariants under random pulses ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["vteam", "chen_yu", "lut"])
def test_range_invariant(kind, lut_device):
    dev = {"vteam": VteamDevice(), "chen_yu": ChenYuDevice(), "lut": lut_device}[kind]
    gen = torch.Generator().manual_seed(0)
    syn = DeviceSynapses(dev, (2, 5, 7), 1e-4, pre_encoding=LogEncoding(1.3, 0.073, 10),
                         post_encoding=LogEncoding(1.5, 0.073, 10, sign=-1.0))
    syn.program(torch.rand((2, 5, 7), generator=gen, dtype=torch.float64) * 2)
    wmin, wmax = syn.weight_range()
    for _ in range(20):
        xe = torch.rand((2, 7), generator=gen) < 0.3
        xo = torch.rand((2, 5), generator=gen) < 0.3
        syn.stdp_update(xe, xo, torch.rand((2, 7), generator=gen, dtype=torch.float64),
                        torch.rand((2, 5), generator=gen, dtype=torch.float64))
        assert torch.allclose(syn.w, dev.conductance(syn.state) / 1e-4, rtol=1e-12, atol=0)
        assert float(syn.w.min()) >= wmin * (1 - 1e-12) and float(syn.w.max()) <= wmax * (1 + 1e-12)
    assert syn.meter.update_energy > 0 and syn.meter.pulses > 0


def test_log_encoding():
    enc = LogEncoding(1.3, 0.073, 10)
    assert enc(T(0.0, 1.0, 0.1, 1e-30)).tolist() == pytest.approx([0.0, 1.3, 1.227, 0.0])
    assert LogEncoding(0.5, 1 / 30, sign=-1.0, scale=20)(T(0.05)).tolist() == pytest.approx([-0.5])
    assert math.isclose(float(LogEncoding(1.3, 0.073, 10, sign=-1.0)(T(1.0))), -1.3)


@pytest.mark.parametrize("kind", ["vteam", "chen_yu", "lut"])
def test_common_interface_presets_and_read(kind, lut_device):
    from memsnn.devices.base import DeviceModel
    from memsnn.devices.lut import LUT_PRESETS

    dev = {"vteam": VteamDevice(VTEAM_PRESETS.get("spikelearn")), "chen_yu": ChenYuDevice(CHEN_YU_PRESETS.get("spikelearn")),
           "lut": LutDevice(LUT_PRESETS.get("paiyu15_1t1r"), table=lut_device.table)}[kind]
    assert isinstance(dev, DeviceModel)
    s = dev.init_state((3, 4))
    g = dev.conductance(s)
    assert g.shape == (3, 4) and torch.all(g > 0)
    assert torch.equal(dev.read(s), g)
    r1 = dev.read(s, 0.1, generator=torch.Generator().manual_seed(5))
    r2 = dev.read(s, 0.1, generator=torch.Generator().manual_seed(5))
    assert torch.equal(r1, r2) and not torch.equal(r1, g)
    mask = torch.zeros((3, 4), dtype=torch.bool)
    mask[0, 0] = True
    s2 = dev.apply_pulse(s, 1.6 if kind != "lut" else 0.6, 1e-8, mask=mask)
    changed = dev.conductance(s2) != g
    assert bool(changed[0, 0]) and int(changed.sum()) == 1
    with pytest.raises(ConfigError, match="unknown"):
        VTEAM_PRESETS.get("nope")


def test_energy_accounting_is_g_v2_t():
    dev = VteamDevice()
    syn = DeviceSynapses(dev, (1, 2), 1e-4, width_pot=1e-8)
    syn.program(T(0.5, 0.2).reshape(1, 2))
    g = syn.w * 1e-4
    syn.potentiate_rows(torch.tensor([1]), T(1.2, 0.0))
    assert syn.meter.update_energy == pytest.approx(float(g[0, 0]) * 1.2**2 * 1e-8, rel=1e-12)
    assert syn.meter.pulses == 1
