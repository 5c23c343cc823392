# lib.sh — sourced by the end-to-end tests: a private DIR, test images, ImageMagick
# references and TAP reporting (a plan, then "ok N - ..." lines) that ends in "N passed, N failed".
set -u
: "${BLUR:?set BLUR to the blur binary}" "${PIXDIFF:?set PIXDIFF to tests/pixdiff}"

T=$(mktemp -d "${TMPDIR:-/tmp}/blur-test.XXXXXX")
export BLUR_DIR="$T/dir"
passed=0
failed=0

cleanup() {
	for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ImageMagick's Debian policy refuses large images: use a copy with room to work.
sed -e 's/\(name="\(memory\|map\|disk\|area\)" value="\)[^"]*"/\18GiB"/' \
    -e 's/\(name="\(width\|height\)" value="\)[^"]*"/\1100KP"/' \
    /etc/ImageMagick-6/policy.xml > "$T/policy.xml"
export MAGICK_CONFIGURE_PATH="$T"

# The format of data.dat and progress this blur reads and writes (protocol.h).
PROTOCOL=$(sed -n 's/^#define PROTOCOL_VERSION[ 	]*//p' "${SRCDIR:-.}/src/protocol.h")

ok() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok $((passed + failed)) - $*"; }

# plan N: the suite runs N checks (printed as a TAP plan); finish fails on any other count,
# so that a check lost in a subshell or skipped by a broken loop is noticed.
planned=
plan() { planned=$1; echo "1..$1"; }

# skip_all REASON: the suite cannot run here; automake reports it as SKIP.
skip_all() { echo "1..0 # SKIP $*"; echo "$*" >&2; exit 77; }

# check DESCRIPTION 'COMMAND': one check, passing when COMMAND succeeds. COMMAND is one
# string, evaluated here, so that its pipes and redirections belong to the check.
check() {
	[ $# -eq 2 ] || { not_ok "$1: check takes one command string, not $(($# - 1)) words"; return; }
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

finish() {
	echo "$passed passed, $failed failed"
	if [ -n "$planned" ] && [ $((passed + failed)) -ne "$planned" ]; then
		echo "# planned $planned checks, ran $((passed + failed))"
		return 1
	fi
	[ -n "$planned" ] && [ "$failed" -eq 0 ]
}

# blur ARGS...: run blur, never for more than two minutes.
blur() { timeout -k 10 120 "$BLUR" "$@"; }

# run IN OUT [ARGS...]: blur IN into OUT with two local slaves and blocks of $RUN_ROWS
# rows, quietly; $st is its status, its errors in $T/run.err, shown as comments.
run() {
	run_in=$1 run_out=$2
	shift 2
	rm -f "$run_out"
	blur -master "$run_in" -o "$run_out" -slaves 2 -rows "$RUN_ROWS" -q "$@" 2> "$T/run.err"
	st=$?
	sed 's/^/# /' "$T/run.err"
}

# dir_empty [DIR]: the shared directory holds nothing (or does not exist).
dir_empty() {
	d=${1:-$BLUR_DIR}
	[ ! -e "$d" ] || [ -z "$(ls -A "$d")" ] || { echo "# left in $d:" $(ls -A "$d"); return 1; }
}

# wait_for_claim: until some block is claimed and not done.
wait_for_claim() {
	for i in $(seq 1 500); do
		for b in "$BLUR_DIR"/block.*; do
			[ -d "$b" ] && [ ! -e "$b/done" ] && return 0
		done
		sleep 0.01
	done
	return 1
}

# wait_for FILE: until FILE exists.
wait_for() {
	for i in $(seq 1 500); do [ -e "$1" ] && return 0; sleep 0.01; done
	return 1
}

# finishes SEC PID: PID's exit status if it ends within SEC seconds; else it is killed
# and the status is 1, so that a hung master or slave fails its check, not the suite.
finishes() {
	for i in $(seq 1 $(($1 * 10))); do
		kill -0 "$2" 2>/dev/null || { wait "$2"; return; }
		sleep 0.1
	done
	kill -9 "$2" 2>/dev/null
	wait "$2" 2>/dev/null
	return 1
}

# pixels PIXDIFF-ARGS...: tests/pixdiff on two TIFFs, its finding shown.
pixels() {
	pixels_said=$("$PIXDIFF" "$@")
	pixels_st=$?
	echo "# $pixels_said"
	return $pixels_st
}

# make_image FILE KIND WxH SEED: a test image. KIND is gray, graya, rgb or rgba, then 8 or 16.
make_image() {
	file=$1 kind=$2 size=$3 seed=$4
	case $kind in
	gray*) colour="-colorspace gray" ;;
	*) colour="" ;;
	esac
	case $kind in
	*a8|*a16)
		convert -seed "$seed" -size "$size" plasma:fractal $colour \
		    \( -size "$size" radial-gradient: -seed $((seed + 1)) +noise Uniform \) \
		    -alpha off -compose copy_opacity -composite \
		    -depth "${kind##*[a-z]}" -compress none "$file" ;;
	*)
		convert -seed "$seed" -size "$size" plasma:fractal $colour -alpha off \
		    -depth "${kind##*[a-z]}" -compress none "$file" ;;
	esac
}

# same_pixels OUT REF DEPTH TOLERANCE: every sample of OUT within TOLERANCE of REF (their
# first images: overviews follow).
same_pixels() {
	convert "$1[0]" -depth "$3" -endian msb rgba:"$T/a.raw" &&
	convert "$2[0]" -depth "$3" -endian msb rgba:"$T/b.raw" &&
	echo "# $("$PIXDIFF" "$T/a.raw" "$T/b.raw" "$3" "$4")" &&
	"$PIXDIFF" "$T/a.raw" "$T/b.raw" "$3" "$4" >/dev/null
}

# im_blur IN OUT FILTER RADIUS SIGMA: ImageMagick's version of the same blur.
im_blur() {
	if [ "$3" = box ]; then
		convert "$1" -define convolve:scale=! -morphology Convolve "Square:$4" "$2"
	else
		convert "$1" -blur "$4x$5" "$2"
	fi
}

# only_lines FILE GREP-PATTERNS...: FILE exists and each of its lines matches one of the
# patterns (given as to grep: -e P ...); the others are shown as comments. A missing
# file fails, where `! grep -v` would pass.
only_lines() {
	f=$1; shift
	[ -r "$f" ] || { echo "# $f: missing"; return 1; }
	grep -v "$@" "$f" > "$T/only_lines"
	case $? in
	1) return 0 ;;
	0) sed 's/^/# unexpected: /' "$T/only_lines"; return 1 ;;
	*) return 1 ;;
	esac
}

# tag FILE NAME: a field of tiffinfo's report, e.g. tag f.tif "Samples/Pixel"; the status
# is tiffinfo's, so that `v=$(tag ...) &&` sees a file it cannot read.
tag() {
	_tag=$(tiffinfo "$1" 2>/dev/null)
	_tag_st=$?
	printf '%s\n' "$_tag" | sed -n "s|^ *$2: *||p" | head -n 1
	return $_tag_st
}
