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


# ---- CIS Debian 12 v1.1.0 sections 5-7 (sudo, su, PAM, shell, logging, audit, AIDE) ----
# 5.2.2 / 5.2.3 / 5.2.6 sudo: use_pty, a log file, a 15-minute timestamp
if [ -f "$T/etc/sudoers" ]; then
    mkdir -p "$T/etc/sudoers.d"
    printf 'Defaults use_pty\nDefaults logfile="/var/log/sudo.log"\nDefaults timestamp_timeout=15\n' > "$T/etc/sudoers.d/60-cis"
    chmod 0440 "$T/etc/sudoers.d/60-cis"
fi
# 5.2.7 su restricted to an empty group
grep -q '^sugroup:' "$T/etc/group" || { printf 'sugroup:x:990:\n' >> "$T/etc/group"; printf 'sugroup:!::\n' >> "$T/etc/gshadow"; }
sed -i '/^auth[[:space:]]*sufficient[[:space:]]*pam_rootok.so/a auth       required   pam_wheel.so use_uid group=sugroup' "$T/etc/pam.d/su"

# 5.3.3.x PAM: pwquality, faillock, pwhistory, pam_unix without nullok/remember, with use_authtok
mkdir -p "$T/etc/security/pwquality.conf.d"
cat > "$T/etc/security/pwquality.conf.d/60-cis.conf" <<'EOF2'
minlen = 14
minclass = 4
difok = 2
maxrepeat = 3
maxsequence = 3
dictcheck = 1
enforcing = 1
enforce_for_root
EOF2
cat > "$T/etc/security/faillock.conf" <<'EOF2'
deny = 5
unlock_time = 900
even_deny_root
root_unlock_time = 60
EOF2
sed -i -e 's/[[:space:]]nullok\b//' "$T/etc/pam.d/common-auth" "$T/etc/pam.d/common-password"
cat > "$T/etc/pam.d/common-auth" <<'EOF2'
# CIS Debian 12 v1.1.0 5.3.2.2: pam_faillock around pam_unix (no nullok)
auth	requisite			pam_faillock.so preauth
auth	[success=2 default=ignore]	pam_unix.so
auth	[default=die]			pam_faillock.so authfail
auth	requisite			pam_deny.so
auth	required			pam_permit.so
EOF2
grep -q pam_faillock "$T/etc/pam.d/common-account" || printf 'account\trequired\t\t\tpam_faillock.so\n' >> "$T/etc/pam.d/common-account"
grep -q pam_pwhistory "$T/etc/pam.d/common-password" || sed -i \
    -e '0,/^password.*pam_unix.so/s//password\trequisite\t\t\tpam_pwhistory.so remember=24 enforce_for_root try_first_pass use_authtok\n&/' \
    "$T/etc/pam.d/common-password"
sed -i -e '/^password.*pam_unix.so/{/use_authtok/!s/$/ use_authtok/}' -e '/^password.*pam_unix.so/s/ remember=[0-9]*//' \
    "$T/etc/pam.d/common-password"

# 5.4.3.2 / 5.4.3.3 shell timeout and default umask for every login shell
cat > "$T/etc/profile.d/60-cis.sh" <<'EOF2'
umask 027
TMOUT=900
readonly TMOUT
export TMOUT
EOF2
chmod 0644 "$T/etc/profile.d/60-cis.sh"

# 6.1.2.x / 6.1.3.x journald keeps logs and hands them to rsyslog, rsyslog creates files 0640
mkdir -p "$T/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=persistent\nCompress=yes\nForwardToSyslog=yes\n' > "$T/etc/systemd/journald.conf.d/60-cis.conf"
mkdir -p "$T/var/log/journal"
if [ -d "$T/etc/rsyslog.d" ]; then printf '$FileCreateMode 0640\n' > "$T/etc/rsyslog.d/60-cis.conf"; fi

# 6.1.4.1 log files: no group write, nothing for others (lastlog/wtmp/btmp keep group utmp)
find "$T/var/log" -type f ! -name 'wtmp*' ! -name 'btmp*' ! -name 'lastlog*' -exec chmod g-wx,o-rwx {} +
find "$T/var/log" -type f \( -name 'wtmp*' -o -name 'btmp*' -o -name 'lastlog*' \) -exec chmod o-rwx {} +

# 6.2.2.x / 6.2.3.x / 6.2.4.x auditd: keep logs, act on low space, the CIS rule set, strict permissions
if [ -f "$T/etc/audit/auditd.conf" ]; then
    sed -i -e 's/^max_log_file_action.*/max_log_file_action = keep_logs/' -e 's/^space_left_action.*/space_left_action = email/' \
        -e 's/^admin_space_left_action.*/admin_space_left_action = single/' -e 's/^disk_full_action.*/disk_full_action = halt/' \
        -e 's/^disk_error_action.*/disk_error_action = halt/' "$T/etc/audit/auditd.conf"
    cat > "$T/etc/audit/rules.d/50-cis.rules" <<'EOF2'
## CIS Debian 12 v1.1.0 6.2.3.1-6.2.3.20 (6.2.3.6 needs one line per setuid program: not in a tree)
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d -p wa -k scope
-a always,exit -F arch=b64 -C euid!=uid -F auid!=unset -S execve -k user_emulation
-a always,exit -F arch=b32 -C euid!=uid -F auid!=unset -S execve -k user_emulation
-w /var/log/sudo.log -p wa -k sudo_log_file
-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change
-a always,exit -F arch=b32 -S adjtimex,settimeofday,clock_settime -k time-change
-w /etc/localtime -p wa -k time-change
-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale
-a always,exit -F arch=b32 -S sethostname,setdomainname -k system-locale
-w /etc/issue -p wa -k system-locale
-w /etc/issue.net -p wa -k system-locale
-w /etc/hosts -p wa -k system-locale
-w /etc/networks -p wa -k system-locale
-w /etc/network/ -p wa -k system-locale
-a always,exit -F arch=b64 -S creat,open,openat,truncate,ftruncate -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access
-a always,exit -F arch=b64 -S creat,open,openat,truncate,ftruncate -F exit=-EPERM -F auid>=1000 -F auid!=unset -k access
-a always,exit -F arch=b32 -S creat,open,openat,truncate,ftruncate -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access
-a always,exit -F arch=b32 -S creat,open,openat,truncate,ftruncate -F exit=-EPERM -F auid>=1000 -F auid!=unset -k access
-w /etc/group -p wa -k identity
-w /etc/passwd -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/security/opasswd -p wa -k identity
-w /etc/nsswitch.conf -p wa -k identity
-w /etc/pam.conf -p wa -k identity
-w /etc/pam.d -p wa -k identity
-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b64 -S chown,fchown,lchown,fchownat -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b64 -S setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b32 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b32 -S chown,fchown,lchown,fchownat -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b32 -S setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr -F auid>=1000 -F auid!=unset -k perm_mod
-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts
-a always,exit -F arch=b32 -S mount -F auid>=1000 -F auid!=unset -k mounts
-w /var/run/utmp -p wa -k session
-w /var/log/wtmp -p wa -k session
-w /var/log/btmp -p wa -k session
-w /var/log/lastlog -p wa -k logins
-w /var/run/faillock -p wa -k logins
-a always,exit -F arch=b64 -S rename,unlink,unlinkat,renameat -F auid>=1000 -F auid!=unset -k delete
-a always,exit -F arch=b32 -S rename,unlink,unlinkat,renameat -F auid>=1000 -F auid!=unset -k delete
-w /etc/apparmor/ -p wa -k MAC-policy
-w /etc/apparmor.d/ -p wa -k MAC-policy
-a always,exit -F path=/usr/bin/chcon -F perm=x -F auid>=1000 -F auid!=unset -k perm_chng
-a always,exit -F path=/usr/bin/setfacl -F perm=x -F auid>=1000 -F auid!=unset -k perm_chng
-a always,exit -F path=/usr/bin/chacl -F perm=x -F auid>=1000 -F auid!=unset -k perm_chng
-a always,exit -F path=/usr/sbin/usermod -F perm=x -F auid>=1000 -F auid!=unset -k usermod
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module,create_module,query_module -F auid>=1000 -F auid!=unset -k kernel_modules
-a always,exit -F arch=b32 -S init_module,finit_module,delete_module,create_module,query_module -F auid>=1000 -F auid!=unset -k kernel_modules
-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k kernel_modules
EOF2
    printf -- '-e 2\n' > "$T/etc/audit/rules.d/99-finalize.rules"
    chmod 0640 "$T/etc/audit/rules.d/"*.rules "$T/etc/audit/auditd.conf"
    mkdir -p "$T/var/log/audit"
    chmod 0750 "$T/var/log/audit"
fi

# 6.3.3 AIDE protects the audit tools
if [ -d "$T/etc/aide/aide.conf.d" ]; then
    for t in auditctl auditd ausearch aureport autrace augenrules; do
        printf '/usr/sbin/%s p+i+n+u+g+s+b+acl+xattrs+sha512\n' "$t"
    done > "$T/etc/aide/aide.conf.d/99_cis_audit_tools"
fi
exit 0
