"""memsnn.rng: compiled float32 uniform draws equal to torch.rand, generator state included."""

import numpy as np
import pytest
import torch

from memsnn import rng


@pytest.mark.parametrize("skip,n", [(0, 0), (0, 1), (0, 624), (623, 1), (624, 1), (1, 623), (10, 5 * 624 + 3),
                                    (300, 20000)])
def test_draws_and_next_state_equal_torch(skip, n):
    a, b = torch.Generator().manual_seed(11 + skip), torch.Generator().manual_seed(11 + skip)
    torch.rand(skip, generator=a), torch.rand(skip, generator=b)
    u = rng.rand_float32(n, a)
    assert u.dtype == np.float32 and np.array_equal(u, torch.rand(n, generator=b).numpy())
    assert torch.equal(a.get_state(), b.get_state())
    assert torch.equal(torch.randn(9, generator=a), torch.randn(9, generator=b))  # the generator goes on as torch's
    assert rng._checked is True


def test_default_generator_and_fallback(monkeypatch):
    state = torch.get_rng_state()
    u = rng.rand_float32(1000)
    torch.set_rng_state(state)
    assert np.array_equal(u, torch.rand(1000).numpy())
    monkeypatch.setattr(rng, "_checked", False)  # the state layout was not recognised: torch.rand itself
    g = torch.Generator().manual_seed(2)
    assert np.array_equal(rng.rand_float32(50, g), torch.rand(50, generator=torch.Generator().manual_seed(2)).numpy())


def test_unrecognised_state_is_refused():
    """A state whose bookkeeping does not fit the layout read (here: left out of range, or a word ≥ 2³²) is not
    drawn from (torch itself refuses such a state in set_state)."""
    good = torch.Generator().manual_seed(0).get_state().numpy()
    out = np.empty(10, np.float32)
    for offset, value in ((rng._LEFT, np.int32(5000)), (rng._STATE + 8, np.uint64(2 ** 40))):
        state = good.copy()
        raw = np.frombuffer(value.tobytes(), np.uint8)
        state[offset:offset + raw.shape[0]] = raw
        edited = state.copy()
        assert not rng._draw_from_state(state, out)
        assert np.array_equal(state, edited)  # not advanced
    assert rng._draw_from_state(good.copy(), out)
