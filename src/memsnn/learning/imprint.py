"""One-shot supervised imprinting into memristor emulators ("in-situ STDP").

S. L. Jurj, Electronics 13(23), 4665 (2024), §3: pattern j is applied as input voltages to every column while only
the emulators of class j have their write switch closed (class gate phi_j high) for ``T_pw``; each written gate
gains ``ΔVc = (1/C_eff)·∫K·V_DS dt ≈ K·x_i·T_pw/C_eff``. One presentation per class, no depression.
"""

from __future__ import annotations

import torch

from ..devices.emulator import EmulatorState, MemristorEmulator


def imprint(emulator: MemristorEmulator, state: EmulatorState, patterns: torch.Tensor, t_pw: float,
            v_high: float = 1.0) -> EmulatorState:
    """All classes at once: row j sees pattern j with its switch closed for ``t_pw``; (classes, inputs).

    Exact equivalent of :func:`imprint_sequential` when edges are ramps: with the switch open a gate follows the
    1-D charge-redistribution ODE, so the rising and falling edge of another class's presentation cancel.
    """
    return emulator.apply_pulse(state, patterns * v_high, t_pw)


def imprint_sequential(emulator: MemristorEmulator, state: EmulatorState, patterns: torch.Tensor, t_pw: float,
                       v_high: float = 1.0) -> EmulatorState:
    """Reference: present each class pattern in turn to every row, gating only row j (as the circuit does)."""
    n_classes = patterns.shape[0]
    rows = torch.arange(n_classes).unsqueeze(1)
    for j in range(n_classes):
        v = (patterns[j] * v_high).expand_as(state.vd)
        state = emulator.apply_pulse(state, v, t_pw, mask=(rows == j).expand_as(state.vd))
    return state


def imprint_waveforms(patterns: torch.Tensor, t_pw: float, period: float, dt: float, v_high: float = 1.0
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sampled training stimulus: time (T,), input voltages (T, inputs), class gates on (T, classes).

    Pattern j is on during [j·period, j·period + T_pw) together with its gate.
    """
    n_classes = patterns.shape[0]
    n = int(round(n_classes * period / dt)) + 1
    t = torch.arange(n, dtype=torch.float64) * dt
    k = torch.floor(t / period + 1e-9).long()
    on = (t - k * period) < t_pw - 1e-12
    on &= k < n_classes
    kk = k.clamp(max=n_classes - 1)
    vin = torch.where(on.unsqueeze(1), patterns[kk] * v_high, torch.zeros(n, patterns.shape[1], dtype=torch.float64))
    gates = on.unsqueeze(1) & (kk.unsqueeze(1) == torch.arange(n_classes))
    return t, vin, gates


def imprint_reference(emulator: MemristorEmulator, patterns: torch.Tensor, t_pw: float, period: float, dt: float,
                      v_high: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Step-by-step reference of :func:`imprint`: (t (T,), Vc (T, classes, inputs)) from the sampled stimulus."""
    t, vin, gates = imprint_waveforms(patterns, t_pw, period, dt, v_high)
    n_c, n_in = patterns.shape
    vd = vin.unsqueeze(1).expand(-1, n_c, n_in)
    sw = gates.unsqueeze(2).expand(-1, n_c, n_in)
    vc, _ = emulator.transient(torch.zeros(n_c, n_in, dtype=torch.float64), t, vd, torch.zeros_like(vd), sw)
    return t, vc
