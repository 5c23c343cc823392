#!/bin/sh
# output.sh — an output that cannot be written: a read-only mount, an input in a
# read-only folder (the output beside it), an immutable folder, another user's folder, a
# partial name too long, a full disk. Each is one line that names the output and the
# cause, exit 1, and nothing left: no output, no partial output, DIR empty. Run as root
# and as an unprivileged user (nobody; as the user running the suite when it is not
# root, with root's cases in a user namespace).
. "$TESTLIB"

# 6 cases as root and 6 unprivileged, 3 checks each; 3 for a full output disk.
plan $((2 * 6 * 3 + 3))

# A folder that an unprivileged user can reach, with its own copy of blur, which the
# build tree may hide from it.
U=$(mktemp -d /tmp/blur-output.XXXXXX)
chmod 755 "$U"
trap 'cleanup; chattr -i "$U/imm" 2> /dev/null; rm -rf "$U"' EXIT
cp "$BLUR" "$U/blur"
make_image "$U/in.tif" rgb8 300x200 5
mkdir "$U/ro" "$U/rom" "$U/imm" "$U/roots" "$U/dirs" "$U/says"
chmod 777 "$U/ro" "$U/imm" "$U/dirs" "$U/says"
R=$U/says	# what each case said, where any user may write
# as_root SETUP CMD, as_user SETUP CMD: the shell commands SETUP, then CMD, in a mount
# namespace of their own (for read-only mounts), CMD as root or as an unprivileged user.
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$U/roots"
	as_root() { unshare --mount sh -c "$1; $2"; }
	as_user() {
		unshare --mount sh -c "$1"'; exec setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups sh -c "$0"' "$2"
	}
	IMMUTABLE=yes
	chattr +i "$U/imm" 2> /dev/null || IMMUTABLE="chattr +i is not supported on $U"
else
	# We are the unprivileged user; root is mapped root in a user namespace.
	chmod 555 "$U/roots"
	as_root() { unshare --user --map-root-user --mount sh -c "$1; $2"; }
	as_user() {
		if [ "$1" = : ]; then sh -c "$2"
		else unshare --user --map-root-user --mount sh -c "$1; $2"; fi
	}
	IMMUTABLE="only root can make a folder immutable"
fi

# unwritable WHO CASE OUTPUT EXPECTED SETUP: blur the input as WHO (root or user) with
# -o OUTPUT (or the default output, beside the input, when OUTPUT is empty) after the
# shell commands SETUP, in a private DIR; the one line it must print ends in EXPECTED.
cases=0
unwritable() {
	who=$1 case=$2 out=$3 want=$4
	cases=$((cases + 1))
	dir="$U/dirs/$cases"
	rm -f "$R"/*
	as_$who "$5" "BLUR_DIR='$dir' '$U/blur' -master '$U/ro/in.tif' ${out:+-o '$out'} \
	    -slaves 1 2> '$R/err'; echo \$? > '$R/rc'
	    ls -A '$U/ro' '$U/rom' '$U/imm' '$U/roots' > '$R/left'; ls -A '$dir' >> '$R/left' 2> /dev/null"
	shown=${out:-$U/ro/in-blur.tif}
	check "$case, as $who: exit 1" '[ "$(cat "$R/rc")" = 1 ]'
	check "$case, as $who: one line naming the output and the cause" \
	    '[ "$(wc -l < "$R/err")" = 1 ] && grep -qx "blur: $shown: cannot write: $want" "$R/err" ||
	    { sed "s/^/# /" "$R/err"; false; }'
	check "$case, as $who: nothing left, DIR empty" \
	    'only_lines "$R/left" -e "^$U/[a-z]*:\$" -e "^\$" -e "^in.tif\$"'
}

# The input, where the cases' outputs are not: on the folder a read-only mount hides.
cp "$U/in.tif" "$U/ro/in.tif"
long=$(printf 'x%.0s' $(seq 1 240)).tif
deep=$U/dirs/$(printf 'd%.0s' $(seq 1 200))/$(printf 'e%.0s' $(seq 1 250))
mkdir -p "$deep"
chmod -R 777 "$U/dirs"
for who in root user; do
	unwritable $who "a read-only mount" "$U/rom/out.tif" "Read-only file system" \
	    "mount -t tmpfs -o ro tmpfs '$U/rom'"
	# The input on a filesystem mounted read-only once it is there.
	unwritable $who "an input in a read-only folder" "" "Read-only file system" \
	    "mount -t tmpfs -o mode=777 tmpfs '$U/ro' && cp '$U/in.tif' '$U/ro/' &&
	    mount -o remount,ro '$U/ro'"
	unwritable $who "a partial name too long" "$U/dirs/$long" "File name too long" :
	# A path data.dat could not record whole, so that no one could remove it.
	unwritable $who "a partial path too long" "$deep/out.tif" "File name too long" :
	if [ "$who" = user ]; then
		unwritable $who "root's folder" "$U/roots/out.tif" "Permission denied" :
	else
		unwritable $who "a folder that is a file" "$U/ro/in.tif/out.tif" \
		    "Not a directory" :
	fi
	if [ "$IMMUTABLE" = yes ]; then
		unwritable $who "an immutable folder" "$U/imm/out.tif" \
		    "Operation not permitted" :
	else
		for i in 1 2 3; do ok "an immutable folder, as $who # SKIP $IMMUTABLE"; done
	fi
done

# A full output disk: libtiff's "Write error at scanline N" alone does not say why.
as_root "mount -t tmpfs -o size=64k tmpfs '$U/imm'" "BLUR_DIR='$U/dirs/full' '$U/blur' \
    -master '$U/in.tif' -o '$U/imm/out.tif' -rows 20 -slaves 1 -q 2> '$R/err'
    echo \$? > '$R/rc'; ls -A '$U/imm' > '$R/left'"
check "a full output disk: exit 1" '[ "$(cat "$R/rc")" = 1 ]'
check "a full output disk: the output and the cause, in one line" \
    '[ "$(wc -l < "$R/err")" = 1 ] &&
    grep -q "^blur: $U/imm/out.tif: cannot write: No space left on device" "$R/err" ||
    { sed "s/^/# /" "$R/err"; false; }'
check "a full output disk: no output, no partial output" '[ ! -s "$R/left" ]'
finish
