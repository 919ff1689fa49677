"""Tokeniser and vocabulary (Huang et al. 2022 spec §1)."""

import torch

from memsnn.data.text import build_vocab, build_vocab_from_ids, tokenize_basic_english, tokenize_corpus


def test_basic_english_tricky_strings() -> None:
    assert tokenize_basic_english("Hello, World!") == ["hello", ",", "world", "!"]
    # `<br />` is removed after '.' was padded; quotes are dropped; apostrophes split off
    assert tokenize_basic_english('It\'s "great".<br /><br />Really?') == \
        ["it", "'", "s", "great", ".", "really", "?"]
    assert tokenize_basic_english("a;b:c (d) e") == ["a", "b", "c", "(", "d", ")", "e"]
    assert tokenize_basic_english("  MIXED\tcase\n\nlines ") == ["mixed", "case", "lines"]
    # `<br/>` without the space is not the pattern: its characters survive as tokens
    assert tokenize_basic_english("x<br/>y") == ["x<br/>y"]
    assert tokenize_basic_english("end...") == ["end", ".", ".", "."]


def test_corpus_tokenisation_equals_per_text() -> None:
    texts = ["One. Two!", "", "It's <br />fine", 'a "quoted" word', "tab\there"]
    assert tokenize_corpus(texts) == [tokenize_basic_english(t) for t in texts]


def test_vocab_counts_order_and_ties() -> None:
    docs = [["b", "a", "c", "a"], ["c", "d", "b", "a"], ["e", "d"]]
    v = build_vocab(docs, min_freq=2)
    # specials first; a(3) then ties b, c, d (2 each) in first-occurrence order; e (1) dropped
    assert v.itos == ["<unk>", "<pad>", "a", "b", "c", "d"]
    assert v.counts == [0, 0, 3, 2, 2, 2]
    assert v.lookup(["a", "zzz"]) == [2, 0]
    assert v.lookup(["zzz"], oov_index=1) == [1]


def test_vocab_from_ids_matches_token_version() -> None:
    docs = [["x", "y", "x", "z"], ["w", "y", "z", "z"], ["q", "x"]]
    table: dict[str, int] = {}
    flat = [table.setdefault(t, len(table)) for d in docs for t in d]
    vocab, to_vocab = build_vocab_from_ids(torch.tensor(flat, dtype=torch.int32), list(table), min_freq=2)
    ref = build_vocab(docs, min_freq=2)
    assert vocab.itos == ref.itos and vocab.counts == ref.counts
    for tok, tid in table.items():
        assert int(to_vocab[tid]) == ref.stoi.get(tok, -1)
