# CIS Debian 12 v1.1.0 sections 1-4 (initial setup, services, network, host firewall): sections read by
# checks/host/kinds_cis_a.py. Files are read only through gs_cat / gs_catg / gs_dir (they honour $GS_ROOT);
# a section reading the running system says so ("runtime only").

# Firewall configuration FILES: nftables.conf and the files its include lines name, followed through nested
# includes to 8 levels and 64 included files (past either bound a `nft-include-limit` frame: an error, the
# ruleset is not judged), ufw's configuration and rule files, iptables-persistent's rule files.
sec_fw_files() {
    gs_cat /etc/nftables.conf
    gs_nlvl=/etc/nftables.conf gs_ndepth=0 gs_nfiles=0 gs_nlimit=
    set -f
    while [ -n "$gs_nlvl" ] && [ -z "$gs_nlimit" ]; do
        gs_nnext=
        for gs_nf in $gs_nlvl; do
            gs_path "$gs_nf" || continue
            [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || continue
            for gs_ip in $(head -c "$GS_CAT_MAX" "$gs_rp" | sed -n 's/^[[:space:]]*include[[:space:]][[:space:]]*"\([^"]*\)".*/\1/p'); do
                case "$gs_ip" in /*) ;; *) gs_ip=/etc/$gs_ip ;; esac
                if [ "$gs_ndepth" -ge 8 ]; then gs_nlimit="includes nested deeper than 8 levels (at $gs_nf)"; break 2; fi
                printf '%s FILE include:%s ok\n\n' "$GS_M" "$gs_ip"
                set +f
                gs_each gs_nft_inc "$gs_ip"
                set -f
                if [ "$gs_nfiles" -gt 64 ]; then gs_nlimit="more than 64 included files"; break 2; fi
            done
        done
        gs_nlvl=$gs_nnext
        gs_ndepth=$((gs_ndepth + 1))
    done
    set +f
    if [ -n "$gs_nlimit" ]; then
        echo "/etc/nftables.conf: $gs_nlimit: not followed further" >&2
        printf '%s FILE nft-include-limit unreadable\n' "$GS_M"
    fi
    gs_cat /etc/ufw/ufw.conf /etc/default/ufw /etc/ufw/user.rules /etc/ufw/user6.rules \
        /etc/ufw/before.rules /etc/ufw/before6.rules /etc/iptables/rules.v4 /etc/iptables/rules.v6
    return 0
}

# One file an nftables include names (gs_each has expanded its pattern): read it, queue it for the next level.
gs_nft_inc() {
    gs_nfiles=$((gs_nfiles + 1))
    [ "$gs_nfiles" -gt 64 ] && return 0
    gs_cat "$1"
    gs_nnext="$gs_nnext $1"
}

# Runtime only: the rulesets loaded in the kernel now (`nft list ruleset`, `iptables-save`,
# `ip6tables-save`), `ufw status`, and whether IPv6 is on. Nothing of this exists in a file tree.
sec_fw_live() {
    for gs_t in nft iptables-save ip6tables-save ufw; do
        if ! gs_have "$gs_t"; then printf '%s FILE live:%s missing\n' "$GS_M" "$gs_t"; continue; fi
        printf '%s FILE live:%s ok\n' "$GS_M" "$gs_t"
        case "$gs_t" in
            nft) gs_o=$(nft list ruleset 2>&1); gs_rc=$? ;;
            ufw) gs_o=$(ufw status verbose 2>&1); gs_rc=$? ;;
            *) gs_o=$("$gs_t" 2>&1); gs_rc=$? ;;
        esac
        printf 'GS_RC=%s\n%s\n' "$gs_rc" "$gs_o" | head -c "$GS_CAT_MAX"
        printf '\n'
    done
    printf '%s FILE live:ipv6 ok\n' "$GS_M"
    if [ -r /proc/net/if_inet6 ]; then printf 'if_inet6=1\n'; else printf 'if_inet6=0\n'; fi
    if [ -r /proc/sys/net/ipv6/conf/all/disable_ipv6 ]; then
        printf 'disable_ipv6=%s\n' "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
    fi
    printf '\n'
    return 0
}

# Boot loader: grub.cfg (password, apparmor= on the kernel lines) and the grub user file.
sec_boot() {
    gs_cat /boot/grub/grub.cfg /boot/grub/user.cfg /etc/default/grub
    if gs_dir /etc/default/grub.d; then gs_catg /etc/default/grub.d/*.cfg; fi
    return 0
}

# AppArmor profile modes. Runtime only: /sys/kernel/security/apparmor/profiles (the kernel's loaded
# profiles and their modes) and /sys/module/apparmor/parameters/enabled; the profile files of
# /etc/apparmor.d are listed (names) for a tree.
sec_apparmor() {
    printf '%s FILE live:enabled %s\n' "$GS_M" "$( [ -r /sys/module/apparmor/parameters/enabled ] && echo ok || gs_absent /sys/module/apparmor/parameters/enabled)"
    [ -r /sys/module/apparmor/parameters/enabled ] && cat /sys/module/apparmor/parameters/enabled
    if [ -e /sys/kernel/security/apparmor/profiles ]; then
        if [ -r /sys/kernel/security/apparmor/profiles ]; then
            printf '%s FILE live:profiles ok\n' "$GS_M"
            head -c "$GS_CAT_MAX" /sys/kernel/security/apparmor/profiles
            printf '\n'
        else
            printf '%s FILE live:profiles unreadable\n' "$GS_M"
        fi
    else
        printf '%s FILE live:profiles %s\n' "$GS_M" "$(gs_absent /sys/kernel/security/apparmor/profiles)"
    fi
    return 0
}

# Time synchronisation: chrony's configuration (chrony.conf, conf.d and sources.d, as chrony reads them),
# systemd-timesyncd's (timesyncd.conf and its drop-in directories), /etc/default/chrony.
# Runtime only: the user chronyd runs as (ps).
sec_timesync() {
    gs_cat /etc/chrony/chrony.conf /etc/default/chrony
    # (gs_dir and gs_catg use gs_d, gs_p, gs_g themselves: the loops here use other names)
    for gs_cd in /etc/chrony/conf.d /etc/chrony/sources.d; do
        if gs_dir "$gs_cd"; then gs_catg "$gs_cd/*.conf" "$gs_cd/*.sources"; fi
    done
    gs_cat /etc/systemd/timesyncd.conf
    for gs_cd in /etc/systemd/timesyncd.conf.d /run/systemd/timesyncd.conf.d /usr/local/lib/systemd/timesyncd.conf.d /usr/lib/systemd/timesyncd.conf.d; do
        if gs_dir "$gs_cd"; then gs_catg "$gs_cd/*.conf"; fi
    done
    if [ -z "$GS_ROOT" ] && gs_have ps; then
        printf '%s FILE live:chronyd-user ok\n' "$GS_M"
        ps -C chronyd -o user= 2>/dev/null
        printf '\n'
    fi
    return 0
}

# Core dumps: systemd-coredump's configuration (coredump.conf and drop-ins); apport's switch.
sec_coredump() {
    gs_cat /etc/systemd/coredump.conf
    for gs_cd in /etc/systemd/coredump.conf.d /run/systemd/coredump.conf.d /usr/local/lib/systemd/coredump.conf.d /usr/lib/systemd/coredump.conf.d; do
        if gs_dir "$gs_cd"; then gs_catg "$gs_cd/*.conf"; fi
    done
    gs_cat /etc/default/apport
    return 0
}

# GDM and its dconf settings (the keyfiles of /etc/dconf/db/*.d and their locks), /etc/gdm3/custom.conf.
sec_gdm() {
    gs_cat /etc/gdm3/custom.conf /etc/gdm3/daemon.conf
    if gs_dir /etc/dconf/db; then
        for gs_db in "$GS_ROOT"/etc/dconf/db/*.d "$GS_ROOT"/etc/dconf/db/*.d/locks; do
            [ -d "$gs_db" ] || continue
            gs_dir "${gs_db#"$GS_ROOT"}" || continue
            for gs_f in "$gs_db"/*; do
                [ -f "$gs_f" ] && gs_cat "${gs_f#"$GS_ROOT"}"
            done
        done
    fi
    return 0
}

# Wireless interfaces (runtime only: /sys/class/net/*/wireless).
sec_wireless() {
    gs_e=0
    for gs_i in /sys/class/net/*; do
        [ -e "$gs_i" ] || continue
        gs_e=1
        if [ -d "$gs_i/wireless" ] || [ -L "$gs_i/phy80211" ]; then
            printf 'wireless %s %s\n' "${gs_i##*/}" "$(cat "$gs_i/operstate" 2>/dev/null)"
        fi
    done
    [ "$gs_e" = 1 ] || { echo '/sys/class/net is empty or missing' >&2; return 1; }
    return 0
}

# APT: package sources (sources.list, sources.list.d/*.list and *.sources) and apt.conf(.d), for repositories
# trusted without a signature and options that accept unauthenticated packages.
sec_apt() {
    gs_cat /etc/apt/sources.list /etc/apt/apt.conf
    if gs_dir /etc/apt/sources.list.d; then gs_catg "/etc/apt/sources.list.d/*.list" "/etc/apt/sources.list.d/*.sources"; fi
    if gs_dir /etc/apt/apt.conf.d; then gs_catg "/etc/apt/apt.conf.d/*"; fi
    return 0
}
