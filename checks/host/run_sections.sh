# The dispatch of the govscan fact script: appended after facts.sh and every facts_*.sh (see
# checks/host/script.py). Runs the sections GS_SECTIONS names, framed.

# Run one section, framed: frames on stdout, the section's stdout through fd 3, its stderr captured.
gs_section() {
    printf '%s BEGIN %s\n' "$GS_M" "$1"
    gs_err=$( ( "sec_$1" ) 2>&1 1>&3 3>&- )
    gs_rc=$?
    printf '\n%s STDERR %s\n%s\n%s END %s rc=%s\n' "$GS_M" "$1" "$gs_err" "$GS_M" "$1" "$gs_rc"
}

# The sections that run programs and wait on them (systemctl; root's login shell, which runs its start-up
# files; the package database query) run beside the file-reading ones, one after the other.
gs_slow=" units root_path packages "
gs_rest= gs_bg=
for s in $GS_SECTIONS; do
    case "$gs_slow" in *" $s "*) gs_bg="$gs_bg $s" ;; *) gs_rest="$gs_rest $s" ;; esac
done

exec 3>&1
if [ -n "$gs_bg" ] && [ -n "$gs_rest" ]; then
    # The slow sections' framed output is held in memory and printed once the left side has finished (its
    # end of the pipe, kept open on fd 4, closes), so frames never interleave.
    { for s in $gs_rest; do gs_section "$s"; done; } 4>&1 1>&3 |
        { gs_buf=$(for s in $gs_bg; do gs_section "$s"; done 3>&1 </dev/null); cat >/dev/null; printf '%s\n' "$gs_buf" >&3; }
else
    for s in $GS_SECTIONS; do gs_section "$s"; done
fi
exec 3>&-
exit 0
