# govscan fact sections for the DISA STIG audit area (checks/host/kinds_stig_audit.py). Files are read through
# gs_cat / gs_path with the system path, so each section also works on a file tree ($GS_ROOT).

sec_stig_audit_tools() {
    # `<type>|<mode>|<uid>|<gid>|<path>` of each audit tool the RHEL 9 STIG lists (links resolved inside a tree);
    # `<path>|missing` or `<path>|unreadable`.
    for gs_t in /sbin/auditctl /sbin/aureport /sbin/ausearch /sbin/autrace /sbin/auditd /sbin/rsyslogd /sbin/augenrules; do
        if ! gs_path "$gs_t"; then printf '%s|unreadable\n' "$gs_t"; continue; fi
        if [ -e "$gs_rp" ]; then
            stat -L -c "%F|%a|%u|%g|$gs_t" -- "$gs_rp" 2>/dev/null || printf '%s|unreadable\n' "$gs_t"
        else
            printf '%s|%s\n' "$gs_t" "$(gs_absent "$gs_rp")"
        fi
    done
}

sec_stig_audit_misc() {
    # AIDE's report settings (Debian/Ubuntu), AIDE's configuration on RHEL, USBGuard's daemon configuration.
    # First `GS_AIDE_DB <path> ok|missing|unreadable` for each place the AIDE database may be.
    for gs_d in /var/lib/aide/aide.db /var/lib/aide/aide.db.gz; do
        if ! gs_path "$gs_d"; then printf 'GS_AIDE_DB %s unreadable\n' "$gs_d"
        elif [ -f "$gs_rp" ]; then printf 'GS_AIDE_DB %s ok\n' "$gs_d"
        else printf 'GS_AIDE_DB %s %s\n' "$gs_d" "$(gs_absent "$gs_rp")"; fi
    done
    gs_cat /etc/default/aide /etc/aide.conf /etc/usbguard/usbguard-daemon.conf
}
