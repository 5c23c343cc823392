#!/bin/sh
# lifecycle.sh — a job's edges: tiny jobs back to back, the output's name and mode, a
# master killed while it starts, causes that reach the operator.
. "$TESTLIB"

ROUNDS=20
plan $((5 + 5 + 4 * 3 + 4 + 2 + 3 + 4 + 2))

convert -size 1x1 xc:gray -depth 8 -compress none "$T/one.tif"

# gone_within SEC PID: PID has exited within SEC seconds; else it is killed.
gone_within() {
	for i in $(seq 1 $(($1 * 10))); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$2" 2>/dev/null
	return 1
}

# wait_started DIR LOG: until a slave started with -v says how it watches DIR (it looks next).
wait_started() {
	for i in $(seq 1 200); do grep -q ": $1: " "$2" 2>/dev/null && return 0; sleep 0.01; done
	return 1
}

# --- tiny jobs: two slaves started first, then a master on a 1x1 image (one block, a few
# ms). The slaves cannot both work on it: one does the block, and the other may not see
# the job before it has gone, and must leave all the same. B looks only every second,
# so that the job falls between two of its looks; odd rounds have no DIR when the slaves
# start (the master creates it), even ones an empty DIR left by the round before.
masters_failed= hung= nonzero= unfinished= left=
for round in $(seq 1 $ROUNDS); do
	dir=$T/tiny$(( (round + 1) / 2 ))
	rm -f "$T"/tiny.*
	"$BLUR" -slave -dir "$dir" -v > "$T/tiny.a.out" 2> "$T/tiny.a.err" &
	a=$!
	"$BLUR" -slave -dir "$dir" -v -poll 1000 > "$T/tiny.b.out" 2> "$T/tiny.b.err" &
	b=$!
	if [ $((round % 2)) -eq 1 ]; then
		sleep 0.3	# both are waiting for DIR to exist
	else
		wait_started "$dir" "$T/tiny.a.err"; wait_started "$dir" "$T/tiny.b.err"
	fi
	blur -master "$T/one.tif" -o "$T/tiny.tif" -dir "$dir" -q || masters_failed="$masters_failed $round"
	for s in a b; do
		eval pid=\$$s
		gone_within 6 "$pid" || hung="$hung $round$s"
		wait "$pid" || nonzero="$nonzero $round$s"
		grep -q "^Finished: [01] blocks\$" "$T/tiny.$s.out" || unfinished="$unfinished $round$s"
	done
	dir_empty "$dir" > /dev/null || left="$left $round"
done
check "tiny jobs: every master succeeded (failed:${masters_failed:- none})" '[ -z "$masters_failed" ]'
check "tiny jobs: every slave left within 6 s of its master (not:${hung:- none})" '[ -z "$hung" ]'
check "tiny jobs: every slave exited 0 (not:${nonzero:- none})" '[ -z "$nonzero" ]'
check "tiny jobs: every slave said Finished (not:${unfinished:- none})" '[ -z "$unfinished" ]'
check "tiny jobs: DIR empty after each (not:${left:- none})" '[ -z "$left" ]'

# --- a claim that fails with ENOENT, as when DIR is removed between a slave's look at
# `working` and its mkdir: the job is over for that slave, which leaves as from any other.
# A preloaded mkdirat fails every claim so, and notes each.
cat > "$T/noent.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
mkdirat(int fd, const char *path, mode_t mode)
{
	int	(*real)(int, const char *, mode_t);
	FILE	*log;

	if (strncmp(path, "block.", 6) != 0) {
		real = (int (*)(int, const char *, mode_t))dlsym(RTLD_NEXT, "mkdirat");
		return real(fd, path, mode);
	}
	if ((log = fopen(getenv("NOENT_LOG"), "a")) != NULL) {
		fprintf(log, "%s\n", path);
		fclose(log);
	}
	errno = ENOENT;
	return -1;
}
EOF
make_image "$T/s.tif" rgb8 400x300 3
dir=$T/noent st= slave_st=
mkdir -m 700 "$dir"
if ${CC:-cc} -shared -fPIC -o "$T/noent.so" "$T/noent.c" -ldl; then
	# An AddressSanitizer build wants its runtime first; the preloaded library is not it.
	NOENT_LOG=$T/noent.log LD_PRELOAD=$T/noent.so \
	    ASAN_OPTIONS=verify_asan_link_order=0:${ASAN_OPTIONS:-} \
	    "$BLUR" -slave -dir "$dir" -v > "$T/noent.out" 2> "$T/noent.err" &
	slave=$!
	wait_started "$dir" "$T/noent.err"
	blur -master "$T/s.tif" -o "$T/noent.tif" -dir "$dir" -rows 10 -slaves 1 -q
	st=$?
	gone_within 6 $slave
	wait $slave
	slave_st=$?
fi
check "claim failing with ENOENT: the job is done by the others" '[ "$st" = 0 ] && [ -f "$T/noent.tif" ]'
check "claim failing with ENOENT: the slave did try to claim" '[ -s "$T/noent.log" ]'
check "claim failing with ENOENT: the slave exits 0" '[ "$slave_st" = 0 ]'
check "claim failing with ENOENT: and says Finished" 'grep -q "^Finished: 0 blocks$" "$T/noent.out"'
check "claim failing with ENOENT: no error, no (null)" '! grep -v ": inotify (\|: polling every" "$T/noent.err"'

# --- the output's name: blur writes TIFF, so a name that says another format is a usage
# error, refused before anything is done (no output, no partial, no DIR). No extension
# says no format, and is taken.
mkdir "$T/names" "$T/in"
cp "$T/s.tif" "$T/in/s.dat"
# refused WHAT OUT ARGS...: blur -master ARGS must refuse OUT, naming it, and leave nothing.
refused() {
	what=$1 out=$2
	shift 2
	blur -master "$@" -dir "$T/names.dir" -slaves 1 > /dev/null 2> "$T/names.err"
	st=$?
	check "$what: exit 2" '[ $st -eq 2 ]'
	check "$what: one line naming it and saying blur writes TIFF" '[ "$(grep -c "^blur: " "$T/names.err")" -eq 1 ] && grep -q "^blur: $out: blur writes TIFF only" "$T/names.err"'
	check "$what: nothing created" '[ -z "$(ls -A "$T/names")" ] && [ "$(ls -A "$T/in")" = s.dat ] && [ ! -e "$T/names.dir" ]'
}
for name in out.png out.JPG out.tif.gz; do
	refused "-o $name" "$T/names/$name" "$T/s.tif" -o "$T/names/$name"
done
refused "the default output of s.dat" "$T/in/s-blur.dat" "$T/in/s.dat"
for name in out.tif OUT.TIFF out.Tif out; do
	check "-o $name: written, as TIFF" 'blur -master "$T/s.tif" -o "$T/names/$name" -dir "$T/names.dir" -slaves 1 -q && tiffinfo "$T/names/$name" > /dev/null 2>&1'
done

# --- the output's mode is a new file's, 0666 less the umask, as with cp, convert or vips
for mask in 022 077; do
	(umask $mask && blur -master "$T/s.tif" -o "$T/mode$mask.tif" -slaves 1 -q &&
	    touch "$T/mode$mask.ref")
	check "umask $mask: the output's mode is $(stat -c %a "$T/mode$mask.ref" 2>/dev/null)" '[ "$(stat -c %a "$T/mode$mask.tif")" = "$(stat -c %a "$T/mode$mask.ref")" ]'
done

# --- masters killed while they start (kill -9 after 0 to 50 ms): none may leave a partial
# output before it owns DIR, and the next master there removes what a dead one left, its
# partial with the rest. Then the same with a master killed once its job is open, and
# the next one resuming it.
# kill_starting N OUT ARGS...: start N masters writing OUT, killing each at a random moment.
kill_starting() {
	n=$1 out=$2
	shift 2
	for i in $(seq 1 "$n"); do
		"$BLUR" -master "$T/s.tif" -o "$out" "$@" -q 2> /dev/null &
		pid=$!
		sleep "$(printf '0.%03d' $(($(od -An -N2 -tu2 /dev/urandom) % 51)))"
		kill -9 $pid
		wait $pid 2> /dev/null
	done
}
mkdir "$T/k"
kill_starting 40 "$T/k/out.tif" -dir "$T/kdir"
check "masters killed starting: the next one succeeds" 'blur -master "$T/s.tif" -o "$T/k/out.tif" -dir "$T/kdir" -slaves 2 -q 2> /dev/null'
check "masters killed starting: no partial output left beside it" '[ "$(ls -A "$T/k")" = out.tif ] || { echo "# left:" $(ls -A "$T/k"); false; }'
check "masters killed starting: DIR empty" 'dir_empty "$T/kdir"'
mkdir "$T/r"
kill_starting 20 "$T/r/out.tif" -dir "$T/rdir" -rows 10
"$BLUR" -master "$T/s.tif" -o "$T/r/out.tif" -dir "$T/rdir" -rows 10 -q 2> /dev/null &
pid=$!
for i in $(seq 1 500); do
	[ "$(ls "$T/rdir/todo" 2> /dev/null | wc -l)" -eq 30 ] && break
	sleep 0.01
done
kill -9 $pid
wait $pid 2> /dev/null
id=$(cat "$T/rdir/working" 2> /dev/null)
partial=$(realpath "$T/r")/.out.tif.$id.partial
check "a master killed with its job open: leaves .out.tif.JOBID.partial, named in data.dat" '[ -n "$id" ] && [ -f "$partial" ] && grep -qx "partial $partial" "$T/rdir/data.dat"'
check "a master killed with its job open: the next one resumes it" 'blur -master "$T/s.tif" -o "$T/r/out.tif" -dir "$T/rdir" -rows 10 -slaves 2 -resume -q 2> /dev/null'
check "resumed: no partial output left beside it" '[ "$(ls -A "$T/r")" = out.tif ] || { echo "# left:" $(ls -A "$T/r"); false; }'
check "resumed: DIR empty" 'dir_empty "$T/rdir"'

# --- -status without a job exits 3, whichever way it finds none (main picks the code)
check "-status, no DIR: exit 3" 'blur -status -dir "$T/nodir" > "$T/st.out"; [ $? -eq 3 ] && grep -q "^no job in $T/nodir$" "$T/st.out"'
check "-status, an empty DIR: exit 3" 'blur -status -dir "$T/tiny1" > "$T/st.out"; [ $? -eq 3 ] && grep -q "^no job in $T/tiny1$" "$T/st.out"'

finish
