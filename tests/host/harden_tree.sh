#!/bin/sh
# Apply a handful of CIS Debian 12 v1.1.0 Level 1 settings to a Debian 12 file tree ($1), by editing its
# files only (no binary of the tree runs). Used by tests/host/debootstrap.py to make the "hardened" tree.
# Each block names the recommendation it satisfies; everything else stays as debootstrap left it.
set -eu
T=${1:?usage: harden_tree.sh TREE}
[ -f "$T/etc/debian_version" ] || { echo "harden_tree.sh: $T is not a Debian tree" >&2; exit 2; }

# 5.1.x sshd: a drop-in read by the stock "Include /etc/ssh/sshd_config.d/*.conf" at the top of sshd_config
mkdir -p "$T/etc/ssh/sshd_config.d"
cat > "$T/etc/ssh/sshd_config.d/50-cis.conf" <<'EOF'
# CIS Debian 12 v1.1.0 5.1.x
Banner /etc/issue.net
ClientAliveInterval 15
ClientAliveCountMax 3
DisableForwarding yes
GSSAPIAuthentication no
HostbasedAuthentication no
IgnoreRhosts yes
LoginGraceTime 60
LogLevel VERBOSE
MaxAuthTries 4
MaxSessions 10
MaxStartups 10:30:60
PermitEmptyPasswords no
PermitRootLogin no
PermitUserEnvironment no
UsePAM yes
X11Forwarding no
AllowTcpForwarding no
EOF
# 5.1.1 sshd_config 0600 root:root
chmod 0600 "$T/etc/ssh/sshd_config" "$T/etc/ssh/sshd_config.d/50-cis.conf"

# 1.6.3 / 1.6.6 remote login banner without OS information, 0644 root:root
printf 'Authorized users only. All activity may be monitored and reported.\n' > "$T/etc/issue.net"
printf 'Authorized users only. All activity may be monitored and reported.\n' > "$T/etc/issue"
chmod 0644 "$T/etc/issue.net" "$T/etc/issue"

# 5.4.1.1 / 5.4.1.3 / 5.4.3.3 login.defs
sed -i -e 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS\t365/' -e 's/^PASS_MIN_DAYS.*/PASS_MIN_DAYS\t1/' \
    -e 's/^PASS_WARN_AGE.*/PASS_WARN_AGE\t7/' -e 's/^UMASK.*/UMASK\t\t027/' "$T/etc/login.defs"
grep -q '^ENCRYPT_METHOD' "$T/etc/login.defs" || printf 'ENCRYPT_METHOD YESCRYPT\n' >> "$T/etc/login.defs"

# 1.5.x / 3.3.x kernel parameters, persisted (a tree has no running kernel)
mkdir -p "$T/etc/sysctl.d"
cat > "$T/etc/sysctl.d/60-cis.conf" <<'EOF'
# CIS Debian 12 v1.1.0 1.5.1-1.5.3, 3.3.1-3.3.11
kernel.randomize_va_space = 2
kernel.yama.ptrace_scope = 1
fs.suid_dumpable = 0
net.ipv4.ip_forward = 0
net.ipv6.conf.all.forwarding = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.icmp_ignore_bogus_error_responses = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv4.conf.all.secure_redirects = 0
net.ipv4.conf.default.secure_redirects = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.conf.default.log_martians = 1
net.ipv4.tcp_syncookies = 1
net.ipv6.conf.all.accept_ra = 0
net.ipv6.conf.default.accept_ra = 0
EOF
chmod 0644 "$T/etc/sysctl.d/60-cis.conf"

# 7.1.x permissions of the account databases and their backups (create the backups as useradd would)
for f in passwd group shadow gshadow; do
    [ -e "$T/etc/$f-" ] || cp -p "$T/etc/$f" "$T/etc/$f-"
done
chown 0:0 "$T/etc/passwd" "$T/etc/passwd-" "$T/etc/group" "$T/etc/group-"
chmod 0644 "$T/etc/passwd" "$T/etc/passwd-" "$T/etc/group" "$T/etc/group-"
SHADOW_GID=$(awk -F: '$1 == "shadow" {print $3}' "$T/etc/group")
chown "0:${SHADOW_GID:-0}" "$T/etc/shadow" "$T/etc/shadow-" "$T/etc/gshadow" "$T/etc/gshadow-"
chmod 0640 "$T/etc/shadow" "$T/etc/shadow-" "$T/etc/gshadow" "$T/etc/gshadow-"

# 2.4.1.2 / 2.4.1.7 cron, when the tree has it
[ -e "$T/etc/crontab" ] && chmod 0600 "$T/etc/crontab"
[ -d "$T/etc/cron.d" ] && chmod 0700 "$T/etc/cron.d"

# 1.1.1.x / 3.2.x kernel modules not loadable
mkdir -p "$T/etc/modprobe.d"
for m in cramfs freevxfs hfs hfsplus jffs2 usb-storage dccp tipc rds sctp; do
    printf 'install %s /bin/false\nblacklist %s\n' "$m" "$m"
done > "$T/etc/modprobe.d/60-cis.conf"
# --- CIS Debian 12 sections 2 and 4 (helper cis-a): nftables as the one firewall utility, its ruleset
# permanent with a default deny policy (4.1.1, 4.3.9, 4.3.10); systemd-coredump, if ever installed, keeps
# no dumps (1.5.3). `systemctl enable nftables` is the symlink it would make (WantedBy=sysinit.target).
cat > "$T/etc/nftables.conf" <<'EOF2'
#!/usr/sbin/nft -f
flush ruleset
include "/etc/nftables.d/cis.nft"
EOF2
mkdir -p "$T/etc/nftables.d"
cat > "$T/etc/nftables.d/cis.nft" <<'EOF2'
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		iif "lo" accept
		ip saddr 127.0.0.0/8 counter drop
		ip6 saddr ::1 counter drop
		ct state established,related accept
		tcp dport 22 accept
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
	}
	chain output {
		type filter hook output priority 0; policy drop;
		oif "lo" accept
		ct state new,established,related accept
	}
}
EOF2
if [ -f "$T/lib/systemd/system/nftables.service" ]; then
    mkdir -p "$T/etc/systemd/system/sysinit.target.wants"
    ln -sf /lib/systemd/system/nftables.service "$T/etc/systemd/system/sysinit.target.wants/nftables.service"
fi
mkdir -p "$T/etc/systemd/coredump.conf.d"
printf '[Coredump]\nStorage=none\nProcessSizeMax=0\n' > "$T/etc/systemd/coredump.conf.d/60-cis.conf"

exit 0
