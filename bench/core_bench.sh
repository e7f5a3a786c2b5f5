#!/usr/bin/env bash
# Core bench: prefill (pp) and decode (tg) tokens/s of deepgate on random-weight models with
# Qwen2-0.5B shapes, side by side with llama.cpp and ik_llama.cpp on the same files, in the
# same minutes: every round runs each engine once per (type, threads, kernel set), rounds
# interleave, and the summary gives the best of the rounds with the range and the ratios.
# The project never builds or vendors the competitors; point these at their binaries:
#   LLAMA_BENCH=.../llama.cpp/bin/llama-bench               pp/tg of llama.cpp
#   LLAMA_BATCHED_BENCH=.../llama.cpp/bin/llama-batched-bench   N parallel sequences (-s)
#   IK_LLAMA_BENCH=.../ik_llama.cpp/bin/llama-bench          pp/tg of ik_llama.cpp, with -rtr 1
#
#   bench/core_bench.sh [-t "1 2"] [-p 512] [-n 128] [-r 1] [--rounds 3] [-s 8] [-k "avx2 avx512"]
#                       [--types "f16 bf16 q8_0 q4_0 q4_k_m q5_k_m q6_k"] [--contend N]
#                       [--arch qwen2 --shape qwen2-0.5b | --arch deepseek2 --shape v2-lite]
# -k: deepgate kernel sets to run ("" = the best this CPU runs). For -k avx2 llama.cpp runs
#     with only its AVX2 (haswell) CPU variant present, so both sides use AVX2; ik_llama.cpp
#     (an AVX-512-only build) runs beside the other sets only.
# -s N: N streams of n tokens through deepgate's batching engine against one stream, and
#     llama-batched-bench at 1 and N parallel sequences (n prompt / n generated tokens each).
# --contend N: N `nice -n 10` busy loops run on the host for the whole bench (stopped on exit),
#     the "competing load" column of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
threads="2" n_prompt=512 n_gen=128 reps=1 rounds=3 types="f16 bf16 q8_0 q4_0 q4_k_m q5_k_m q6_k"
streams=8 ksets="" contend=0 arch=qwen2 shape=qwen2-0.5b
while [ $# -gt 0 ]; do
  case "$1" in
    -t) threads=$2; shift 2 ;;
    -p) n_prompt=$2; shift 2 ;;
    -n) n_gen=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --types) types=$2; shift 2 ;;
    -s) streams=$2; shift 2 ;;
    -k) ksets=$2; shift 2 ;;
    --contend) contend=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --shape) shape=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin=build/bin/deepgate
[ -x "$bin" ] || { echo "build first: ./test.sh or cmake --build build" >&2; exit 1; }
dir=${BENCH_MODEL_DIR:-/tmp/deepgate-bench-models}
mkdir -p "$dir"
work=$(mktemp -d)
loops=()
cleanup() {
  for p in "${loops[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "$ksets" ] || ksets=best

# llama.cpp restricted to its AVX2 variant: a copy of its bin/ without the AVX-512 and
# AVX-VNNI CPU libraries (it loads the best library found next to the executable).
llama_for() {  # kernel set -> llama-bench path
  local src=$1 kset=$2
  if [ "$kset" != avx2 ]; then echo "$src"; return; fi
  local d="$work/llama-avx2-$(basename "$src")"
  if [ ! -d "$d" ]; then
    mkdir -p "$d"
    for f in "$(dirname "$src")"/*; do
      case "$(basename "$f")" in libggml-cpu-*) ;; *) cp "$f" "$d/" ;; esac
    done
    cp "$(dirname "$src")/libggml-cpu-haswell.so" "$d/"
  fi
  echo "$d/$(basename "$src")"
}

field() {  # json section key -> number
  echo "$1" | sed -E 's/.*"'"$2"'":\{[^}]*"'"$3"'":([0-9.]+).*/\1/'
}

run_llama() {  # binary model threads [extra...] -> "pp tg"
  local b=$1 m=$2 t=$3
  shift 3
  "$b" -m "$m" -t "$t" -p "$n_prompt" -n "$n_gen" -r "$reps" -o csv "$@" 2>/dev/null |
    awk -F, -v p="$n_prompt" -v n="$n_gen" '
      # Columns counted from the end: ik_llama.cpp quotes fields that hold commas ("-1,0").
      NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); back[$i] = NF - i }; next }
      { gsub(/"/, ""); np = $(NF - back["n_prompt"]); ng = $(NF - back["n_gen"]); ts = $(NF - back["avg_ts"])
        if (np == p && ng == 0) pp = ts
        if (np == 0 && ng == n) tg = ts }
      END { printf "%s %s\n", (pp == "" ? "-" : pp), (tg == "" ? "-" : tg) }'
}

run_batched() {  # model threads -> "tg@1 tg@N" (S_TG t/s)
  "$LLAMA_BATCHED_BENCH" -m "$1" -t "$2" -c 4096 -b 2048 -ub 512 -npp "$n_gen" -ntg "$n_gen" \
    -npl "1,$streams" 2>/dev/null |
    awk -F'|' '$2 ~ /^ *[0-9]+ *$/ { gsub(/ /, ""); tg[$4] = $9 } END { printf "%s %s\n", tg[1], tg['"$streams"'] }'
}

for i in $(seq 1 "$contend"); do
  nice -n 10 bash -c 'while :; do :; done' &
  loops+=($!)
done

raw="$work/raw"
: >"$raw"
echo "# $(date -u +%FT%TZ) host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); contend=$contend"
echo "# raw figures (t/s), one line per engine and round"
for round in $(seq 1 "$rounds"); do
  for type in $types; do
    model="$dir/$shape-$type.gguf"
    [ -f "$model" ] || "$bin" model demo --out "$model" --arch "$arch" --shape "$shape" --type "$type" >/dev/null
    for t in $threads; do
      for k in $ksets; do
        kflag=()
        [ "$k" = best ] || kflag=(-k "$k")
        s=0
        [ "$t" = "${threads##* }" ] && [ "$k" = "${ksets##* }" ] && s=$streams  # streams once per type
        json=$("$bin" bench -m "$model" -p "$n_prompt" -n "$n_gen" -t "$t" -r "$reps" -s "$s" "${kflag[@]}" --json)
        line="deepgate $type $t $k $(field "$json" pp tokens_per_s) $(field "$json" tg tokens_per_s)"
        echo "$line" | tee -a "$raw"
        if [ "$s" -gt 0 ]; then
          line="dg-streams $type $t $k $(field "$json" streams single_tokens_per_s) $(field "$json" streams tokens_per_s)"
          echo "$line" | tee -a "$raw"
        fi
        if [ -n "${LLAMA_BENCH:-}" ]; then
          echo "llama $type $t $k $(run_llama "$(llama_for "$LLAMA_BENCH" "$k")" "$model" "$t")" | tee -a "$raw"
        fi
        if [ -n "${IK_LLAMA_BENCH:-}" ] && [ "$k" != avx2 ]; then
          echo "ik $type $t $k $(run_llama "$IK_LLAMA_BENCH" "$model" "$t" -rtr 1)" | tee -a "$raw"
        fi
        if [ "$s" -gt 0 ] && [ -n "${LLAMA_BATCHED_BENCH:-}" ]; then
          echo "llama-batched $type $t $k $(run_batched "$model" "$t")" | tee -a "$raw"
        fi
      done
    done
  done
done

# Summary: best of the rounds (min-max), ratios of the bests.
echo
awk -v streams="$streams" '
  function upd(key, v) { if (v == "-" || v == "") return; v += 0
    if (!(key in best) || v > best[key]) best[key] = v
    if (!(key in lo) || v < lo[key]) lo[key] = v }
  function cell(key) { if (!(key in best)) return "-"
    return (lo[key] == best[key]) ? sprintf("%.1f", best[key]) : sprintf("%.1f (%.1f-%.1f)", best[key], lo[key], best[key]) }
  function ratio(a, b) { return (a in best) && (b in best) && best[b] > 0 ? sprintf("%.2f", best[a] / best[b]) : "-" }
  { id = $2 SUBSEP $3 SUBSEP $4; if (!(id in seen)) { seen[id] = 1; order[n++] = id }
    if ($1 == "dg-streams") streamed = 1
    upd($1 SUBSEP "a" SUBSEP id, $5); upd($1 SUBSEP "b" SUBSEP id, $6) }
  END {
    print "| type | t | kernels | deepgate pp | deepgate tg | llama.cpp pp | llama.cpp tg | pp ÷ llama | tg ÷ llama | ik pp (-rtr 1) | ik tg | pp ÷ ik | tg ÷ ik |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (i = 0; i < n; i++) { id = order[i]; split(id, f, SUBSEP)
      d = "deepgate" SUBSEP; l = "llama" SUBSEP; k = "ik" SUBSEP
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3],
        cell(d "a" SUBSEP id), cell(d "b" SUBSEP id), cell(l "a" SUBSEP id), cell(l "b" SUBSEP id),
        ratio(d "a" SUBSEP id, l "a" SUBSEP id), ratio(d "b" SUBSEP id, l "b" SUBSEP id),
        cell(k "a" SUBSEP id), cell(k "b" SUBSEP id), ratio(d "a" SUBSEP id, k "a" SUBSEP id), ratio(d "b" SUBSEP id, k "b" SUBSEP id) }
    if (!streamed) exit
    print ""
    print "| type | t | kernels | deepgate 1 stream | deepgate " streams " streams | " streams " ÷ 1 | llama-batched 1 | llama-batched " streams " | " streams " streams ÷ llama |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 0; i < n; i++) { id = order[i]; split(id, f, SUBSEP); s = "dg-streams" SUBSEP; lb = "llama-batched" SUBSEP
      if (!((s "a" SUBSEP id) in best)) continue
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], cell(s "a" SUBSEP id), cell(s "b" SUBSEP id),
        ratio(s "b" SUBSEP id, s "a" SUBSEP id), cell(lb "a" SUBSEP id), cell(lb "b" SUBSEP id), ratio(s "b" SUBSEP id, lb "b" SUBSEP id) }
  }' "$raw"
