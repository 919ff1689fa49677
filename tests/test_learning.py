"""Adagrad, token bags and the hand-derived gradients of approaches 1 and 2 against autograd / torch.optim."""

import torch
import torch.nn.functional as F

from memsnn.data.bags import TokenBags
from memsnn.learning.conversion import TextModel, ann_epoch
from memsnn.learning.optim import Adagrad


def test_bags_mean_embedding_equals_explicit_mean() -> None:
    docs = [[3, 1, 3, 2], [0], [4, 4, 4, 1, 2], []]
    bags = TokenBags.from_id_lists(docs)
    emb = torch.rand(5, 7, generator=torch.Generator().manual_seed(0))
    got = bags.mean_embedding(emb)
    for i, d in enumerate(docs):
        want = emb[d].mean(0) if d else torch.zeros(7)
        torch.testing.assert_close(got[i], want)
    sub = bags.subset(torch.tensor([2, 0]))
    torch.testing.assert_close(sub.mean_embedding(emb), got[[2, 0]])


def test_sparse_adagrad_equals_torch_adagrad() -> None:
    g = torch.Generator().manual_seed(0)
    p = torch.rand(6, 3, generator=g)
    ref = p.clone().requires_grad_(True)
    opt_ref = torch.optim.Adagrad([ref], lr=0.05, eps=1e-10)
    mine = Adagrad(p, lr=0.05, eps=1e-10)
    for rows in ([0, 2], [2, 5], [1]):
        grad = torch.zeros(6, 3)
        grad[rows] = torch.randn(len(rows), 3, generator=g)
        ref.grad = grad.clone()
        opt_ref.step()
        r = torch.tensor(rows)
        p[r] += mine.delta(grad[r], r)
    torch.testing.assert_close(p, ref.detach())


def test_ann_online_step_equals_autograd() -> None:
    """One epoch of the hand-written ANN step = nn.Embedding/BCEWithLogits/Adagrad with clamping (spec §3)."""
    g = torch.Generator().manual_seed(1)
    V, E = 12, 5
    docs = [[1, 2, 2, 5], [3, 4], [5, 6, 7, 1, 1], [8, 9, 10, 11]]
    labels = torch.tensor([1, 0, 1, 0])
    bags = TokenBags.from_id_lists(docs)
    emb0, W0 = torch.rand(V, E, generator=g), torch.rand(E, generator=g)
    model = TextModel(emb0.clone(), W0.clone())
    ann_epoch(model, bags, labels, torch.tensor([2, 0, 3, 1, 2]), Adagrad(model.emb), Adagrad(model.W), offset=1.2)

    emb, W = emb0.clone().requires_grad_(True), W0.clone().requires_grad_(True)
    opt = torch.optim.Adagrad([emb, W], lr=0.05, eps=1e-10)
    for b in [2, 0, 3, 1, 2]:
        with torch.no_grad():
            emb.clamp_(0, 1)
            W.clamp_(0, 1)
        opt.zero_grad()
        x = emb[torch.tensor(docs[b])].mean(0)
        loss = F.binary_cross_entropy_with_logits(x @ W - 1.2, labels[b].float())
        loss.backward()
        opt.step()
    torch.testing.assert_close(model.emb, emb.detach().clamp(0, 1), atol=1e-6, rtol=0)
    torch.testing.assert_close(model.W, W.detach().clamp(0, 1), atol=1e-6, rtol=0)
