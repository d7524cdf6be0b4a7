# govscan fact-gathering script: POSIX sh (dash, bash, busybox ash), read-only, run as `sh -s`.
#
# The caller (checks/host/script.py) prepends variable assignments:
#   GS_M         frame marker (contains a per-run nonce so file contents cannot forge a frame)
#   GS_SECTIONS  space-separated section names to run, in order
#   GS_FILES     paths (globs allowed) for the `files` section
#   GS_SYSCTLS   /proc/sys paths for the `sysctl` section
#   GS_MODULES   kernel module names for the `module_files` section
#   GS_WALK_TIMEOUT  seconds for the `walk` section
#   GS_CAT_MAX   bytes of one file multi-file sections print at most
# Each section prints:
#   <GS_M> BEGIN <name>\n <stdout> \n<GS_M> STDERR <name>\n <stderr> \n<GS_M> END <name> rc=<exit code>
# Multi-file sections print `<GS_M> FILE <path> <state>` before each file (state ok|missing|unreadable|truncated).
#   GS_ROOT      "" for a running system; for a file tree (rootfs: target), the directory holding it
# Nothing here writes to the host.
#
# The script is facts.sh (helpers and core sections), then every checks/host/facts_*.sh in name order
# (one file per content area), then run_sections.sh (the dispatch). A section reads files only through
# gs_cat / gs_catg / gs_dir with the path as seen on the scanned system (/etc/...): they read it under
# $GS_ROOT and print the system path, so the same section works on a running host and on a file tree.

export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# Why a path that `[ -e ]` reports absent is absent: `missing` only when stat says it does not exist;
# `unreadable` when a directory on the way cannot be searched (`[ -e ]` is false then too) or any other
# error. Missing makes controls notapplicable, so it must never stand for "could not look".
gs_absent() {
    gs_e=$(stat -L -c %n -- "$1" 2>&1 >/dev/null)
    case "$gs_e" in
        *"No such file or directory"*|*"Not a directory"*) echo missing ;;
        *) echo unreadable ;;
    esac
}

# Print files framed; content followed by one extra newline the parser strips. A file longer than
# GS_CAT_MAX bytes is printed up to that size with state `truncated` (the parser makes it an error).
gs_cat() {
    for gs_l in "$@"; do
        f=$GS_ROOT$gs_l
        if [ ! -e "$f" ]; then
            printf '%s FILE %s %s\n' "$GS_M" "$gs_l" "$(gs_absent "$f")"
        elif [ ! -r "$f" ]; then
            printf '%s FILE %s unreadable\n' "$GS_M" "$gs_l"
        else
            gs_n=$(wc -c < "$f" 2>/dev/null)
            gs_n=${gs_n##* }
            case "$gs_n" in
                ''|*[!0-9]*) gs_st=unreadable ;;
                *) if [ "$gs_n" -gt "$GS_CAT_MAX" ]; then gs_st=truncated; else gs_st=ok; fi ;;
            esac
            printf '%s FILE %s %s\n' "$GS_M" "$gs_l" "$gs_st"
            [ "$gs_st" = unreadable ] && continue
            head -c "$GS_CAT_MAX" "$f"
            printf '\n'
        fi
    done
}

# gs_cat for patterns: each pattern expands under $GS_ROOT (a pattern that matches nothing stays
# literal, so gs_cat reports it missing or unreadable, never "no files").
gs_catg() {
    for gs_p in "$@"; do
        for gs_g in $GS_ROOT$gs_p; do gs_cat "${gs_g#"$GS_ROOT"}"; done
    done
}

gs_have() { command -v "$1" >/dev/null 2>&1; }

sec_os() {
    printf 'GS_UID=%s\n' "$(id -u)"
    printf 'GS_KERNEL=%s\n' "$(uname -r)"
    printf 'GS_ARCH=%s\n' "$(uname -m)"
    printf 'GS_HOSTNAME=%s\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"
    if [ -r /etc/os-release ]; then cat /etc/os-release; elif [ -r /usr/lib/os-release ]; then cat /usr/lib/os-release; fi
}

sec_sshd() {
    if ! gs_have sshd; then printf 'GS_INSTALLED=0\n'; return 0; fi
    printf 'GS_INSTALLED=1\n'
    # sshd -V (older sshd print the version in the usage message an unknown option gets).
    printf 'GS_VERSION=%s\n' "$(sshd -V 2>&1 </dev/null | grep -m 1 'OpenSSH_')"
    if gs_have ssh; then printf 'GS_SSH_VERSION=%s\n' "$(ssh -V 2>&1 </dev/null | grep -m 1 'OpenSSH_')"; fi
    # -T prints the effective global configuration (defaults, Include files) as lower-case key value
    # lines; it applies no Match block, and fails where sshd never ran (no /run/sshd) or without root.
    printf '%s FILE sshd-T ok\n' "$GS_M"
    { gs_e=$(sshd -T 2>&1 1>&5 5>&-); gs_rc=$?; } 5>&1
    printf '\n%s FILE sshd-T-status ok\nrc=%s\n%s\n' "$GS_M" "$gs_rc" "$gs_e"
    if [ "$gs_rc" != 0 ] && gs_have ssh; then
        # The algorithm defaults compiled into this OpenSSH build (the client's equal the server's).
        printf '%s FILE ssh-G ok\n' "$GS_M"
        ssh -G -F /dev/null localhost </dev/null 2>/dev/null | grep -E '^(ciphers|macs|kexalgorithms) '
        printf '\n'
    fi
    gs_sshd_files
    return 0
}

# sshd_config and every file its Include lines pull in (relative patterns are under /etc/ssh, as sshd
# resolves them), at most 64 files. For each Include pattern: `FILE include:<pattern> ok` and the
# matched paths, one a line (`unreadable` when its directory cannot be listed). Paths with spaces are
# not followed (the parser then reports the Include as unread).
gs_sshd_files() {
    set -f
    gs_q=/etc/ssh/sshd_config
    gs_seen=' '
    gs_cnt=0
    while [ -n "$gs_q" ]; do
        # shellcheck disable=SC2086
        set -- $gs_q
        gs_f=$1; shift; gs_q="$*"
        case "$gs_seen" in *" $gs_f "*) continue ;; esac
        gs_seen="$gs_seen$gs_f "
        gs_cnt=$((gs_cnt + 1))
        if [ "$gs_cnt" -gt 64 ]; then printf '%s FILE %s toomany\n' "$GS_M" "$gs_f"; break; fi
        gs_cat "$gs_f"
        [ -f "$gs_f" ] && [ -r "$gs_f" ] || continue
        for gs_p in $(head -c "$GS_CAT_MAX" "$gs_f" | sed -n 's/^[[:space:]]*[Ii][Nn][Cc][Ll][Uu][Dd][Ee][[:space:]=][[:space:]=]*//p' | sed -e 's/#.*//' -e 's/"//g'); do
            case "$gs_p" in /*) ;; *) gs_p=/etc/ssh/$gs_p ;; esac
            gs_d=${gs_p%/*}
            set +f
            # shellcheck disable=SC2086
            set -- $gs_p
            set -f
            if [ $# -eq 1 ] && [ "$1" = "$gs_p" ] && [ ! -e "$1" ] && [ -d "$gs_d" ] && { [ ! -r "$gs_d" ] || [ ! -x "$gs_d" ]; }; then
                printf '%s FILE include:%s unreadable\n' "$GS_M" "$gs_p"
                continue
            fi
            printf '%s FILE include:%s ok\n' "$GS_M" "$gs_p"
            for gs_m in "$@"; do
                if [ -e "$gs_m" ]; then printf '%s\n' "$gs_m"; gs_q="$gs_q $gs_m"; fi
            done
            printf '\n'
        done
    done
    set +f
}

sec_packages() {
    if gs_have dpkg-query; then
        printf 'GS_MANAGER=dpkg\n'
        dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n'
    elif gs_have rpm; then
        printf 'GS_MANAGER=rpm\n'
        rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\tii\n'
    else
        echo 'no dpkg-query or rpm found' >&2
        return 127
    fi
}

sec_units() {
    gs_have systemctl || { echo 'systemctl not found' >&2; return 127; }
    printf '%s FILE unit-files ok\n' "$GS_M"
    # The patterns make systemctl skip the state lookup of every other unit type (targets, mounts,
    # slices...): same lines as --type alone, ~40% less work (the lookup reads every .wants dir per unit).
    systemctl list-unit-files --no-legend --no-pager --type=service,socket,timer '*.service' '*.socket' '*.timer' || return $?
    printf '%s FILE units ok\n' "$GS_M"
    # Fails where systemd is not running (containers): the enabled state above is still known.
    systemctl list-units --all --no-legend --no-pager --plain --type=service,socket,timer
}

sec_sysctl() {
    # GS_SYSCTLS holds /proc/sys paths; `read` is a builtin, so this forks nothing.
    for p in $GS_SYSCTLS; do
        if [ -r "$p" ]; then
            IFS= read -r v < "$p"
            printf '%s=%s\n' "$p" "$v"
        elif [ -e "$p" ]; then
            printf '%s!unreadable\n' "$p"
        else
            printf '%s!missing\n' "$p"
        fi
    done
}

# A directory frame before listing it: `<dir>/ ok` when it can be listed, `missing` when it does not
# exist, else `unreadable` (a pattern that matched nothing in an unlistable directory must not read as
# "no files"). Returns 0 only when the directory can be listed.
gs_dir() {
    gs_d=$GS_ROOT$1
    if [ -d "$gs_d" ] && [ -r "$gs_d" ] && [ -x "$gs_d" ]; then
        printf '%s FILE %s/ ok\n' "$GS_M" "$1"
        return 0
    elif [ -e "$gs_d" ]; then
        printf '%s FILE %s/ unreadable\n' "$GS_M" "$1"
    else
        printf '%s FILE %s/ %s\n' "$GS_M" "$1" "$(gs_absent "$gs_d")"
    fi
    return 1
}

sec_sysctl_conf() {
    # Persisted kernel parameters, as systemd-sysctl and `sysctl --system` apply them at boot: the
    # *.conf files of these directories (the parser applies the precedence), then /etc/sysctl.conf.
    for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
        if gs_dir "$d"; then gs_cat "$d"/*.conf; fi
    done
    gs_cat /etc/sysctl.conf
    return 0
}

sec_limits() {
    # pam_limits: limits.conf, then limits.d/*.conf (the parser applies the order).
    gs_cat /etc/security/limits.conf
    if gs_dir /etc/security/limits.d; then gs_cat /etc/security/limits.d/*.conf; fi
    return 0
}

sec_files() {
    # One stat for every path that exists; the others are missing or unreadable (a glob that matched
    # nothing stays literal: missing, or unreadable when its directory cannot be listed).
    set --
    for p in $GS_FILES; do
        if [ -e "$p" ] || [ -L "$p" ]; then set -- "$@" "$p"; else printf '%s|%s\n' "$p" "$(gs_absent "$p")"; fi
    done
    [ $# -eq 0 ] || stat -c '%n|%a|%U|%G|%u|%g|%F' -- "$@"
}

sec_cron() {
    # cron daemons on PATH (CIS skips the cron section when none is installed; the parser also reads
    # the package list).
    for b in cron crond fcron bcron-start; do
        gs_p=$(command -v "$b") && printf 'bin %s\n' "$gs_p"
    done
    return 0
}

sec_passwd() { cat /etc/passwd; }
sec_group() { cat /etc/group; }
sec_shadow() { printf 'GS_NOW=%s\n' "$(date +%s)"; cat /etc/shadow; }

sec_login_defs() { gs_cat /etc/login.defs /etc/default/useradd; }

sec_pam() {
    gs_catg /etc/pam.d/common-password /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-session \
        /etc/pam.d/system-auth /etc/pam.d/password-auth /etc/security/pwquality.conf \
        '/etc/security/pwquality.conf.d/*.conf' /etc/security/faillock.conf /etc/security/pwhistory.conf
}

sec_mounts() { cat /proc/self/mounts; }

sec_audit_status() {
    gs_have auditctl || { printf 'GS_INSTALLED=0\n'; return 0; }
    printf 'GS_INSTALLED=1\n'
    auditctl -s
}

sec_audit_rules() {
    gs_have auditctl || return 0
    auditctl -l
}

sec_audit_conf() {
    gs_cat /etc/audit/auditd.conf /proc/cmdline
    # No `[ -d ]` guard: it is false for an unsearchable /etc/audit too, which must not read as "no rules".
    gs_catg '/etc/audit/rules.d/*.rules'
}

sec_modules() {
    printf '%s FILE /proc/modules %s\n' "$GS_M" "$( [ -r /proc/modules ] && echo ok || echo missing)"
    [ -r /proc/modules ] && cat /proc/modules
    # modprobe configuration: the install/blacklist lines, prefixed by their file.
    for d in /etc/modprobe.d /run/modprobe.d /usr/local/lib/modprobe.d /usr/lib/modprobe.d /lib/modprobe.d; do
        [ -d "$d" ] || continue
        for f in "$d"/*.conf; do
            [ -r "$f" ] || continue
            printf '%s FILE %s ok\n' "$GS_M" "$f"
            grep -E '^[[:space:]]*(install|blacklist)[[:space:]]' "$f"
        done
    done
    # Which of the modules of interest exist for the running kernel (module file or built in).
    kd=/lib/modules/$(uname -r)
    printf '%s FILE %s %s\n' "$GS_M" "$kd" "$( [ -d "$kd" ] && echo ok || echo missing)"
    if [ -d "$kd" ]; then
        for m in $GS_MODULES; do
            f=$(find "$kd" -name "$m.ko*" 2>/dev/null | head -n 1)
            [ -n "$f" ] && printf 'file %s %s\n' "$m" "$f"
            grep -q "/$m.ko" "$kd/modules.builtin" 2>/dev/null && printf 'builtin %s\n' "$m"
        done
    fi
    return 0
}

sec_listening() {
    if gs_have ss; then
        printf 'GS_TOOL=ss\n'
        ss -Htulnp
    else
        printf 'GS_TOOL=proc\n'
        gs_cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6
    fi
}

sec_banners() { gs_cat /etc/issue /etc/issue.net /etc/motd; }

sec_walk() {
    # One pass per local filesystem (-xdev), bounded by timeout: world-writable files, world-writable
    # directories without the sticky bit, files without a known owner or group, setuid/setgid files
    # (the audit rules of CIS 6.2.3.6 must cover them).
    roots=$(awk '$3 ~ /^(ext[234]|xfs|btrfs|jfs|reiserfs|zfs|f2fs|vfat|tmpfs)$/ && $2 !~ /^\/(proc|sys|dev|run)(\/|$)/ {print $2}' /proc/self/mounts | sort -u)
    [ -n "$roots" ] || roots=/
    # shellcheck disable=SC2086
    timeout -s KILL "$GS_WALK_TIMEOUT" find $roots -xdev \
        \( -type f -perm -0002 -printf 'ww\t%p\n' \) , \
        \( -type d -perm -0002 ! -perm -1000 -printf 'wwd\t%p\n' \) , \
        \( -nouser -printf 'nouser\t%p\n' \) , \
        \( -nogroup -printf 'nogroup\t%p\n' \) , \
        \( -type f -perm /6000 -printf 'suid\t%p\n' \)
}
