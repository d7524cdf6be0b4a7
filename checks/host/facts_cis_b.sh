# govscan fact sections for CIS Debian 12 sections 5-7 (sudo and su, shell start-up files, journald, rsyslog,
# log files, audit files, AIDE, home directories). Files are read through gs_cat / gs_catg / gs_dir with the
# system path, so each section also works on a file tree ($GS_ROOT) unless its comment says "runtime".

# Print `<type>|<mode>|<uid>|<gid>|<path>` for each path given (system paths, read under $GS_ROOT);
# `<path>|missing` or `<path>|unreadable` when stat cannot examine it. Numeric ids: the parser names them
# from the scanned system's own passwd/group.
gs_stat() {
    for gs_s in "$@"; do
        if [ -e "$GS_ROOT$gs_s" ]; then
            stat -L -c "%F|%a|%u|%g|$gs_s" -- "$GS_ROOT$gs_s" 2>/dev/null || printf '%s|unreadable\n' "$gs_s"
        else
            printf '%s|%s\n' "$gs_s" "$(gs_absent "$GS_ROOT$gs_s")"
        fi
    done
}

# Entries under a directory (system path $1), at most $2 levels deep and $3 entries: `<y>|<mode>|<uid>|<gid>|<path>`
# (y: f file, d directory). `GS_LIMIT <dir>` when there were more (the parser makes the list an error, never
# partial), `GS_DENIED <dir>: <error>` when find could not read all of it or the directory cannot be listed.
gs_find() {
    if ! gs_dir "$1" >/dev/null; then
        [ -e "$GS_ROOT$1" ] && printf 'GS_DENIED %s: cannot list it\n' "$1"
        return 0
    fi
    { find "$GS_ROOT$1" -mindepth 1 -maxdepth "$2" \( -type f -o -type d \) -printf "%y|%m|%U|%G|$1/%P\n" \
        2>&1 1>&4 4>&- | head -n 1 | sed "s|^|GS_DENIED $1: |"; } 4>&1 |
        awk -v max="$3" -v d="$1" '/^GS_DENIED/ || n < max {print; if (!/^GS_DENIED/) n++; next} !done {print "GS_LIMIT " d; done = 1}'
    return 0
}

sec_sudo() {
    # /etc/sudoers and every file of /etc/sudoers.d (the parser follows @includedir / #include lines and
    # makes any include it has not got an error), then su's PAM file.
    gs_cat /etc/sudoers
    if gs_dir /etc/sudoers.d; then gs_catg '/etc/sudoers.d/*'; fi
    gs_cat /etc/pam.d/su
    return 0
}

sec_shellrc() {
    # System-wide and root's shell start-up files, /etc/shells, and the PAM session stack (pam_umask).
    gs_cat /etc/profile /etc/bash.bashrc /etc/bashrc
    if gs_dir /etc/profile.d; then gs_catg '/etc/profile.d/*.sh'; fi
    gs_cat /etc/shells /root/.bash_profile /root/.bash_login /root/.profile /root/.bashrc \
        /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive
    return 0
}

sec_root_path() {
    # runtime: the PATH root's login shell sets (CIS 5.4.2.5 asks for `sudo -Hiu root env`); it runs root's
    # shell start-up files as root does at login, without su or PAM (nothing logged), then stats each entry.
    if [ -n "$GS_ROOT" ]; then echo 'runtime section: not run on a file tree' >&2; return 3; fi
    [ "$(id -u)" = 0 ] || { echo 'root PATH: Permission denied (must run as root)' >&2; return 1; }
    gs_sh=$(awk -F: '$1 == "root" {print $7; exit}' /etc/passwd)
    [ -n "$gs_sh" ] || gs_sh=/bin/sh
    gs_p=$(cd /root 2>/dev/null; env -i HOME=/root USER=root LOGNAME=root TERM=dumb SHELL="$gs_sh" \
        "$gs_sh" -l -c 'printf "GS_PATH=%s\n" "$PATH"' </dev/null 2>/dev/null | grep '^GS_PATH=' | tail -n 1)
    [ -n "$gs_p" ] || { echo "root PATH: $gs_sh -l printed no PATH" >&2; return 1; }
    printf '%s\n' "$gs_p"
    gs_p=${gs_p#GS_PATH=}
    gs_ifs=$IFS; IFS=:
    # shellcheck disable=SC2086
    set -f; set -- $gs_p; set +f
    IFS=$gs_ifs
    for gs_d in "$@"; do
        case "$gs_d" in /*) gs_stat "$gs_d" ;; esac
    done
    return 0
}

sec_journald() {
    # journald.conf and its drop-ins in the directories systemd reads (the parser applies the precedence);
    # whether /var/log/journal exists (Storage=auto keeps logs there only then).
    gs_cat /etc/systemd/journald.conf
    for gs_jd in /etc/systemd/journald.conf.d /run/systemd/journald.conf.d /usr/local/lib/systemd/journald.conf.d \
        /usr/lib/systemd/journald.conf.d; do
        if gs_dir "$gs_jd"; then gs_catg "$gs_jd/*.conf"; fi
    done
    gs_dir /var/log/journal
    return 0
}

sec_rsyslog() {
    # rsyslog.conf and /etc/rsyslog.d/*.conf (the parser follows $IncludeConfig / include() and makes an
    # include outside what was read an error).
    gs_cat /etc/rsyslog.conf
    if gs_dir /etc/rsyslog.d; then gs_catg '/etc/rsyslog.d/*.conf'; fi
    return 0
}

sec_logfiles() {
    # Every file under /var/log (bounded: 20000 entries).
    gs_find /var/log 16 20000
}

sec_audit_files() {
    # The audit log directory (auditd.conf log_file, default /var/log/audit/audit.log) and its files, the
    # audit configuration under /etc/audit, and the audit tools.
    gs_lf=$(gs_cat /etc/audit/auditd.conf | sed -n 's/^[[:space:]]*log_file[[:space:]]*=[[:space:]]*//p' | tail -n 1)
    [ -n "$gs_lf" ] || gs_lf=/var/log/audit/audit.log
    printf 'GS_LOG_FILE=%s\n' "$gs_lf"
    printf '%s FILE logdir ok\n' "$GS_M"
    gs_stat "${gs_lf%/*}"
    gs_find "${gs_lf%/*}" 1 5000
    printf '%s FILE config ok\n' "$GS_M"
    gs_find /etc/audit 2 5000
    printf '%s FILE tools ok\n' "$GS_M"
    gs_stat /sbin/auditctl /sbin/aureport /sbin/ausearch /sbin/autrace /sbin/auditd /sbin/augenrules
    return 0
}

sec_aide() {
    # AIDE's configuration, the places a periodic check can be scheduled from, and its database.
    gs_cat /etc/aide/aide.conf
    if gs_dir /etc/aide/aide.conf.d; then gs_catg '/etc/aide/aide.conf.d/*'; fi
    gs_cat /etc/crontab /var/spool/cron/crontabs/root
    if gs_dir /etc/cron.d; then gs_catg '/etc/cron.d/*'; fi
    for gs_c in daily weekly; do
        if gs_dir /etc/cron.$gs_c; then gs_catg "/etc/cron.$gs_c/*aide*"; fi
    done
    printf '%s FILE database ok\n' "$GS_M"
    gs_stat /var/lib/aide/aide.db /var/lib/aide/aide.db.gz
    return 0
}

sec_homes() {
    # For each account of /etc/passwd whose shell is not nologin/false (at most 1000): its home directory and
    # the dot files in it (at most 500 each).
    case "$(gs_cat /etc/passwd | head -n 1)" in
        *" ok") ;;
        *) echo '/etc/passwd: Permission denied, missing or too large' >&2; return 1 ;;
    esac
    gs_cat /etc/passwd | grep -v -F -- "$GS_M" | {
    gs_k=0
    while IFS=: read -r gs_u _ _ _ _ gs_h gs_sh; do
        [ -n "$gs_u" ] || continue
        case "$gs_sh" in */nologin|*/false|*/sync|*/shutdown|*/halt) continue ;; esac
        gs_k=$((gs_k + 1))
        if [ "$gs_k" -gt 1000 ]; then printf 'GS_LIMIT accounts\n'; break; fi
        printf '%s FILE home:%s ok\n' "$GS_M" "$gs_u"
        case "$gs_h" in
            /*) gs_stat "$gs_h"
                if [ -L "$GS_ROOT$gs_h" ]; then
                    printf 'GS_SYMLINK %s\n' "$gs_h"
                elif [ -d "$GS_ROOT$gs_h" ]; then
                    if [ -r "$GS_ROOT$gs_h" ] && [ -x "$GS_ROOT$gs_h" ]; then
                        find "$GS_ROOT$gs_h" -mindepth 1 -maxdepth 1 -name '.*' \( -type f -o -type l -o -type d \) \
                            -printf "%y|%m|%U|%G|$gs_h/%P\n" 2>/dev/null | head -n 501
                    else
                        printf 'GS_DENIED %s\n' "$gs_h"
                    fi
                fi ;;
            *) printf 'GS_RELATIVE %s\n' "$gs_h" ;;
        esac
    done
    }
    return 0
}
