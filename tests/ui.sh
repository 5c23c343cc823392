#!/bin/sh
# ui.sh — what an operator sees: help, version, exit codes, progress on a terminal and in
# a pipe, -q and -v, -status (during a real job, never changing DIR), -watch, -persist,
# the man page, and installing into a DESTDIR.
. "$TESTLIB"
: "${VERSION:?}" "${BUILDDIR:?}" "${SRCDIR:?}" "${BINDIR:?}" "${MAN1DIR:?}"

# 2 x (3 + 21 words) for help, 1 version, 6 x 3 + 2 + 24 usage, 5 terminal, 5 pipe, 3 -q
# and -v, 17 -status, 3 + 2 -watch, 6 counts, 5 -persist, 4 man page and install.
plan $((2 * (3 + 21) + 1 + 6 * 3 + 2 + 25 + 5 + 5 + 3 + 17 + 3 + 2 + 6 + 5 + 4))

make_image "$T/in.tif" rgb8 600x400 5

# --- help and version
for h in --help -help; do
	check "$h exits 0" 'blur $h > "$T/help.out" 2> "$T/help.err"'
	check "$h writes to stdout only" '[ ! -s "$T/help.err" ]'
	check "$h starts with the whole synopsis" 'head -n 1 "$T/help.out" | grep -q "^usage: blur -master IN" && grep -q "^       blur -ops | -help | --version$" "$T/help.out"'
	for word in "-master IN" "-slave" "-status" "-o OUT" "-dir DIR" "-radius R" \
	    "-sigma S" "-filter" "-slaves N" "-rows N" "-timeout SEC" "-persist" "-watch" \
	    "-q" "-v" "--version" "BLUR_DIR" "-secret FILE" "-resume" "BLUR_SECRET_FILE" \
	    "-poll MS"; do
		check "$h mentions $word" 'grep -qe "$word" "$T/help.out"'
	done
done
check "--version prints configure.ac's version" '[ "$(blur --version)" = "blur $VERSION" ]'

# --- usage errors: one line saying what is wrong, then where to look, status 2
# hint FILE: FILE is one line from blur, then "Try 'blur -help'.", and nothing else.
hint() {
	[ "$(wc -l < "$1")" -eq 2 ] && sed -n 1p "$1" | grep -q "^blur: " &&
	    sed -n 2p "$1" | grep -qx "Try 'blur -help'\\."
}
for args in "-radius -3" "-rows 0" "-sigma abc" "-radius" "-bogus" "-filter sharpen"; do
	check "'$args' exits 2" 'blur -master "$T/in.tif" $args > /dev/null 2> "$T/usage.err"; [ $? -eq 2 ]'
	check "'$args': one line of complaint" '[ "$(grep -c "^blur: " "$T/usage.err")" -eq 1 ]'
	check "'$args': then Try 'blur -help'., no synopsis" 'hint "$T/usage.err"'
done
blur -master "$T/in.tif" -radius > /dev/null 2> "$T/usage.err"
check "a missing value is named" 'grep -q "^blur: -radius needs a value" "$T/usage.err"'
blur -master "$T/in.tif" -radius -3 > /dev/null 2> "$T/usage.err"
check "a bad value is named" 'grep -q "^blur: -radius '\''-3'\'': must be a whole number" "$T/usage.err"'
# Every kind of usage error src/blur.c knows, one each: status 2 and two lines, no more.
# (-radius 1 given 65 times is more values than the command line keeps.)
many=$(for i in $(seq 1 65); do printf ' -radius 1'; done)
for args in "-master $T/in.tif -radius abc" "-master $T/in.tif -timeout 0" \
    "-master $T/in.tif -radius" "-bogus" "-master $T/in.tif$many" "-slave extra" "-master $T/in.tif extra -o $T/one.tif" \
    "-master $T/in.tif -op nosuch" "-master $T/in.tif -op median -sigma 2" \
    "-master $T/in.tif -op convolve" "-master $T/in.tif -o $T/out.png" \
    "-master -size 0x0 -exec cat -o $T/r.tif" "-master -size 10x10 -exec cat" \
    "-master -size 10x10 -exec cat -o $T/r.tif -depth 12" "" "-slave -dir ''" \
    "-master $T/in.tif -persist" "-master $T/in.tif -allow-exec" "-master $T/in.tif -j 2" \
    "-slave -watch" "-slave -radius 2" "-master -o $T/r.tif" "-master $T/in.tif -size 10x10" \
    "-master $T/in.tif -depth 8" "-master -size 10x10 -o $T/r.tif"; do
	eval "set -- $args"
	timeout 5 "$BLUR" "$@" > "$T/usage.out" 2> "$T/usage.err"
	st=$?
	check "'blur $(echo "$args" | cut -c 1-60)': exit 2, two lines: $(head -n 1 "$T/usage.err")" \
	    '[ $st -eq 2 ] && [ ! -s "$T/usage.out" ] && hint "$T/usage.err"'
done

# --- progress on a terminal: one live line redrawn with \r, completed at the end
script -qefc "'$BLUR' -master '$T/in.tif' -o '$T/tty.tif' -rows 10 -slaves 2" "$T/tty.log" > /dev/null
st=$?
check "master on a terminal succeeds" '[ $st -eq 0 ]'
check "terminal: live line redrawn with carriage returns" 'grep -q "$(printf "\r")\[#*\.*\] [0-9]*/40 blocks" "$T/tty.log"'
check "terminal: bar completed" 'grep -q "\[########################\] 40/40 blocks 100%" "$T/tty.log"'
check "terminal: shows slaves at work, elapsed and ETA" 'grep -q "slaves* at work  0:0[0-9] elapsed  ETA" "$T/tty.log"'
check "terminal: summary after the bar" 'grep -q "^blur: wrote $T/tty.tif: 40 blocks in [0-9.]* s, 0 reissues" "$T/tty.log"'

# --- progress in a pipe: plain lines, no carriage return
blur -master "$T/in.tif" -o "$T/pipe.tif" -rows 10 -slaves 2 2>&1 | cat > "$T/pipe.log"
check "pipe: no carriage return" '! grep -q "$(printf "\r")" "$T/pipe.log"'
check "pipe: a start line" 'grep -q "^blur: $T/in.tif: 40 blocks of 10 rows, gaussian radius 4 sigma 2$" "$T/pipe.log"'
check "pipe: every 10 %" '[ "$(grep -c "^blur: [0-9]*0% ([0-9]*/40 blocks), 0:0[0-9] elapsed$" "$T/pipe.log")" -eq 9 ]'
check "pipe: the end" 'grep -q "^blur: wrote $T/pipe.tif: 40 blocks" "$T/pipe.log"'
check "pipe: each slave's share" '[ "$(grep -c "^blur:   .*:[0-9]*: [0-9]* blocks* ([0-9]*%)$" "$T/pipe.log")" -eq 2 ]'

# --- -q says nothing; -v says who claimed and delivered what
check "-q: silent success" 'blur -master "$T/in.tif" -o "$T/q.tif" -slaves 2 -q > "$T/q.log" 2>&1 && [ ! -s "$T/q.log" ]'
blur -master "$T/in.tif" -o "$T/v.tif" -rows 100 -slaves 1 -v 2> "$T/v.log"
host=$(hostname)
check "-v: claims with block, version and host:pid" '[ "$(grep -c "^blur: block\.[0-3]\.a claimed by $host:[0-9]*$" "$T/v.log")" -eq 4 ]'
check "-v: results with host:pid" '[ "$(grep -c "^blur: block\.[0-3]\.a done by $host:[0-9]*$" "$T/v.log")" -eq 4 ]'

# --- -status: during a real job (blocks slow enough to catch it), reading DIR only
convert -size 2000x1500 xc:gray +noise Random -depth 8 -compress none "$T/slow.tif"
check "-status without a job: exit 3" 'blur -status > "$T/st.out"; [ $? -eq 3 ]'
check "-status without a job says so" 'grep -q "^no job in $BLUR_DIR$" "$T/st.out"'
"$BLUR" -master "$T/slow.tif" -o "$T/st.tif" -rows 50 -radius 60 -q &
master=$!
# The job opens before the input is decoded: wait until every block is asked for.
for i in $(seq 1 300); do
	[ "$(ls "$BLUR_DIR/todo" 2>/dev/null | wc -l)" -eq 30 ] && break
	sleep 0.01
done
# dir_state: what -status must leave as it was in DIR: every entry's name, type, mode, size,
# time and contents. Not those of DIR/progress, which the master rewrites every second
# through temporaries named for its pid, nor DIR's own times, which each rewrite moves.
dir_state() {
	(cd "$BLUR_DIR" && ls -d progress; find . -maxdepth 0 -printf '%y %m\n'
	find . -mindepth 1 ! -path ./progress ! -name "progress.*.$master.*.tmp" \
	    -printf '%p %y %m %s %T@\n' -type f -exec md5sum {} +) 2>&1 | sort
}
before=$(dir_state)
check "-status of a waiting job: exit 0" 'COLUMNS=16 blur -status > "$T/st.out"'
check "-status changes nothing in DIR" '[ "$before" = "$(dir_state)" ]'
check "-status names job, input and output" 'grep -q "^job [0-9a-f]\{32\} in $BLUR_DIR$" "$T/st.out" && grep -q "^input $T/slow.tif$" "$T/st.out" && grep -q "^output $T/st.tif$" "$T/st.out"'
check "-status gives size and filter" 'grep -q "^image 2000x1500, 1 uint8 sample; gaussian radius 60 sigma 30$" "$T/st.out"'
check "-status counts blocks" 'grep -q "^blocks 30 of 50 rows: 0 done, 0 claimed, 30 waiting; 0 reissues$" "$T/st.out"'
check "-status block map wrapped to 16 columns" '[ "$(grep -c "^\.\{1,16\}$" "$T/st.out")" -eq 2 ]'
# One worker: with one per core the job can end before the master's tally names the slave.
"$BLUR" -slave -j 1 -q &
for i in $(seq 1 500); do
	[ "$(ls "$BLUR_DIR/todo" 2>/dev/null | wc -l)" -le 25 ] && break
	sleep 0.01
done
# The slaves' tally comes from DIR/progress, which the master rewrites at most every 0.1 s
# after a change: give it a moment to name the slave.
for i in $(seq 1 100); do
	blur -status > "$T/st2.out"
	st=$?
	grep -q "^slaves $host:[0-9]* ([0-9]*)" "$T/st2.out" && break
	sleep 0.05
done
check "-status of a running job: exit 0" '[ $st -eq 0 ]'
map=$(sed -n '/^elapsed/,$p' "$T/st2.out" | tail -n +2 | tr -d '\n')
check "-status map has a character per block" '[ "${#map}" -eq 30 ]'
check "-status map uses # + . !" 'echo "$map" | grep -q "^[#+.!]*$"'
check "-status map shows done blocks" 'echo "$map" | grep -q "#"'
counts=$(sed -n 's/^blocks 30 of 50 rows: \([0-9]*\) done, \([0-9]*\) claimed, \([0-9]*\) waiting.*/\1 \2 \3/p' "$T/st2.out")
check "-status counts add up to 30 ($counts)" '[ "$(echo $counts | tr " " "+" | bc)" -eq 30 ]'
check "-status lists the slave" 'grep -q "^slaves $host:[0-9]* ([0-9]*)" "$T/st2.out"'
check "-status shows elapsed time" 'grep -q "^elapsed [0-9]*:[0-9][0-9]" "$T/st2.out"'
check "-status says how the master notices changes" 'grep -q "^master inotify (.*), rescan every 1000 ms$" "$T/st2.out"'
check "the job watched by -status succeeded" 'wait $master'
wait

# --- -watch: refreshes until the job ends, then says how it ended
wait_for_working() {
	for i in $(seq 1 300); do [ -e "$BLUR_DIR/working" ] && break; sleep 0.01; done
}
"$BLUR" -master "$T/slow.tif" -o "$T/w.tif" -rows 100 -radius 30 -q &
master=$!
wait_for_working
blur -status -watch > "$T/watch.out" &
watcher=$!
sleep 1.5
"$BLUR" -slave -q &
wait $master
check "-watch exits 0 when the job ends" 'wait $watcher'
check "-watch refreshed more than once" '[ "$(grep -c "^job " "$T/watch.out")" -ge 2 ]'
check "-watch says the job succeeded and what it wrote" 'grep -qx "the job in $BLUR_DIR succeeded: wrote $T/w.tif" "$T/watch.out"'
wait
# watch_until FILE: -watch, into FILE, has shown the job.
watch_until() {
	for i in $(seq 1 300); do grep -q "^job " "$1" && break; sleep 0.01; done
}
# A job stopped before its end: the partial output -watch saw is gone, no output came.
"$BLUR" -master "$T/in.tif" -o "$T/wf.tif" -q 2> /dev/null &
master=$!
wait_for_working
blur -status -watch > "$T/watchf.out" &
watcher=$!
watch_until "$T/watchf.out"
kill $master
wait $master
wait $watcher
check "-watch says a job that ended without output failed" 'grep -qx "the job in $BLUR_DIR failed (no output)" "$T/watchf.out"'
# Where the output's directory is another (a tmpfs mounted over it in a namespace of its
# own), -watch cannot tell, and says so.
if unshare -m true 2> /dev/null; then
	mkdir "$T/hidden"
	"$BLUR" -master "$T/in.tif" -o "$T/hidden/wh.tif" -q &
	master=$!
	wait_for_working
	unshare -m sh -c "mount -t tmpfs none '$T/hidden' && exec '$BLUR' -status -watch" \
	    > "$T/watchh.out" 2>&1 &
	watcher=$!
	watch_until "$T/watchh.out"
	"$BLUR" -slave -q
	wait $master
	wait $watcher
	check "-watch where the output is out of sight says it cannot tell" 'grep -qx "the job in $BLUR_DIR ended; its output is not visible from this host" "$T/watchh.out"'
else
	ok "-watch where the output is out of sight # SKIP no mount namespace here"
fi

# --- counts as a reader says them: one block, not 1 blocks; thirds rounded to the nearest
"$BLUR" -master "$T/in.tif" -o "$T/one.tif" -rows 400 2> "$T/one.log" &
master=$!
wait_for_working
blur -slave -j 1 > "$T/one.out" 2> /dev/null
wait $master
check "one block: the start line says 1 block of 400 rows" 'grep -q "^blur: $T/in.tif: 1 block of 400 rows, gaussian" "$T/one.log"'
check "one block: the slave's share says 1 block" 'grep -q "^blur:   $host:[0-9]*: 1 block (100%)$" "$T/one.log"'
check "one block: the end line says 1 block" 'grep -q "^blur: wrote $T/one.tif: 1 block in " "$T/one.log"'
check "one block: the slave ends with Finished: 1 block" 'grep -qx "Finished: 1 block" "$T/one.out"'
convert -size 40x3 xc:gray -depth 8 -compress none "$T/three.tif"
check "rows of one: the start line says 3 blocks of 1 row" 'blur -master "$T/three.tif" -o "$T/three-out.tif" -rows 1 -radius 1 -slaves 1 2>&1 | grep -q "^blur: $T/three.tif: 3 blocks of 1 row, "'
# One worker, blocks of 0.3 s: the master sees each third come in.
blur -master "$T/in.tif" -o "$T/thirds.tif" -exec "sleep 0.3; cat" -rows 134 -slaves 1 2> "$T/thirds.log"
thirds=$(sed -n 's/^blur: \([0-9]*\)% (\([0-9]\)\/3 blocks), .*/\1 \2/p' "$T/thirds.log" | tr '\n' ' ')
check "thirds shown as 33 and 67 % ($thirds)" '[ "$thirds" = "33 1 67 2 " ]'

# --- -persist: a slave that stays for the next job
"$BLUR" -slave -persist > "$T/persist.out" &
slave=$!
check "first job with a persistent slave" 'blur -master "$T/in.tif" -o "$T/p1.tif" -q'
check "second job with the same slave" 'blur -master "$T/in.tif" -o "$T/p2.tif" -q'
# The slave reports a job when it sees `working` go: give it a moment after the master.
for i in $(seq 1 100); do
	[ "$(grep -c '^Finished: [0-9]* blocks*$' "$T/persist.out")" -ge 2 ] && break
	sleep 0.05
done
sleep 0.3	# time enough for a slave that wrongly leaves after its report to be gone
check "persistent slave still waits" 'kill -0 $slave'
check "persistent slave reported each job" '[ "$(grep -c "^Finished: [0-9]* blocks*$" "$T/persist.out")" -eq 2 ]'
kill $slave
wait $slave 2>/dev/null
check "DIR empty after all of it" dir_empty

# --- the man page and installing
check "mandoc -Tlint finds nothing" 'mandoc -Tlint -W warning "$SRCDIR/man/blur.1"'
make -s -C "$BUILDDIR" install DESTDIR="$T/inst" > /dev/null 2>&1
check "make install puts blur in bin" '[ -x "$T/inst$BINDIR/blur" ]'
check "make install puts blur.1 in man1" '[ -f "$T/inst$MAN1DIR/blur.1" ]'
check "the installed blur runs" '"$T/inst$BINDIR/blur" --version | grep -q "^blur $VERSION$"'

finish
