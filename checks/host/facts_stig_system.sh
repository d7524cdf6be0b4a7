# govscan fact sections for the DISA STIG system rules: kernel arguments in the boot loader configuration,
# chrony's configuration, and configuration files of dnf/apt, firewalld, NetworkManager, the resolver,
# USBGuard, postfix and sudo's PAM stack. Files only, read through gs_cat / gs_catg / gs_dir (a file tree:
# inside $GS_ROOT). Parsers: checks/host/parsers/stig_system.py; types: checks/host/kinds_stig_system.py.

sec_stig_boot() {
    # GRUB_CMDLINE_LINUX*, the BLS entries RHEL 9 boots from (and grubenv for a `$kernelopts` entry),
    # grub.cfg's superusers and the account names they must differ from.
    gs_cat /etc/default/grub /boot/grub2/grubenv /boot/grub2/grub.cfg /boot/grub/grub.cfg /etc/passwd
    if gs_dir /boot/loader/entries; then gs_catg '/boot/loader/entries/*.conf'; fi
    return 0
}

sec_stig_chrony() {
    gs_cat /etc/chrony.conf /etc/chrony/chrony.conf
    for d in /etc/chrony.d /etc/chrony/conf.d; do
        if gs_dir "$d"; then gs_catg "$d/*.conf"; fi
    done
    for d in /etc/chrony/sources.d /etc/chrony.d; do
        if gs_dir "$d"; then gs_catg "$d/*.sources"; fi
    done
    # chrony-wait.service as shipped, and an administrator's override of it
    gs_cat /usr/lib/systemd/system/chrony-wait.service /etc/systemd/system/chrony-wait.service
    return 0
}

sec_stig_conf() {
    gs_cat /etc/dnf/dnf.conf /etc/firewalld/firewalld.conf /etc/NetworkManager/NetworkManager.conf \
        /etc/resolv.conf /etc/nsswitch.conf /etc/usbguard/rules.conf /etc/postfix/main.cf /etc/aliases \
        /etc/pam.d/sudo /etc/apt/apt.conf /etc/ipsec.conf /etc/named.conf /etc/pam_pkcs11/pam_pkcs11.conf \
        /etc/fapolicyd/compiled.rules /etc/fapolicyd/fapolicyd.rules /etc/fapolicyd/fapolicyd.conf
    # the time zone: the target of the /etc/localtime link (the link itself, never what it points to)
    if ! gs_path /etc/localtime nofollow; then printf '%s FILE /etc/localtime-link unreadable\n' "$GS_M"
    elif [ -L "$gs_rp" ]; then
        printf '%s FILE /etc/localtime-link ok\n' "$GS_M"; readlink -- "$gs_rp" | head -c 4096; printf '\n'
    elif [ -e "$gs_rp" ]; then printf '%s FILE /etc/localtime-link notalink\n' "$GS_M"
    else printf '%s FILE /etc/localtime-link missing\n' "$GS_M"; fi
    gs_catg '/etc/opensc*.conf'
    # the crypto policy as configured and as last applied, the STIG subpolicy module, and when each was written
    gs_cat /etc/crypto-policies/config /etc/crypto-policies/state/current /etc/crypto-policies/policies/modules/STIG.pmod
    printf '%s FILE crypto-mtimes ok\n' "$GS_M"
    for f in /etc/crypto-policies/config /etc/crypto-policies/state/current /etc/crypto-policies/back-ends/nss.config; do
        if ! gs_path "$f"; then printf '%s unreadable\n' "$f"
        elif [ -e "$gs_rp" ]; then printf '%s %s\n' "$f" "$(stat -L -c %Y -- "$gs_rp" 2>/dev/null || echo unreadable)"
        else printf '%s missing\n' "$f"; fi
    done
    for d in /etc/NetworkManager/conf.d /etc/apt/apt.conf.d; do
        if gs_dir "$d"; then gs_catg "$d/*"; fi
    done
    return 0
}

sec_stig_runtime() {
    # Runtime only (not run on a file tree): the CPU's NX flag, the running kernel's command line, and the
    # interfaces in promiscuous mode (IFF_PROMISC 0x100 in /sys/class/net/*/flags).
    grep -m 1 '^flags' /proc/cpuinfo | head -c 8192; printf '\n'
    printf '%s FILE /proc/cmdline ok\n' "$GS_M"; head -c 8192 /proc/cmdline; printf '\n'
    printf '%s FILE net-flags ok\n' "$GS_M"
    n=0
    for f in /sys/class/net/*/flags; do
        [ -r "$f" ] || continue
        n=$((n + 1)); [ "$n" -le 1024 ] || { echo 'GS_LIMIT'; break; }
        i=${f%/flags}; printf '%s %s\n' "${i##*/}" "$(head -c 32 "$f")"
    done
    return 0
}
