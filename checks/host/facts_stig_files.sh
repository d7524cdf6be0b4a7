# govscan fact sections for the DISA STIG file rules (log and journal files, journalctl, sshd drop-ins, and the
# opt-in walks over the system command and library directories). Every path goes through gs_path (links resolved
# inside a file tree), so each section also works on a `rootfs:` tree. Parsers: checks/host/parsers/stig_files.py.

gs_sf_nl='
'

# `<type>|<mode>|<uid>|<gid>|<path>` for each system path given (stat after gs_path), `<path>|missing` or
# `<path>|unreadable` when it cannot be examined. The paths are this file's own literals.
gs_sf_stat() {
    for gs_s in "$@"; do
        if ! gs_path "$gs_s"; then printf '%s|unreadable\n' "$gs_s"; continue; fi
        if [ -e "$gs_rp" ]; then
            stat -L -c "%F|%a|%u|%g|$gs_s" -- "$gs_rp" 2>/dev/null || printf '%s|unreadable\n' "$gs_s"
        else
            printf '%s|%s\n' "$gs_s" "$(gs_absent "$gs_rp")"
        fi
    done
}

# Files and directories under the system directory $1, at most $2 levels deep and $3 entries:
# `<y>|<mode>|<uid>|<gid>|<path>`. `GS_LIMIT <dir>` when there were more entries or deeper ones (the parser makes
# the list an error, never partial), `GS_DENIED <dir>: <why>` when it could not all be read, `GS_BADNAME <dir>`
# for a name holding a newline (it could forge a line). Nothing when the directory does not exist.
gs_sf_find() {
    if ! gs_path "$1"; then printf 'GS_DENIED %s: a link on the way cannot be resolved\n' "$1"; return 0; fi
    gs_fd=$gs_rp
    [ -e "$gs_fd" ] || return 0
    if [ ! -d "$gs_fd" ] || [ ! -r "$gs_fd" ] || [ ! -x "$gs_fd" ]; then printf 'GS_DENIED %s: cannot list it\n' "$1"; return 0; fi
    { find "$gs_fd" -mindepth 1 -maxdepth "$(($2 + 1))" \( -path "*$gs_sf_nl*" -printf 'GS_BADNAME\n' \) -o \
        \( -type f -o -type d \) -printf '%d|%y|%m|%U|%G|%P\n' 2>&1 1>&4 4>&- | head -n 1 | sed "s|^|GS_DENIED $1: |"; } 4>&1 |
        awk -F'|' -v max="$3" -v depth="$2" -v d="$1" '
            /^GS_DENIED/ { print; next }
            /^GS_BADNAME/ { if (!bad) print "GS_BADNAME " d; bad = 1; next }
            $1 > depth || n >= max { if (!done) print "GS_LIMIT " d; done = 1; next }
            { n++; sub(/^[0-9]+\|/, ""); p = $0; sub(/^[^|]*\|[^|]*\|[^|]*\|[^|]*\|/, "", p); print substr($0, 1, length($0) - length(p)) d "/" p }'
    return 0
}

sec_stig_files() {
    printf '%s FILE paths ok\n' "$GS_M"
    gs_sf_stat /var/log/syslog /var/log/messages /usr/bin/journalctl /etc/ssh/sshd_config.d \
        /etc/ssh/sshd_config.d/50-redhat.conf /run/log/journal /var/log/journal
    printf '%s FILE sshd_drop_ins ok\n' "$GS_M"
    gs_sf_find /etc/ssh/sshd_config.d 1 2000
    printf '%s FILE journal ok\n' "$GS_M"
    gs_sf_find /run/log/journal 3 20000
    gs_sf_find /var/log/journal 3 20000
    return 0
}

# Opt-in (the `filesystem_walk` input; runs only when the core `walk` section does): the system command
# directories (/bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin, and /usr/libexec) and library
# directories (/lib /lib64 /usr/lib /usr/lib64), walked whole (links are not followed: /bin -> usr/bin is walked
# once as /usr/bin), printing only what breaks a rule, then one pass over the local filesystems for
# shosts.equiv and .shosts files and world-writable directories owned by uid 1000 or more. Each find is bounded
# by GS_WALK_TIMEOUT; at most 200 lines of each kind are printed, then `GS_COUNT<TAB><kind><TAB><n>` (exact).
#   bdir_perm bdir_owner bdir_group   directories of the command directories: group/other writable, uid or gid not 0
#   xdir_owner                        directories under /usr/libexec with uid not 0
#   bfile_perm bfile_owner            files of the command directories and /usr/libexec: group/other writable, uid not 0
#   bfile_group                       files of the command directories with gid 1000 or more
#   ldir_perm ldir_owner ldir_group   directories of the library directories
#   lfile_perm lfile_owner lfile_group  *.so* files of the library directories
#   shosts_equiv shosts wwdir_user    files named shosts.equiv, .shosts; world-writable directories of uid >= 1000
sec_stig_walk() {
    case " $GS_SECTIONS " in *" walk "*) ;; *) echo 'GS_WALK_OFF'; return 0 ;; esac
    gs_sf_walk | awk -F'\t' '
        /^GS_/ { print; next }
        { n[$1]++; if (n[$1] <= 200) print }
        END { for (k in n) printf "GS_COUNT\t%s\t%d\n", k, n[k] }'
}

# The walks of sec_stig_walk; `GS_RC<TAB><what><TAB><exit status>` after each find (timeout: 137).
gs_sf_walk() {
    gs_sf_seen=' '
    for gs_sd in /bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin /usr/libexec /lib /lib64 /usr/lib /usr/lib64; do
        gs_path "$gs_sd" || { printf 'GS_RC\t%s\t2\n' "$gs_sd"; continue; }
        [ -e "$gs_rp" ] || continue
        case "$gs_sf_seen" in *" $gs_rp "*) continue ;; esac
        gs_sf_seen="$gs_sf_seen$gs_rp "
        [ -d "$gs_rp" ] || continue
        gs_sys=${gs_rp#"${GS_ROOT%/}"}
        printf 'GS_DIR\t%s\t%s\n' "$gs_sd" "${gs_sys:-/}"
        case "$gs_sd" in
            /usr/libexec) set -- \( -type d ! -uid 0 -printf 'xdir_owner\t%P\n' \) , \
                \( -type f \( \( -perm /022 -printf 'bfile_perm\t%P\n' \) , \( ! -uid 0 -printf 'bfile_owner\t%P\n' \) \) \) ;;
            */lib|*/lib64) set -- \( -type d \( \( -perm /022 -printf 'ldir_perm\t%P\n' \) , \( ! -uid 0 -printf 'ldir_owner\t%P\n' \) , \
                \( ! -gid 0 -printf 'ldir_group\t%P\n' \) \) \) , \( -type f -name '*.so*' \( \( -perm /022 -printf 'lfile_perm\t%P\n' \) , \
                \( ! -uid 0 -printf 'lfile_owner\t%P\n' \) , \( ! -gid 0 -printf 'lfile_group\t%P\n' \) \) \) ;;
            *) set -- \( -type d \( \( -perm /022 -printf 'bdir_perm\t%P\n' \) , \( ! -uid 0 -printf 'bdir_owner\t%P\n' \) , \
                \( ! -gid 0 -printf 'bdir_group\t%P\n' \) \) \) , \( -type f \( \( -perm /022 -printf 'bfile_perm\t%P\n' \) , \
                \( ! -uid 0 -printf 'bfile_owner\t%P\n' \) , \( -gid +999 -printf 'bfile_group\t%P\n' \) \) \) ;;
        esac
        # a name with a newline could forge a line: reported, and the parser makes the walk an error
        { timeout -s KILL "$GS_WALK_TIMEOUT" find "$gs_rp" \( -path "*$gs_sf_nl*" -printf 'badname\t\n' \) -o \( "$@" \)
          printf 'GS_RC\t%s\t%s\n' "$gs_sd" "$?"; } |
            awk -F'\t' -v OFS='\t' -v P="${gs_sys%/}" '/^GS_/ || $1 == "badname" { print; next }
                { $2 = ($2 == "" ? (P == "" ? "/" : P) : P "/" $2); print }'
    done
    if [ -n "$GS_ROOT" ]; then
        gs_r=${GS_ROOT%/}
        { timeout -s KILL "$GS_WALK_TIMEOUT" find "$gs_r/" \
            \( -path "$gs_r/proc" -o -path "$gs_r/sys" -o -path "$gs_r/dev" -o -path "$gs_r/run" \) -prune -o \
            \( \( -path "*$gs_sf_nl*" -printf 'badname\t\n' \) -o \( \( -name shosts.equiv -printf 'shosts_equiv\t%p\n' \) , \
            \( -name .shosts -printf 'shosts\t%p\n' \) , \( -type d -perm -0002 -uid +999 -printf 'wwdir_user\t%p\n' \) \) \)
          printf 'GS_RC\tlocal filesystems\t%s\n' "$?"; } |
            awk -F'\t' -v OFS='\t' -v R="$gs_r" '/^GS_/ { print; next } { if (substr($2, 1, length(R)) == R) $2 = substr($2, length(R) + 1); print }'
    else
        roots=$(awk '$3 ~ /^(ext[234]|xfs|btrfs|jfs|reiserfs|zfs|f2fs|vfat|tmpfs)$/ && $2 !~ /^\/(proc|sys|dev|run)(\/|$)/ {print $2}' /proc/self/mounts | sort -u)
        [ -n "$roots" ] || roots=/
        # shellcheck disable=SC2086
        timeout -s KILL "$GS_WALK_TIMEOUT" find $roots -xdev \( -path "*$gs_sf_nl*" -printf 'badname\t\n' \) -o \
            \( \( -name shosts.equiv -printf 'shosts_equiv\t%p\n' \) , \( -name .shosts -printf 'shosts\t%p\n' \) , \
            \( -type d -perm -0002 -uid +999 -printf 'wwdir_user\t%p\n' \) \)
        printf 'GS_RC\tlocal filesystems\t%s\n' "$?"
    fi
    return 0
}

# The home directory of each account with uid 1000 or more (at most 1000): `<type>|<mode>|<uid>|<gid>|<home>`,
# `missing|<home>` or `unreadable|<home>`; `GS_LIMIT` when there were more. The parser joins them with passwd.
sec_stig_homes() {
    gs_path /etc/passwd && [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || { echo '/etc/passwd cannot be read' >&2; return 2; }
    awk -F: '$3 ~ /^[0-9]+$/ && $3 >= 1000 && $6 ~ /^\// { print $6 }' "$gs_rp" | sort -u | awk 'NR > 1000 { print "GS_LIMIT"; exit } { print }' |
        while IFS= read -r gs_h; do
            if [ "$gs_h" = GS_LIMIT ]; then echo GS_LIMIT; break; fi
            if ! gs_path "$gs_h"; then printf 'unreadable|%s\n' "$gs_h"
            elif [ -e "$gs_rp" ]; then printf '%s|%s\n' "$(stat -L -c '%F|%a|%u|%g' -- "$gs_rp" 2>/dev/null || echo unreadable)" "$gs_h"
            else printf '%s|%s\n' "$(gs_absent "$gs_rp")" "$gs_h"; fi
        done
}

# /etc/fstab, framed (read on a file tree too; the running mount table is the core `mounts` section).
sec_stig_fstab() { gs_cat /etc/fstab; }

# Dot files directly in the home directory of each account whose shell is not nologin (nobody and nfsnobody
# excepted; at most 1000 homes and 500 dot files each): `GS_HOME<TAB><home>` then `<mode>|<uid>|<gid>|<name>` per
# regular file; `GS_LIMIT <home>`, `GS_DENIED <home>: <why>`, `GS_BADNAME <home>` as gs_sf_find. Then
# /etc/tmpfiles.d/*.conf, framed (RHEL's rootfiles entries for root's start-up files).
sec_stig_init_files() {
    gs_path /etc/passwd && [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || { echo '/etc/passwd cannot be read' >&2; return 2; }
    printf '%s FILE homes ok\n' "$GS_M"
    awk -F: '$1 != "nobody" && $1 != "nfsnobody" && $7 !~ /^(\/usr)?\/sbin\/nologin$/ && $6 ~ /^\// { print $6 }' "$gs_rp" |
        sort -u | awk 'NR > 1000 { print "GS_LIMIT"; exit } { print }' |
        while IFS= read -r gs_h; do
            if [ "$gs_h" = GS_LIMIT ]; then echo 'GS_LIMIT homes'; break; fi
            printf 'GS_HOME\t%s\n' "$gs_h"
            gs_path "$gs_h" || { printf 'GS_DENIED %s: a link on the way cannot be resolved\n' "$gs_h"; continue; }
            [ -e "$gs_rp" ] || continue
            if [ ! -d "$gs_rp" ] || [ ! -r "$gs_rp" ] || [ ! -x "$gs_rp" ]; then printf 'GS_DENIED %s: cannot list it\n' "$gs_h"; continue; fi
            { find "$gs_rp" -mindepth 1 -maxdepth 1 -name '.*' \( \( -name "*$gs_sf_nl*" -printf 'GS_BADNAME\n' \) -o \
                \( -type f -printf '%m|%U|%G|%f\n' \) \) 2>&1 1>&4 4>&- | head -n 1 | sed "s|^|GS_DENIED $gs_h: |"; } 4>&1 |
                awk -v h="$gs_h" '/^GS_DENIED/ { print; next } /^GS_BADNAME/ { if (!b) print "GS_BADNAME " h; b = 1; next }
                    n >= 500 { if (!d) print "GS_LIMIT " h; d = 1; next } { n++; print }'
        done
    if gs_dir /etc/tmpfiles.d; then gs_catg '/etc/tmpfiles.d/*.conf'; fi
    return 0
}
