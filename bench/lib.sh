# bench/lib.sh — sourced by the benchmarks: a scratch directory, ImageMagick's policy with
# room to work, test images, and timing with GNU time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
blur=${BLUR:-$here/../src/blur}
runs=${BENCH_RUNS:-3}
blurs=${BENCH_BLURS:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/blur-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ImageMagick's Debian policy refuses large images: give a copy room to work.
sed -e 's/\(name="\(memory\|map\|disk\|area\)" value="\)[^"]*"/\116GiB"/' \
    -e 's/\(name="\(width\|height\)" value="\)[^"]*"/\1100KP"/' \
    /etc/ImageMagick-6/policy.xml > "$work/policy.xml"
export MAGICK_CONFIGURE_PATH=$work

# timed FILE COMMAND...: run COMMAND under GNU time, which writes its CPU times (user,
# system) and peak memory to FILE's last line.
timed() {
	local file=$1
	shift
	/usr/bin/time -f "%U %S %M" -o "$file" "$@" > /dev/null 2>&1
}

# record NAME T0 T1 FILE: append "NAME wall user system rss" to $work/raw, the wall time
# from two $EPOCHREALTIME readings and the rest from timed's FILE.
record() {
	echo "$1 $(echo "$3 - $2" | bc) $(tail -n 1 "$4")" >> "$work/raw"
}

# measure NAME COMMAND...: time COMMAND into $work/raw. GNU time gives the CPU times and
# the peak memory; the wall time is taken to the microsecond here, since time's 10 ms
# are a tenth of a 16 MP job.
measure() {
	local name=$1 t0
	shift
	t0=$EPOCHREALTIME
	timed "$work/one" "$@"
	record "$name" "$t0" "$EPOCHREALTIME" "$work/one"
}

# split NAME BLUR IN OUT ARGS...: one job of the binary BLUR with ARGS, the master alone
# and one slave of 2 workers, each timed: NAME:master, NAME:slave and NAME (their sums,
# the larger memory) in $work/raw.
split() {
	local name=$1 bin=$2 in=$3 out=$4 t0 slave
	shift 4
	t0=$EPOCHREALTIME
	timed "$work/slave" "$bin" -slave -j 2 -dir "$work/dir" &
	slave=$!
	timed "$work/master" "$bin" -master "$in" -o "$out" -dir "$work/dir" "$@"
	wait "$slave"
	record "$name" "$t0" "$EPOCHREALTIME" <(paste -d ' ' <(tail -n 1 "$work/master") \
	    <(tail -n 1 "$work/slave") | awk '{ print $1 + $4, $2 + $5, ($3 > $6 ? $3 : $6) }')
	record "$name:master" "$t0" "$EPOCHREALTIME" "$work/master"
	record "$name:slave" "$t0" "$EPOCHREALTIME" "$work/slave"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# summary NAME FIELD: the median of a field of NAME's runs (wall, cpu or rss).
summary() {
	case $2 in
	wall) awk -v t="$1" '$1 == t { print $2 }' "$work/raw" | median ;;
	cpu) awk -v t="$1" '$1 == t { print $3 + $4 }' "$work/raw" | median ;;
	rss) awk -v t="$1" '$1 == t { print int($5 / 1024) }' "$work/raw" | median ;;
	esac
}

# noise_image FILE SIZE: a SIZE×SIZE 8-bit RGB TIFF of Gaussian noise.
noise_image() {
	vips gaussnoise "$work/n.v" "$2" "$2" --mean 128 --sigma 40
	vips bandjoin "$work/n.v $work/n.v $work/n.v" "$work/n3.v"
	vips cast "$work/n3.v" "$1" uchar
	rm -f "$work/n.v" "$work/n3.v"
}

# blur_rows TOOL: TOOL's rows, one per binary of BENCH_BLURS="NAME=PATH ..." (TOOL/NAME),
# or TOOL alone for $blur.
blur_rows() {
	local b
	for b in ${blurs:-""}; do echo "$1${b:+/${b%%=*}}"; done
}

# binary ROW: the blur binary a row of blur_rows runs.
binary() {
	local b name=${1#*/}
	[ "$name" = "$1" ] && { echo "$blur"; return; }
	for b in $blurs; do [ "${b%%=*}" = "$name" ] && echo "${b#*=}"; done
}
