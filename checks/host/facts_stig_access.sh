# govscan fact section for the DISA STIG access rules (Ctrl-Alt-Del, logind, rescue/emergency units, session
# limits, libuser, csh, the default target). Files are read through gs_cat / gs_catg / gs_dir / gs_path with the
# system path, so the section also works on a file tree ($GS_ROOT). Every file is bounded by GS_CAT_MAX.

sec_stig_access() {
    # The targets of the symbolic links systemd reads under /etc/systemd/system (not followed): `<path>\t<target>`,
    # `<path>\tGS_NOT_A_LINK` when the path is something else, nothing when it does not exist.
    printf '%s FILE links:/etc/systemd/system ok\n' "$GS_M"
    for gs_saf in /etc/systemd/system/ctrl-alt-del.target /etc/systemd/system/default.target; do
        if gs_path "$gs_saf" nofollow && [ -L "$gs_rp" ]; then
            printf '%s\t%s\n' "$gs_saf" "$(readlink -- "$gs_rp" | head -c 4096)"
        elif [ -n "$gs_rp" ] && [ -e "$gs_rp" ]; then
            printf '%s\tGS_NOT_A_LINK\n' "$gs_saf"
        fi
    done
    # systemd's manager and logind configuration and their drop-ins (the parser applies the precedence)
    gs_cat /etc/systemd/system.conf /etc/systemd/logind.conf
    for gs_sad in /etc/systemd /run/systemd /usr/local/lib/systemd /usr/lib/systemd; do
        for gs_sac in system.conf.d logind.conf.d; do
            if gs_dir "$gs_sad/$gs_sac"; then gs_catg "$gs_sad/$gs_sac/*.conf"; fi
        done
    done
    # the rescue and emergency units and their drop-ins
    for gs_sau in rescue.service emergency.service; do
        gs_cat "/etc/systemd/system/$gs_sau" "/usr/lib/systemd/system/$gs_sau" "/lib/systemd/system/$gs_sau"
        for gs_sad in /etc/systemd/system /run/systemd/system /usr/lib/systemd/system; do
            if gs_dir "$gs_sad/$gs_sau.d"; then gs_catg "$gs_sad/$gs_sau.d/*.conf"; fi
        done
    done
    # pam_limits (maxlogins), libuser, the C shell's and bash's system-wide start-up files
    gs_cat /etc/security/limits.conf
    if gs_dir /etc/security/limits.d; then gs_catg '/etc/security/limits.d/*.conf'; fi
    gs_cat /etc/libuser.conf /etc/csh.cshrc /etc/bashrc
    # RHEL's system-wide crypto policy as OpenSSH's server and client read it
    gs_cat /etc/crypto-policies/back-ends/opensshserver.config /etc/crypto-policies/back-ends/openssh.config
    return 0
}

sec_stig_gnome() {
    # The dconf profiles (which system databases user sessions and the GDM greeter read), every keyfile and lock
    # file of /etc/dconf/db/*.d, GDM's custom.conf (RHEL: /etc/gdm, Debian/Ubuntu: /etc/gdm3), and the
    # modification times of the compiled databases and their keyfiles (`<seconds>|<path under /etc/dconf/db>`,
    # at most 2000).
    gs_cat /etc/dconf/profile/user /etc/dconf/profile/gdm /etc/gdm/custom.conf /etc/gdm3/custom.conf
    if gs_dir /etc/dconf/db; then
        for gs_sgd in "$GS_ROOT"/etc/dconf/db/*.d "$GS_ROOT"/etc/dconf/db/*.d/locks; do
            [ -d "$gs_sgd" ] || continue
            gs_dir "${gs_sgd#"$GS_ROOT"}" || continue
            for gs_sgf in "$gs_sgd"/*; do
                [ -f "$gs_sgf" ] && gs_cat "${gs_sgf#"$GS_ROOT"}"
            done
        done
        printf '%s FILE mtimes:/etc/dconf/db ok\n' "$GS_M"
        if gs_path /etc/dconf/db && [ -d "$gs_rp" ]; then
            find "$gs_rp" -mindepth 1 -maxdepth 3 -type f -printf '%T@|%P\n' 2>/dev/null | head -n 2001
        fi
    fi
    return 0
}

sec_stig_auth() {
    # Smart card authentication: pam_pkcs11's configuration, SSSD's (sssd.conf, then conf.d/*.conf), and the RHEL
    # smartcard-auth PAM stack.
    gs_cat /etc/pam_pkcs11/pam_pkcs11.conf /etc/sssd/sssd.conf /etc/pam.d/smartcard-auth
    if gs_dir /etc/sssd/conf.d; then gs_catg '/etc/sssd/conf.d/*.conf'; fi
    return 0
}

sec_stig_dotfiles() {
    # `umask` lines in the dot files directly under the home directory of each account with a login shell (at most
    # 1000 accounts; regular files under 1 MiB, links not followed; 200 lines each):
    # `<user>\t<home>/<file>:<line>:<text>`; `GS_DENIED\t<user>\t<home>` when the directory cannot be read.
    case "$(gs_cat /etc/passwd | head -n 1)" in
        *" ok") ;;
        *) echo '/etc/passwd: Permission denied, missing or too large' >&2; return 1 ;;
    esac
    gs_cat /etc/passwd | grep -v -F -- "$GS_M" | {
    gs_sdk=0
    while IFS=: read -r gs_sdu _ _ _ _ gs_sdh gs_sdsh; do
        [ -n "$gs_sdu" ] || continue
        case "$gs_sdsh" in */nologin|*/false|*/sync|*/shutdown|*/halt) continue ;; esac
        gs_sdk=$((gs_sdk + 1))
        if [ "$gs_sdk" -gt 1000 ]; then printf 'GS_LIMIT accounts\n'; break; fi
        case "$gs_sdh" in /*) ;; *) continue ;; esac
        gs_path "$gs_sdh" || { printf 'GS_DENIED\t%s\t%s\n' "$gs_sdu" "$gs_sdh"; continue; }
        [ -d "$gs_rp" ] || continue
        if [ ! -r "$gs_rp" ] || [ ! -x "$gs_rp" ]; then printf 'GS_DENIED\t%s\t%s\n' "$gs_sdu" "$gs_sdh"; continue; fi
        find "$gs_rp" -mindepth 1 -maxdepth 1 -name '.*' -type f -size -1024k \
            -exec grep -n -H -E '^[[:space:]]*umask([[:space:]]|$)' {} + 2>/dev/null | head -n 200 |
            awk -v p="$gs_rp/" -v u="$gs_sdu" -v h="$gs_sdh" 'index($0, p) == 1 {print u "\t" h "/" substr($0, length(p) + 1)}'
    done
    }
    return 0
}
