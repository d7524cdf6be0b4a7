"""Host resource types for the DISA STIG file rules: log and journal files, journalctl, sshd drop-ins, and the
opt-in walk over the system command and library directories. Sections: checks/host/facts_stig_files.sh; parsers:
checks/host/parsers/stig_files.py."""

from __future__ import annotations

from typing import Any

from checks.host.resources import HostKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_PERMS = "permission bits set, as names: suid sgid sticky ur uw ux gr gw gx or ow ox"
_ENTRY = "[{path, type, mode, perms, uid, gid, owner, group}] (owner and group named from the scanned system)"
_STAT = (
    A("path", "string", "absolute path"), A("exists", "boolean", "whether the path exists"),
    A("type", "string", "file | directory | ..."), A("mode", "string", "octal mode, 4 digits"),
    A("perms", "list", _PERMS), A("owner", "string", "owner name"), A("group", "string", "group name"),
    A("uid", "integer", "owner uid"), A("gid", "integer", "group gid"),
)


@resources.register("host.stig_paths")
class StigPaths(HostKind):
    description = ("Metadata of the paths the STIG file rules name beside host.files (one per path, id = the path): "
                   "/var/log/syslog, /var/log/messages, /usr/bin/journalctl, /etc/ssh/sshd_config.d, "
                   "/etc/ssh/sshd_config.d/50-redhat.conf, /run/log/journal, /var/log/journal.")
    attributes = _STAT
    commands = ("stat -L -c",)
    sections = ("stig_files", "passwd", "group")
    parser = "stig_files.parse_stig_paths"


@resources.register("host.sshd_drop_ins")
class SshdDropIns(HostKind):
    description = ("The files directly in /etc/ssh/sshd_config.d (one per host, id `sshd_config.d`); more than 2000 "
                   "entries, or one that cannot be read, makes the list an error.")
    attributes = (
        A("exists", "boolean", "/etc/ssh/sshd_config.d exists"),
        A("files", "list", "its regular files: " + _ENTRY),
        A("dirs", "list", "its subdirectories: " + _ENTRY),
    )
    commands = ("find /etc/ssh/sshd_config.d -printf",)
    sections = ("stig_files", "passwd", "group")
    parser = "stig_files.parse_sshd_drop_ins"


@resources.register("host.journal_files")
class JournalFiles(HostKind):
    description = ("systemd-journald's directories /run/log/journal and /var/log/journal, three levels deep (one per "
                   "host, id `journal`); more than 20000 entries each, a deeper one, or one that cannot be read, makes "
                   "the lists an error.")
    attributes = (
        A("exists", "boolean", "either directory exists"),
        A("dirs", "list", "the two directories (those that exist) and every directory under them: " + _ENTRY),
        A("files", "list", "every regular file under them: " + _ENTRY),
    )
    commands = ("find /run/log/journal /var/log/journal -printf",)
    sections = ("stig_files", "passwd", "group")
    parser = "stig_files.parse_journal_files"


@resources.register("host.system_files")
class SystemFiles(HostKind):
    description = ("Opt-in walk (the `filesystem_walk` input, as host.filesystem; otherwise every list is notchecked) "
                   "over the system command directories (/bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin, "
                   "and /usr/libexec), the library directories (/lib /lib64 /usr/lib /usr/lib64), walked whole without "
                   "following links, and the local filesystems (one per host, id `system-files`). Each list keeps the "
                   "first 200 paths; each count is exact. A walk that did not finish, or a path it could not read, "
                   "makes the resource an error.")
    attributes = (
        A("walked", "boolean", "the walk ran"), A("walked_dirs", "list", "the directories walked (links resolved)"),
        *(A(f"{n}{s}", "integer" if s else "list", f"{d}{' (their number)' if s else ''}") for n, d in (
            ("binary_dirs_writable", "directories of the command directories writable by group or others"),
            ("binary_dirs_not_root_owned", "directories of the command directories not owned by uid 0"),
            ("binary_dirs_not_root_group", "directories of the command directories not group-owned by gid 0"),
            ("binary_files_writable", "files of the command directories and /usr/libexec writable by group or others"),
            ("binary_paths_not_root_owned", "files and directories of the command directories and /usr/libexec "
             "not owned by uid 0"),
            ("binary_files_group_not_system", "files of the command directories group-owned by gid 1000 or more"),
            ("library_dirs_writable", "directories of the library directories writable by group or others"),
            ("library_dirs_not_root_owned", "directories of the library directories not owned by uid 0"),
            ("library_dirs_not_root_group", "directories of the library directories not group-owned by gid 0"),
            ("library_files_writable", "*.so* files of the library directories writable by group or others"),
            ("library_files_not_root_owned", "*.so* files of the library directories not owned by uid 0"),
            ("library_files_not_root_group", "*.so* files of the library directories not group-owned by gid 0"),
            ("shosts_equiv_files", "files named shosts.equiv on the local filesystems"),
            ("shosts_files", "files named .shosts on the local filesystems"),
            ("world_writable_dirs_user_owned", "world-writable directories of the local filesystems owned by uid "
             "1000 or more"),
        ) for s in ("", "_count")),
    )
    commands = ("find /bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin /usr/libexec /lib /lib64 /usr/lib "
                "/usr/lib64", "find / -xdev -name shosts.equiv -name .shosts -perm -0002")
    sections = ("stig_walk",)

    @classmethod
    def build(cls, out: Any, **options: Any) -> list[Resource]:
        from checks.host.parsers.stig_files import parse_system_files

        return parse_system_files(out if options.get("walk") else None, int(options.get("walk_timeout") or 0))


@resources.register("host.home_groups")
class HomeGroups(HostKind):
    description = ("The group owning the home directory of each interactive account (uid 1000 or more except 65534, a "
                   "shell other than nologin/false), one per account (id `home-group:<name>`; at most 1000 homes).")
    attributes = (
        A("name", "string", "account"), A("uid", "integer", "uid"), A("gid", "integer", "primary gid"),
        A("primary_group", "string", "name of the primary group"), A("home", "string", "home directory"),
        A("exists", "boolean", "the home directory exists"), A("home_type", "string", "directory, or what it is"),
        A("home_gid", "integer", "the gid owning it"), A("home_group", "string", "that group's name"),
        A("group_is_primary", "boolean", "it is group-owned by the account's primary group"),
    )
    commands = ("stat -L -c %g $HOME",)
    sections = ("stig_homes", "passwd", "group")
    parser = "stig_files.parse_home_groups"


@resources.register("host.fstab")
class Fstab(HostKind):
    description = ("/etc/fstab and the running mount table (one per host, id `fstab`); on a file tree only /etc/fstab "
                   "(`mounts` is notchecked there).")
    attributes = (
        A("exists", "boolean", "/etc/fstab exists"),
        A("entries", "list", "[{device, mountpoint, fstype, options, line}] the entries of /etc/fstab (octal escapes "
          "decoded; options `defaults` when the field is absent)"),
        A("mounts", "list", "[{device, mountpoint, fstype, options}] the running mount table (/proc/self/mounts)"),
    )
    commands = ("cat /etc/fstab /proc/self/mounts",)
    sections = ("stig_fstab", "mounts")
    runtime_sections = ("mounts",)
    runtime_attributes = ("mounts",)
    parser = "stig_files.parse_fstab"


@resources.register("host.user_init_files")
class UserInitFiles(HostKind):
    description = ("Dot files (names `^\\.[\\w\\- ]+$`, regular files) directly in the home directory of each account "
                   "whose shell is not nologin (nobody, nfsnobody excepted), and RHEL's rootfiles entries in "
                   "/etc/tmpfiles.d/*.conf (one per host, id `user-init-files`; at most 1000 homes, 500 dot files each).")
    attributes = (
        A("files", "list", "[{path, home, type, mode, perms, uid, gid, owner, group}] the dot files"),
        A("rootfiles_entries", "list", "[{file, line, name, mode}] `C /root/<name> <mode> root root - "
          "/usr/share/rootfiles/<name>` lines"),
        A("rootfiles_configured", "boolean", "each of .bash_logout .bash_profile .bashrc .cshrc .tcshrc has such a line "
          "and every such line has mode 600"),
        A("rootfiles_missing", "list", "those of the five without a line of mode 600"),
    )
    commands = ("find $HOME -maxdepth 1 -name '.*' -type f", "cat /etc/tmpfiles.d/*.conf")
    sections = ("stig_init_files", "passwd", "group")
    parser = "stig_files.parse_user_init_files"
