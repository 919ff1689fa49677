"""Print the spec §8 acceptance checks A–K measured with memsnn (markdown). Run from the repository root:
``PYTHONPATH=src python results/srnn_pcm/golden_checks.py > results/srnn_pcm/golden_checks.md``"""

import torch

from memsnn.crossbar.differential import DifferentialArray, pulse_counts
from memsnn.devices.pcm import PCMModel, PCMParams, mean_set_curve
from memsnn.learning.eprop import EpropParams, eprop_gradients
from memsnn.learning.update_schemes import SchemeConfig, UpdateScheme, quantise, write_delta
from memsnn.snn.recurrent import LIFParams, run_recurrent_lif

torch.set_num_threads(1)
f = lambda v: ", ".join(f"{x:.4f}" for x in v)  # noqa: E731
print("| check | spec | memsnn |\n|---|---|---|")
print(f"| A mean SET curve (20 pulses) | 1.9246 … 9.3803 | {f(mean_set_curve(PCMParams(), 20))} |")
gold = {12.0: "2.068/1.526, 3.447/1.972, 5.889/2.320, 7.673/2.158, 8.885/1.968",
        20.0: "2.068/1.526, 3.447/1.973, 5.916/2.398, 7.822/2.480, 9.386/2.684"}
for gmax in (12.0, 20.0):
    m = PCMModel(PCMParams(gmax=gmax))
    g = torch.Generator().manual_seed(1234)
    s, tp, got = m.init_state((40000,), g), 0.0, []
    for k in range(1, 21):
        s = m.set_pulse(s, None, g, tp)
        r = m.read(s, 1.0, tp + 38.6, g)
        if k in (1, 2, 5, 10, 20):
            got.append(f"{float(r.mean()):.3f}/{float(r.std()):.3f}")
        tp += 38.6
    print(f"| B write statistics Gmax {gmax:g} (40k devices, pulses 1,2,5,10,20) | {gold[gmax]} | {', '.join(got)} |")
m = PCMModel()
s = m.init_state((1,), None)
print(f"| C drift factor Δt = 5e-4, 1, 38.6, 386, 3860 s | 1.568573, 1.157347, 1, 0.912011, 0.831764 | "
      f"{', '.join(f'{float(m.drift_factor(s, dt)[0]):.6f}' for dt in (5e-4, 1.0, 38.6, 386.0, 3860.0))} |")
print(f"| C read at Δt = 0 | must be defined | {float(m.read(s, 1.0, 0.0, torch.Generator())[0]):.4f} (finite) |")
print(f"| D perf increment res 3, 6, 8 | 1.5, 0.1875, 0.046875 | "
      f"{', '.join(str(PCMParams(perf=True, perf_res=r).perf_increment) for r in (3, 6, 8))} |")
x = torch.zeros(8, 1, 2)
x[[0, 2, 3, 5], 0, 0] = 1
x[[1, 2, 6], 0, 1] = 1
y = torch.tensor([0, 0.1, 0.2, 0.3, 0.2, 0.1, 0, -0.1]).reshape(8, 1, 1)
W = (torch.tensor([[0.2, 0], [0, 0.15], [0.1, 0.1]]), torch.tensor([[0, 0.05, -0.02], [0.03, 0, 0], [-0.04, 0.02, 0]]),
     torch.tensor([[0.5, -0.3, 0.2]]))
run = run_recurrent_lif(x, W, LIFParams())
gr = eprop_gradients(x, run.z, run.v, run.vo - y, torch.tensor([[1, -0.5, 0.25]]), LIFParams(), EpropParams())
print(f"| E vo | 0, 0.5, 0.383608, 0.771032, 1.145754, 1.808192, 2.248912, 2.575184 | "
      f"{', '.join(f'{v:.6f}' for v in run.vo.flatten().tolist())} |")
print(f"| E ∇W_in | 4.183473, 4.252009, −6.792371, −4.451801, 4.420402, 3.219241 | "
      f"{', '.join(f'{v:.6f}' for v in gr.w_in.flatten().tolist())} |")
print(f"| E ∇W_rec | 2.161435, 0, 0, −5.758821, −4.920067, −5.613817, 3.381693, 2.536904, 2.971162 | "
      f"{', '.join(f'{v:.6f}' for v in gr.w_rec.flatten().tolist())} |")
print(f"| E ∇W_out, fr | 35.842865, 24.459841, 30.845871; 750, 500, 625 | "
      f"{', '.join(f'{v:.6f}' for v in gr.w_out.flatten().tolist())}; {', '.join(f'{v:.1f}' for v in gr.fr.tolist())} |")
w = UpdateScheme(SchemeConfig()).update_float("w_in", W[0], gr.w_in, 2e-5)
print(f"| E W_in after vanilla | 0.1999163, −8.504018e-5, 1.358474e-4, 0.1500890, 0.09991159, 0.09993561 | "
      f"{', '.join(f'{v:.7g}' for v in w.flatten().tolist())} |")
arr = DifferentialArray(PCMModel(), (1,), 4, generator=torch.Generator().manual_seed(0))
steps = []
for dg in (1.0, 0.5, -0.4):
    write_delta(arr, torch.tensor([dg]), "multi-mem", generator=torch.Generator())
    steps.append(f"{arr.write_count()[0, :, 0].tolist()}/{arr.write_count()[1, :, 0].tolist()} t={int(arr.tracker[0, 0])}")
print(f"| G multi-mem round-robin (+1.0, +0.5, −0.4), counts G⁺/G⁻ | [2,1,1,1] t5; [2,2,2,1] t7; G⁻ [1,1,0,0] | "
      f"{'; '.join(steps)} |")
h = [pulse_counts(torch.tensor(v) / 0.75, "faithful").tolist() for v in ([2.956], [0.125], [0.125, 0.9], [2.955, 0.375])]
print(f"| H pulse rule (faithful) | 3; 0; 1,1; 3,1 | {h} |")
arr = DifferentialArray(PCMModel(), (40000,), 1, generator=torch.Generator().manual_seed(0))
write_delta(arr, torch.full((40000,), 3.0), "stochastic", prob_scale=10.0, generator=torch.Generator().manual_seed(1))
c = arr.write_count()
print(f"| I stochastic dG = 3, prob_scale 10 | ≈ 0.30 of G⁺ pulsed (0.2975), max 1, G⁻ 0 | "
      f"{float(c[0].float().mean()):.4f}, max {int(c.max())}, G⁻ {int(c[1].sum())} |")
q1 = quantise(torch.tensor([0.30]), 0.125)
q2 = quantise(torch.tensor([-0.01]), 0.125, "floor")
q3 = quantise(torch.tensor([-0.01]), 0.125, "trunc")
print(f"| J quantiser 0.30; −0.01 floor; −0.01 trunc | 0.25/0.05; −0.125/0.115; 0/−0.01 | "
      f"{float(q1[0]):.3f}/{float(q1[1]):.3f}; {float(q2[0]):.3f}/{float(q2[1]):.3f}; {float(q3[0]):.3f}/{float(q3[1]):.3f} |")
LIF = LIFParams()
print(f"| K α = κ | 0.9672161 | {LIF.alpha:.7f}, {LIF.kappa:.7f} |")
