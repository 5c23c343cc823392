#!/bin/sh
# faults.sh — slaves killed and stopped, a master killed, a second master, junk in todo/,
# bad input, a full disk, ^C. Each faulted run must give exactly the pixels of a clean run
# (or fail with one line naming the file) and leave DIR empty.
. "$TESTLIB"

# 1 clean run; 6 killed slaves, 6 a stopped one, 6 a dead master, 2 x 7 signalled slaves,
# 8 orphans, 2 x 2 alien jobs, 9 + 9 secrets, 20 resumes, 6 two masters, 7 junk, 5 a
# rogue, 8 x 4 + 4 bad input, 8 x 3 + 3 other formats, 3 x 6 + 1 hostile DIRs, 8 + 6 + 9
# + 5 full disks, 2 x 5 signalled masters, 5 a phantom claim, 4 an NFS stand-in, 6
# polling, 2 + 5 opening, 4 a collector's error, 5 a master killed while collecting,
# 11 x 2 usage errors.
plan $((1 + 6 + 6 + 6 + 2 * 7 + 8 + 2 * 2 + 9 + 9 + 20 + 6 + 7 + 5 + 8 * 4 + 4 + 8 * 3 + \
    3 + 3 * 6 + 1 + 8 + 6 + 9 + 5 + 2 * 5 + 5 + 4 + 6 + 2 + 5 + 4 + 5 + 11 * 2))

make_image "$T/s.tif" rgb8 400x300 11
blur -master "$T/s.tif" -o "$T/s-clean.tif" -rows 10 -slaves 2 2> /dev/null

# Blocks slow enough (about half a second each) that a kill lands inside one.
convert -size 3000x2000 xc:gray +noise Random -depth 8 -compress none "$T/big.tif"
SLOW="-radius 60 -rows 400"
blur -master "$T/big.tif" -o "$T/clean.tif" $SLOW -slaves 2
check "clean run of the slow job" '[ -f "$T/clean.tif" ]'

# same_as_clean OUT: bit-for-bit the pixels of the clean run.
same_as_clean() { same_pixels "$1" "$T/clean.tif" 8 0; }

# wait_done N: until N blocks are done (or 10 s have passed).
wait_done() {
	for i in $(seq 1 1000); do
		[ "$(ls "$BLUR_DIR"/block.*/done 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

# --- slaves killed with kill -9 while holding a block, three times over
"$BLUR" -master "$T/big.tif" -o "$T/killed.tif" $SLOW -timeout 1 2> "$T/killed.err" &
master=$!
for round in 1 2 3; do
	"$BLUR" -slave > /dev/null 2>&1 &
	victim=$!
	wait_for_claim
	kill -9 $victim
	wait $victim 2>/dev/null
done
"$BLUR" -slave > "$T/survivor.out" &
check "job survives three slaves killed mid-block" 'wait $master'
check "killed slaves' blocks were reissued" 'grep -q "reissued as block\.[0-9]*\.b" "$T/killed.err"'
check "a reissue names the block, version and slave" 'grep -q "^blur: block\.[0-9]*\.a claimed by $(hostname):[0-9]* and not done in 1 s; reissued as block\.[0-9]*\.b$" "$T/killed.err"'
check "killed run gives the clean pixels" 'same_as_clean "$T/killed.tif"'
wait
check "surviving slave finished" 'grep -q "^Finished: [0-9]* blocks*$" "$T/survivor.out"'
check "DIR empty after killed slaves" 'dir_empty'

# --- a slave stopped while holding a block, resumed after the job. No -timeout: the
# blocks take about half a second, so the adaptive timeout is its floor, 10 s; on a loaded
# machine or a sanitized build 5 times the slowest block may be more, but never the 60 s
# before the first block (check_blocks holds the rule itself).
"$BLUR" -master "$T/big.tif" -o "$T/stopped.tif" $SLOW 2> "$T/stopped.err" &
master=$!
"$BLUR" -slave > "$T/stopped.out" 2>&1 &
sleeper=$!
wait_for_claim
kill -STOP $sleeper
"$BLUR" -slave > /dev/null &
check "job survives a stopped slave" 'wait $master'
took=$(sed -n 's/.* not done in \([0-9.]*\) s; reissued as .*/\1/p' "$T/stopped.err" | head -n 1)
check "the adaptive timeout reissued the stopped slave's block after 10 s or more, under 60 (${took:-none})" \
    'awk -v t="${took:-x}" "BEGIN { exit !(t + 0 == t && t >= 10 && t < 60) }"'
check "stopped run gives the clean pixels" 'same_as_clean "$T/stopped.tif"'
kill -CONT $sleeper
check "resumed slave leaves quietly with status 0" 'wait $sleeper'
check "resumed slave says nothing but Finished" \
    'grep -q "^Finished: [0-9]* blocks*$" "$T/stopped.out" && only_lines "$T/stopped.out" -e "^Finished: "'
wait
check "DIR empty after the resumed slave" 'dir_empty'

# --- a master killed with kill -9; the next master clears its files and runs
"$BLUR" -master "$T/big.tif" -o "$T/dead.tif" $SLOW -slaves 2 2> /dev/null &
master=$!
wait_for "$BLUR_DIR/working"
wait_for_claim
kill -9 $master
wait $master 2>/dev/null
sleep 0.5
check "killed master leaves its job behind" '[ -e "$BLUR_DIR/working" ]'
check "killed master leaves no output" '[ ! -e "$T/dead.tif" ]'
check "next master succeeds in the dead job's DIR" 'blur -master "$T/big.tif" -o "$T/after.tif" $SLOW -slaves 2 2> "$T/after.err"'
check "next master explains the dead job it removed" 'grep -q "^blur: $BLUR_DIR: removing job [0-9a-f]* ($T/big.tif, [0-9]* of 5 blocks finished), whose master is gone; -resume would have continued it$" "$T/after.err"'
check "run after a dead master gives the clean pixels" 'same_as_clean "$T/after.tif"'
check "DIR empty after the dead master's successor" 'dir_empty'

# --- a slave told to stop (SIGTERM, and ^C) gives its block back at once: with the
# default timeout of 60 s, the job still ends in seconds, with no reissue
for sig in TERM INT; do
	"$BLUR" -master "$T/big.tif" -o "$T/released.tif" $SLOW 2> "$T/released.err" &
	master=$!
	env --default-signal=INT "$BLUR" -slave > /dev/null 2> "$T/slave.err" &
	slave=$!
	wait_for_claim
	kill -$sig $slave
	check "SIG$sig: the slave exits 1" 'wait $slave; [ $? -eq 1 ]'
	check "SIG$sig: the slave says it was interrupted" 'grep -q "^blur: $BLUR_DIR: interrupted$" "$T/slave.err"'
	check "SIG$sig: its claim is gone" '! ls -d "$BLUR_DIR"/block.* 2>/dev/null | grep -q .'
	start=$(date +%s)
	"$BLUR" -slave > /dev/null &
	check "SIG$sig: the job ends" 'wait $master'
	check "SIG$sig: in seconds, not after the timeout" '[ $(( $(date +%s) - start )) -lt 30 ]'
	check "SIG$sig: with no reissue" '! grep -q reissued "$T/released.err"'
	check "SIG$sig: with the clean pixels" 'same_as_clean "$T/released.tif"'
	wait
done

# --- a master dies: its slaves notice the silence and leave; a master elsewhere that is
# alive (its heartbeat moves, though it holds no lock here) is not taken for dead
"$BLUR" -master "$T/big.tif" -o "$T/orphan.tif" $SLOW 2> /dev/null &
master=$!
"$BLUR" -slave > "$T/orphan.out" 2> "$T/orphan.err" &
slave=$!
wait_for_claim
kill -9 $master
wait $master 2>/dev/null
start=$(date +%s)
check "orphaned slave exits 0" 'wait $slave'
check "orphaned slave leaves within 15 s" '[ $(( $(date +%s) - start )) -le 15 ]'
check "orphaned slave says why" 'grep -q "no heartbeat from the master for 10 s; leaving job" "$T/orphan.err"'
check "orphaned slave reports its blocks" 'grep -q "^Finished: [0-9]* blocks*$" "$T/orphan.out"'
: > "$T/beating"
(i=100; while [ -e "$T/beating" ]; do
	i=$((i + 1))
	printf 'blur %d\nbeat %d\nelapsed 0\ndone 0\nreissues 0\n' $PROTOCOL $i > "$BLUR_DIR/progress.x"
	mv "$BLUR_DIR/progress.x" "$BLUR_DIR/progress"
	sleep 0.3
done) &
check "a job whose master beats elsewhere is not taken over" 'blur -master "$T/s.tif" -o "$T/remote.tif" -slaves 1 2> "$T/remote.err"; [ $? -eq 1 ]'
check "... and the refusal says so" 'grep -q "another job is running there, its master on another host" "$T/remote.err"'
rm "$T/beating"
wait
rm -f "$BLUR_DIR/progress.x"
check "once the beat stops, the job is taken over" 'blur -master "$T/s.tif" -o "$T/remote.tif" -slaves 1 2> "$T/remote.err"'
check "DIR empty after the orphans" 'dir_empty'

# --- a job this slave cannot take (another format, another byte order): a clear refusal
mkdir -m 700 "$T/alien"
echo 0123456789abcdef0123456789abcdef > "$T/alien/working"
for bad in "blur $((PROTOCOL + 1)):a job of format $((PROTOCOL + 1)); this blur reads format $PROTOCOL" \
    "order big:a job in big-endian pixels; this host cannot read them"; do
	printf 'id 0123456789abcdef0123456789abcdef\n%s\n' "${bad%%:*}" > "$T/alien/data.dat"
	check "slave refuses '${bad%%:*}': status 1" 'blur -slave -dir "$T/alien" > /dev/null 2> "$T/alien.err"; [ $? -eq 1 ]'
	check "slave refuses '${bad%%:*}': says why" 'grep -q "^blur: $T/alien/data.dat: ${bad#*:}$" "$T/alien.err"'
done

# --- a shared secret: a slave without it, or with another, is refused with a message;
# the one with it does the job; the secret never enters DIR
printf 'the secret of this job\n' > "$T/secret"
printf 'another secret\n' > "$T/wrong"
chmod 600 "$T/secret" "$T/wrong"
"$BLUR" -master "$T/s.tif" -o "$T/keyed.tif" -rows 10 -secret "$T/secret" 2> /dev/null &
master=$!
wait_for "$BLUR_DIR/working"
check "keyless slave beside a keyed job: status 1" 'blur -slave > /dev/null 2> "$T/keyless.err"; [ $? -eq 1 ]'
check "keyless slave is told what it needs" 'grep -q "^blur: $BLUR_DIR: job [0-9a-f]\{32\} needs the shared secret: set BLUR_SECRET_FILE or use -secret FILE$" "$T/keyless.err"'
check "slave with another secret: status 1" 'BLUR_SECRET_FILE="$T/wrong" blur -slave > /dev/null 2> "$T/wrong.err"; [ $? -eq 1 ]'
check "slave with another secret is told so" 'grep -q "^blur: $BLUR_DIR/data.dat: not signed with this secret: written with another, or forged$" "$T/wrong.err"'
check "the secret is nowhere in DIR" '! grep -rqF "the secret of this job" "$BLUR_DIR"'
BLUR_SECRET_FILE="$T/secret" blur -slave > /dev/null
check "keyed job done by the keyed slave" 'wait $master'
check "keyed job gives the clean pixels" 'same_pixels "$T/keyed.tif" "$T/s-clean.tif" 8 0'
chmod 644 "$T/secret"
blur -master "$T/s.tif" -o "$T/keyed.tif" -secret "$T/secret" -slaves 1 2> "$T/open.err"
check "a secret others can read is refused" 'grep -q "others can read this secret (mode 0644); chmod 600 it" "$T/open.err"'
check "DIR empty after the secrets" 'dir_empty'
chmod 600 "$T/secret"

# With a secret a failed report counts only if signed: forged ones for versions a, b
# and c of block 0, written before any slave starts, cost the block a timeout each and
# the job nothing; -v names each once, and without -v nothing is said of them.
# forge_failed VERSIONS...: a claim of block 0 at each version, with a forged report.
forge_failed() {
	for v in "$@"; do
		mkdir "$BLUR_DIR/block.0.$v"
		printf 'evil:1\nforged failure\n' > "$BLUR_DIR/block.0.$v/failed"
	done
}
"$BLUR" -master "$T/s.tif" -o "$T/forged.tif" -rows 10 -secret "$T/secret" -timeout 1 \
    -v 2> "$T/forged.err" &
master=$!
wait_for "$BLUR_DIR/todo/block.0.a"
forge_failed a b c
BLUR_SECRET_FILE="$T/secret" "$BLUR" -slave > /dev/null 2>&1 &
slave=$!
check "forged failed reports do not fail a signed job" 'wait $master'
# Had they failed it, the slave would still wait for a job.
kill $slave 2>/dev/null
check "... which gives the clean pixels" 'same_pixels "$T/forged.tif" "$T/s-clean.tif" 8 0'
check "... counts no failure, and reissues block 0 past them" \
    '! grep -q " failed on \| failed [0-9]* time" "$T/forged.err" && grep -q "reissued as block\.0\.d$" "$T/forged.err"'
check "-v names each forged report once" \
    '[ "$(grep -c "^blur: block\.0\.[abc]: ignoring its failed report, which fails its HMAC: not from a slave with this job.s secret$" "$T/forged.err")" -eq 3 ] && [ "$(grep "ignoring its failed report" "$T/forged.err" | sort -u | wc -l)" -eq 3 ]'
wait
check "DIR empty after the forged reports" 'dir_empty'
"$BLUR" -master "$T/s.tif" -o "$T/forged.tif" -rows 10 -secret "$T/secret" -timeout 1 \
    2> "$T/forged.err" &
master=$!
wait_for "$BLUR_DIR/todo/block.0.a"
forge_failed a
BLUR_SECRET_FILE="$T/secret" "$BLUR" -slave > /dev/null 2>&1 &
slave=$!
check "without -v, a forged report is not mentioned" 'wait $master && ! grep -q "evil:1\|forged failure\|ignoring" "$T/forged.err"'
kill $slave 2>/dev/null
wait
# A genuine failure under a secret, signed by the slave, fails the job as ever.
blur -master "$T/s.tif" -o "$T/keyfail.tif" -rows 10 -secret "$T/secret" -slaves 1 \
    -retries 2 -exec 'exit 3' 2> "$T/keyfail.err"
st=$?
check "a signed failure still fails the job: status 1" '[ $st -eq 1 ] && [ ! -e "$T/keyfail.tif" ]'
check "... with its usual one line, once" \
    'tail -n 1 "$T/keyfail.err" | grep -qx "blur: block [0-9]* failed 2 times, last on $(hostname):[0-9]*: the command exited with status 3" && [ "$(grep -c "failed [0-9]* times\{0,1\}, last on" "$T/keyfail.err")" -eq 1 ]'
check "DIR empty after the signed failure" 'dir_empty'

# --- a master killed and resumed: finished results are reused, the rest done again.
# Results stay in DIR until the job ends; a hung claim on block 0 keeps it from ending.
"$BLUR" -master "$T/big.tif" -o "$T/resumed.tif" $SLOW 2> /dev/null &
master=$!
wait_for "$BLUR_DIR/working"
mkdir "$BLUR_DIR/block.0.a"
"$BLUR" -slave > /dev/null 2>&1 &
slave=$!
wait_done 3
kill -9 $master $slave
wait $master $slave 2>/dev/null
finished=$(ls "$BLUR_DIR"/block.*/done 2>/dev/null | wc -l)
check "the dead master left a partial output" 'ls -a "$T" | grep -q "^\.resumed\.tif\."'
check "resumed master succeeds" 'blur -master "$T/big.tif" -o "$T/resumed.tif" $SLOW -slaves 2 -resume 2> "$T/resume.err"'
reused=$(sed -n 's/.*resuming job [0-9a-f]*: \([0-9]*\) of 5 blocks reused, [0-9]* to do$/\1/p' "$T/resume.err")
todo=$(sed -n 's/.*resuming job [0-9a-f]*: [0-9]* of 5 blocks reused, \([0-9]*\) to do$/\1/p' "$T/resume.err")
check "resume reused every finished block (${reused:-none} of $finished)" '[ "${reused:-0}" -ge 3 -a "${reused:-0}" -eq "$finished" ]'
check "... and says how many are left to do (${todo:-none})" '[ -n "$todo" ] && [ $((reused + todo)) -eq 5 ]'
check "the dead claim on block 0 was reissued" 'grep -q "block\.0\.a was claimed when its master died; reissued as block\.0\.b$" "$T/resume.err"'
check "... said after the resuming line" '[ "$(grep -n "resuming job" "$T/resume.err" | cut -d: -f1)" -lt "$(grep -n "reissued as" "$T/resume.err" | head -n 1 | cut -d: -f1)" ]'
check "resumed output has the clean pixels" 'same_as_clean "$T/resumed.tif"'
check "the dead master's partial output is gone" '! ls -a "$T" | grep -q "^\.resumed\.tif\."'
check "DIR empty after the resume" 'dir_empty'
"$BLUR" -master "$T/big.tif" -o "$T/resumed.tif" $SLOW 2> /dev/null &
master=$!
wait_for "$BLUR_DIR/working"
kill -9 $master
wait $master 2>/dev/null
check "-resume with other settings is refused" 'blur -master "$T/big.tif" -o "$T/resumed.tif" -radius 5 -resume -slaves 1 2> "$T/resume.err"; [ $? -eq 1 ]'
check "... saying why" 'grep -q "cannot resume job [0-9a-f]*: it runs gaussian on $T/big.tif otherwise, with another secret, or the file changed; run without -resume to discard it" "$T/resume.err"'
check "... and leaving the dead job alone" '[ -e "$BLUR_DIR/working" ]'
check "-resume of another image is refused too" 'blur -master "$T/s.tif" -o "$T/fresh2.tif" -slaves 1 -resume 2> /dev/null; [ $? -eq 1 ]'
check "without -resume the dead job is discarded and the new one done" 'blur -master "$T/s.tif" -o "$T/fresh2.tif" -slaves 1 2> /dev/null'
check "DIR empty after the discarded job" 'dir_empty'
# A master killed (stopped first) once every result was in: all reused, nothing redone.
"$BLUR" -master "$T/s.tif" -o "$T/allin.tif" -rows 100 2> /dev/null &
master=$!
wait_for "$BLUR_DIR/todo/block.2.a"
kill -STOP $master
"$BLUR" -slave > /dev/null 2>&1 &
slave=$!
wait_done 3
kill -9 $master $slave
wait $master $slave 2>/dev/null
check "a master killed with every result in: resumed" 'blur -master "$T/s.tif" -o "$T/allin.tif" -rows 100 -resume 2> "$T/allin.err"'
check "... saying all 3 blocks are reused" 'grep -q ": resuming job [0-9a-f]*: all 3 blocks reused$" "$T/allin.err"'
check "... and reissuing none" '! grep -q "reissued" "$T/allin.err"'
check "... with the clean pixels" 'same_pixels "$T/allin.tif" "$T/s-clean.tif" 8 0'
check "DIR empty after resuming a finished job" 'dir_empty'

# --- a second master while a job runs
"$BLUR" -master "$T/big.tif" -o "$T/first.tif" $SLOW 2> /dev/null &
first=$!
wait_for "$BLUR_DIR/working"
check "second master exits 1" 'blur -master "$T/s.tif" -o "$T/second.tif" 2> "$T/second.err"; [ $? -eq 1 ]'
check "second master names DIR and the running job" 'grep -q "^blur: $BLUR_DIR: another job is running there" "$T/second.err"'
check "second master's error is one line" '[ "$(wc -l < "$T/second.err")" -eq 1 ]'
"$BLUR" -slave > /dev/null &
"$BLUR" -slave > /dev/null &
check "first job unharmed by the second master" 'wait $first'
check "first job's pixels are the clean ones" 'same_as_clean "$T/first.tif"'
wait
check "DIR empty after two masters" 'dir_empty'

# --- unexpected names in todo/ and DIR
mkdir -p "$BLUR_DIR"
echo "not ours" > "$BLUR_DIR/notes.txt"
"$BLUR" -master "$T/s.tif" -o "$T/junk.tif" -rows 10 2> /dev/null &
master=$!
wait_for "$BLUR_DIR/working"
for name in block.07.a block.-1.a "block.1.a " .block.1.a block.99999999999.a \
    BLOCK.1.a block.1.A block.1.aa block.1..a block.30.a block.3 "block.2.a.b" README; do
	: > "$BLUR_DIR/todo/$name"
done
mkdir "$BLUR_DIR/todo/block.4.b"
head -c 5000000 /dev/zero > "$BLUR_DIR/todo/block.5.c"
"$BLUR" -slave > "$T/junk1.out" 2>&1 &
s1=$!
"$BLUR" -slave > "$T/junk2.out" 2>&1 &
s2=$!
check "job with junk in todo/ succeeds" 'wait $master'
check "junk in todo/ changes no pixel" 'same_pixels "$T/junk.tif" "$T/s-clean.tif" 8 0'
check "slave 1 ignores junk and exits 0" 'wait $s1'
check "slave 2 ignores junk and exits 0" 'wait $s2'
# The 30 blocks, and perhaps the well-formed stranger block.5.c; never the malformed ones.
done_blocks=$(cat "$T/junk1.out" "$T/junk2.out" | sed -n 's/^Finished: \([0-9]*\).*/\1/p' | paste -sd+ | bc)
check "slaves did the 30 blocks and no malformed junk ($done_blocks)" '[ "$done_blocks" -ge 30 -a "$done_blocks" -le 31 ]'
check "another's file in DIR is kept" '[ "$(cat "$BLUR_DIR/notes.txt")" = "not ours" ]'
rm "$BLUR_DIR/notes.txt"
check "DIR empty after junk" 'dir_empty'

# --- a rogue that claims blocks and hands in garbage: every bad result is rejected with
# a log line and its block done again, and the pixels are the clean ones. Blocks are asked
# for as the input is decoded, in order: once block 5 is, the rogue has six to take.
"$BLUR" -master "$T/s.tif" -o "$T/rogue.tif" -rows 10 2> "$T/rogue.err" &
master=$!
wait_for "$BLUR_DIR/todo/block.5.a"
n=0
for f in "$BLUR_DIR"/todo/block.*; do
	b=$(basename "$f")
	mkdir "$BLUR_DIR/$b" || continue
	case $n in
	0) : > "$BLUR_DIR/$b/img.bit" ;;
	1) head -c 36000 /dev/zero > "$BLUR_DIR/$b/img.bit" ;;
	*) head -c $((n * 9999)) /dev/urandom > "$BLUR_DIR/$b/img.bit" ;;
	esac
	# A bad result's header is not believed: the claim's signature names the slave.
	[ $n -eq 2 ] && echo "rogue:7" > "$BLUR_DIR/$b/slave"
	: > "$BLUR_DIR/$b/done"
	n=$((n + 1))
	[ $n -eq 6 ] && break
done
"$BLUR" -slave > /dev/null &
check "job survives a rogue's garbage" 'wait $master'
check "each garbage result rejected with a log line" '[ "$(grep -c "^blur: block\.[0-9]*\.a from an unknown slave rejected: result " "$T/rogue.err")" -eq 5 ] && [ "$(grep -c "^blur: block\.[0-9]*\.a from rogue:7 rejected: result " "$T/rogue.err")" -eq 1 ]'
check "each rejected block done again" '[ "$(grep -c "had its result rejected; reissued as block\.[0-9]*\.b$" "$T/rogue.err")" -eq 6 ]'
check "rogue run gives the clean pixels" 'same_pixels "$T/rogue.tif" "$T/s-clean.tif" 8 0'
wait
check "DIR empty after the rogue" 'dir_empty'

# --- bad input: one line naming the file, status 1, no output, nothing in DIR
# refuses DESC FILE [ARGS...]
refuses() {
	desc=$1 file=$2
	shift 2
	rm -f "$T/bad-out.tif"
	blur -master "$file" -o "$T/bad-out.tif" -slaves 1 "$@" 2> "$T/bad.err"
	rc=$?
	check "$desc: exit status 1" '[ $rc -eq 1 ]'
	check "$desc: one line naming the file" '[ "$(wc -l < "$T/bad.err")" -eq 1 ] && grep -qF -- "$file" "$T/bad.err"'
	check "$desc: no output" '[ ! -e "$T/bad-out.tif" ]'
	check "$desc: DIR empty" 'dir_empty'
}
echo "hello" > "$T/text.tif"
: > "$T/empty.tif"
head -c 20000 "$T/s.tif" > "$T/truncated.tif"
mkdir "$T/adir.tif"
python3 - "$T" <<'PY'
import struct, sys
d = sys.argv[1]
def tiff(path, entries, data=b'\0' * 8, ifd_at=None):
    ifd = struct.pack('<H', len(entries)) + b''.join(
        struct.pack('<HHII', t, 4, 1, v) for t, v in entries) + struct.pack('<I', 0)
    at = 8 + len(data) if ifd_at is None else ifd_at
    open(path, 'wb').write(b'II*\0' + struct.pack('<I', at) + data + ifd)
base = [(256, 200000), (257, 200000), (258, 8), (259, 1), (262, 1), (273, 8), (277, 1),
        (278, 200000), (279, 8)]
tiff(d + '/huge.tif', base)                            # 40 GB claimed over 8 bytes
tiff(d + '/ifd.tif', base, ifd_at=1 << 30)             # first IFD far past the end
tiff(d + '/lzwhuge.tif', [(t, 5 if t == 259 else v) for t, v in base])
PY
refuses "text file named .tif" "$T/text.tif"
refuses "empty file" "$T/empty.tif"
refuses "truncated TIFF" "$T/truncated.tif"
refuses "directory" "$T/adir.tif"
refuses "missing file" "$T/missing.tif"
refuses "200000x200000 header over 8 bytes" "$T/huge.tif"
refuses "LZW 200000x200000 over 8 bytes" "$T/lzwhuge.tif"
refuses "corrupt IFD offset" "$T/ifd.tif"
rm -f "$T/bad-out.tif"
check "unwritable output: exit status 1" 'blur -master "$T/s.tif" -o "$T/no/such/dir/out.tif" -slaves 1 2> "$T/bad.err"; [ $? -eq 1 ]'
check "unwritable output: named in one line" '[ "$(wc -l < "$T/bad.err")" -eq 1 ] && grep -q "no/such/dir/out.tif" "$T/bad.err"'
check "unwritable output: found before DIR was touched" '[ ! -e "$BLUR_DIR/image.bit" ]'
check "unwritable output: DIR empty" 'dir_empty'

# --- an image of another format: one line naming it and the way out, status 1, before
# the output's name (by default the input's, so another format too) is judged; nothing
# made. ImageMagick's policy may forbid writing PDF: a PDF's first bytes, all blur reads
# of it, stand in then.
mkdir "$T/other"
# sniffed EXT WHAT: blur -master on an image made as EXT must say it is WHAT.
sniffed() {
	ext=$1 file=$T/other/in.$1 what=$2
	convert -size 8x8 xc:red "$file" 2> /dev/null ||
	    { [ "$ext" = pdf ] && printf '%%PDF-1.4\n' > "$file"; }
	blur -master "$file" -dir "$T/other.dir" -slaves 1 > /dev/null 2> "$T/other.err"
	st=$?
	check "$ext: exit status 1" '[ $st -eq 1 ]'
	check "$ext: one line: $what, and how to convert it" '[ "$(wc -l < "$T/other.err")" -eq 1 ] && grep -qxF "blur: $file: $what, not a TIFF; convert it first: convert $file $T/other/in.tif (or vips copy $file $T/other/in.tif)" "$T/other.err"'
	check "$ext: nothing created" '[ "$(ls -A "$T/other")" = "in.$ext" ] && [ ! -e "$T/other.dir" ]'
	rm -f "$file"
}
sniffed png "a PNG image"
sniffed jpg "a JPEG image"
sniffed gif "a GIF image"
sniffed webp "a WebP image"
sniffed jp2 "a JPEG 2000 image"
sniffed pdf "a PDF document"
sniffed bmp "a BMP image"
sniffed ppm "a PNM image"
convert -size 8x8 xc:red "$T/other/in.png"
blur -master "$T/other/in.png" -o "$T/other/out.tif" -dir "$T/other.dir" 2> "$T/other.err"
check "a PNG with -o OUT.tif: the same line" 'grep -qx "blur: $T/other/in.png: a PNG image, not a TIFF; .*" "$T/other.err"'
blur -master "$T/other/missing.png" -dir "$T/other.dir" 2> "$T/other.err"
st=$?
check "a missing input named .png: exit status 1" '[ $st -eq 1 ]'
check "... one line saying it is missing, not that the output is not TIFF" '[ "$(wc -l < "$T/other.err")" -eq 1 ] && grep -qx "blur: $T/other/missing.png: No such file or directory" "$T/other.err"'

# --- a hostile DIR: a symbolic link, another user's, writable by others. Refused with a
# hint, by master and slave, and nothing is written into it or where it points.
mkdir "$T/target" "$T/gw"
ln -s "$T/target" "$T/link"
chmod 770 "$T/gw"
if [ "$(id -u)" -eq 0 ]; then
	mkdir "$T/foreign"
	chmod 777 "$T/foreign"
	chown nobody "$T/foreign"
else
	foreign=/tmp	# root's and world-writable: foreign to us on any machine
fi
foreign=${foreign:-$T/foreign}
# blur_names DIR...: the names of blur's files in DIRs. Only those: in /tmp, other
# programs' files come and go while the test runs.
blur_names() {
	ls -A "$@" | grep -E '^(working|data\.dat|image\.bit|todo|progress|block\.[0-9]+\.[a-z]|(data\.dat|progress)\..*\.tmp)$'
}
for d in "$T/link:is a symbolic link" "$foreign:owned by another user" \
    "$T/gw:writable by group or others"; do
	dir=${d%%:*} why=${d#*:}
	before=$(blur_names "$dir" "$T/target")
	check "master refuses $why: status 1" 'blur -master "$T/s.tif" -o "$T/h.tif" -dir "$dir" -slaves 1 2> "$T/h.err"; [ $? -eq 1 ]'
	check "master refuses $why: one line with the reason and the way out" \
	    '[ "$(wc -l < "$T/h.err")" -eq 1 ] && grep -q "^blur: $dir: $why.*use -dir or BLUR_DIR" "$T/h.err"'
	check "slave refuses $why: status 1" 'blur -slave -dir "$dir" > /dev/null 2> "$T/h.err"; [ $? -eq 1 ]'
	check "slave refuses $why: says why" 'grep -q "^blur: $dir: $why" "$T/h.err"'
	check "nothing written into a DIR $why" '[ "$(blur_names "$dir" "$T/target")" = "$before" ]'
	check "no output beside a refused DIR $why" '[ ! -e "$T/h.tif" ]'
done
blur -master "$T/s.tif" -o "$T/fresh.tif" -dir "$T/fresh" -slaves 1
check "a DIR blur creates is mode 0700" '[ "$(stat -c %a "$T/fresh")" = 700 ]'

# --- a full disk, for DIR and for the output. The 4 MiB tmpfs lives in a private
# mount namespace (a user namespace makes that work without root) and vanishes with it.
mkdir "$T/full"
# on_full_disk COMMAND DIR: run COMMAND there; its status goes to full.rc, the files it
# left in DIR (on the tmpfs) to full.left. None of them is left from the last run.
on_full_disk() {
	rm -f "$T/full.rc" "$T/full.left" "$T/full.err"
	unshare --user --map-root-user --mount sh -c \
	    "mount -t tmpfs -o size=4M tmpfs '$T/full' && $1; echo \$? > '$T/full.rc';
	    ls -A '$2' > '$T/full.left'"
}
on_full_disk "BLUR_DIR='$T/full/dir' '$BLUR' -master '$T/big.tif' -o '$T/full-out.tif' -slaves 1 2> '$T/full.err'" "$T/full/dir"
check "full DIR: exit status 1" '[ "$(cat "$T/full.rc")" = 1 ]'
check "full DIR: refused at once, saying what it needs and has" 'grep -q "^blur: $T/full/dir: not enough room: this job writes 12 MiB there (the input and the results), and [0-4] MiB are free$" "$T/full.err"'
check "full DIR: no output" '[ ! -e "$T/full-out.tif" ]'
check "full DIR: DIR empty" '[ -e "$T/full.left" ] && [ ! -s "$T/full.left" ]'
on_full_disk "'$BLUR' -master '$T/big.tif' -o '$T/full/out.tif' -slaves 1 2> '$T/full.err'" "$T/full"
check "full output disk: exit status 1" '[ "$(cat "$T/full.rc")" = 1 ]'
check "full output disk: names the output" 'grep -q "$T/full/out.tif" "$T/full.err"'
check "full output disk: no output, no temporary" '[ -e "$T/full.left" ] && [ ! -s "$T/full.left" ]'
check "full output disk: DIR empty" 'dir_empty'

# --- a full disk under img.bit: the slave says so once, removes what it wrote and waits
# with the block; when there is room again the job ends with the clean pixels
cat > "$T/fullblock.sh" <<EOF
mount -t tmpfs -o size=1M tmpfs '$T/full' || exit 9
BLUR_DIR='$T/full/dir'; export BLUR_DIR
'$BLUR' -master '$T/s.tif' -o '$T/fullblock.tif' -rows 100 -timeout 2 2> /dev/null &
m=\$!
for i in \$(seq 1 500); do [ -e '$T/full/dir/working' ] && break; sleep 0.02; done
head -c 2000000 /dev/zero > '$T/full/filler' 2> /dev/null
'$BLUR' -slave > /dev/null 2> '$T/fullblock.slave' &
for i in \$(seq 1 500); do grep -q 'No space left' '$T/fullblock.slave' && break; sleep 0.02; done
ls -A '$T/full/dir'/block.* > '$T/fullblock.during' 2>&1
rm '$T/full/filler'
wait \$m
echo \$? > '$T/fullblock.rc'
wait
ls -A '$T/full/dir' > '$T/fullblock.left'
EOF
unshare --user --map-root-user --mount sh "$T/fullblock.sh"
check "full disk under img.bit: the slave says so, once" '[ "$(grep -c "^blur: $T/full/dir: No space left on device; waiting for room to deliver blocks$" "$T/fullblock.slave")" = 1 ] && [ "$(wc -l < "$T/fullblock.slave")" -le 2 ]'
# The slave goes on trying, so the listing may catch the temporary file of its next try;
# never one left from a failed one, and never a partial result under the name img.bit.
check "full disk under img.bit: no partial result named img.bit" '[ -e "$T/fullblock.during" ] && ! grep -qx img.bit "$T/fullblock.during"'
check "full disk under img.bit: no partial result left behind" '[ "$(grep -c "^img\.bit\..*\.tmp$" "$T/fullblock.during")" -le 1 ]'
check "full disk under img.bit: the job ends once there is room" '[ "$(cat "$T/fullblock.rc")" = 0 ]'
check "full disk under img.bit: with the clean pixels" 'same_pixels "$T/fullblock.tif" "$T/s-clean.tif" 8 0'
check "full disk under img.bit: DIR empty" '[ -e "$T/fullblock.left" ] && [ ! -s "$T/fullblock.left" ]'

# --- DIR filling up mid-job, for longer than a slave waits for a silent master, then
# freed: every process waits (the master still beats, touching progress), nobody
# leaves, no block is reissued or failed, and the job ends with the clean pixels.
# Filled for good: one line that says so, once the timeout has passed.
# fill_dir HOLD TIMEOUT: a job of 20 slow blocks, a local slave and another, DIR
# filled a second in and freed after HOLD s (never, if empty).
fill_dir() {
	rm -f "$T/fill.tif" "$T/fill".*
	cat > "$T/fill.sh" <<EOF
mount -t tmpfs -o size=16M tmpfs '$T/full' || exit 9
BLUR_DIR='$T/full/dir'; export BLUR_DIR
timeout 90 '$BLUR' -master '$T/big.tif' -o '$T/fill.tif' -exec 'sleep 0.4; cat' \\
    -rows 100 -slaves 1 -timeout $2 2> '$T/fill.master' &
m=\$!
for i in \$(seq 1 500); do [ -e '$T/full/dir/working' ] && break; sleep 0.02; done
timeout 90 '$BLUR' -slave -allow-exec > /dev/null 2> '$T/fill.slave' &
sleep 1
head -c \$(df -B1 --output=avail '$T/full' | tail -n 1) /dev/zero > '$T/full/filler' 2> /dev/null
date +%s > '$T/fill.full'
if [ -n "$1" ]; then sleep $1; rm '$T/full/filler'; fi
wait \$m
echo \$? > '$T/fill.rc'
echo \$((\$(date +%s) - \$(cat '$T/fill.full'))) > '$T/fill.took'
wait
rm -f '$T/full/filler'
ls -A '$T/full/dir' > '$T/fill.left'
EOF
	unshare --user --map-root-user --mount sh "$T/fill.sh"
}
fill_dir 12 30
check "DIR full for 12 s, then freed: the job ends, exit 0" '[ "$(cat "$T/fill.rc")" = 0 ]'
check "DIR full for 12 s, then freed: the clean pixels" 'same_pixels "$T/fill.tif" "$T/big.tif" 8 0'
check "DIR full for 12 s, then freed: the master says it once, and what is left to do" \
    '[ "$(grep -c "^blur: $T/full/dir: No space left on device: the blocks left need [0-9]* MiB there, 0 MiB are free; waiting up to 30 s for room$" "$T/fill.master")" = 1 ]'
check "DIR full for 12 s, then freed: and that there is room again" 'grep -q "^blur: $T/full/dir: room again; going on$" "$T/fill.master"'
check "DIR full for 12 s, then freed: no block reissued or failed" 'grep -q " 0 reissues, 0 failures$" "$T/fill.master"'
check "DIR full for 12 s, then freed: the local slave stays with its master" '! grep -q heartbeat "$T/fill.master"'
check "DIR full for 12 s, then freed: the other slave says it once and stays" \
    '[ "$(grep -c "No space left on device; waiting for room" "$T/fill.slave")" = 1 ] && ! grep -q "heartbeat" "$T/fill.slave"'
check "DIR full for 12 s, then freed: nothing from a library" 'only_lines "$T/fill.master" -e "^blur: " && only_lines "$T/fill.slave" -e "^blur: "'
check "DIR full for 12 s, then freed: DIR empty" '[ -e "$T/fill.left" ] && [ ! -s "$T/fill.left" ]'
fill_dir "" 3
check "DIR full for good: exit 1" '[ "$(cat "$T/fill.rc")" = 1 ]'
check "DIR full for good: one line that says so, last" \
    'tail -n 1 "$T/fill.master" | grep -q "^blur: $T/full/dir: No space left on device for [0-9]* s: the blocks left need [0-9]* MiB there, 0 MiB are free; job cancelled$"'
check "DIR full for good: within the timeout ($(cat "$T/fill.took") s)" '[ "$(cat "$T/fill.took")" -le 8 ]'
check "DIR full for good: no output, no partial output" '[ ! -e "$T/fill.tif" ] && ! ls -A "$T" | grep -q "^\.fill\.tif\..*\.partial$"'
check "DIR full for good: DIR empty" '[ -e "$T/fill.left" ] && [ ! -s "$T/fill.left" ]'

# --- ^C and kill: the master cancels the job and cleans up. A script's background job
# ignores SIGINT, so env gives it back its default for the ^C case.
for sig in INT TERM; do
	env --default-signal=INT "$BLUR" -master "$T/big.tif" -o "$T/int.tif" $SLOW \
	    -slaves 1 2> "$T/int.err" &
	master=$!
	wait_for_claim
	helpers=$(pgrep -P $master)
	kill -$sig $master
	check "SIG$sig: master exits 1" 'wait $master; [ $? -eq 1 ]'
	check "SIG$sig: master says the job was cancelled" 'grep -q "interrupted; job cancelled" "$T/int.err"'
	check "SIG$sig: no output" '[ ! -e "$T/int.tif" ]'
	sleep 0.5
	check "SIG$sig: the local slave is gone" '[ -n "$helpers" ] && ! kill -0 $helpers 2>/dev/null'
	check "SIG$sig: DIR empty" 'dir_empty'
done

# --- a claim nobody works on: as when an NFS client retransmits a slave's mkdir and the
# slave, answered EEXIST, thinks another won. It must cost a reissue, nothing more.
"$BLUR" -master "$T/s.tif" -o "$T/phantom.tif" -rows 10 -timeout 1 -poll 50 \
    2> "$T/phantom.err" &
master=$!
wait_for "$BLUR_DIR/todo/block.0.a"
mkdir "$BLUR_DIR/block.0.a"
"$BLUR" -slave -poll 50 > /dev/null &
check "a phantom claim: the job ends" 'wait $master'
check "a phantom claim is reissued" 'grep -q "^blur: block\.0\.a claimed by a slave and not done in 1 s; reissued as block\.0\.b$" "$T/phantom.err"'
check "a phantom claim: the clean pixels" 'same_pixels "$T/phantom.tif" "$T/s-clean.tif" 8 0'
# Block 0 came in last, so its strips are the last in the file: the strip table, not the
# order of the bytes, says where rows are.
offsets=$(tiffinfo -s "$T/phantom.tif" 2>/dev/null | sed -n 's/^ *[0-9]*: \[ *\([0-9]*\),.*/\1/p')
check "a block written last: its strips are at the end of the file" \
    '[ "$(echo "$offsets" | head -n 1)" -gt "$(echo "$offsets" | tail -n 1)" ]'
wait
check "DIR empty after a phantom claim" 'dir_empty'

# --- an NFS stand-in (.nfsXXXX, a removed file still open on some host) in todo/: the
# master waits for it to go before todo/ can go, and then leaves DIR empty.
"$BLUR" -master "$T/s.tif" -o "$T/standin.tif" -rows 10 2> "$T/standin.err" &
master=$!
wait_for "$BLUR_DIR/todo"
touch "$BLUR_DIR/todo/.nfs0000000000a1b2c300000001"
(sleep 3; rm "$BLUR_DIR/todo/.nfs0000000000a1b2c300000001" && echo gone) > "$T/standin.rm" &
"$BLUR" -slave > /dev/null &
check "NFS stand-in: the job ends" 'wait $master'
wait
check "NFS stand-in: left alone until it went" 'grep -q gone "$T/standin.rm"'
check "NFS stand-in: the clean pixels" 'same_pixels "$T/standin.tif" "$T/s-clean.tif" 8 0'
check "DIR empty after the stand-in went" 'dir_empty'

# --- polling instead of inotify, as on a network filesystem
blur -master "$T/s.tif" -o "$T/polled.tif" -rows 10 -slaves 2 -poll 20 -v 2> "$T/polled.err"
st=$?
# Once seen failing in the sanitized distcheck, with nothing said: its last words.
[ $st -eq 0 ] || grep -v " claimed by \| done\( by\|$\)" "$T/polled.err" | tail -n 8 | sed 's/^/# /'
check "-poll: job done" '[ $st -eq 0 ]'
check "-poll: the master says how it looks" 'grep -q "^blur: $BLUR_DIR: polling every 20 ms (" "$T/polled.err"'
check "-poll: local slaves poll too" 'grep -q "^blur: $(hostname):[0-9]*: $BLUR_DIR: polling every 20 ms (" "$T/polled.err"'
check "-poll: the clean pixels" 'same_pixels "$T/polled.tif" "$T/s-clean.tif" 8 0'
blur -master "$T/s.tif" -o "$T/notified.tif" -rows 10 -slaves 1 -v 2> "$T/notified.err"
check "without -poll on a local disk: inotify" 'grep -q "^blur: $BLUR_DIR: inotify (.*), rescan every 1000 ms$" "$T/notified.err"'
check "DIR empty after polling" 'dir_empty'

# --- when the job opens: on a local disk before the input is decoded, blocks asked for
# as their rows arrive; when polling (as on a network filesystem) only once image.bit is
# whole and closed, the blocks asked for after it. One LZW strip holds the whole image:
# the master decodes it (slaves would each decode all of it).
convert -size 6000x6000 xc:gray +noise Random -depth 8 -compress lzw \
    -define tiff:rows-per-strip=6000 "$T/wide.tif"
for mode in inotify poll; do
	opt=
	[ $mode = poll ] && opt="-poll 50"
	"$BLUR" -master "$T/wide.tif" -o "$T/wide-$mode.tif" -rows 100 $opt -q &
	master=$!
	wait_for "$BLUR_DIR/working"
	ls "$BLUR_DIR/todo" | wc -l > "$T/todo-$mode"
	stat -c %s "$BLUR_DIR/image.bit" > "$T/bit-$mode"
	"$BLUR" -slave -q > /dev/null &
	check "$mode: the job ends" 'wait $master'
	wait
done
echo "# todo files when the job opened: $(cat "$T/todo-inotify") (inotify), $(cat "$T/todo-poll") (polling)"
check "local disk: the job opens before every block is asked for" '[ "$(cat "$T/todo-inotify")" -lt 60 ]'
check "local disk: the job opens before image.bit is whole" '[ "$(cat "$T/bit-inotify")" -lt 36000000 ]'
check "polling: image.bit is whole when the job opens" '[ "$(cat "$T/bit-poll")" -eq 36000000 ]'
check "both ways give the same pixels" 'same_pixels "$T/wide-inotify.tif" "$T/wide-poll.tif" 8 0'
check "DIR empty after both" 'dir_empty'

# --- the master's collector threads (polling, as on a network filesystem): a todo file
# one of them cannot make (no inode left) ends the job in one line and leaves DIR empty
cat > "$T/inodes.sh" <<EOF
mount -t tmpfs -o size=16M,nr_inodes=24 tmpfs '$T/full' || exit 9
BLUR_DIR='$T/full/dir' timeout 60 '$BLUR' -master '$T/s.tif' -o '$T/inodes.tif' -rows 5 \
    -poll 50 2> '$T/inodes.err'
echo \$? > '$T/inodes.rc'
ls -A '$T/full/dir' > '$T/inodes.left'
EOF
unshare --user --map-root-user --mount sh "$T/inodes.sh"
check "no inode for a todo file: exit status 1" '[ "$(cat "$T/inodes.rc")" = 1 ]'
check "no inode for a todo file: one line saying so" '[ "$(wc -l < "$T/inodes.err")" -eq 1 ] && grep -q "^blur: $T/full/dir/todo: No space left on device$" "$T/inodes.err"'
check "no inode for a todo file: no output" '[ ! -e "$T/inodes.tif" ]'
check "no inode for a todo file: DIR empty" '[ -e "$T/inodes.left" ] && [ ! -s "$T/inodes.left" ]'

# --- a master killed while its collector threads look into, take and remove blocks (one
# row each, about 10 ms apiece, polling every 20 ms): the next master resumes the job
# from what is left. cat gives back the input.
"$BLUR" -master "$T/s.tif" -o "$T/collected.tif" -exec 'sleep 0.01; cat' -rows 1 -slaves 2 \
    -poll 20 2> /dev/null &
master=$!
for i in $(seq 1 1000); do
	[ "$(ls -d "$BLUR_DIR"/block.*/done 2>/dev/null | wc -l)" -ge 100 ] && break
	sleep 0.01
done
kill -9 $master
wait $master 2>/dev/null
sleep 0.5
check "master killed while collecting: its job is left" '[ -e "$BLUR_DIR/working" ] && [ ! -e "$T/collected.tif" ]'
check "...the next master resumes it" 'blur -master "$T/s.tif" -o "$T/collected.tif" -exec "sleep 0.01; cat" -rows 1 -slaves 2 -poll 20 -resume 2> "$T/collected.err"'
reused=$(sed -n 's/.*resuming job [0-9a-f]*: \([0-9]*\) of 300 blocks reused, [0-9]* to do$/\1/p' "$T/collected.err")
check "...reusing the results taken, not all (${reused:-none} of 300)" '[ "${reused:-0}" -ge 50 ] && [ "$reused" -lt 300 ]'
check "...with the input's pixels" 'same_pixels "$T/collected.tif" "$T/s.tif" 8 0'
check "DIR empty after the resumed collection" 'dir_empty'

# --- usage errors: status 2, one line naming the mistake and a hint, nothing more
for args in "-bogus" "-master" "-master x.tif -radius -3" "-master x.tif -rows 0" \
    "-master x.tif -sigma abc" "-master x.tif -filter sharpen" "-slave -master x.tif" "" \
    "-master x.tif extra -o x-out.tif" "-master x.tif -timeout 0" "-slave -poll 0"; do
	check "'blur $args' exits 2" 'blur $args 2> "$T/usage.err"; [ $? -eq 2 ]'
	check "'blur $args': one line, then Try 'blur -help'." \
	    '[ "$(wc -l < "$T/usage.err")" -eq 2 ] && grep -q "^blur: " "$T/usage.err" && sed -n 2p "$T/usage.err" | grep -qx "Try '"'blur -help'"'\."'
done

finish
