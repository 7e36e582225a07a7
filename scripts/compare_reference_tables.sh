#!/usr/bin/env bash
# Reruns a reference study into a scratch folder and compares every committed CSV of
# results/<study>/ with the rerun's, byte for byte: the check that a refactoring left the numbers
# alone. The committed references were made with Debian's LibTorch 1.13 (scripts/setup.sh
# --system-torch, BUILD_DIR=build-system-torch); training stages match only on that build, the
# stages that read the cache (attention patterns, dependency and coreference heads, head clusters,
# confusion scores) on any build that reuses the same cache entries.
#
#   scripts/compare_reference_tables.sh STUDY [BINARY] [-- extra bertology arguments]
#   BINARY=build-system-torch/bertology scripts/compare_reference_tables.sh lin2019
#   scripts/compare_reference_tables.sh si2019 build/bertology -- --set 'mcrc.unanswerable=[]'
#
# Exit status: 0 when every committed CSV the rerun wrote is identical, 1 otherwise. Tables the
# rerun did not write (stages left out with --set stages=...) are listed as "not rerun".
set -uo pipefail
cd "$(dirname "$0")/.."
study=${1:?usage: compare_reference_tables.sh STUDY [BINARY] [-- args]}; shift
binary=${BINARY:-build/bertology}
if [[ $# -gt 0 && $1 != -- ]]; then binary=$1; shift; fi
[[ ${1:-} == -- ]] && shift
out=$(mktemp -d "/tmp/reference-$study.XXXXXX")
"$binary" run "configs/studies/$study.yaml" --set "study.output_dir=$out" "$@" > "$out/run.log" 2>&1 ||
  { echo "compare_reference_tables: the run failed, see $out/run.log" >&2; exit 1; }
same=0; differ=0; absent=0
while IFS= read -r f; do
  if [[ ! -f $out/$f ]]; then echo "not rerun $f"; absent=$((absent + 1))
  elif cmp -s "results/$study/$f" "$out/$f"; then same=$((same + 1))
  else echo "DIFFERS   $f"; differ=$((differ + 1)); fi
done < <(cd "results/$study" && find . -name '*.csv' | sed 's|^\./||' | sort)
echo "$study: $same identical, $differ differ, $absent not rerun ($out)"
[[ $differ -eq 0 ]]
