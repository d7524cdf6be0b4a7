# The dispatch of the govscan fact script: appended after facts.sh and every facts_*.sh (see
# checks/host/script.py). Runs the sections GS_SECTIONS names, framed.

# Run one section, framed: frames on stdout, the section's stdout through fd 3, its stderr captured.
gs_section() {
    printf '%s BEGIN %s\n' "$GS_M" "$1"
    gs_err=$( ( "sec_$1" ) 2>&1 1>&3 3>&- )
    gs_rc=$?
    printf '\n%s STDERR %s\n%s\n%s END %s rc=%s\n' "$GS_M" "$1" "$gs_err" "$GS_M" "$1" "$gs_rc"
}

gs_rest=
gs_units=0
for s in $GS_SECTIONS; do
    if [ "$s" = units ]; then gs_units=1; else gs_rest="$gs_rest $s"; fi
done

exec 3>&1
if [ "$gs_units" = 1 ] && [ -n "$gs_rest" ]; then
    # `units` (systemctl) is the slowest section: run it beside the others. Its framed output is held
    # in memory and printed once the left side has finished (its end of the pipe, kept open on fd 4,
    # closes), so frames never interleave.
    { for s in $gs_rest; do gs_section "$s"; done; } 4>&1 1>&3 |
        { gs_buf=$(gs_section units 3>&1 </dev/null); cat >/dev/null; printf '%s\n' "$gs_buf" >&3; }
else
    for s in $GS_SECTIONS; do gs_section "$s"; done
fi
exec 3>&-
exit 0
