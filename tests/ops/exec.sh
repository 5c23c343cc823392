#!/bin/sh
# ops/exec.sh — -exec on real masters and slaves: ImageMagick run on each block with a
# halo gives exactly what it gives on the whole image, every layout, 8 and 16 bits; the
# three heights a command may write; renders; the environment; failures; commands that
# end with their slave when it is killed with kill -9, or their master is.
. "$TESTLIB"

# Two checks an exec_matches: 8 kinds x 2 block heights, 3 more jobs; 2 on the input and
# a short halo; 4 on the environment, 3 on a failing command, 1 on a wrong size; 4 on a
# slave killed, 4 on a master killed, 3 on both killed.
plan $((2 * (8 * 2 + 3) + 2 + 4 + 3 + 1 + 4 + 4 + 3))

# exec_matches DESC REF BLUR-MASTER-ARGS...: two checks, whether blur succeeds or not, so
# that the plan holds: the output is exactly REF, and DIR is left empty.
exec_matches() {
	desc=$1 ref=$2
	shift 2
	depth=$(tag "$ref" Bits/Sample)
	rm -f "$T/out.tif"
	blur -master "$@" -o "$T/out.tif" -slaves 2 -q
	st=$?
	check "$desc" '[ $st -eq 0 ] && same_pixels "$T/out.tif" "$ref" "$depth" 0'
	check "$desc: DIR left empty" dir_empty
}

# ImageMagick's -sharpen 0x2 has a 15x15 kernel: with 10 rows of halo, blocks of 7 rows
# (the halo spans blocks) and of 40 give its pixels exactly. pnm: keeps no alpha; pam: does.
for kind in gray8 gray16 graya8 graya16 rgb8 rgb16 rgba8 rgba16; do
	make_image "$T/$kind.tif" "$kind" 150x100 11
	convert "$T/$kind.tif" -sharpen 0x2 "$T/$kind-ref.tif"
	case $kind in
	*a8|*a16) format=pam ;;
	*) format=pnm ;;
	esac
	for rows in 7 40; do
		exec_matches "$kind -sharpen 0x2 in blocks of $rows rows" "$T/$kind-ref.tif" \
		    "$T/$kind.tif" -exec "convert $format:- -sharpen 0x2 $format:-" -halo 10 \
		    -rows "$rows"
	done
done
check "the sharpened image is not the input" '! same_pixels "$T/out.tif" "$T/rgba16.tif" 16 0'
blur -master "$T/rgb16.tif" -o "$T/out.tif" -exec 'convert pnm:- -sharpen 0x2 pnm:-' \
    -halo 6 -rows 7 -slaves 2 -q
check "with 6 rows of halo it is not exact" '! same_pixels "$T/out.tif" "$T/rgb16-ref.tif" 16 0'

# A command that writes back all it was given, halo included: the halo is dropped.
exec_matches "cat with a halo of 5" "$T/rgba16.tif" "$T/rgba16.tif" -exec cat -halo 5 \
    -rows 9

# Renders: no input; a whole frame from each block (its rows taken), and a band of
# BLUR_ROWS rows from BLUR_Y.
exec_matches "a render writing whole frames" "$T/rgb16.tif" -size 150x100 -depth 16 \
    -samples 3 -exec "convert '$T/rgb16.tif' pnm:-" -rows 9
exec_matches "a render writing its band" "$T/rgba8.tif" -size 150x100 -depth 8 \
    -samples 4 -exec "convert '$T/rgba8.tif' -crop \"\${BLUR_WIDTH}x\${BLUR_ROWS}+0+\${BLUR_Y}\" +repage pam:-" \
    -rows 13

# What each block's command is told, in blocks of 40 rows of 100 with a halo of 3.
rm -f "$T/env"
exec_matches "the environment" "$T/graya16.tif" "$T/graya16.tif" -exec "echo \"\$BLUR_JOB \$BLUR_BLOCK \$BLUR_Y \$BLUR_ROWS \$BLUR_TOP \$BLUR_BOTTOM \$BLUR_WIDTH \$BLUR_HEIGHT \$BLUR_SAMPLES \$BLUR_DEPTH\" >>'$T/env'; cat" \
    -halo 3 -rows 40
check "every block names the same job" '[ "$(cut -d " " -f 1 "$T/env" | sort -u | grep -c "^[0-9a-f]\{32\}$")" = 1 ]'
check "each block is told where it lies" '[ "$(cut -d " " -f 2- "$T/env" | sort -u)" = "0 0 40 0 3 150 100 2 16
1 40 40 3 3 150 100 2 16
2 80 20 3 0 150 100 2 16" ]'

# A command that fails fails its block, three times, and so the job: its status and
# its stderr are in the one line that says why.
rm -f "$T/out.tif"
blur -master "$T/rgb8.tif" -o "$T/out.tif" -exec 'echo boom >&2; exit 3' -rows 50 \
    -slaves 1 -q 2>"$T/err"
st=$?
check "a failing command fails the job" '[ $st -eq 1 ] && [ ! -e "$T/out.tif" ]'
check "why: its status and its stderr" 'tail -n 1 "$T/err" | grep -q "block [01] failed 3 times, .*: the command exited with status 3: boom$"'
check "its stderr passed on, block by block" 'grep -q "^blur: block [01]: boom$" "$T/err"'

blur -master "$T/rgb8.tif" -o "$T/out.tif" -exec 'convert pnm:- -crop 10x10+0+0 pnm:-' \
    -rows 50 -slaves 1 -q 2>"$T/err"
st=$?
check "a command writing the wrong size fails the job, saying what was wanted" '[ $st -eq 1 ] && tail -n 1 "$T/err" | grep -q "the command wrote 10x10 RGB, maxval 255; wanted 150 wide, RGB or gray, maxval 255, and 50 or 100 rows"'

# hang SEC: each block's command of the next job ($ONCE) hangs on its first try, in a
# sleep of SEC.PID seconds, a length that is this case's own, by which pgrep finds it and
# its shell and not blur.
hang() {
	HANG=$1.$$
	ONCE="f=$T/once.\$BLUR_BLOCK; [ -e \$f ] || { : > \$f; sleep $HANG; }; cat"
	rm -f "$T"/once.* "$T/out.tif"
}

# commands: how many processes of the hanging commands run (shells and sleeps).
commands() { pgrep -c -f "^(sh -c .*|sleep )$HANG"; }

# wait_commands N: until N run (10 s at most).
wait_commands() {
	for i in $(seq 1 1000); do [ "$(commands)" -ge "$1" ] && return 0; sleep 0.01; done
	return 1
}

# none_within SEC: until none runs (SEC seconds at most).
none_within() {
	for i in $(seq 1 $(($1 * 10))); do [ "$(commands)" -eq 0 ] && return 0; sleep 0.1; done
	echo "# still running:" $(pgrep -a -f "^(sh -c .*|sleep )$HANG")
	return 1
}

# ended_within SEC PID: until PID, not our child, has exited (a zombie counts).
ended_within() {
	for i in $(seq 1 $(($1 * 10))); do
		s=$(ps -o stat= -p "$2") && [ "${s#Z}" = "$s" ] || return 0
		sleep 0.1
	done
	return 1
}

# A slave killed with kill -9 holding both blocks: their commands end with it, whatever
# they run, and the next slave does the job once the blocks are reissued.
hang 25
"$BLUR" -master "$T/rgb8.tif" -o "$T/out.tif" -exec "$ONCE" -rows 50 -timeout 1 -q &
master=$!
"$BLUR" -slave -allow-exec -j 2 -q > /dev/null &
slave=$!
check "a slave's commands run: two shells, two sleeps" 'wait_commands 4'
kill -9 $slave
wait $slave 2>/dev/null
check "kill -9 of the slave: its commands end within 3 s" 'none_within 3'
"$BLUR" -slave -allow-exec -q > /dev/null &
slave=$!
check "kill -9 of the slave: the next slave ends the job, with the input's pixels" \
    'wait $master && same_pixels "$T/out.tif" "$T/rgb8.tif" 8 0'
wait $slave
check "kill -9 of the slave: DIR left empty" dir_empty

# A master killed with kill -9: its local slave, told by SIGTERM, ends and so do its
# commands; the next master removes the dead job and does its own.
hang 26
"$BLUR" -master "$T/rgb8.tif" -o "$T/out.tif" -exec "$ONCE" -rows 50 -slaves 1 -q \
    2> /dev/null &
master=$!
check "a local slave's commands run" 'wait_commands 2'
local=$(pgrep -P $master)
kill -9 $master
wait $master 2>/dev/null
check "kill -9 of the master: its local slave's commands end within 3 s" 'none_within 3'
check "kill -9 of the master: its local slave ends" 'ended_within 3 "$local"'
blur -master "$T/rgb8.tif" -o "$T/out.tif" -exec cat -rows 50 -slaves 1 -q 2> /dev/null
st=$?
check "kill -9 of the master: the next master does its job, DIR left empty" \
    '[ $st -eq 0 ] && dir_empty'

# Both killed with kill -9 at once, as by the OOM killer: no SIGTERM, the commands still end.
hang 27
"$BLUR" -master "$T/rgb8.tif" -o "$T/out.tif" -exec "$ONCE" -rows 50 -slaves 1 -q \
    2> /dev/null &
master=$!
check "a local slave's commands run, again" 'wait_commands 2'
kill -9 $master $(pgrep -P $master)
wait $master 2>/dev/null
check "kill -9 of the master and its local slave: the commands end within 3 s" 'none_within 3'
blur -master "$T/rgb8.tif" -o "$T/out.tif" -exec cat -rows 50 -slaves 1 -q 2> /dev/null
st=$?
check "kill -9 of both: the next master does its job, DIR left empty" \
    '[ $st -eq 0 ] && dir_empty'

finish
