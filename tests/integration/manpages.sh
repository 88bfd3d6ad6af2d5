#!/bin/bash
# The man pages (docs/man/*.1) say what --help says: every option that one
# lists, the other lists too; they render without warnings; `make install`
# puts programs and man pages where man finds them.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v man >/dev/null || { apt-get install -y -q man-db >/dev/null 2>&1 || { fail man "man-db missing"; finish; }; }
# The options a text names at the start of its option lines.
opts() { grep -oE '(^|[ ,])--?[A-Za-z][-A-Za-z0-9]*' | sed 's/^[ ,]//' | sort -u; }
for p in vmss2core coresummary; do
	page=$ROOT/docs/man/$p.1
	[ -f "$page" ] || { fail "$p-page" "no $page"; continue; }
	MANWIDTH=200 man -l "$page" 2>"$T/warn" | col -b >"$T/$p.man"
	[ -s "$T/$p.man" ] && [ ! -s "$T/warn" ] && ok "$p-renders" || fail "$p-renders" "$(head -3 "$T/warn")"
	# help: the option column ("  -x, --long ARG   text"); man: the .TP tag lines
	"$BIN/$p" --help | sed -n 's/^  \(-[^ ].*\)/\1/p' | sed 's/  .*//' | opts >"$T/help.opts"
	sed -n '/^\.TP/{n;p}' "$page" | sed 's/\\fI[^\\]*\\fR//g; s/\\-/-/g; s/^\.[A-Z]* //; s/"//g' | opts >"$T/man.opts"
	if diff "$T/help.opts" "$T/man.opts" >"$T/diff"; then ok "$p-options-match-help"
	else fail "$p-options-match-help" "help vs man: $(tr '\n' ' ' <"$T/diff")"; fi
	grep -q '^EXIT STATUS' "$T/$p.man" && ok "$p-exit-status" || fail "$p-exit-status" "no EXIT STATUS section"
done
make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr >"$T/install.log" 2>&1 || fail install "$(tail -3 "$T/install.log")"
for p in vmss2core coresummary; do
	[ -x "$T/root/usr/bin/$p" ] && ok "install-$p" || fail "install-$p" "no $T/root/usr/bin/$p"
	MANPATH=$T/root/usr/share/man man -w "$p" 2>/dev/null | grep -q "$T/root" && ok "install-man-$p" || fail "install-man-$p" "man -w does not find it"
done
finish
