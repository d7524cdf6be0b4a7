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
    return 0
}

sec_stig_conf() {
    gs_cat /etc/dnf/dnf.conf /etc/firewalld/firewalld.conf /etc/NetworkManager/NetworkManager.conf \
        /etc/resolv.conf /etc/nsswitch.conf /etc/usbguard/rules.conf /etc/postfix/main.cf /etc/aliases \
        /etc/pam.d/sudo /etc/apt/apt.conf
    for d in /etc/NetworkManager/conf.d /etc/apt/apt.conf.d; do
        if gs_dir "$d"; then gs_catg "$d/*"; fi
    done
    return 0
}
