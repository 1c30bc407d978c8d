#!/usr/bin/env bash
# Builds Examples/Consumer — a separate package that depends on TransformerExplorer's library
# products by path, as a user's package would — and runs it in an empty folder: the README's
# library example, exactly as written there (CLITests checks the two texts are the same).
# Passes when it prints the weights and writes attention.png (a PNG file).
#
# The consumer has its own build folder (a package cannot share another's), but it builds only
# the three libraries it uses (TensorCore, Transformer, Figures), not tx or the lessons.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
start=$(date +%s)
swift build --package-path Examples/Consumer
binary="$(swift build --package-path Examples/Consumer --show-bin-path)/Consumer"
folder="$(mktemp -d)"
trap 'rm -rf "$folder"' EXIT
(cd "$folder" && "$binary" > stdout.txt)
if ! grep -q "^Tensor \[4, 4\]$" "$folder/stdout.txt"; then
  echo "consumer: the example printed no weights:" >&2; cat "$folder/stdout.txt" >&2; exit 1
fi
if [ "$(head -c 8 "$folder/attention.png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
  echo "consumer: the example wrote no PNG at attention.png" >&2; exit 1
fi
echo "consumer: the README's library example built and ran in a new package ($(( $(date +%s) - start ))s)"
cd "$root"
