#!/usr/bin/env bash
# After `pytest --cov` (make test): print branch coverage overall and for domain/ (the least-covered domain files
# first) and fail when domain/ is below 90 % (issue 11 §8).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
COV=.venv/bin/coverage
total=$($COV report --format=total)
domain=$($COV report --include='domain/*' --format=total)
echo "branch coverage: ${total}% overall, domain/ ${domain}% (required: 90%)"
$COV report --include='domain/*' --skip-covered --skip-empty --sort=cover > var/coverage-domain.txt || true
head -n 14 var/coverage-domain.txt
$COV report --include='domain/*' --fail-under=90 >/dev/null || { echo "domain/ coverage ${domain}% is below 90%"; exit 1; }
