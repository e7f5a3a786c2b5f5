#!/usr/bin/env bash
# Core bench: prefill (pp) and decode (tg) tokens/s of deepgate on random-weight models with
# Qwen2-0.5B shapes in F16, Q8_0, Q4_0 and Q4_K_M, 2 threads by default. With
# LLAMA_BENCH=/path/to/llama-bench set, llama.cpp's bench runs on the same files in the same run
# and the ratios are printed. The project never builds or vendors llama.cpp.
#
#   bench/core_bench.sh [-t THREADS] [-p 512] [-n 128] [-r 3] [-s 8] [-k SET] [--types "f16 q8_0 q4_0 q4_k_m"]
#                       [--arch qwen2 --shape qwen2-0.5b | --arch deepseek2 --shape v2-lite]
# -s N adds N concurrent streams of n tokens through the batching engine against one (0: off).
# -k SET forces deepgate's kernel set (scalar, avx2, avx2+avxvnni, avx512; default the best).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2 n_prompt=512 n_gen=128 reps=3 types="f16 q8_0 q4_0 q4_k_m" streams=8 kernels=() arch=qwen2 shape=qwen2-0.5b
while [ $# -gt 0 ]; do
  case "$1" in
    -t) threads=$2; shift 2 ;;
    -p) n_prompt=$2; shift 2 ;;
    -n) n_gen=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    --types) types=$2; shift 2 ;;
    -s) streams=$2; shift 2 ;;
    -k) kernels=(-k "$2"); shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --shape) shape=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin=build/bin/deepgate
[ -x "$bin" ] || { echo "build first: ./test.sh or cmake --build build" >&2; exit 1; }
dir=${BENCH_MODEL_DIR:-/tmp/deepgate-bench-models}
mkdir -p "$dir"
printf '%-8s %10s %12s %12s %14s %8s' type "file MB" "pp t/s" "tg t/s" "${streams} streams t/s" "x one"
[ -n "${LLAMA_BENCH:-}" ] && printf ' %12s %12s %8s %8s' "llama pp" "llama tg" "pp x" "tg x"
printf '\n'
for type in $types; do
  model="$dir/$shape-$type.gguf"
  [ -f "$model" ] || "$bin" model demo --out "$model" --arch "$arch" --shape "$shape" --type "$type" >/dev/null
  json=$("$bin" bench -m "$model" -p "$n_prompt" -n "$n_gen" -t "$threads" -r "$reps" -s "$streams" "${kernels[@]}" --json)
  pp=$(echo "$json" | sed -E 's/.*"pp":\{[^}]*"tokens_per_s":([0-9.]+).*/\1/')
  tg=$(echo "$json" | sed -E 's/.*"tg":\{[^}]*"tokens_per_s":([0-9.]+).*/\1/')
  mb=$(( $(stat -c %s "$model") / 1000000 ))
  st=$(echo "$json" | sed -E 's/.*"streams":\{[^}]*"tokens_per_s":([0-9.]+).*/\1/')
  sx=$(echo "$json" | sed -E 's/.*"streams":\{[^}]*"ratio":([0-9.]+).*/\1/')
  printf '%-8s %10s %12s %12s %14s %8s' "$type" "$mb" "$pp" "$tg" "$st" "$sx"
  if [ -n "${LLAMA_BENCH:-}" ]; then
    out=$("$LLAMA_BENCH" -m "$model" -t "$threads" -p "$n_prompt" -n "$n_gen" -r "$reps" -o csv 2>/dev/null)
    lpp=$(echo "$out" | awk -F, 'NR>1 && $0 ~ /"'"$n_prompt"'","0"/ {gsub(/"/,""); print $(NF-1)}' | tail -1)
    ltg=$(echo "$out" | awk -F, 'NR>1 && $0 ~ /"0","'"$n_gen"'"/ {gsub(/"/,""); print $(NF-1)}' | tail -1)
    printf ' %12s %12s %8s %8s' "$lpp" "$ltg" "$(awk "BEGIN{printf \"%.2f\", $pp/($lpp+1e-9)}")" \
      "$(awk "BEGIN{printf \"%.2f\", $tg/($ltg+1e-9)}")"
  fi
  printf '\n'
done
