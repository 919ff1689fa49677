#!/usr/bin/env bash
# Final-MSE table of the update schemes on the four-sinusoid task (3 seeds, 100 epochs), two runs at a time.
# Usage (from the repository root): bash results/srnn_pcm/run_table.sh [EPOCHS]   → runs/srnn_pcm/table/*
set -euo pipefail
EPOCHS=${1:-100}
TUNED="--lr_inp=0.00033040801301504577 --lr_out=1.662028909434269e-05 --lr_rec=0.00039387187486665526 \
--reg=0.0008382720865299505 --thr=0.19252357575425721 --w_init_gain=0.23687602686903747 --xbar_scale=11.82503110296963"
OUT=runs/srnn_pcm/table
{
for seed in 1 2 3; do
  echo "--method vanilla --seed $seed --out $OUT/vanilla_s$seed"
  echo "--method accumulator --seed $seed --out $OUT/accumulator_s$seed"
  echo "--method sign --xbar true --grad_thr 0.9 $TUNED --seed $seed --out $OUT/sign_s$seed"
  echo "--method stochastic --xbar true $TUNED --seed $seed --out $OUT/stochastic_s$seed"
  echo "--method multi-mem --xbar true --xbar_n 4 $TUNED --seed $seed --out $OUT/multi-mem4_s$seed"
  echo "--method mixed-precision --xbar true $TUNED --seed $seed --out $OUT/mixed-precision_s$seed"
  echo "--method mixed-precision --xbar true --rounding floor $TUNED --seed $seed --out $OUT/mixed-precision-floor_s$seed"
done
} | xargs -P 2 -I{} sh -c "PYTHONPATH=src python -m memsnn eprop --epochs $EPOCHS --quiet --overwrite {}"
python results/srnn_pcm/summarise.py $OUT
