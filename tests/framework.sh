#!/bin/sh
# framework.sh — the framework's protocol on real masters and slaves: blocks that fail
# (always, once, with a wrong image, by hanging), who may run a command, a secret against
# a forged job and input, an operation a slave lacks, -ops and usage errors, failures in
# -status and DIR/progress, and renders (-size), POV-Ray's among them.
. "$TESTLIB"

HAVE_POVRAY=0
command -v povray > /dev/null && HAVE_POVRAY=1

# 3 x 8 + 2 one block always failing; 6 failing once; 3 x 4 wrong images; 7 + 4 + 3 hung
# commands; 6 + 6 who may run a command; 5 + 5 + 5 + 5 + 1 + 2 secrets; 3 + 2 a missing operation;
# 8 -ops, 9 x 3 usage errors; 12 failures shown; 8 x 2 x 2 renders, 5 with POV-Ray.
plan $((3 * 8 + 2 + 6 + 3 * 4 + 7 + 4 + 3 + 6 + 6 + 5 + 5 + 5 + 5 + 1 + 2 + 3 + 2 + 8 + 9 * 3 + \
    12 + 8 * 2 * 2 + 5 * HAVE_POVRAY + 2 + 2))

export T
HOST=$(hostname)
make_image "$T/in.tif" rgb8 120x96 5	# 6 blocks of 16 rows
BLOCKS=6

# wait_grep PATTERN FILE: until a line of FILE matches (10 s at most).
wait_grep() {
	for i in $(seq 1 1000); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.01; done
	return 1
}

# wait_todo N: until the job in DIR has asked for N blocks.
wait_todo() {
	for i in $(seq 1 500); do
		[ "$(ls "$BLUR_DIR/todo" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

# no_claims: no block of the job in DIR was ever claimed (nobody made block.N.v/).
no_claims() { ! ls -d "$BLUR_DIR"/block.* > /dev/null 2>&1; }

# lines FILE: the number of lines in FILE.
lines() { wc -l < "$1" | tr -d ' '; }

# elapsed_since START: whole seconds since START (date +%s).
elapsed_since() { echo $(($(date +%s) - $1)); }

# keyed_refuses WHAT FILE REASON: 3 checks. A keyed slave, on the job of $master whose
# FILE in DIR was changed, exits 1 with one line, "blur: DIR/FILE: REASON; leaving job
# ID", and computes nothing: it gives its claim back, and the master waits on.
keyed_refuses() {
	refused_line="blur: $BLUR_DIR/$2: $3; leaving job [0-9a-f]\{32\}"
	BLUR_SECRET_FILE=$T/secret blur -slave > /dev/null 2> "$T/refused.err"
	st=$?
	check "$1: the keyed slave exits 1" '[ $st -eq 1 ]'
	check "$1: in one line, saying so" \
	    '[ "$(lines "$T/refused.err")" -eq 1 ] && grep -qx "$refused_line" "$T/refused.err"'
	check "$1: nothing computed, its claim given back" 'no_claims && kill -0 $master'
}

# keyed_does WHAT OUT: 2 checks. A keyed slave does the job of $master, its files
# restored, and OUT has the pixels of the same blur without a secret ($T/clean3.tif).
keyed_does() {
	keyed_out=$2
	BLUR_SECRET_FILE=$T/secret blur -slave > /dev/null 2>&1
	check "$1" 'finishes 30 $master'
	check "... with the pixels of the same blur without a secret" \
	    'same_pixels "$keyed_out" "$T/clean3.tif" 8 0'
}

# ---------------------------------------------------------------------------------------
# 1. A command that always fails on block 3: the job fails as soon as the block has
# failed -retries times, with one line quoting the command's last words.
ALWAYS='[ $BLUR_BLOCK = 3 ] && { echo "smoke rises" >&2; echo "disk on fire" >&2; exit 4; }; cat'

# always_fails NAME SLAVES RETRIES [ARGS...]: run the job; 8 checks.
always_fails() {
	name=$1 slaves=$2 k=$3
	shift 3
	rm -f "$T/$name.tif"
	start=$(date +%s)
	blur -master "$T/in.tif" -o "$T/$name.tif" -rows 16 -slaves "$slaves" -exec "$ALWAYS" \
	    "$@" 2> "$T/$name.err"
	st=$?
	took=$(elapsed_since "$start")
	grep "^blur: block\.3\.[a-z] failed on $HOST:[0-9]*: the command exited with status 4$" \
	    "$T/$name.err" > "$T/$name.tries"
	check "$name: exit 1" '[ $st -eq 1 ]'
	check "$name: fails fast (${took} s, the timeout is 60)" '[ "$took" -le 12 ]'
	check "$name: the last line names the block, its tries and the command's last words" \
	    'tail -n 1 "$T/$name.err" | grep -qx "blur: block 3 failed $k times\{0,1\}, last on $HOST:[0-9]*: the command exited with status 4: disk on fire"'
	check "$name: that line is said once" '[ "$(grep -c "failed [0-9]* times\{0,1\}, last on" "$T/$name.err")" -eq 1 ]'
	check "$name: each of the $k tries is counted (a failed on line each)" \
	    '[ "$(lines "$T/$name.tries")" -eq "$k" ]'
	check "$name: each try passed the command's stderr on, after the block" \
	    '[ "$(grep -c "^blur: block 3: disk on fire$" "$T/$name.err")" -eq "$k" ]'
	check "$name: no output" '[ ! -e "$T/$name.tif" ] && ! ls -a "$T" | grep -q "^\.$name\.tif\."'
	check "$name: DIR empty" 'dir_empty'
}

always_fails always 2 3
# With two slaves the second try is the other slave's; the third falls to either.
tried=$(sed 's/.* failed on \([^:]*:[0-9]*\):.*/\1/' "$T/always.tries")
check "always: the first two tries on different slaves ($(echo $tried))" \
    '[ "$(echo "$tried" | head -n 2 | sort -u | wc -l)" -eq 2 ]'
always_fails once 2 1 -retries 1
always_fails five 5 5 -retries 5
tried=$(sed 's/.* failed on \([^:]*:[0-9]*\):.*/\1/' "$T/five.tries")
check "five: with five slaves, five tries on five slaves ($(echo $tried))" \
    '[ "$(echo "$tried" | sort -u | wc -l)" -eq 5 ]'

# ---------------------------------------------------------------------------------------
# 2. A command that fails each block's first try only: every block is retried, the job
# ends with the input's pixels, and the failures are counted.
mkdir "$T/first"
blur -master "$T/in.tif" -o "$T/first.tif" -rows 16 -slaves 2 -exec \
    'f=$T/first/$BLUR_BLOCK; [ -e $f ] || { : > $f; echo "not yet" >&2; exit 1; }; cat' \
    2> "$T/first.err"
st=$?
check "first tries fail: the job ends, exit 0" '[ $st -eq 0 ]'
check "first tries fail: every block was tried once before" '[ "$(ls "$T/first" | wc -l)" -eq $BLOCKS ]'
check "first tries fail: the input's pixels" 'same_pixels "$T/first.tif" "$T/in.tif" 8 0'
check "first tries fail: a failed on line for each block's try a" \
    '[ "$(grep -c "^blur: block\.[0-5]\.a failed on $HOST:[0-9]*: the command exited with status 1$" "$T/first.err")" -eq $BLOCKS ]'
check "first tries fail: the summary counts $BLOCKS failures and reissues" \
    'grep -qx "blur: wrote $T/first.tif: $BLOCKS blocks in [0-9.]* s, $BLOCKS reissues, $BLOCKS failures" "$T/first.err"'
check "first tries fail: DIR empty" 'dir_empty'

# ---------------------------------------------------------------------------------------
# 3. A command that writes the wrong image: the block fails with the reason, in sizes.
wrong() {
	name=$1 cmd=$2 why=$3
	rm -f "$T/$name.tif"
	blur -master "$T/in.tif" -o "$T/$name.tif" -rows 16 -slaves 1 -retries 1 -exec "$cmd" \
	    2> "$T/$name.err"
	st=$?
	check "$name ($cmd): exit 1" '[ $st -eq 1 ]'
	check "$name: the last line says what is wrong" \
	    'tail -n 1 "$T/$name.err" | grep -qx "blur: block [0-5] failed 1 time, last on $HOST:[0-9]*: $why"'
	check "$name: no output" '[ ! -e "$T/$name.tif" ]'
	check "$name: DIR empty" 'dir_empty'
}
wrong header 'head -c 10' "the command's output ends inside a PNM header"
wrong short 'head -c 100' "the command's 120x16 image ends after 86 of its 5760 bytes"
wrong rows 'convert pnm:- -crop 120x5+0+0 pnm:-' \
    "the command wrote 120x5 RGB, maxval 255; wanted 120 wide, RGB or gray, maxval 255, and 16 or 96 rows"

# ---------------------------------------------------------------------------------------
# 4. A command that hangs on block 2's first try. Its sleep is told apart by its argument
# (the shell's own command line shows $FW_HANG unexpanded); MARK is in every command line.
export FW_HANG=600.$$
MARK="fw-hang-$$"
gone() { ! pgrep -f "sleep $FW_HANG" > /dev/null && ! pgrep -f "$MARK" > /dev/null; }
# Whatever a failed check left running is ours: end it by its id.
end_hung() { for p in $(pgrep -f "sleep $FW_HANG"; pgrep -f "$MARK"); do kill "$p" 2>/dev/null; done; }
HANG='f=$T/hang/$BLUR_BLOCK; if [ $BLUR_BLOCK = 2 ] && [ ! -e $f ]; then : > $f; sleep $FW_HANG; fi; cat # '$MARK

# The local slaves: the job ends at once after the reissue.
mkdir "$T/hang"
(sleep 1; pgrep -f "sleep $FW_HANG" > "$T/hang.during") &
watcher=$!
start=$(date +%s)
blur -master "$T/in.tif" -o "$T/hang.tif" -rows 16 -slaves 2 -timeout 2 -exec "$HANG" 2> "$T/hang.err"
st=$?
took=$(elapsed_since "$start")
wait $watcher
check "hung command: the job ends, exit 0, in ${took} s" '[ $st -eq 0 ] && [ "$took" -le 10 ]'
check "hung command: it was running a second into the job" '[ -s "$T/hang.during" ]'
check "hung command: its block reissued after the timeout" \
    'grep -qx "blur: block\.2\.a claimed by $HOST:[0-9]* and not done in 2 s; reissued as block\.2\.b" "$T/hang.err"'
check "hung command: the input's pixels" 'same_pixels "$T/hang.tif" "$T/in.tif" 8 0'
check "hung command: DIR empty" 'dir_empty'
sleep 0.5
check "hung command: ended with the job (no sleep $FW_HANG left)" '! pgrep -f "sleep $FW_HANG" > /dev/null'
check "hung command: no process of the job's commands is left" '! pgrep -f "$MARK" > /dev/null'
end_hung

# Slaves started on their own: nothing is left running either.
rm -rf "$T/hang"; mkdir "$T/hang"
"$BLUR" -master "$T/in.tif" -o "$T/hang2.tif" -rows 16 -timeout 2 -exec "$HANG" 2> "$T/hang2.err" &
master=$!
"$BLUR" -slave -allow-exec > /dev/null 2> "$T/hang2.s1" &
s1=$!
"$BLUR" -slave -allow-exec > /dev/null 2> "$T/hang2.s2" &
s2=$!
check "hung command, own slaves: the job ends" 'finishes 30 $master'
check "hung command, own slaves: both slaves exit 0" 'finishes 10 $s1 && finishes 10 $s2'
check "hung command, own slaves: the input's pixels" 'same_pixels "$T/hang2.tif" "$T/in.tif" 8 0'
sleep 0.5
check "hung command, own slaves: nothing left running" 'gone'
end_hung

# Local slaves, a job that goes on: the hung command is ended once its block is in from
# the next version, not only when the job ends. Three blocks, four slaves: block 0 hangs
# on its first try; block 1 lasts while the hang does (at least a second, at most 8), then
# one more; block 2 is quick. At 2 s both 0 and 1 are reissued to the two idle slaves.
rm -rf "$T/hang"; mkdir "$T/hang"
LAST='case $BLUR_BLOCK in 0) [ -e $T/hang/0 ] || { : > $T/hang/0; sleep $FW_HANG; } ;; 1) sleep 1; i=0; while [ $i -lt 70 ] && pgrep -f "sleep $FW_HANG" > /dev/null; do sleep 0.1; i=$((i + 1)); done; sleep 1 ;; esac; cat # '$MARK
"$BLUR" -master "$T/in.tif" -o "$T/hang3.tif" -rows 32 -slaves 4 -timeout 2 -exec "$LAST" \
    2> "$T/hang3.err" &
master=$!
: > "$T/hang3.gone"
(sleep 1; while kill -0 $master 2>/dev/null; do
	pgrep -f "sleep $FW_HANG" > /dev/null || { echo ended > "$T/hang3.gone"; break; }
	sleep 0.1
done) &
watcher=$!
check "hung command, a job that goes on: the job ends" 'finishes 30 $master'
wait $watcher
check "hung command, a job that goes on: the command was ended while the job ran" 'grep -q ended "$T/hang3.gone"'
check "hung command, a job that goes on: the input's pixels" 'same_pixels "$T/hang3.tif" "$T/in.tif" 8 0'
end_hung

# ---------------------------------------------------------------------------------------
# 5. Who may run a command: a slave started on its own, on a job without a secret, only
# with -allow-exec; the master's own slaves always.
"$BLUR" -master "$T/in.tif" -o "$T/allow.tif" -rows 16 -exec cat 2> "$T/allow.err" &
master=$!
wait_todo $BLOCKS
blur -slave > "$T/deny.out" 2> "$T/deny.err"
st=$?
check "no -allow-exec: exit 1" '[ $st -eq 1 ]'
check "no -allow-exec: one line, saying why and how to allow it" \
    '[ "$(lines "$T/deny.err")" -eq 1 ] && grep -qx "blur: $BLUR_DIR: job [0-9a-f]\{32\} runs a command on each block, and has no secret: taking no block of it (anyone who can write DIR could have asked); use -allow-exec to run it, or a -secret" "$T/deny.err"'
check "no -allow-exec: took no block, the job still waits" 'no_claims && kill -0 $master'
"$BLUR" -slave -allow-exec > "$T/allowed.out" 2> /dev/null &
allowed=$!
check "-allow-exec: the job ends" 'finishes 30 $master'
check "-allow-exec: the slave did every block" \
    'finishes 10 $allowed && grep -qx "Finished: $BLOCKS blocks" "$T/allowed.out" && grep -qx "blur:   $HOST:$allowed: $BLOCKS blocks (100%)" "$T/allow.err"'
check "the master's advice for a job without a secret names -allow-exec" \
    'grep "waiting for slaves" "$T/allow.err" | grep -q -- -allow-exec'

# -persist: said once for each job, and the slave waits on; local slaves do the job.
"$BLUR" -slave -persist > "$T/persist.out" 2> "$T/persist.err" &
persist=$!
sleep 0.3
blur -master "$T/in.tif" -o "$T/persist.tif" -rows 16 -slaves 1 -v -exec 'sleep 0.2; cat' \
    2> "$T/persist.merr"
st=$?
sleep 1.5	# the persistent slave sees DIR come and go
check "-persist, no -allow-exec: the job ends with the local slave" '[ $st -eq 0 ] && same_pixels "$T/persist.tif" "$T/in.tif" 8 0'
check "-persist, no -allow-exec: said once, in one line" \
    '[ "$(lines "$T/persist.err")" -eq 1 ] && grep -q "runs a command on each block, and has no secret: taking no block of it.*use -allow-exec" "$T/persist.err"'
check "-persist, no -allow-exec: took no block (the master never names it)" '! grep -q ":$persist\b" "$T/persist.merr"'
check "-persist, no -allow-exec: still waiting after the job" 'kill -0 $persist'
blur -master "$T/in.tif" -o "$T/persist.tif" -rows 16 -slaves 1 -q -exec cat
sleep 1
check "-persist, no -allow-exec: said once again for the next job" '[ "$(lines "$T/persist.err")" -eq 2 ]'
kill $persist
check "-persist: stopped by SIGTERM, DIR empty" 'finishes 10 $persist; [ $? -eq 1 ] && dir_empty'

# ---------------------------------------------------------------------------------------
# 6. A secret: a slave computes only what the master signed. The job stays open (no local
# slaves) while its files are changed under it. The input in one LZW strip, which the
# master decodes into image.bit.
printf 'the secret of this job\n' > "$T/secret"
chmod 600 "$T/secret"
tiffcp -c lzw -r 96 "$T/in.tif" "$T/in-one.tif"
blur -master "$T/in.tif" -o "$T/clean3.tif" -rows 16 -radius 3 -slaves 2 -q
"$BLUR" -master "$T/in-one.tif" -o "$T/keyed.tif" -rows 16 -radius 3 -secret "$T/secret" \
    2> "$T/keyed.err" &
master=$!
wait_todo $BLOCKS
cp "$BLUR_DIR/data.dat" "$T/data.dat"
cp "$BLUR_DIR/image.bit" "$T/image.bit"
# Another radius, consistent with its sigma and halo, under the old auth line.
sed -e 's/^param radius 3$/param radius 5/' -e 's/^param sigma 1.5$/param sigma 2.5/' \
    -e 's/^halo 3 3$/halo 5 5/' "$T/data.dat" > "$BLUR_DIR/data.dat.x"
mv "$BLUR_DIR/data.dat.x" "$BLUR_DIR/data.dat"
BLUR_SECRET_FILE=$T/secret blur -slave > /dev/null 2> "$T/forged.err"
st=$?
check "forged data.dat: the edit took (radius 5 under the old auth line)" \
    'grep -qx "param radius 5" "$BLUR_DIR/data.dat" && [ "$(grep "^auth" "$BLUR_DIR/data.dat")" = "$(grep "^auth" "$T/data.dat")" ]'
check "forged data.dat: the keyed slave exits 1" '[ $st -eq 1 ]'
check "forged data.dat: in one line, saying so" \
    '[ "$(lines "$T/forged.err")" -eq 1 ] && grep -qx "blur: $BLUR_DIR/data.dat: not signed with this secret: written with another, or forged" "$T/forged.err"'
check "forged data.dat: nothing computed, nothing claimed" 'no_claims'
cp "$T/data.dat" "$BLUR_DIR/data.dat.x"
mv "$BLUR_DIR/data.dat.x" "$BLUR_DIR/data.dat"
check "forged data.dat: the master is still waiting" 'kill -0 $master'

# Every row of image.bit changed: the first block claimed is refused, and given back.
LC_ALL=C tr '\000-\377' '\001-\377\000' < "$T/image.bit" > "$BLUR_DIR/image.bit.x"
cat "$BLUR_DIR/image.bit.x" > "$BLUR_DIR/image.bit"
rm "$BLUR_DIR/image.bit.x"
keyed_refuses "changed image.bit" image.bit \
    "the input rows of block [0-5] are not the ones the master signed"
cat "$T/image.bit" > "$BLUR_DIR/image.bit"
keyed_does "the same job, its files restored: the keyed slave does it" "$T/keyed.tif"

# The same where slaves decode the input (image.tif), a job of one block (16-row LZW
# strips): a byte of a strip changed in DIR's copy, and the slave refuses what it reads.
tiffcp -c lzw -r 16 "$T/in.tif" "$T/in-lzw.tif"
"$BLUR" -master "$T/in-lzw.tif" -o "$T/keyed-lzw.tif" -rows 96 -radius 3 \
    -secret "$T/secret" 2> /dev/null &
master=$!
wait_todo 1
cp "$BLUR_DIR/image.tif" "$T/image.tif"
cp "$T/image.tif" "$BLUR_DIR/image.tif.x"
printf '\377' | dd of="$BLUR_DIR/image.tif.x" bs=1 seek=100 conv=notrunc 2> /dev/null
mv "$BLUR_DIR/image.tif.x" "$BLUR_DIR/image.tif"
keyed_refuses "changed image.tif" image.tif \
    "the stored bytes of block 0 are not the ones the master signed"
cp "$T/image.tif" "$BLUR_DIR/image.tif.x"
mv "$BLUR_DIR/image.tif.x" "$BLUR_DIR/image.tif"
keyed_does "image.tif restored: the keyed slave decodes it" "$T/keyed-lzw.tif"

# image.tif of another size than the input's, as a network filesystem shows a file still
# being copied to a client that listed it: looked at again for a while, refused only if
# it stays so; the right size in time, the job done.
"$BLUR" -master "$T/in-lzw.tif" -o "$T/short.tif" -rows 96 -radius 3 2> /dev/null &
master=$!
wait_todo 1
size=$(stat -c %s "$T/in-lzw.tif")
head -c 100 "$T/in-lzw.tif" > "$BLUR_DIR/image.tif.x"
mv "$BLUR_DIR/image.tif.x" "$BLUR_DIR/image.tif"
blur -slave -poll 20 > /dev/null 2> "$T/short.err"
st=$?
check "image.tif short for good: exit 1, said in one line, nothing claimed" \
    '[ $st -eq 1 ] && [ "$(lines "$T/short.err")" -eq 1 ] && no_claims &&
    grep -qx "blur: $BLUR_DIR/image.tif: 100 bytes, not the $size of the job.s input" "$T/short.err"'
(sleep 0.1; ln "$T/in-lzw.tif" "$BLUR_DIR/image.tif.x" &&
    mv "$BLUR_DIR/image.tif.x" "$BLUR_DIR/image.tif") &
blur -slave -poll 20 > /dev/null 2> "$T/short.err"
wait $!
check "image.tif short, then whole: looked at again, the job done" \
    'finishes 30 $master && same_pixels "$T/short.tif" "$T/clean3.tif" 8 0'

# A keyed master killed with its job open, data.dat forged: the next master clears it.
"$BLUR" -master "$T/in.tif" -o "$T/dead.tif" -rows 16 -radius 3 -secret "$T/secret" 2> /dev/null &
master=$!
wait_todo $BLOCKS
sed -e 's/^param radius 3$/param radius 5/' -e 's/^param sigma 1.5$/param sigma 2.5/' \
    -e 's/^halo 3 3$/halo 5 5/' "$BLUR_DIR/data.dat" > "$BLUR_DIR/data.dat.x"
mv "$BLUR_DIR/data.dat.x" "$BLUR_DIR/data.dat"
kill -9 $master
wait $master 2>/dev/null
check "killed keyed master: it left its job and a partial output" \
    '[ -e "$BLUR_DIR/working" ] && ls -a "$T" | grep -q "^\.dead\.tif\..*\.partial$"'
blur -master "$T/in.tif" -o "$T/after.tif" -rows 16 -radius 3 -slaves 2 2> "$T/after.err"
st=$?
check "the next master succeeds" '[ $st -eq 0 ] && same_pixels "$T/after.tif" "$T/clean3.tif" 8 0'
check "... saying what it removed" \
    'grep -qx "blur: $BLUR_DIR: removing job [0-9a-f]\{32\} ($T/in.tif, 0 of $BLOCKS blocks finished), whose master is gone; -resume would have continued it" "$T/after.err"'
check "... the dead master's partial output with it" '! ls -a "$T" | grep -q "^\.dead\.tif\."'
check "... and DIR is empty" 'dir_empty'

# The dead job's data.dat names what the next master removes as the partial output: it
# must not be any file whoever can write DIR names there.
"$BLUR" -master "$T/in.tif" -o "$T/dead.tif" -rows 16 -secret "$T/secret" 2> /dev/null &
master=$!
wait_todo $BLOCKS
kill -9 $master
wait $master 2>/dev/null
echo "precious" > "$T/victim"
sed "s|^partial .*|partial $T/victim|" "$BLUR_DIR/data.dat" > "$BLUR_DIR/data.dat.x"
mv "$BLUR_DIR/data.dat.x" "$BLUR_DIR/data.dat"
blur -master "$T/in.tif" -o "$T/after.tif" -rows 16 -slaves 2 -q
check "a dead job's forged partial line does not make the next master remove that file" '[ -e "$T/victim" ]'
ls -a "$T" | sed -n 's/^\(\.dead\.tif\..*\.partial\)$/\1/p' | while read -r p; do rm -f "$T/$p"; done

# Keyed jobs with local slaves: a slave never finds its own master's rows unsigned (as
# when it reads a todo file made but not yet written). Its slaves wait while the master
# decodes a larger input band by band, asking for each block as its rows come: up to
# ROUNDS jobs, until one goes wrong.
convert -size 1200x1200 xc:gray -seed 3 +noise Random -depth 8 -compress none "$T/big.tif"
ROUNDS=12
round=0 ended=0 refused=0
while [ $round -lt $ROUNDS ] && [ $ended -eq $round ] && [ $refused -eq 0 ]; do
	round=$((round + 1))
	timeout 15 "$BLUR" -master "$T/big.tif" -o "$T/keyed.tif" -radius 1 -slaves 2 \
	    -secret "$T/secret" 2> "$T/keyed.err" && ended=$((ended + 1))
	grep -q "not the ones the master signed" "$T/keyed.err" && refused=$((refused + 1))
done
check "keyed jobs with local slaves: every one ends ($ended of $round did)" '[ $ended -eq $round ]'
check "keyed jobs with local slaves: no slave refuses its master's rows ($refused of $round jobs had one)" \
    '[ $refused -eq 0 ] && [ $round -eq $ROUNDS ]'
rm -rf "$BLUR_DIR"

# ---------------------------------------------------------------------------------------
# 7. A job of an operation this slave does not have, written by hand.
mkdir -m 700 "$BLUR_DIR" "$BLUR_DIR/todo"
id=0123456789abcdef0123456789abcdef
printf 'blur %d\nid %s\norder little\nwidth 120\nheight 96\nsamples 3\nformat uint8\nalpha 0\nnodata none\nrender 0\nop sharpen\nparam radius 2\nhalo 2 2\nrows 16\nblocks 6\nlayout 1 1 2 0 0 0 0 0 16\noverviews 0 average up\ndecode master\ninput %s\noutput %s\nsource 1 2 3 4.5\npartial %s\nauth none\n' \
    $PROTOCOL $id "$T/in.tif" "$T/sharp.tif" "$T/.sharp.tif.$id.partial" > "$BLUR_DIR/data.dat"
: > "$BLUR_DIR/todo/block.0.a"
echo $id > "$BLUR_DIR/working"
blur -slave > /dev/null 2> "$T/sharpen.err"
st=$?
check "op sharpen: the slave exits 1" '[ $st -eq 1 ]'
check "op sharpen: one line, naming it" \
    '[ "$(lines "$T/sharpen.err")" -eq 1 ] && grep -qx "blur: $BLUR_DIR/data.dat: a job of operation sharpen, which this blur does not have" "$T/sharpen.err"'
check "op sharpen: took no block" 'no_claims'

# data.dat of another job than `working` names, as a network filesystem's cached copy of
# the last job's shows it: looked at again for a while, refused only if it stays so.
other=fedcba9876543210fedcba9876543210
cp "$BLUR_DIR/data.dat" "$T/sharpen.dat"
sed -e 's/^op sharpen$/op gaussian/' -e 's/^param radius 2$/param radius 2\nparam sigma 1/' \
    "$T/sharpen.dat" > "$BLUR_DIR/data.dat"
echo $other > "$BLUR_DIR/working"
blur -slave -poll 20 > /dev/null 2> "$T/stale.err"
st=$?
check "another job's data.dat for good: exit 1, said in one line" \
    '[ $st -eq 1 ] && [ "$(lines "$T/stale.err")" -eq 1 ] && grep -q "data.dat belongs to another job" "$T/stale.err"'
(sleep 0.1; sed "s/^id .*/id $other/" "$T/sharpen.dat" > "$BLUR_DIR/data.dat.x" &&
    mv "$BLUR_DIR/data.dat.x" "$BLUR_DIR/data.dat") &
blur -slave -poll 20 > /dev/null 2> "$T/stale.err"
wait
check "another job's data.dat, then the right one: read again, and judged on its own" \
    'grep -q "a job of operation sharpen, which this blur does not have" "$T/stale.err" && no_claims'
cp "$T/sharpen.dat" "$BLUR_DIR/data.dat"
echo $id > "$BLUR_DIR/working"

# A render (no input) of an operation that needs one: refused, not run on no rows.
sed -e 's/^render 0$/render 1/' -e 's/^op sharpen$/op gaussian/' -e 's/^param radius 2$/param radius 2\nparam sigma 1/' \
    "$BLUR_DIR/data.dat" > "$BLUR_DIR/data.dat.x"
mv "$BLUR_DIR/data.dat.x" "$BLUR_DIR/data.dat"
blur -slave > /dev/null 2> "$T/drawless.err"
st=$?
check "a render of gaussian: the slave exits 1 (got $st)" '[ $st -eq 1 ]'
check "a render of gaussian: one line says why" '[ "$(lines "$T/drawless.err")" -eq 1 ] && grep -q "^blur: $BLUR_DIR/data.dat: .*gaussian" "$T/drawless.err" && no_claims'
rm -rf "$BLUR_DIR"

# ---------------------------------------------------------------------------------------
# 8. -ops, and the command line's mistakes.
blur -ops > "$T/ops.out" 2>&1
st=$?
# section OP: the lines -ops gives operation OP, its own first.
section() { awk -v op="$1" '/^[^\t]/ { on = $1 == op } on' "$T/ops.out"; }
TAB=$(printf '\t')
missing=$(for op in gaussian box unsharp median convolve exec; do
	grep -q "^$op$TAB" "$T/ops.out" || echo $op
done)
check "-ops: exit 0, every operation listed (missing:${missing:- none})" '[ $st -eq 0 ] && [ -z "$missing" ]'
check "-ops: gaussian, its halo, -radius and -sigma with defaults and ranges" \
    'section gaussian | grep -q "halo: radius rows above and below" && section gaussian | grep -q -- "-radius whole number from 1 to 1000, default 4" && section gaussian | grep -q -- "-sigma number from 0.001 to 1000.*radius / 2"'
check "-ops: box" 'section box | grep -q "halo: radius" && section box | grep -q -- "-radius whole number from 1 to 1000, default 4"'
check "-ops: unsharp" \
    'section unsharp | grep -q "halo: radius" && section unsharp | grep -q -- "-amount number from -1000 to 1000, default 1" && section unsharp | grep -q -- "-threshold number from 0 to 1, default 0.05"'
check "-ops: median" 'section median | grep -q "halo: radius" && section median | grep -q -- "-radius whole number from 1 to 127, default 2"'
check "-ops: convolve" 'section convolve | grep -q "halo: H-1-Y rows above, Y below" && section convolve | grep -q -- "-kernel" && section convolve | grep -q -- "-scale, default 1"'
check "-ops: exec" 'section exec | grep -q "halo: -halo rows" && section exec | grep -q -- "-halo whole number from 0 to 100000, default 0"'
check "-ops: a halo line for each operation" \
    '[ "$(grep -c "^${TAB}halo: " "$T/ops.out")" -eq "$(grep -c "^[^$TAB]" "$T/ops.out")" ]'

# usage DESC MESSAGE ARGS...: exit 2, one line (MESSAGE, a grep -x pattern after "blur: "),
# then "Try 'blur -help'." and nothing more. Three checks. A command line taken for a job is ended after 5 s.
usage() {
	desc=$1 msg=$2
	shift 2
	timeout 5 "$BLUR" "$@" > "$T/usage.out" 2> "$T/usage.err"
	st=$?
	check "usage, $desc: exit 2 (got $st)" '[ $st -eq 2 ]'
	check "usage, $desc: one line says why" \
	    'head -n 1 "$T/usage.err" | grep -qx "blur: $msg" && [ "$(grep -c "^blur: " "$T/usage.err")" -eq 1 ]'
	check "usage, $desc: then the hint alone, and nothing done" \
	    'sed -n 2p "$T/usage.err" | grep -qx "Try '"'blur -help'"'\." && [ "$(wc -l < "$T/usage.err")" -eq 2 ] && [ ! -s "$T/usage.out" ] && dir_empty'
}
usage "-sigma with median" "-sigma is not a parameter of median (it takes -radius)" \
    -master "$T/in.tif" -op median -sigma 2
usage "-op nosuch" "-op 'nosuch': no such operation (blur -ops lists them)" \
    -master "$T/in.tif" -op nosuch
usage "-radius with -exec" "-radius is not a parameter of exec (it takes .*-halo -frame)" \
    -master "$T/in.tif" -exec cat -radius 2
usage "-halo with gaussian" "-halo is not a parameter of gaussian (it takes -radius -sigma)" \
    -master "$T/in.tif" -halo 2
usage "-size without -o" "a render (-size) needs -o OUT" \
    -master -size 64x48 -exec cat
usage "-size without -exec" ".*-exec.*" \
    -master -size 64x48 -o "$T/noexec.tif"
usage "-size with an input" "-size goes with -master and no IN: a render" \
    -master "$T/in.tif" -size 64x48 -exec cat
usage "-depth 12" "-depth '12': must be 8 or 16" \
    -master -size 64x48 -depth 12 -exec cat -o "$T/d12.tif"
usage "-samples 5" "-samples '5': must be a whole number from 1 to 4" \
    -master -size 64x48 -samples 5 -exec cat -o "$T/s5.tif"
rm -rf "$BLUR_DIR"

# ---------------------------------------------------------------------------------------
# 9. Failures as the operator sees them. The master is stopped while block 2 carries a
# failed report nobody has answered, so that -status sees it as it is.
"$BLUR" -master "$T/in.tif" -o "$T/shown.tif" -rows 16 -v 2> "$T/shown.err" &
master=$!
wait_todo $BLOCKS
kill -STOP $master
mkdir "$BLUR_DIR/block.2.a"
printf 'far:4242\nthe disk is on fire\nlast words\n' > "$BLUR_DIR/block.2.a/failed.x"
mv "$BLUR_DIR/block.2.a/failed.x" "$BLUR_DIR/block.2.a/failed"
blur -status > "$T/status1.out"
check "-status: a failed block not yet reissued is x in the map" 'tail -n 1 "$T/status1.out" | grep -qx "\.\.x\.\.\."'
check "-status: and counted" 'grep -qx "failures 0, 1 block failed and not yet reissued" "$T/status1.out"'
kill -CONT $master
wait_grep "^failures 1$" "$BLUR_DIR/progress"
check "DIR/progress: a failures 1 line" 'grep -qx "failures 1" "$BLUR_DIR/progress"'
blur -status > "$T/status2.out"
check "-status: the failure counted once reissued" 'grep -qx "failures 1, 0 blocks failed and not yet reissued" "$T/status2.out"'
check "-status: the reissued block is ! in the map" 'tail -n 1 "$T/status2.out" | grep -qx "\.\.!\.\.\."'
check "-status: block 2 asked for as its version b" '[ -e "$BLUR_DIR/todo/block.2.b" ] && [ ! -e "$BLUR_DIR/todo/block.2.a" ]'
check "-v: the failure, who and why" 'grep -qx "blur: block\.2\.a failed on far:4242: the disk is on fire" "$T/shown.err"'
check "-v: the reissue" 'grep -qx "blur: block\.2\.a failed; reissued as block\.2\.b" "$T/shown.err"'
blur -slave > /dev/null 2>&1
check "failure shown: the job ends" 'finishes 30 $master'
check "failure shown: the summary counts 1 failure" 'grep -qx "blur: wrote $T/shown.tif: $BLOCKS blocks in [0-9.]* s, 1 reissue, 1 failure" "$T/shown.err"'
check "failure shown: the pixels of a job without one" 'blur -master "$T/in.tif" -o "$T/plain.tif" -rows 16 -slaves 2 -q && same_pixels "$T/shown.tif" "$T/plain.tif" 8 0'
check "failure shown: DIR empty" 'dir_empty'

# ---------------------------------------------------------------------------------------
# 10. Renders: no input, the command draws. Each block's rows (BLUR_ROWS), or the whole
# frame (BLUR_HEIGHT) of which the slave takes the block's; every layout.
# picture SAMPLES: ImageMagick's arguments for a picture that differs from row to row.
picture() {
	case $1 in
	1) echo "gradient:white-black -colorspace gray" ;;
	2) echo "gradient:white-black -colorspace gray -alpha set -channel A -fx 0.25+i/w/2 +channel" ;;
	3) echo "gradient:red-blue" ;;
	4) echo "gradient:red-blue -alpha set -channel A -fx 0.25+i/w/2 +channel" ;;
	esac
}
for spp in 1 2 3 4; do
	case $spp in 1) pnm=pgm ;; 3) pnm=ppm ;; *) pnm=pam ;; esac
	for bits in 8 16; do
		pic=$(picture $spp)
		convert -size 64x48 $pic -depth $bits "$T/frame.$pnm"
		for how in rows frame; do
			if [ $how = rows ]; then
				cmd="convert -size \${BLUR_WIDTH}x\${BLUR_HEIGHT} $pic -crop \${BLUR_WIDTH}x\${BLUR_ROWS}+0+\${BLUR_Y} +repage -depth $bits $pnm:-"
			else
				cmd="convert -size \${BLUR_WIDTH}x\${BLUR_HEIGHT} $pic -depth $bits $pnm:-"
			fi
			rm -f "$T/render.tif"
			blur -master -size 64x48 -depth $bits -samples $spp -rows 10 -slaves 2 -q \
			    -o "$T/render.tif" -exec "$cmd"
			st=$?
			check "render $spp samples, $bits bits, $how: a 64x48 TIFF of its layout" \
			    '[ $st -eq 0 ] && [ "$(tag "$T/render.tif" "Image Width") $(tag "$T/render.tif" "Samples/Pixel") $(tag "$T/render.tif" "Bits/Sample")" = "64 Image Length: 48 $spp $bits" ]'
			check "render $spp samples, $bits bits, $how: the picture, every sample" \
			    'same_pixels "$T/render.tif" "$T/frame.$pnm" $bits 0 && dir_empty'
		done
	done
done

# POV-Ray draws a band of rows (+SR/+ER, from 1) but writes the whole frame: the slave
# takes the block's rows from it. Antialiasing is off by default: the render is exact.
if [ $HAVE_POVRAY = 1 ]; then
	cat > "$T/scene.pov" <<-'EOF'
	#version 3.7;
	global_settings { assumed_gamma 1.0 }
	camera { location <0, 2, -5> look_at <0, 0.8, 0> }
	light_source { <4, 6, -3> color rgb 1 }
	sphere { <0, 1, 0>, 1 pigment { color rgb <0.9, 0.2, 0.1> } finish { phong 0.6 } }
	plane { y, 0 pigment { checker color rgb 1 color rgb 0.1 } }
	EOF
	povray +I"$T/scene.pov" +W160 +H120 -D +FP +O"$T/ref.ppm" 2> "$T/povray.err"
	povray +I"$T/scene.pov" +W160 +H120 +SR17 +ER32 -D +FP +O- 2> /dev/null > "$T/band.ppm"
	check "povray: the one-run frame is a scene (many colours)" \
	    '[ "$(convert "$T/ref.ppm" -format "%k" info:)" -gt 100 ]'
	check "povray: a band of rows comes as the whole frame, black but for the band" \
	    '[ "$(convert "$T/band.ppm" -format "%wx%h" info:)" = 160x120 ] && [ "$(convert "$T/band.ppm" -crop 160x16+0+0 +repage -format "%[max]" info:)" = 0 ] && [ "$(convert "$T/band.ppm" -crop 160x16+0+16 +repage -format "%[max]" info:)" != 0 ]'
	blur -master -size 160x120 -rows 16 -slaves 2 -o "$T/pov.tif" -exec \
	    'povray +I$T/scene.pov +W$BLUR_WIDTH +H$BLUR_HEIGHT +SR$((BLUR_Y+1)) +ER$((BLUR_Y+BLUR_ROWS)) -D +FP +O- 2>/dev/null' \
	    2> "$T/pov.err"
	st=$?
	check "povray as a job: exit 0, 8 blocks, no failure" \
	    '[ $st -eq 0 ] && grep -q "^blur: wrote $T/pov.tif: 8 blocks in [0-9.]* s, 0 reissues, 0 failures$" "$T/pov.err"'
	check "povray as a job: the one run's frame, pixel for pixel" 'same_pixels "$T/pov.tif" "$T/ref.ppm" 8 0'
	check "povray as a job: DIR empty" 'dir_empty'
fi

finish
