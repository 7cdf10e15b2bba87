#!/usr/bin/env bash
# Usage: run.sh BUILD_DIR CONSUMER_SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 consumer=$2 scratch=$3
rm -rf "$scratch"
prefix="$scratch/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

echo "== find_package(coffer) consumer"
cmake -S "$consumer" -B "$scratch/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/cmake-build" >/dev/null
"$scratch/cmake-build/consumer"
"$scratch/cmake-build/consumer_static"

echo "== pkg-config consumer"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/$(gcc -print-multiarch)/pkgconfig"
c++ -std=c++17 "$consumer/main.cc" -o "$scratch/pc-consumer" \
  $(pkg-config --cflags --libs coffer) -Wl,-rpath,"$(pkg-config --variable=libdir coffer)"
"$scratch/pc-consumer"
