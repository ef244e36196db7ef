#!/usr/bin/env bash
# Installs Tessera into a temporary prefix, builds examples/acme-provider out of tree with
# find_package(tessera), and checks that the installed host loads it, from --plugin-dir and
# once installed into the prefix's provider directory.
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "install"; }
for f in bin/tessera lib/libtessera_sdk.so lib/libtessera_core.so lib/tessera/providers/tessera_provider_github.so \
         lib/cmake/tessera/tesseraConfig.cmake lib/cmake/tessera/TesseraProvider.cmake include/tessera/sdk/plugin.hpp; do
  [[ -e $prefix/$f ]] || fail "install did not create $f"
done

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Plugins must be built with Tessera's compiler; use the one of the build under test.
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
[[ -n $compiler ]] && launcher+=(-DCMAKE_CXX_COMPILER="$compiler")
# A sanitized Tessera needs sanitized programs around it (the runtime must come first).
if grep -q '^TESSERA_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  launcher+=(-DCMAKE_CXX_FLAGS="-fsanitize=address,undefined" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined")
fi
cmake -S "$src/examples/acme-provider" -B "$work/acme" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" > "$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; fail "configure of the example"; }
cmake --build "$work/acme" > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build of the example"; }
[[ -f $work/acme/tessera_provider_acme.so ]] || fail "no tessera_provider_acme.so"

# Another compiler family is refused when the plugin is configured, not when it is loaded.
if "$compiler" --version | head -n 1 | grep -q clang; then other=g++; else other=clang++; fi
if command -v "$other" > /dev/null; then
  if cmake -S "$src/examples/acme-provider" -B "$work/acme-other" -DCMAKE_PREFIX_PATH="$prefix" \
       -DCMAKE_CXX_COMPILER="$other" > "$work/other.log" 2>&1; then
    fail "configuring a plugin with $other against a Tessera built with $compiler succeeded"
  fi
  tr -s " \n" " " < "$work/other.log" | grep -q "same compiler family" || { cat "$work/other.log"; fail "no clear message about the compiler"; }
fi

# The installed host, pointed at the build directory.
out=$(env -u TESSERA_PLUGIN_PATH "$prefix/bin/tessera" --plugin-dir "$work/acme" plugins list --json)
grep -q '"status": "loaded"' <<<"$out" || { echo "$out"; fail "the example plugin did not load"; }
grep -q '"plugin": "acme"' <<<"$out" || { echo "$out"; fail "wrong plugin name"; }
out=$(env -u TESSERA_PLUGIN_PATH "$prefix/bin/tessera" --plugin-dir "$work/acme" providers show acme --json)
grep -q '"audience"\|"token": "https://{domain}.acme.example.com/oauth2/token"' <<<"$out" || { echo "$out"; fail "acme spec"; }

# The installed host finds its own built-in plugins by default...
out=$(env -u TESSERA_PLUGIN_PATH "$prefix/bin/tessera" providers list)
grep -q '^github ' <<<"$out" || { echo "$out"; fail "installed host does not see its built-in plugins"; }
# ...and the example once it is installed beside them.
cmake --install "$work/acme" > /dev/null
out=$(env -u TESSERA_PLUGIN_PATH "$prefix/bin/tessera" providers list --json)
grep -q '"id": "acme"' <<<"$out" || fail "installed example plugin not picked up"

# A host application embedding tessera::core from the installed package.
cmake -S "$src/examples/embed" -B "$work/embed" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_RPATH="$prefix/lib" -DCMAKE_BUILD_RPATH="$prefix/lib" "${launcher[@]}" > "$work/embed.log" 2>&1 \
  || { cat "$work/embed.log"; fail "configure of the embedding example"; }
cmake --build "$work/embed" >> "$work/embed.log" 2>&1 || { cat "$work/embed.log"; fail "build of the embedding example"; }
out=$(env -u TESSERA_PLUGIN_PATH "$work/embed/embed_example")
grep -q '^github (authorization_code)$' <<<"$out" || { echo "$out"; fail "the embedding example does not see the plugins"; }
grep -q '^acme (client_credentials)$' <<<"$out" || { echo "$out"; fail "the embedding example misses the installed example plugin"; }
echo "out-of-tree plugin and embedding application: built against the installed package and run"
