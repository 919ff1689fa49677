#!/usr/bin/env bash
# Usage: bash results/srnn_pcm/run_table_extra.sh [EPOCHS]
set -euo pipefail
EPOCHS=${1:-100}
OUT=runs/srnn_pcm/table
# Extra row: multi-mem has no accumulator, so with the common learning rates its requests stay below one
# device pulse (0.75/N µS) and it never writes; a 4× larger learning rate lets it write.
for seed in 1 2 3; do
  PYTHONPATH=src python -m memsnn eprop --epochs $EPOCHS --quiet --overwrite --method multi-mem --xbar_n 4 \
    --xbar true --xbar_scale 30 --lr_inp 4e-4 --lr_rec 1e-3 --lr_out 4e-4 --refresh always --seed $seed \
    --out $OUT/multi-mem4-lr4x_s$seed || true
done
python results/srnn_pcm/summarise.py $OUT
