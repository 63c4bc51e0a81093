#!/bin/sh
# Instructions per message of one scenario (see scenario.py), with callgrind:
#   bench/profiles/callgrind.sh SCENARIO [N1 N2] [TAG]
# prints  SCENARIO  (I(N2) - I(N1)) / (N2 - N1)
set -e
s=$1; n1=${2:-1000}; n2=${3:-21000}; tag=${4:-run}
py=${PYTHON:-/work/wt15a/.venv/bin/python}
out=${CGDIR:-/tmp/cg}
mkdir -p "$out"
for n in $n1 $n2; do
  valgrind --tool=callgrind --callgrind-out-file="$out/$tag-$s-$n.out" \
    "$py" bench/profiles/scenario.py "$s" "$n" >/dev/null 2>"$out/$tag-$s-$n.log"
done
i1=$(grep -m1 '^summary:' "$out/$tag-$s-$n1.out" | cut -d' ' -f2)
i2=$(grep -m1 '^summary:' "$out/$tag-$s-$n2.out" | cut -d' ' -f2)
echo "$s $(( (i2 - i1) / (n2 - n1) ))"
