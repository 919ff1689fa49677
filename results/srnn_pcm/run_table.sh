#!/usr/bin/env bash
# Final-MSE table of the update schemes on the four-sinusoid task (3 seeds), two runs at a time.
# Usage (from the repository root): bash results/srnn_pcm/run_table.sh [EPOCHS]   → runs/srnn_pcm/table/*
#   FP32 vanilla: the original defaults. PCM schemes: one common set (xbar_scale 30, lr ×5 the defaults,
#   acc_eps 0.025 ≈ one SET pulse, refresh of saturated pairs at every update); accumulator = FP32 counterpart of
#   mixed-precision with the same lr / acc_eps. Mixed-precision also with the README's tuned set, with the
#   symmetric (trunc) and the floor quantiser (original code under torch >= 1.13).
set -euo pipefail
EPOCHS=${1:-100}
LR="--lr_inp 1e-4 --lr_rec 2.5e-4 --lr_out 1e-4"
PCM="--xbar true --xbar_scale 30 $LR --acc_eps 0.025 --refresh always"
TUNED="--lr_inp=0.00033040801301504577 --lr_out=1.662028909434269e-05 --lr_rec=0.00039387187486665526 \
--reg=0.0008382720865299505 --thr=0.19252357575425721 --w_init_gain=0.23687602686903747 --xbar_scale=11.82503110296963"
OUT=runs/srnn_pcm/table
{
for seed in 1 2 3; do
  echo "--method vanilla --seed $seed --out $OUT/vanilla_s$seed"
  echo "--method accumulator $LR --acc_eps 0.025 --seed $seed --out $OUT/accumulator_s$seed"
  echo "--method mixed-precision $PCM --seed $seed --out $OUT/mixed-precision_s$seed"
  echo "--method stochastic $PCM --seed $seed --out $OUT/stochastic_s$seed"
  echo "--method multi-mem --xbar_n 4 $PCM --seed $seed --out $OUT/multi-mem4_s$seed"
  echo "--method sign --grad_thr 0.9 $PCM --seed $seed --out $OUT/sign_s$seed"
  echo "--method mixed-precision --xbar true $TUNED --seed $seed --out $OUT/mixed-precision-readme_s$seed"
  echo "--method mixed-precision --xbar true --rounding floor $TUNED --seed $seed --out $OUT/mixed-precision-readme-floor_s$seed"
done
} | xargs -P 2 -I{} sh -c "PYTHONPATH=src python -m memsnn eprop --epochs $EPOCHS --quiet --overwrite {} || true"
python results/srnn_pcm/summarise.py $OUT
