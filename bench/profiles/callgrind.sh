#!/bin/sh
# Instructions per message of one scenario (see scenario.py), with callgrind:
#   bench/profiles/callgrind.sh SCENARIO [N1 N2] [TAG]
# prints  SCENARIO  (I(N2) - I(N1)) / (N2 - N1)
# WINDOW=1 (the router scenarios, which mark their timed loop: scenario.py)
# counts only that loop, and prints  SCENARIO  (W(N2) - W(N1)) / (N2 - N1)
# W(N1)/N1 W(N2)/N2: a window's per-message figure includes the reads.
# CGOPTS adds callgrind options (e.g. "--cache-sim=yes --LL=1048576,16,64").
set -e
s=$1; n1=${2:-1000}; n2=${3:-21000}; tag=${4:-run}
py=${PYTHON:-/work/wt15a/.venv/bin/python}
out=${CGDIR:-/tmp/cg}
mkdir -p "$out"
window=""; part=""
if [ "${WINDOW:-0}" = 1 ]; then
  window="--zero-before=math_gcd --dump-before=math_lcm"; part=".1"
fi
for n in $n1 $n2; do
  # shellcheck disable=SC2086
  valgrind --tool=callgrind $window ${CGOPTS:-} --callgrind-out-file="$out/$tag-$s-$n.out" \
    "$py" bench/profiles/scenario.py "$s" "$n" >/dev/null 2>"$out/$tag-$s-$n.log"
done
i1=$(grep -m1 '^summary:' "$out/$tag-$s-$n1.out$part" | cut -d' ' -f2)
i2=$(grep -m1 '^summary:' "$out/$tag-$s-$n2.out$part" | cut -d' ' -f2)
if [ -n "$part" ]; then
  echo "$s $(( (i2 - i1) / (n2 - n1) )) $(( i1 / n1 )) $(( i2 / n2 ))"
else
  echo "$s $(( (i2 - i1) / (n2 - n1) ))"
fi
