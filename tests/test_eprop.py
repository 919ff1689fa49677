"""e-prop on the recurrent LIF layer: golden values of spec §8 E/F/K and equality of the three evaluations."""

import pytest
import torch

from memsnn.learning.eprop import (EpropParams, eprop_gradients, eprop_gradients_conv, eprop_gradients_online)
from memsnn.learning.update_schemes import SchemeConfig, UpdateScheme
from memsnn.snn.filters import leaky_filter, leaky_filter_stepwise
from memsnn.snn.recurrent import LIFParams, run_recurrent_lif

W_IN = torch.tensor([[0.2, 0], [0, 0.15], [0.1, 0.1]])
W_REC = torch.tensor([[0, 0.05, -0.02], [0.03, 0, 0], [-0.04, 0.02, 0]])
W_OUT = torch.tensor([[0.5, -0.3, 0.2]])
FB = torch.tensor([[1, -0.5, 0.25]])


def close(t, ref, atol):
    return torch.allclose(t, torch.tensor(ref, dtype=t.dtype), atol=atol, rtol=0)


def golden_case():
    x = torch.zeros(8, 1, 2)
    x[[0, 2, 3, 5], 0, 0] = 1
    x[[1, 2, 6], 0, 1] = 1
    y = torch.tensor([0, 0.1, 0.2, 0.3, 0.2, 0.1, 0, -0.1]).reshape(8, 1, 1)
    return x, y


def test_forward_golden_E():
    x, _ = golden_case()
    r = run_recurrent_lif(x, (W_IN, W_REC, W_OUT), LIFParams())
    assert r.vo.flatten().tolist() == pytest.approx([0, 0.5, 0.383608, 0.771032, 1.145754, 1.808192, 2.248912,
                                                    2.575184], abs=2e-6)
    assert r.z[:, 0].tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 1], [1, 1, 1], [1, 1, 1], [1, 0, 1], [1, 0, 0],
                                  [1, 1, 1]]
    assert close(r.v[1, 0], [0.2, 0, 0.1], 1e-6)
    assert r.v[2, 0].tolist() == pytest.approx([0.093443, 0.18, 0.156722], abs=1e-6)
    assert r.v[7, 0].tolist() == pytest.approx([0.309908, 0.276318, 0.128637], abs=1e-6)


@pytest.mark.parametrize("fn", [eprop_gradients, eprop_gradients_online, eprop_gradients_conv])
def test_gradients_golden_E(fn):
    x, y = golden_case()
    lif = LIFParams()
    r = run_recurrent_lif(x, (W_IN, W_REC, W_OUT), lif)
    g = fn(x, r.z, r.v, r.vo - y, FB, lif, EpropParams())
    assert close(g.w_in, [[4.183473, 4.252009], [-6.792371, -4.451801], [4.420402, 3.219241]], 2e-5)
    assert close(g.w_rec, [[2.161435, 0, 0], [-5.758821, -4.920067, -5.613817], [3.381693, 2.536904, 2.971162]],
                 2e-5)
    assert close(g.w_out, [[35.842865, 24.459841, 30.845871]], 5e-5)
    assert g.fr.tolist() == pytest.approx([750, 500, 625], abs=1e-3)
    w = UpdateScheme(SchemeConfig(method="vanilla")).update_float("w_in", W_IN, g.w_in, 2e-5)
    assert close(w, [[0.1999163, -8.504018e-5], [1.358474e-4, 0.1500890], [0.09991159, 0.09993561]], 1e-5)


def test_three_evaluations_agree_F():
    """Fast (matmul + anti-causal learning signal), online recursion and O(T²) convolution agree < 1e-6 (rel.)."""
    g = torch.Generator().manual_seed(0)
    T, B, I, R, O = 120, 2, 7, 6, 2
    lif = LIFParams(thr=0.05)
    x = (torch.rand(T, B, I, generator=g) < 0.2).float()
    w = (torch.randn(R, I, generator=g) * 0.1, torch.randn(R, R, generator=g) * 0.05, torch.randn(O, R, generator=g))
    r = run_recurrent_lif(x, w, lif)
    assert r.z.sum() > 10
    err = r.vo - torch.randn(T, B, O, generator=g)
    fb = torch.randn(O, R, generator=g)
    ep = EpropParams(clip=1e9)
    fast = eprop_gradients(x, r.z, r.v, err, fb, lif, ep)
    for other in (eprop_gradients_online(x, r.z, r.v, err, fb, lif, ep), eprop_gradients_conv(x, r.z, r.v, err, fb,
                                                                                                lif, ep)):
        for a, b in zip(fast, other):
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-6 * float(b.abs().max() + 1))


def test_leaky_filter_blocks_equal_stepwise():
    x = torch.randn(203, 3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for rev in (False, True):
        ref = leaky_filter_stepwise(x, 0.9672161004820059, reverse=rev)
        for block in (1, 16, 64, 500):
            assert torch.allclose(leaky_filter(x, 0.9672161004820059, reverse=rev, block=block), ref, atol=1e-12)


def test_constants_K():
    lif = LIFParams()
    assert lif.alpha == pytest.approx(0.9672161004820059, abs=1e-12) and lif.kappa == lif.alpha


def test_crossbar_sparse_reads_equal_fixed_weights():
    """Reading only active columns of ideal (perf-mode: no noise, no drift) crossbars gives the same run as the
    equivalent fixed weight matrices."""
    from memsnn.crossbar.differential import DifferentialArray
    from memsnn.devices.pcm import PCMModel, PCMParams
    from memsnn.learning.srnn import CrossbarSynapses

    g = torch.Generator().manual_seed(2)
    model = PCMModel(PCMParams(perf=True))
    arrays = {}
    for name, shape in (("w_in", (5, 4)), ("w_rec", (5, 5)), ("w_out", (2, 5))):
        arr = DifferentialArray(model, shape, 3, scale=8.0, generator=g)
        arr.pulse(torch.randint(0, 4, arr.full_shape, generator=g))
        arrays[name] = arr
    x = (torch.rand(60, 2, 4, generator=g) < 0.3).float()
    lif = LIFParams(thr=0.05)
    fixed = run_recurrent_lif(x, tuple(arrays[n].weights() for n in ("w_in", "w_rec", "w_out")), lif)
    assert fixed.z.sum() > 5
    sparse = run_recurrent_lif(x, CrossbarSynapses(arrays, 0.0, 1e-3, 5e-4, g), lif, n_rec=5, block=7)
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(fixed, sparse))
