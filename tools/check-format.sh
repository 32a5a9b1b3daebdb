#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks that every C file of the project is formatted as .clang-format says; lists the files
# that are not, with the first lines clang-format would change. Exit 0 clean, 1 not, 77 when
# clang-format is missing (a skip; run-all.sh --setup installs it and fails on skips).
#
#   tools/check-format.sh          check
#   tools/check-format.sh --fix    reformat the files in place
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null || { echo "check-format: clang-format not installed" >&2; exit 77; }
fix=0
[ "${1:-}" = --fix ] && fix=1
bad=0
while IFS= read -r f; do
	if [ "$fix" = 1 ]; then
		clang-format -i "$f"
	elif ! out=$(clang-format "$f" | diff -u "$f" - 2>&1); then
		echo "check-format: $f is not formatted (clang-format -i $f):"
		echo "$out" | sed -n '3,12p'
		bad=$((bad + 1))
	fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name build\* -prune -o -name '*.[ch]' -print)
[ "$fix" = 1 ] && exit 0
echo "check-format: $bad file(s) not formatted"
[ "$bad" -eq 0 ]
