"""Data sets in their original formats: IMDB, GloVe, MNIST, pattern sets; data-folder resolution and downloads."""
