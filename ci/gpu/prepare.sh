#!/usr/bin/env bash
# Run HERE (Debian bookworm with apt), before using a GPU machine: downloads into .debs/ (git-ignored)
# the Debian packages that ci/gpu/run.sh unpacks THERE to build the whole suite against that
# machine's own LibTorch (python3's torch 2.11, CUDA 13), which has a compiler, CMake and ninja but
# no apt and no network. Headers and libraries of every dependency but LibTorch, with the shared
# libraries they load (all but glibc, libstdc++ and libgcc_s): about 25 MB, well inside the 64 MiB
# that travel with the working tree. Idempotent; prints what it fetched and checks that every
# library carried finds the libraries it needs among those carried or glibc's.
#   ci/gpu/prepare.sh            # then: ci/gpu/run.sh OUTDIR [TRAIN_SECONDS] there (ci/gpu/README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
DEBS=${DEBS:-.debs}

# Build-time packages (headers, link symlinks, CMake and pkg-config files, tools), taken as they
# are: their own dependencies are mostly other -dev packages the build does not use.
build_packages=(
  libhdf5-dev zlib1g-dev                                  # dataset and golden-vector files
  libprotobuf-dev protobuf-compiler                       # TFRecord converters (protoc)
  libboost1.74-dev libboost-program-options1.74-dev       # command lines
  libmatio-dev libstb-dev libsqlite3-dev libyaml-cpp-dev
  googletest libbenchmark-dev                             # GoogleTest from source; Google Benchmark
  pkgconf-bin                                             # pkg-config (matio, stb)
)
# Run-time libraries: these and everything they depend on, less the base every Linux has.
runtime_packages=(
  libhdf5-103-1 libprotobuf32 libprotobuf-lite32 libprotoc32 libboost-program-options1.74.0
  libmatio11 libstb0 libsqlite3-0 libyaml-cpp0.7 libbenchmark1debian libpkgconf3 zlib1g
)
base='^(libc6|libgcc-s1|libstdc\+\+6|gcc-12-base|libcrypt1|debconf|perl-base|dpkg)$'

command -v apt-get >/dev/null || { echo "prepare: needs apt-get (Debian bookworm)" >&2; exit 1; }
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances "${runtime_packages[@]}" 2>/dev/null |
          grep -v '^ ' | grep -v '^<' | sort -u | grep -Ev "$base" || true)
if [ -z "$closure" ]; then
  echo "prepare: apt-cache knows none of the packages: run 'apt-get update' first" >&2
  exit 1
fi
mapfile -t wanted < <(printf '%s\n' "${build_packages[@]}" $closure | sort -u)

mkdir -p "$DEBS"
# Drop .debs of packages no longer wanted or of other versions (an apt update may bring new ones).
declare -A keep=()
for p in "${wanted[@]}"; do
  v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
  v=${v//:/%3a}
  keep["${p}_${v}_amd64.deb"]=1 keep["${p}_${v}_all.deb"]=1
done
for f in "$DEBS"/*.deb; do
  [ -e "$f" ] || continue
  [ -n "${keep[$(basename "$f")]:-}" ] || rm -f "$f"
done
missing=()
for p in "${wanted[@]}"; do
  compgen -G "$DEBS/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sandbox=()
  [ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)  # root writes .debs/ itself
  (cd "$DEBS" && apt-get download -q "${sandbox[@]}" "${missing[@]}" >/dev/null)
fi
echo "prepare: ${#wanted[@]} packages in $DEBS ($(du -sh "$DEBS" | cut -f1)), ${#missing[@]} downloaded now"

# Check: unpacked, every shared library and program carried finds its libraries among the carried
# ones and glibc's, libstdc++ and libgcc_s (assumed present on the GPU machine).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$DEBS"/*.deb; do dpkg-deb -x "$f" "$tmp"; done
have=$(find "$tmp" -name 'lib*.so*' -printf '%f\n' | sort -u)
assumed='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so'
bad=0
while IFS= read -r obj; do
  file -L "$obj" 2>/dev/null | grep -q 'ELF 64-bit' || continue
  for need in $(readelf -d "$obj" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    if ! grep -qxF "$need" <<<"$have" && ! grep -Eq "$assumed" <<<"$need"; then
      echo "prepare: ${obj#"$tmp"} needs $need, which is not carried" >&2
      bad=1
    fi
  done
done < <(find "$tmp" -type f \( -name 'lib*.so*' -o -path '*/bin/*' \))
[ "$bad" = 0 ] || exit 1
echo "prepare: every carried library finds its dependencies; carry '$DEBS' to the GPU machine"
