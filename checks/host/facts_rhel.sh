# govscan fact script: RHEL family configuration (crypto-policies, SELinux, firewalld, dnf/yum, GRUB 2).
# Files are read through gs_cat / gs_catg / gs_dir (a file tree: inside $GS_ROOT). The parsers are in
# checks/host/parsers/rhel.py; the types in checks/host/kinds_rhel.py.

sec_crypto_policy() {
    # The system-wide policy (update-crypto-policies) and sshd's opt-out of it (/etc/sysconfig/sshd).
    gs_cat /etc/crypto-policies/config /etc/sysconfig/sshd
    # Runtime only: the kernel's FIPS mode (not read on a file tree).
    [ -n "$GS_ROOT" ] || gs_cat /proc/sys/crypto/fips_enabled
    return 0
}

sec_selinux() {
    # The persisted mode and policy, and every place the kernel command line is configured.
    gs_cat /etc/selinux/config /etc/default/grub /etc/kernel/cmdline /boot/grub2/grubenv
    if gs_dir /boot/loader/entries; then gs_catg '/boot/loader/entries/*.conf'; fi
    # Runtime only: the running mode (getenforce reads the same file).
    if [ -z "$GS_ROOT" ]; then
        if [ -e /sys/fs/selinux/enforce ]; then gs_cat /sys/fs/selinux/enforce
        else printf '%s FILE /sys/fs/selinux/enforce missing\n' "$GS_M"; fi
    fi
    return 0
}

sec_firewalld() { gs_cat /etc/firewalld/firewalld.conf; }

sec_dnf() {
    gs_cat /etc/dnf/dnf.conf /etc/yum.conf
    if gs_dir /etc/yum.repos.d; then gs_catg '/etc/yum.repos.d/*.repo'; fi
    return 0
}

sec_grub() { gs_cat /boot/grub2/user.cfg /boot/grub2/grub.cfg /boot/grub/grub.cfg; }
