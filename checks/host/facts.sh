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
        if [ "${gs_ebad:-0}" = 1 ] || ! gs_path "$gs_l"; then printf '%s FILE %s unreadable\n' "$GS_M" "$gs_l"; continue; fi
        f=$gs_rp
        if [ ! -e "$f" ]; then
            printf '%s FILE %s %s\n' "$GS_M" "$gs_l" "$(gs_absent "$f")"
        elif [ -n "$GS_ROOT" ] && [ ! -f "$f" ] && [ "$f" != /dev/null ]; then
            # a tree's FIFO or device node could block or never end: not read
            echo "$gs_l: not a regular file on the tree: not read" >&2
            printf '%s FILE %s unreadable\n' "$GS_M" "$gs_l"
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
    for gs_p in "$@"; do gs_each gs_cat "$gs_p"; done
}

# gs_path PATH [nofollow]: set gs_rp to the file of this machine that holds PATH of the scanned system.
# A running system: PATH itself. A file tree ($GS_ROOT): each symbolic link on the way is resolved inside
# the tree, as a chroot would (an absolute target starts again at $GS_ROOT, `..` stops at it), so no path
# of this machine outside the tree is ever read; `nofollow` leaves a link in the last component as it is
# (stat of the link). A link to /dev/null stays /dev/null (systemd's mask). Returns 1 (gs_rp empty) after
# 40 links (a loop, as the kernel's ELOOP) or when a link cannot be read.
gs_path() {
    if [ -z "$GS_ROOT" ]; then gs_rp=$1; return 0; fi
    gs_cur=
    gs_todo=${1#/}
    gs_hops=0
    while [ -n "$gs_todo" ]; do
        case "$gs_todo" in
            */*) gs_c=${gs_todo%%/*}; gs_todo=${gs_todo#*/} ;;
            *) gs_c=$gs_todo; gs_todo= ;;
        esac
        case "$gs_c" in
            ''|.) continue ;;
            ..) gs_cur=${gs_cur%/*}; continue ;;
        esac
        if [ -L "$GS_ROOT$gs_cur/$gs_c" ] && { [ -n "$gs_todo" ] || [ "${2:-}" != nofollow ]; }; then
            gs_hops=$((gs_hops + 1))
            [ "$gs_hops" -le 40 ] || { gs_rp=; return 1; }
            gs_t=$(readlink -- "$GS_ROOT$gs_cur/$gs_c") || { gs_rp=; return 1; }
            if [ "$gs_t" = /dev/null ] && [ -z "$gs_todo" ]; then gs_rp=/dev/null; return 0; fi
            case "$gs_t" in /*) gs_cur= ;; esac
            gs_todo=${gs_t#/}${gs_todo:+/$gs_todo}
        else
            gs_cur=$gs_cur/$gs_c
        fi
    done
    gs_rp=$GS_ROOT${gs_cur:-/}
}

# gs_each FUNC PATTERN: run FUNC with each system path PATTERN matches, or with PATTERN itself when it
# matches nothing (FUNC then reports it missing or unreadable). On a file tree the pattern expands in its
# directory resolved inside the tree, and only the last component may hold a pattern (otherwise FUNC gets
# PATTERN with gs_ebad=1: unreadable).
gs_each() {
    gs_ef=$1 gs_ep=$2
    if [ -z "$GS_ROOT" ]; then
        for gs_eg in $gs_ep; do "$gs_ef" "$gs_eg"; done
        return 0
    fi
    gs_ed=${gs_ep%/*}
    case "$gs_ed" in *[*?[]*) echo "$gs_ep: a pattern in a directory is not expanded on a file tree" >&2; gs_ebad=1; "$gs_ef" "$gs_ep"; gs_ebad=0; return 0 ;; esac
    gs_en=0
    if gs_path "${gs_ed:-/}"; then
        for gs_eg in "$gs_rp"/${gs_ep##*/}; do
            [ -e "$gs_eg" ] || [ -L "$gs_eg" ] || continue
            gs_en=1
            "$gs_ef" "$gs_ed/${gs_eg##*/}"
        done
    fi
    [ "$gs_en" = 1 ] || "$gs_ef" "$gs_ep"
}

gs_have() { command -v "$1" >/dev/null 2>&1; }

sec_os() {
    printf 'GS_UID=%s\n' "$(id -u)"
    if [ -n "$GS_ROOT" ]; then
        # A file tree: no running kernel (kernel and arch are not read); the host name it is configured with.
        printf 'GS_ROOTFS=1\n'
        gs_path /etc/hostname && [ -r "$gs_rp" ] && printf 'GS_HOSTNAME=%s\n' "$(head -n 1 "$gs_rp" | head -c 255)"
        if gs_path /etc/os-release && [ -r "$gs_rp" ]; then head -c "$GS_CAT_MAX" "$gs_rp"
        elif gs_path /usr/lib/os-release && [ -r "$gs_rp" ]; then head -c "$GS_CAT_MAX" "$gs_rp"; fi
        return 0
    fi
    printf 'GS_KERNEL=%s\n' "$(uname -r)"
    printf 'GS_ARCH=%s\n' "$(uname -m)"
    printf 'GS_HOSTNAME=%s\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"
    if [ -r /etc/os-release ]; then cat /etc/os-release; elif [ -r /usr/lib/os-release ]; then cat /usr/lib/os-release; fi
}

sec_sshd() {
    if [ -n "$GS_ROOT" ]; then
        # A file tree: its sshd is not run. Installed when the tree has an sshd binary; the version is the
        # OpenSSH release string inside it, read as data. The configuration comes from the files alone.
        gs_sb=
        for gs_b in /usr/sbin/sshd /sbin/sshd /usr/local/sbin/sshd; do
            if gs_path "$gs_b" && [ -f "$gs_rp" ]; then gs_sb=$gs_rp; break; fi
        done
        if [ -z "$gs_sb" ]; then printf 'GS_INSTALLED=0\n'; return 0; fi
        printf 'GS_INSTALLED=1\n'
        printf 'GS_VERSION=%s\n' "$(grep -a -o -m 1 'OpenSSH_[0-9][0-9.]*p[0-9]*' "$gs_sb" | head -n 1)"
        printf '%s FILE sshd-T ok\n\n%s FILE sshd-T-status ok\nrc=-1\n\n' "$GS_M" "$GS_M"
        gs_sshd_files
        return 0
    fi
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

# An Include pattern of a file tree: expanded in its directory resolved inside the tree (only the last
# component may hold a pattern there); each match is checked through the tree too.
gs_sshd_include_tree() {
    case "$gs_d" in *[*?[]*) printf '%s FILE include:%s unreadable\n' "$GS_M" "$gs_p"; return 0 ;; esac
    if ! gs_path "$gs_d" || { [ -d "$gs_rp" ] && { [ ! -r "$gs_rp" ] || [ ! -x "$gs_rp" ]; }; }; then
        printf '%s FILE include:%s unreadable\n' "$GS_M" "$gs_p"
        return 0
    fi
    printf '%s FILE include:%s ok\n' "$GS_M" "$gs_p"
    set +f
    # shellcheck disable=SC2086
    set -- "$gs_rp"/${gs_p##*/}
    set -f
    for gs_m in "$@"; do
        gs_m=$gs_d/${gs_m##*/}
        if gs_path "$gs_m" && [ -e "$gs_rp" ]; then printf '%s\n' "$gs_m"; gs_q="$gs_q $gs_m"; fi
    done
    printf '\n'
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
        gs_path "$gs_f" || continue
        [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || continue
        for gs_p in $(head -c "$GS_CAT_MAX" "$gs_rp" | sed -n 's/^[[:space:]]*[Ii][Nn][Cc][Ll][Uu][Dd][Ee][[:space:]=][[:space:]=]*//p' | sed -e 's/#.*//' -e 's/"//g'); do
            case "$gs_p" in /*) ;; *) gs_p=/etc/ssh/$gs_p ;; esac
            gs_d=${gs_p%/*}
            if [ -n "$GS_ROOT" ]; then gs_sshd_include_tree; continue; fi
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
    if [ -n "$GS_ROOT" ]; then gs_packages_tree; return $?; fi
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
    if [ -n "$GS_ROOT" ]; then gs_units_tree; return $?; fi
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
    # Runtime only: a file tree has no running kernel (the provider does not run this section there).
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
    if ! gs_path "$1"; then printf '%s FILE %s/ unreadable\n' "$GS_M" "$1"; return 1; fi
    gs_d=$gs_rp
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
        if gs_dir "$d"; then gs_catg "$d/*.conf"; fi
    done
    gs_cat /etc/sysctl.conf
    return 0
}

sec_limits() {
    # pam_limits: limits.conf, then limits.d/*.conf (the parser applies the order).
    gs_cat /etc/security/limits.conf
    if gs_dir /etc/security/limits.d; then gs_catg '/etc/security/limits.d/*.conf'; fi
    return 0
}

sec_files() {
    if [ -n "$GS_ROOT" ]; then gs_files_tree; return $?; fi
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
    # the package list). A file tree: the daemons in its own bin directories (not run).
    if [ -n "$GS_ROOT" ]; then
        for b in cron crond fcron bcron-start; do
            for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
                if gs_path "$d/$b" && [ -f "$gs_rp" ] && [ -x "$gs_rp" ]; then printf 'bin %s\n' "$d/$b"; break; fi
            done
        done
        return 0
    fi
    for b in cron crond fcron bcron-start; do
        gs_p=$(command -v "$b") && printf 'bin %s\n' "$gs_p"
    done
    return 0
}

# The whole file (through the tree on a file tree), at most 16 MiB: cat's exit code and error are the section's.
gs_raw() {
    gs_path "$1" || { echo "$1: too many levels of symbolic links" >&2; return 40; }
    if [ -n "$GS_ROOT" ] && [ -e "$gs_rp" ] && [ ! -f "$gs_rp" ]; then echo "$1: not a regular file on the tree" >&2; return 3; fi
    gs_n=$(wc -c < "$gs_rp" 2>/dev/null) && [ "${gs_n##* }" -gt $((GS_CAT_MAX * 16)) ] 2>/dev/null && {
        echo "$1 is larger than $((GS_CAT_MAX * 16)) bytes: not read" >&2; return 3; }
    cat -- "$gs_rp"
}

sec_passwd() { gs_raw /etc/passwd; }
sec_group() { gs_raw /etc/group; }
sec_shadow() { printf 'GS_NOW=%s\n' "$(date +%s)"; gs_raw /etc/shadow; }

sec_login_defs() { gs_cat /etc/login.defs /etc/default/useradd; }

sec_pam() {
    gs_catg /etc/pam.d/common-password /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-session \
        /etc/pam.d/system-auth /etc/pam.d/password-auth /etc/security/pwquality.conf \
        '/etc/security/pwquality.conf.d/*.conf' /etc/security/faillock.conf /etc/security/pwhistory.conf \
        /etc/authselect/authselect.conf
    # authselect (RHEL family) manages system-auth and password-auth as links into /etc/authselect
    printf '%s FILE links:/etc/pam.d ok\n' "$GS_M"
    for gs_f in /etc/pam.d/system-auth /etc/pam.d/password-auth; do
        if gs_path "$gs_f" nofollow && [ -L "$gs_rp" ]; then printf '%s\t%s\n' "$gs_f" "$(readlink -- "$gs_rp")"; fi
    done
}

# A running system: the mount table. A file tree: its /etc/fstab (what it mounts at boot), and whether it
# holds a tmp.mount unit of its own or enabled (systemd then mounts /tmp with the unit's options, not fstab's).
sec_mounts() {
    if [ -z "$GS_ROOT" ]; then cat /proc/self/mounts; return; fi
    gs_cat /etc/fstab
    printf '%s FILE tmp.mount ok\n' "$GS_M"
    for gs_u in /etc/systemd/system/tmp.mount /etc/systemd/system/local-fs.target.wants/tmp.mount; do
        if gs_path "$gs_u" nofollow && { [ -e "$gs_rp" ] || [ -L "$gs_rp" ]; }; then printf '%s\n' "$gs_u"; fi
    done
    return 0
}

sec_audit_status() {
    if [ -n "$GS_ROOT" ]; then
        # A file tree: installed when it has auditctl; the kernel's audit status needs a running system.
        for d in /usr/sbin /sbin /usr/bin /bin; do
            if gs_path "$d/auditctl" && [ -f "$gs_rp" ]; then printf 'GS_INSTALLED=1\nGS_ROOTFS=1\n'; return 0; fi
        done
        printf 'GS_INSTALLED=0\n'
        return 0
    fi
    gs_have auditctl || { printf 'GS_INSTALLED=0\n'; return 0; }
    printf 'GS_INSTALLED=1\n'
    auditctl -s
}

sec_audit_rules() {
    # Runtime only (the loaded rules): empty on a file tree.
    [ -z "$GS_ROOT" ] || return 0
    gs_have auditctl || return 0
    auditctl -l
}

sec_audit_conf() {
    gs_cat /etc/audit/auditd.conf
    [ -n "$GS_ROOT" ] || gs_cat /proc/cmdline
    # No `[ -d ]` guard: it is false for an unsearchable /etc/audit too, which must not read as "no rules".
    gs_catg '/etc/audit/rules.d/*.rules'
}

sec_modules() {
    # /proc/modules is runtime only: on a file tree the modules of every kernel the tree holds.
    if [ -n "$GS_ROOT" ]; then
        printf 'GS_ROOTFS=1\n'
    else
        printf '%s FILE /proc/modules %s\n' "$GS_M" "$( [ -r /proc/modules ] && echo ok || echo missing)"
        [ -r /proc/modules ] && cat /proc/modules
    fi
    # modprobe configuration: the install/blacklist lines, prefixed by their file.
    for d in /etc/modprobe.d /run/modprobe.d /usr/local/lib/modprobe.d /usr/lib/modprobe.d /lib/modprobe.d; do
        gs_path "$d" && [ -d "$gs_rp" ] || continue
        for f in "$gs_rp"/*.conf; do
            f=$d/${f##*/}
            gs_path "$f" && [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || continue
            printf '%s FILE %s ok\n' "$GS_M" "$f"
            grep -E '^[[:space:]]*(install|blacklist)[[:space:]]' "$gs_rp"
        done
    done
    # Which of the modules of interest exist for the running kernel (module file or built in).
    if [ -n "$GS_ROOT" ]; then
        gs_path /lib/modules && [ -d "$gs_rp" ] && for kd in "$gs_rp"/*; do
            [ -d "$kd" ] && gs_modules_of "/lib/modules/${kd##*/}" "$kd"
        done
    else
        kd=/lib/modules/$(uname -r)
        gs_modules_of "$kd" "$kd"
    fi
    return 0
}

# gs_modules_of SYSTEM-PATH DIR: the modules of interest one kernel's module directory holds.
gs_modules_of() {
    printf '%s FILE %s %s\n' "$GS_M" "$1" "$( [ -d "$2" ] && echo ok || echo missing)"
    [ -d "$2" ] || return 0
    for m in $GS_MODULES; do
        f=$(find "$2" -name "$m.ko*" 2>/dev/null | head -n 1)
        [ -n "$f" ] && printf 'file %s %s\n' "$m" "$1${f#"$2"}"
        [ -f "$2/modules.builtin" ] && grep -q "/$m.ko" "$2/modules.builtin" 2>/dev/null && printf 'builtin %s\n' "$m"
    done
    return 0
}

# Runtime only (host.listening.runtime_only): the provider does not run it on a file tree.
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
    if [ -n "$GS_ROOT" ]; then gs_walk_tree; return $?; fi
    # One pass per local filesystem (-xdev), bounded by timeout: world-writable files, world-writable
    # directories without the sticky bit, files without a known owner or group, setuid/setgid files
    # (the audit rules of CIS 6.2.3.6 must cover them).
    roots=$(awk '$3 ~ /^(ext[234]|xfs|btrfs|jfs|reiserfs|zfs|f2fs|vfat|tmpfs)$/ && $2 !~ /^\/(proc|sys|dev|run)(\/|$)/ {print $2}' /proc/self/mounts | sort -u)
    [ -n "$roots" ] || roots=/
    # find's messages go through awk: "No such file or directory" (a file that vanished between find listing
    # it and reading it: a shared /tmp) is dropped, any other goes to stderr. gs_wrc gets find's status and
    # awk's (1 when it passed a message on).
    exec 4>&1
    # shellcheck disable=SC2086
    gs_wrc=$( { { timeout -s KILL "$GS_WALK_TIMEOUT" find $roots -xdev \
        \( -type f -perm -0002 -printf 'ww\t%p\n' \) , \
        \( -type d -perm -0002 ! -perm -1000 -printf 'wwd\t%p\n' \) , \
        \( -nouser -printf 'nouser\t%p\n' \) , \
        \( -nogroup -printf 'nogroup\t%p\n' \) , \
        \( -type f -perm /6000 -printf 'suid\t%p\n' \) 2>&1 1>&4 4>&- 5>&-; printf '%s' "$?" >&5; } |
        awk '!/: No such file or directory$/ { print > "/dev/stderr"; n++ } END { exit n > 0 }' 4>&- 5>&-
        printf ' %s' "$?"; } 5>&1 )
    exec 4>&-
    # find exits 1 after such a message: nothing is lost (the file no longer exists). Any other message, the
    # timeout's kill or another status stays an error.
    case "$gs_wrc" in "0 0"|"1 0") return 0 ;; esac
    return "${gs_wrc%% *}"
}
