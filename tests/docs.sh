#!/bin/sh
# docs.sh — the man page, the README and blur -help quote the code's numbers and names:
# each constant is read from its #define (wherever in src/ it lives), the result header's
# size from the compiler, data.dat's and progress's keys from the functions that write
# them, the protocol's file names from its header; each must appear in the docs as they
# say it. A constant changed in the code without its docs fails here.
. "$TESTLIB"
: "${SRCDIR:?}" "${BUILDDIR:?}"

# 3 protocol version, 1 magic, 3 header, 3 beat, 2 orphaned, 1 gone, 2 idle, 2 shun,
# 3 x 3 timeout, 3 halo, 3 block bytes, 4 target, 3 rows, 2 clean, 2 beat check, 3 poll,
# 2 rescan, 2 room, 4 retries, 1 threads, 2 slave buffers, 2 + 2 exec, 1 failure, 1 stop
# grace, 3 samples, 2 strips, 3 block max, 2 auth, 2 dir, 2 usage hint; 3 data.dat keys, 1 progress
# keys; 4 names.
plan $((3 + 1 + 3 + 3 + 2 + 1 + 2 + 2 + 3 * 3 + 3 + 3 + 4 + 3 + 2 + 2 + 3 + 2 + 2 + 4 + 1 + \
    2 + 2 + 2 + 1 + 1 + 3 + 2 + 3 + 2 + 2 + 2 + 3 + 1 + 4))

CODE=$(ls "$SRCDIR"/src/*.h "$SRCDIR"/src/*.c "$SRCDIR"/src/ops/*.[ch])
MAN=$SRCDIR/man/blur.1
README=$SRCDIR/README.md

# def NAME: the value of `#define NAME` in the sources, its comment dropped; it must be
# defined once (or alike everywhere). Anything else gives a text no doc holds.
def() {
	v=$(sed -n "s/^#define[ 	][ 	]*$1[ 	][ 	]*//p" $CODE | sed 's|[ 	]*/\*.*||' | sort -u)
	if [ -z "$v" ] || [ "$(printf '%s\n' "$v" | wc -l)" -ne 1 ]; then
		echo "# $1: defined $(printf '%s' "$v" | grep -c .) ways" >&2
		echo "<$1 not defined once>"
		return
	fi
	echo "$v"
}

# num NAME: def's value as a number: a decimal as written (1.0 is 1), an integer
# expression evaluated (2u << 20 is 2097152).
num() {
	v=$(def "$1")
	case $v in
	"<"*) echo "$v" ;;
	*[!0-9.]*) echo $(( $(echo "$v" | sed 's/\([0-9]\)[uUlL]*/\1/g') )) ;;
	*) echo "$v" | awk '{ print $1 + 0 }' ;;
	esac
}

# str NAME: a string constant without its quotes.
str() { def "$1" | sed 's/^"\(.*\)"$/\1/'; }

# How the docs say quantities: 2097152 bytes as "2 MiB", 4096 as "4 KiB", 5 as "five",
# 1000 ms as "1", a period of 1 s as "second" (every second), of 2 as "2 seconds".
mib() { echo "$(($1 >> 20)) MiB"; }
kib() { echo "$(($1 >> 10)) KiB"; }
seconds() { echo "$1" | awk '{ print $1 / 1000 }'; }
word() { echo "$1" | awk '{ split("one two three four five six seven eight nine ten", w); print ($1 in w) ? w[$1] : $1 }'; }
period() { if [ "$1" = 1 ]; then echo second; else echo "$1 seconds"; fi; }

# The docs as a reader sees them, each on one line with single spaces: the man page as
# mandoc renders it, the README as written, blur -help's text.
flat() { tr '\n\t' '  ' | tr -s ' '; }
MAN_TEXT=$(mandoc -T ascii "$MAN" | col -bx | flat)
README_TEXT=$(flat < "$README")
HELP_TEXT=$(blur -help | flat)

# in_man|in_readme|in_help PHRASE: that doc says PHRASE, word for word.
says() {
	case $2 in *"$3"*) return 0 ;; esac
	echo "# $1 does not say: $3"
	return 1
}
in_man() { says "the man page" "$MAN_TEXT" "$1"; }
in_readme() { says "README.md" "$README_TEXT" "$1"; }
in_help() { says "blur -help" "$HELP_TEXT" "$1"; }

# --- the protocol's format and the result header
V=$(num PROTOCOL_VERSION)
check "PROTOCOL_VERSION $V: man's data.dat" 'in_man "data.dat The job, one \"key value\" line each, in this order: blur (the format, $V)"'
check "PROTOCOL_VERSION $V: man's progress" 'in_man "at least every second: blur $V, beat"'
check "PROTOCOL_VERSION $V: README's data.dat" 'in_readme "\`data.dat\` (format $V) holds, in order: \`blur $V\`"'
MAGIC=$(str RESULT_MAGIC)
check "RESULT_MAGIC $MAGIC: man" 'in_man "the magic \`$MAGIC'"'"' (8 bytes)"'
header=$(grep -l '^struct result {' $CODE | grep '\.h$' | head -n 1)
printf '#include "%s"\n#include <stdio.h>\nint main(void) { printf("%%zu\\n", sizeof(struct result)); return 0; }\n' \
    "$header" > "$T/size.c"
SIZE=$(${CC:-cc} -std=c11 -I"$BUILDDIR" -I"$SRCDIR/src" -o "$T/size" "$T/size.c" && "$T/size")
check "sizeof(struct result) is known (${SIZE:-none}, from $(basename "${header:-none}"))" '[ -n "$SIZE" ]'
check "sizeof(struct result) $SIZE: man" 'in_man "A $SIZE-byte header, in the job'"'"'s byte order"'
check "sizeof(struct result) $SIZE: README" 'in_readme "a $SIZE-byte header (magic, job id"'

# --- the heartbeat and the slaves' patience
B=$(num BEAT_EVERY) E=$(num TALLY_EVERY)
check "BEAT_EVERY $B, TALLY_EVERY $E: man" 'in_man "rewrites progress at most every $E seconds after a change and at least every $(period "$B"): its moving heartbeat"'
check "BEAT_EVERY $B, TALLY_EVERY $E: man's progress" 'in_man "rewritten whole at most every $E seconds after a change and at least every $(period "$B")"'
check "BEAT_EVERY $B, TALLY_EVERY $E: README" 'in_readme "\`progress\` is rewritten at most every $E s after a change, and at least every $(period "$B")."'
X=$(num SLAVE_ORPHANED)
check "SLAVE_ORPHANED $X: man" 'in_man "A slave that sees no heartbeat for $X seconds leaves the job"'
check "SLAVE_ORPHANED $X: README" 'in_readme "A slave leaves a job whose master has been silent for $X s"'
X=$(num SLAVE_GONE)
check "SLAVE_GONE $X: man" 'in_man "then without a job'"'"'s files, unchanged, for $X seconds)"'
P=$(num WATCH_POLL) I=$(num SLAVE_IDLE)
X=$(seconds $((P << (I - 1))))
check "SLAVE_IDLE $I: man (polling every $P ms: $X s)" 'in_man "A polling slave that finds nothing to claim waits twice as long each time, up to $X seconds"'
check "SLAVE_IDLE $I: README" 'in_readme "a polling slave with nothing to claim backs off to $X s"'
X=$(num SLAVE_SHUN)
check "SLAVE_SHUN $X: man" 'in_man "the slave that failed it leaves it to other slaves for $X seconds"'
check "SLAVE_SHUN $X: README" 'in_readme "the slave that failed it leaves it to others for $X s"'

# --- the timeout
X=$(num BLOCKS_TIMEOUT)
check "BLOCKS_TIMEOUT $X: man" 'in_man "Default: $X seconds until the first block is in"'
check "BLOCKS_TIMEOUT $X: README" 'in_readme "By default $X s until the first block is in"'
check "BLOCKS_TIMEOUT $X: -help" 'in_help "(default: $X until a block is in"'
F=$(num TIMEOUT_FACTOR)
check "TIMEOUT_FACTOR $F: man" 'in_man "from then on $(word "$F") times the slowest block so far"'
check "TIMEOUT_FACTOR $F: README" 'in_readme "then $(word "$F") times the slowest block so far"'
check "TIMEOUT_FACTOR $F: -help" 'in_help "then $F times the slowest"'
X=$(num TIMEOUT_FLOOR)
check "TIMEOUT_FLOOR $X: man" 'in_man "(from its claim to its result, on the master'"'"'s clock), but at least $X seconds."'
check "TIMEOUT_FLOOR $X: README" 'in_readme "the slowest block so far, at least $X s."'
check "TIMEOUT_FLOOR $X: -help" 'in_help "the slowest, at least $X)"'

# --- the default block height
H=$(num HALO_BLOCKS)
check "HALO_BLOCKS $H: man" 'in_man "at least $H times the larger halo"'
check "HALO_BLOCKS $H: README" 'in_readme "at least $H times the halo"'
check "HALO_BLOCKS $H: -help" 'in_help "$H halos"'
X=$(mib "$(num MIN_BLOCK_BYTES)")
check "MIN_BLOCK_BYTES $X: man" 'in_man "and at least $X of pixels"'
check "MIN_BLOCK_BYTES $X: README" 'in_readme "and at least $X of pixels"'
check "MIN_BLOCK_BYTES $X: -help" 'in_help "and $X of pixels"'
X=$(num TARGET_BLOCKS)
check "TARGET_BLOCKS $X: man" 'in_man "Default: the height divided by $X, rounded up"'
check "TARGET_BLOCKS $X: man's count" 'in_man "so that there are about $X blocks"'
check "TARGET_BLOCKS $X: README" 'in_readme "by default about $X blocks (height/$X,"'
check "TARGET_BLOCKS $X: -help" 'in_help "(default: height/$X,"'
X=$(num MIN_ROWS)
check "MIN_ROWS $X: man" 'in_man "rounded up, but at least $X, at least"'
check "MIN_ROWS $X: README" 'in_readme "(height/$(num TARGET_BLOCKS), at least $X rows,"'
check "MIN_ROWS $X: -help" 'in_help "but at least $X, "'

# --- the master's patience, polling, room
X=$(num CLEAN_PATIENCE)
check "CLEAN_PATIENCE $X: man" 'in_man "is retried for up to $X seconds"'
check "CLEAN_PATIENCE $X: README" 'in_readme "Cleanup waits up to $X s"'
X=$(num BEAT_CHECK)
check "BEAT_CHECK $X: man" 'in_man "which the new master watches for $X seconds on its own clock"'
check "BEAT_CHECK $X: README" 'in_readme "watched for $X s on the observer'"'"'s own clock"'
check "WATCH_POLL $P: man" 'in_man "every process polls every $P ms"'
check "WATCH_POLL $P: README" 'in_readme "polling every $P ms on NFS"'
check "WATCH_POLL $P: -help" 'in_help "polling every $P ms)"'
X=$(period "$(seconds "$(num WATCH_RESCAN)")")
check "WATCH_RESCAN: man (every $X)" 'in_man "reports them at once, and every process also rescans every $X"'
check "WATCH_RESCAN: README (every $X)" 'in_readme "inotify plus a rescan every $X on a local one"'
F=$(num SLAVE_ROOM_FIRST) X=$(num SLAVE_ROOM_MAX)
check "SLAVE_ROOM_FIRST $F, SLAVE_ROOM_MAX $X: man" 'in_man "tries again after $F seconds, then twice as long each time up to $X seconds"'
check "SLAVE_ROOM_FIRST $F, SLAVE_ROOM_MAX $X: README" 'in_readme "keeps its block and retries ($F s, doubling up to $X s)"'

# --- failures and retries
R=$(num DEFAULT_RETRIES)
check "DEFAULT_RETRIES $R: man's failed blocks" 'in_man "When one block has failed -retries k times (default $R) the job fails"'
check "DEFAULT_RETRIES $R: man's option" 'in_man "Fail the job when one block has failed k times, 1 to 1000. Default: $R."'
check "DEFAULT_RETRIES $R: README" 'in_readme "\`-retries K\` (default $R) fails the job" && in_readme "has failed \`-retries\` times (default $R)"'
check "DEFAULT_RETRIES $R: -help" 'in_help "fail the job when one block failed K times (default $R)"'
X=$(num COLLECT_THREADS)
check "COLLECT_THREADS $X: man" 'in_man "a master that polls makes them on $X threads of its own"'
X=$(mib "$(num SLAVE_BUFFERS)")
check "SLAVE_BUFFERS $X: man" 'in_man "its result and that compressed, within $X at the default"'
check "SLAVE_BUFFERS $X: README" 'in_readme "would not take more than $X per worker asked for"'
X=$(num CHILD_GRACE)
check "CHILD_GRACE $X: man" 'in_man "the group gets SIGTERM and, $X seconds later, SIGKILL"'
check "CHILD_GRACE $X: README" 'in_readme "the group gets SIGTERM, then SIGKILL $X s later"'
X=$(kib "$(num EXEC_DETAIL)")
check "EXEC_DETAIL $X: man" 'in_man "and the last $X of the command'"'"'s standard error"'
check "EXEC_DETAIL $X: README" 'in_readme "the last $X of the command'"'"'s stderr"'
X=$(kib "$(num FAILURE_MAX)")
check "FAILURE_MAX $X: man" 'in_man "then the rest of the file (at most $X of it, all that is written)"'
X=$(num STOP_GRACE)
check "STOP_GRACE $X: man" 'in_man "one still busy after $X seconds is killed"'

# --- images, secrets, DIR
X=$(num SAMPLES_MAX)
check "SAMPLES_MAX $X: man's images" 'in_man "(up to $X samples in all)"'
check "SAMPLES_MAX $X: man's data.dat" 'in_man "samples (1 to $X)"'
check "SAMPLES_MAX $X: README" 'in_readme "(up to $X samples)" && in_readme "\`samples\` (1 to $X)"'
X=$(kib "$(num STRIP_BYTES)")
check "STRIP_BYTES $X: man" 'in_man "a stripped one strips of about $X"'
check "STRIP_BYTES $X: README" 'in_readme "(or strips of about $X, a multiple"'
X=$(mib "$(num MASTER_BLOCK_MAX)")
check "MASTER_BLOCK_MAX $X: man" 'in_man "and at most $X of pixels, so that"'
check "MASTER_BLOCK_MAX $X: README" 'in_readme "and at most $X, so that a worker holds"'
check "MASTER_BLOCK_MAX $X: -help" '"$BLUR" -help | grep -q "and 2 MiB of pixels, at most $X)"'
X=$(str SECRET_AUTH)
check "SECRET_AUTH $X: man" 'in_man "and last auth: none, or $X and the hex HMAC"'
check "SECRET_AUTH $X: README" 'in_readme "\`auth\` (\`none\`, or \`$X\` and the HMAC"'
X=$(str DEFAULT_DIR)
check "DEFAULT_DIR $X: man" 'in_man "Default: BLUR_DIR, else $X."'
check "DEFAULT_DIR $X: README" 'in_readme "\`-dir\` defaults to \`\$BLUR_DIR\`, else \`$X\`."'

# --- what follows a usage error's line, as blur prints it
X=$(blur -bogus 2>&1 | sed -n 2p)
check "the usage hint '$X': man" 'in_man "then a second line: $X"'
check "the usage hint '$X': README" 'in_readme "2 bad command line (one line says what, then \`$X\`)"'

# --- data.dat's and progress's keys, in the order the code writes them
# keys FUNCTION...: the first word of each line the functions' string literals end with
# \n, in order, repeats merged (nodata is written one way or the other).
keys() {
	for f; do awk "/^$f\\(/,/^}/" $CODE; done | grep -o '"[^"]*"' | tr -d '"' |
	    grep '\\n' | sed 's/\\n[^\\]*$//; s/\\n/\n/g' | awk '{ print $1 }' | uniq | tr '\n' ' '
}
# man_keys ITEM KEYS: the .Cm words of the man page's entry for ITEM that are KEYS, in order.
man_keys() {
	awk -v item="$1" '$0 == ".It Pa " item { f = 1; next } f && /^\.It / { exit }
	    f && /^\.Cm / { print $2 }' "$MAN" | grep -Fx -e "$(echo $2 | tr ' ' '\n')" |
	    uniq | tr '\n' ' '
}
JOB=$(keys job_text protocol_write_job)
check "data.dat's keys read from job_text() ($JOB)" '[ "$(echo $JOB | wc -w)" -ge 18 ]'
check "data.dat's keys: man, in that order" '[ "$(man_keys data.dat "$JOB")" = "$JOB" ] || { echo "# man: $(man_keys data.dat "$JOB")"; false; }'
readme_keys=$(sed -n '/^`data.dat` (format/,/^$/p' "$README" | grep -o '`[^`]*`' | tr -d '`' |
    awk '{ print $1 }' | grep -Fx -e "$(echo $JOB | tr ' ' '\n')" | uniq | tr '\n' ' ')
check "data.dat's keys: README, in that order" '[ "$readme_keys" = "$JOB" ] || { echo "# README: $readme_keys"; false; }'
TALLY=$(keys protocol_write_tally)
check "progress's keys ($TALLY): man, in that order" '[ "$(man_keys progress "$TALLY")" = "$TALLY" ] || { echo "# man: $(man_keys progress "$TALLY")"; false; }'

# --- the protocol's names: those its header lists (DIR/...), each a literal of the code
names=$(sed -n 's|^ \* DIR/\([^ 	]*\).*|\1|p' $CODE)
check "the protocol's header lists its names ($(echo $names))" '[ "$(echo $names | wc -w)" -ge 10 ]'
# literal NAME: each part of a protocol name is a string of the code: "working", "todo/",
# "/slave"; block.N.v is made by a format.
literal() {
	for part in $(echo "$1" | tr '/' ' '); do
		case $part in
		block.N.v) grep -q '"block\.%' $CODE ;;
		*) grep -qF -e "\"$part\"" -e "\"/$part\"" -e "\"$part/\"" $CODE ;;
		esac || { echo "# no literal for $part of $1"; return 1; }
	done
}
literals() { for n; do literal "$n" || return 1; done; }
check "each name is one the code uses" 'literals $names'
man_names=$(sed -n '/^\.Sh THE DIRECTORY PROTOCOL/,/^\.Ss/s/^\.It Pa //p' "$MAN")
check "the man page lists those names, no other" '[ "$(echo $man_names)" = "$(echo $names)" ] || { echo "# man: $(echo $man_names)"; false; }'
readme_names=$(sed -n 's|^DIR/\([^ ]*\).*|\1|p' "$README")
check "the README lists those names, no other" '[ "$(echo $readme_names)" = "$(echo $names)" ] || { echo "# README: $(echo $readme_names)"; false; }'

finish
