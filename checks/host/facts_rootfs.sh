# govscan fact script: the parts of the core sections that read a file tree ($GS_ROOT set: a `rootfs:`
# target, e.g. a mounted disk image or an unpacked container image). Nothing here runs a program of the
# tree: this machine's dpkg-query, rpm, find, stat and awk read the tree's files, and every path goes
# through gs_path, which resolves symbolic links inside the tree.

# The tree's package database, read by this machine's dpkg-query (--admindir) or rpm (--dbpath). The
# database files must be regular files of the tree: a link there could make this machine's tools read
# a file outside it.
gs_packages_tree() {
    if gs_path /var/lib/dpkg && [ -f "$gs_rp/status" ]; then
        gs_pd=$gs_rp
        for gs_f in "$gs_pd/status" "$gs_pd/arch" "$gs_pd"/updates/*; do
            if [ -L "$gs_f" ]; then echo "${gs_f#"$GS_ROOT"} is a symbolic link: not followed on a file tree" >&2; return 2; fi
        done
        gs_have dpkg-query || { echo "the tree has a dpkg database and this machine has no dpkg-query to read it" >&2; return 127; }
        printf 'GS_MANAGER=dpkg\n'
        dpkg-query --admindir="$gs_pd" -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n'
        return $?
    fi
    for gs_d in /usr/lib/sysimage/rpm /var/lib/rpm; do
        gs_path "$gs_d" || continue
        gs_pd=$gs_rp
        for gs_f in rpmdb.sqlite Packages Packages.db; do
            [ -e "$gs_pd/$gs_f" ] || [ -L "$gs_pd/$gs_f" ] || continue
            if [ -L "$gs_pd/$gs_f" ]; then echo "$gs_d/$gs_f is a symbolic link: not followed on a file tree" >&2; return 2; fi
            gs_have rpm || { echo "the tree has an rpm database ($gs_d) and this machine has no rpm to read it" >&2; return 127; }
            printf 'GS_MANAGER=rpm\n'
            rpm --dbpath "$gs_pd" -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\tii\n'
            return $?
        done
    done
    echo 'no package database in the tree (/var/lib/dpkg/status, /var/lib/rpm, /usr/lib/sysimage/rpm)' >&2
    return 2
}

# systemd unit files of the tree, for the parser to work out `systemctl is-enabled` (see
# checks/host/parsers/units_tree.py): GS_SYSTEMD (the tree's systemd, if any), /etc/machine-id (first
# boot applies presets), then per unit directory a listing (`l<TAB>name<TAB>target`, `f<TAB>name`,
# `d<TAB>name`, two levels deep, no link followed) and the [Install] lines of its unit files
# (`name<TAB>key<TAB>value`); SysV scripts and their rc?.d start links (systemd-sysv-generator).
gs_units_tree() {
    gs_nl='
'
    for gs_b in /usr/lib/systemd/systemd /lib/systemd/systemd; do
        if gs_path "$gs_b" && [ -f "$gs_rp" ]; then printf 'GS_SYSTEMD=%s\n' "$gs_b"; break; fi
    done
    gs_cat /etc/machine-id
    gs_seen=' '
    for gs_d in /etc/systemd/system /usr/local/lib/systemd/system /usr/lib/systemd/system /lib/systemd/system \
            /etc/init.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d; do
        # /lib is a link to usr/lib on merged-/usr trees: list each directory once
        if gs_path "$gs_d"; then
            case "$gs_seen" in *" $gs_rp "*) continue ;; esac
            gs_seen="$gs_seen$gs_rp "
        fi
        gs_dir "$gs_d" || continue
        # a name or link target with a newline could forge a line: such an entry makes the listing an error
        gs_o=$(find "$gs_rp" -mindepth 1 -maxdepth 2 \( -path "*$gs_nl*" -o -lname "*$gs_nl*" \) -printf 'x\n' -o \
            \( -type l -printf 'l\t%P\t%l\n' \) -o \( -type f -printf 'f\t%P\n' \) -o \( -type d -printf 'd\t%P\n' \)) || {
            printf '%s FILE %s/ unreadable\n' "$GS_M" "$gs_d"; continue; }
        printf '%s\n' "$gs_o"
        case "$gs_d" in /etc/init.d|/etc/rc?.d) continue ;; esac
        printf '%s FILE %s/#install ok\n' "$GS_M" "$gs_d"
        find "$gs_rp" -mindepth 1 -maxdepth 1 -type f \( -name '*.service' -o -name '*.socket' -o -name '*.timer' \) \
            -exec awk '
                FNR == 1 { sec = ""; n = FILENAME; sub(/.*\//, "", n) }
                /^[[:space:]]*\[/ { sec = $0; gsub(/[[:space:]]/, "", sec); next }
                sec == "[Install]" && /^[[:space:]]*(WantedBy|RequiredBy|UpheldBy|Alias|Also|DefaultInstance)[[:space:]]*=/ {
                    k = $0; sub(/[[:space:]]*=.*/, "", k); sub(/^[[:space:]]*/, "", k)
                    v = $0; sub(/^[^=]*=[[:space:]]*/, "", v)
                    print n "\t" k "\t" v
                }' {} + || printf '%s FILE %s/#install unreadable\n' "$GS_M" "$gs_d"
    done
    return 0
}

# stat of each GS_FILES path inside the tree (the last component not followed, as on a running system);
# owner and group names from the tree's /etc/passwd and /etc/group (never this machine's), `?` when
# those cannot be read (the parser then makes the names an error).
gs_files_tree() {
    gs_pw=/nonexistent gs_gr=/nonexistent
    if gs_path /etc/passwd && [ -f "$gs_rp" ] && [ -r "$gs_rp" ]; then gs_pw=$gs_rp; else printf 'GS_NAMES=unreadable\n'; fi
    if gs_path /etc/group && [ -f "$gs_rp" ] && [ -r "$gs_rp" ]; then gs_gr=$gs_rp; else printf 'GS_NAMES=unreadable\n'; fi
    for gs_fp in $GS_FILES; do gs_each gs_stat_tree "$gs_fp"; done | awk -F'|' -v OFS='|' -v P="$gs_pw" -v G="$gs_gr" '
        BEGIN {
            while ((getline l < P) > 0) { split(l, a, ":"); if (!(a[3] in u)) u[a[3]] = a[1] }
            while ((getline l < G) > 0) { split(l, a, ":"); if (!(a[3] in g)) g[a[3]] = a[1] }
        }
        NF >= 7 && $(NF - 4) == "?" {
            $(NF - 4) = ($(NF - 2) in u) ? u[$(NF - 2)] : "UNKNOWN"
            $(NF - 3) = ($(NF - 1) in g) ? g[$(NF - 1)] : "UNKNOWN"
        }
        { print }'
}

gs_stat_tree() {
    if [ "${gs_ebad:-0}" = 1 ] || ! gs_path "$1" nofollow; then printf '%s|unreadable\n' "$1"; return 0; fi
    if [ -e "$gs_rp" ] || [ -L "$gs_rp" ]; then
        if gs_s=$(stat -c '%a|?|?|%u|%g|%F' -- "$gs_rp"); then printf '%s|%s\n' "$1" "$gs_s"; else printf '%s|unreadable\n' "$1"; fi
    else
        printf '%s|%s\n' "$1" "$(gs_absent "$gs_rp")"
    fi
}

# The filesystem walk of a tree: every file under $GS_ROOT (links not followed, /proc /sys /dev /run of
# the tree skipped), paths printed as the tree's; "no owner" judged by the tree's passwd and group.
gs_walk_tree() {
    gs_path /etc/passwd && [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || { echo "the tree's /etc/passwd cannot be read" >&2; return 2; }
    gs_nu=$(awk -F: '$3 ~ /^[0-9]+$/ { printf " ! -uid %s", $3 }' "$gs_rp")
    gs_path /etc/group && [ -f "$gs_rp" ] && [ -r "$gs_rp" ] || { echo "the tree's /etc/group cannot be read" >&2; return 2; }
    gs_ng=$(awk -F: '$3 ~ /^[0-9]+$/ { printf " ! -gid %s", $3 }' "$gs_rp")
    gs_r=${GS_ROOT%/}
    # shellcheck disable=SC2086
    timeout -s KILL "$GS_WALK_TIMEOUT" find "$gs_r/" \
        \( -path "$gs_r/proc" -o -path "$gs_r/sys" -o -path "$gs_r/dev" -o -path "$gs_r/run" \) -prune -o \
        \( \( -type f -perm -0002 -printf 'ww\t%p\n' \) , \
        \( -type d -perm -0002 ! -perm -1000 -printf 'wwd\t%p\n' \) , \
        \( $gs_nu -printf 'nouser\t%p\n' \) , \
        \( $gs_ng -printf 'nogroup\t%p\n' \) \) | awk -F'\t' -v OFS='\t' -v R="$gs_r" '
            { if (R != "" && substr($2, 1, length(R)) == R) $2 = substr($2, length(R) + 1); print }'
}
