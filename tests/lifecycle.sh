#!/bin/sh
# lifecycle.sh — a job's edges: tiny jobs back to back, the output's name and mode, a
# master killed while it starts, causes that reach the operator, a slave's -j workers.
. "$TESTLIB"

ROUNDS=20
plan $((5 + 5 + 4 * 3 + 4 + 2 + 3 + 4 + 2 + 4 + 4 + 6 + 3 + 3 * 2 + 1))

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
		grep -q "^Finished: [01] blocks*\$" "$T/tiny.$s.out" || unfinished="$unfinished $round$s"
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
check "claim failing with ENOENT: no error, no (null)" 'only_lines "$T/noent.err" -e ": inotify (" -e ": polling every"'

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

# --- -j N: one slave process, N workers sharing its listing and its watch. A command that
# notes how many blocks run at once (a directory per block in $RUN) shows them side by
# side; the -v lines show every block done once, all by the one slave.
RUN=$T/running HOST=$(hostname)
export RUN
mkdir "$RUN"
dir=$T/jdir
CONC='mkdir "$RUN/$BLUR_BLOCK"; ls "$RUN" | wc -l >> "$RUN.log"; sleep 0.2; rmdir "$RUN/$BLUR_BLOCK"; cat'
"$BLUR" -slave -dir "$dir" -j 4 -v -allow-exec > "$T/j.out" 2> "$T/j.err" &
slave=$!
wait_started "$dir" "$T/j.err"
blur -master "$T/s.tif" -o "$T/j.tif" -dir "$dir" -rows 20 -exec "$CONC" -q
st=$?
gone_within 6 $slave
wait $slave
check "-j 4: the job is done by the one slave, every pixel its input's" '[ "$st" = 0 ] && grep -qx "Finished: 15 blocks" "$T/j.out" && same_pixels "$T/j.tif" "$T/s.tif" 8 0'
check "-j 4: more than one block at once, never more than 4 (at most $(sort -n "$RUN.log" | tail -n 1))" '[ "$(sort -n "$RUN.log" | tail -n 1)" -ge 2 ] && [ "$(sort -n "$RUN.log" | tail -n 1)" -le 4 ]'
check "-j 4: each of the 15 blocks done once" '[ "$(grep -c ": block\.[0-9]*\.a done$" "$T/j.err")" -eq 15 ] && [ "$(grep -o "block\.[0-9]*\." "$T/j.err" | sort -u | wc -l)" -eq 15 ]'
check "-j 4: one watch of DIR for all the workers" '[ "$(grep -c ": $dir: inotify (\|: $dir: polling every" "$T/j.err")" -eq 1 ]'

# --- -j 4: a worker's failed block is reported as a lone slave's is, and fails the job.
FAIL3='[ $BLUR_BLOCK = 3 ] && { echo "no luck" >&2; exit 5; }; cat'
"$BLUR" -slave -dir "$dir" -j 4 -allow-exec > "$T/jf.out" 2> "$T/jf.err" &
slave=$!
blur -master "$T/s.tif" -o "$T/jf.tif" -dir "$dir" -rows 20 -exec "$FAIL3" -retries 1 \
    -q 2> "$T/jf.merr"
st=$?
gone_within 6 $slave
wait $slave
slave_st=$?
check "-j 4, block 3 fails: the job fails naming the block, the slave and the command's words" '[ "$st" = 1 ] && tail -n 1 "$T/jf.merr" | grep -qx "blur: block 3 failed 1 time, last on $HOST:$slave: the command exited with status 5: no luck"'
check "-j 4, block 3 fails: the slave says so, with the command's stderr" 'grep -qx "blur: $dir/block\.3\.a: the command exited with status 5" "$T/jf.err" && grep -qx "blur: block 3: no luck" "$T/jf.err"'
check "-j 4, block 3 fails: the slave leaves with the job, exit 0" '[ "$slave_st" = 0 ] && grep -q "^Finished: [0-9]* blocks*$" "$T/jf.out"'
check "-j 4, block 3 fails: no output, DIR empty" '[ ! -e "$T/jf.tif" ] && dir_empty "$dir"'

# --- SIGTERM to a -j 4 slave with 4 blocks in hand: every command ended, every claim
# given back at once, so that another slave finishes the job and nothing is left.
SLOW='[ -e "$RUN.slow" ] && { echo $$ > "$RUN.pid.$BLUR_BLOCK"; sleep 30; }; cat'
touch "$RUN.slow"
"$BLUR" -slave -dir "$dir" -j 4 -allow-exec > "$T/jt.out" 2> "$T/jt.err" &
slave=$!
blur -master "$T/s.tif" -o "$T/jt.tif" -dir "$dir" -rows 20 -exec "$SLOW" -q 2> "$T/jt.merr" &
master=$!
for i in $(seq 1 200); do
	[ "$(ls "$RUN".pid.* 2> /dev/null | wc -l)" -ge 4 ] && break
	sleep 0.05
done
held=$(ls -d "$dir"/block.* 2> /dev/null | wc -l)
kill -TERM $slave
gone_within 3 $slave
wait $slave
slave_st=$?
left=$(ls -d "$dir"/block.* 2> /dev/null | wc -l)
check "SIGTERM to -j 4: it held 4 blocks ($held), each running its command" '[ "$held" = 4 ] && [ "$(ls "$RUN".pid.* | wc -l)" = 4 ]'
check "SIGTERM to -j 4: it leaves within 3 s, exit 1, interrupted" '[ "$slave_st" = 1 ] && grep -qx "blur: $dir: interrupted" "$T/jt.err"'
check "SIGTERM to -j 4: every claim given back ($left left)" '[ "$left" = 0 ]'
check "SIGTERM to -j 4: every command's process group ended" \
    '( set -- "$RUN".pid.*; [ $# = 4 ] && [ -e "$1" ] || exit 1
    for f; do ! kill -0 -- "-$(cat "$f")" 2> /dev/null || exit 1; done )'
rm -f "$RUN.slow"
"$BLUR" -slave -dir "$dir" -j 2 -allow-exec -q > /dev/null 2>&1 &
wait $master
st=$?
check "SIGTERM to -j 4: another slave finishes the job" '[ "$st" = 0 ] && same_pixels "$T/jt.tif" "$T/s.tif" 8 0'
check "SIGTERM to -j 4: nothing left in DIR" 'dir_empty "$dir"'

# --- the job ends while a local slave still runs the first version of a reissued block:
# the master stops it, cleans DIR once it has let go, and reaps it before returning.
STALE='[ "$BLUR_BLOCK" = 0 ] && mkdir "$RUN.stale" 2> /dev/null && { echo $$ > "$RUN.stale/pid"; sleep 30; }; cat'
start=$(date +%s)
blur -master "$T/s.tif" -o "$T/stale.tif" -dir "$dir" -rows 20 -exec "$STALE" -slaves 2 \
    -timeout 1 2> "$T/stale.err"
st=$?
check "a stale version at the end: the job is done in seconds, not after its command" '[ "$st" = 0 ] && [ $(( $(date +%s) - start )) -lt 10 ] && grep -q "block\.0\.a claimed by .* reissued as block\.0\.b" "$T/stale.err"'
check "a stale version at the end: its command ended, DIR empty" '[ -s "$RUN.stale/pid" ] && ! kill -0 "$(cat "$RUN.stale/pid")" 2> /dev/null && dir_empty "$dir"'
check "a stale version at the end: no local slave outlives the master" '! pgrep -f -- "-o $T/stale.tif" > /dev/null'

# --- -j takes a whole number of workers from 1, with -slave only.
for args in "-j 0" "-j x" "-j"; do
	check "-slave $args exits 2" 'blur -slave -dir "$dir" $args > /dev/null 2> "$T/j.usage"; [ $? -eq 2 ]'
	check "-slave $args: one line naming -j, then the hint" '[ "$(wc -l < "$T/j.usage")" -eq 2 ] && grep -q "^blur: -j" "$T/j.usage" && sed -n 2p "$T/j.usage" | grep -qx "Try '"'blur -help'"'\."'
done
check "-j with -master is a usage error" 'blur -master "$T/s.tif" -j 2 > /dev/null 2> "$T/j.usage"; [ $? -eq 2 ] && grep -qx "blur: -j goes with -slave" "$T/j.usage"'

finish
