#!/usr/bin/env bash
# The SDK header hash in sdk/abi.lock: it passes as checked in, fails when a header changes
# without a version bump, ignores comment-only edits, and asks for a new lock after a bump.
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# CMake wraps long messages; join the lines so the checks below can grep phrases.
check() {
  local rc=0
  cmake -DTESSERA_SOURCE_DIR="$work/t" -P "$work/t/cmake/SdkHeaderHash.cmake" > "$work/raw" 2>&1 || rc=$?
  tr -s ' \n' ' ' < "$work/raw" > "$work/out"
  return $rc
}

reset() {
  rm -rf "$work/t"
  mkdir -p "$work/t"
  cp -r "$src/sdk" "$src/cmake" "$work/t/"
}

reset
check || { cat "$work/out"; fail "the checked-in lock does not match the headers"; }

echo "// a comment changes nothing" >> "$work/t/sdk/include/tessera/sdk/spec.hpp"
check || { cat "$work/out"; fail "a comment-only edit was treated as an ABI change"; }

reset
echo "namespace tessera::sdk { struct Added {}; }" >> "$work/t/sdk/include/tessera/sdk/spec.hpp"
if check; then fail "a header change without a version bump passed"; fi
grep -q "Bump" "$work/out" || { cat "$work/out"; fail "message does not ask for a bump"; }

sed -i 's/#define TESSERA_SDK_VERSION_MINOR \([0-9]*\)/#define TESSERA_SDK_VERSION_MINOR 99/' \
  "$work/t/sdk/include/tessera/sdk/version.hpp"
if check; then fail "a bumped version passed without a new lock"; fi
grep -q "make sdk-lock" "$work/out" || { cat "$work/out"; fail "message does not say how to record the lock"; }

cmake -DTESSERA_SOURCE_DIR="$work/t" -DUPDATE=ON -P "$work/t/cmake/SdkHeaderHash.cmake" > /dev/null
check || { cat "$work/out"; fail "a recorded lock does not pass"; }
echo "sdk header hash: all cases behave"
