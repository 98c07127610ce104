#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Every command the tests and runners call comes from a package that
tests/provision/deps.sh installs, or from a package a minimal Debian
(debootstrap --variant=minbase) always has: Essential, or of Priority
required.

The commands are derived from the scripts, not listed by hand: each shell
script under tests/ (and .ci/run), each Makefile's recipes, is cut into
simple commands at ; | & ( ) $( ` { } and the shell's keywords (quoted
strings included, since they are often commands handed to vm.sh or sh -c);
the first word of each, past assignments and wrappers (env, timeout,
exec, setpriv ...), is a candidate. A candidate that is a shell builtin,
a function of the scripts, or not a command on this machine is passed
over; the rest are resolved through PATH and `dpkg -S` to their package.

Usage: tests/runner/deps-lint.py [--packages "P1 P2 ..."] [--verbose] FILE...
       (default packages: what `tests/provision/deps.sh --list check` prints)
Prints one line per command that no such package gives, and exits 1
when there is one.
"""

import os
import re
import shutil
import subprocess
import sys

BUILTINS = set("""
. : [ [[ ]] alias bg bind break builtin caller case cd command compgen complete
continue declare dirs disown do done echo elif else enable esac eval exec exit
export false fc fg fi for function getopts hash help history if in jobs kill
let local logout mapfile popd printf pushd pwd read readarray readonly return
select set shift shopt source suspend test then time times trap true type
typeset ulimit umask unalias unset until wait while ! { } trap
""".split())

# wrappers whose arguments hold the command that runs: how many option
# words each takes before it (None: skip words that start with - or hold =)
WRAPPERS = {
    "env": None, "exec": None, "nice": None, "nohup": None, "sudo": None,
    "as_root": None, "setsid": None, "unshare": None, "chroot": 1,
    "timeout": 1, "setpriv": None, "xargs": None, "stdbuf": None,
    "time": None, "!": 0, "command": None,
}

SEPARATORS = re.compile(r"\$\(|`|&&|\|\||[;|&(){}]|\bthen\b|\bdo\b|\belse\b|"
                        r"\bif\b|\bwhile\b|\buntil\b|\belif\b")
WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")
FUNCDEF = re.compile(r"^\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)")


def shell_lines(path, makefile):
    """The file's lines of shell: comments and heredoc bodies left out,
    continuation lines joined; for a Makefile, its recipe lines."""
    with open(path, errors="replace") as f:
        raw = f.read().split("\n")
    out = []
    cur = ""
    heredoc = None
    for line in raw:
        if heredoc:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if makefile:
            if not line.startswith("\t"):
                if cur:
                    out.append(cur)
                    cur = ""
                continue
            line = line[1:].lstrip("@-+ ")
            line = re.sub(r"\$\(MAKE\)", "make", line)
            line = re.sub(r"\$\(CC\)", " cc", line)
            # $(Q), $(call quiet_do,CC), $(O)/...: nothing of a command
            line = re.sub(r"\$\((?!shell)(?:[^()]|\([^()]*\))*\)", " ", line)
            line = line.replace("$$", "$")
        if not cur and re.match(r"^\s*#", line):
            continue
        # a comment: " #" outside of a word
        line = re.sub(r"(^|\s)#.*$", "", line)
        m = HEREDOC.search(line)
        if m:
            heredoc = m.group(1)
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        # a quoted string that goes on to the next line: one line, its
        # own lines kept apart (sh -c '...' holds commands a line)
        if open_quote(cur + line):
            cur += line + "\n"
            continue
        out.append(cur + line)
        cur = ""
    if cur:
        out.append(cur)
    return out


def open_quote(text):
    """Whether TEXT ends inside a quoted string."""
    q = None
    i = 0
    while i < len(text):
        c = text[i]
        if q is None:
            if c == "\\":
                i += 1
            elif c in "'\"":
                q = c
        elif q == '"' and c == "\\":
            i += 1
        elif c == q:
            q = None
        i += 1
    return q is not None


ASSIGNMENT = re.compile(r"(^|\s)[A-Za-z_][A-Za-z0-9_]*\+?=(\"[^\"]*\"|'[^']*'|\S*)")


def assignment(m):
    """An assignment's value is data, but for a quoted one that starts
    with a word: that may be a command kept in a variable (CHECK="sparse
    -W..."); a list starts on its own line."""
    v = m.group(2)
    if v[:1] in "'\"" and v[1:2] and not v[1].isspace():
        return "\n" + v[1:-1] + "\n"
    return " "


def candidates(line):
    """The first word of each simple command of LINE."""
    # an assignment's value is data, or a command line of its own
    line = ASSIGNMENT.sub(assignment, line)
    for seg in re.split(SEPARATORS.pattern + r"|\n", line):
        words = seg.replace('"', " ").replace("'", " ").split()
        i = 0
        while i < len(words):
            w = words[i]
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
                i += 1
                continue
            if w in WRAPPERS:
                yield w
                i += 1
                n = WRAPPERS[w]
                if n is None:
                    while i < len(words) and (words[i].startswith("-")
                                              or "=" in words[i]):
                        i += 1
                else:
                    while i < len(words) and words[i].startswith("-"):
                        # an option and, for -k/-s/-u, its value
                        if words[i] in ("-k", "-s", "-u", "--signal", "--kill-after"):
                            i += 1
                        i += 1
                    i += n
                continue
            yield w
            break


def main():
    args = sys.argv[1:]
    verbose = False
    packages = None
    files = []
    while args:
        a = args.pop(0)
        if a == "--verbose":
            verbose = True
        elif a == "--packages":
            packages = args.pop(0).split()
        else:
            files.append(a)
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if packages is None:
        packages = subprocess.run([os.path.join(top, "tests/provision/deps.sh"),
                                   "--list", "check"], check=True,
                                  capture_output=True, text=True).stdout.split()
    if not packages:
        print("deps.sh listed no packages")
        return 1

    lines = {}
    functions = set()
    for f in files:
        mk = os.path.basename(f) in ("Makefile",) or f.endswith(".mk")
        lines[f] = shell_lines(f, mk)
        for line in lines[f]:
            m = FUNCDEF.match(line)
            if m:
                functions.add(m.group(1))

    # command -> the first file that calls it
    where = {}
    for f, ls in lines.items():
        for line in ls:
            for w in candidates(line):
                if not WORD.match(w) or w in BUILTINS or w in functions:
                    continue
                where.setdefault(w, f)

    # resolve through the system's own directories first (a python3 of
    # pyenv in /root or a tool in /usr/local is no package's), then PATH
    system = "/usr/sbin:/usr/bin:/sbin:/bin"
    path = system + ":" + os.environ.get("PATH", "")
    resolved = {}
    for cmd in sorted(where):
        p = shutil.which(cmd, path=system) or shutil.which(cmd, path=path)
        if p is None:
            if verbose:
                print(f"{cmd}: not a command on this machine ({where[cmd]}): passed over")
            continue
        resolved[cmd] = p

    # dpkg -S knows /bin/x or /usr/bin/x, not always both (merged /usr),
    # and not the /etc/alternatives links: ask for every spelling
    spellings = {}
    for cmd, p in resolved.items():
        real = os.path.realpath(p)
        names = {p, real}
        for n in list(names):
            for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
                if n.startswith(a):
                    names.add(b + n[len(a):])
                elif n.startswith(b):
                    names.add(a + n[len(b):])
        spellings[cmd] = names
    allnames = sorted(set().union(*spellings.values())) if spellings else []
    owners = {}
    if allnames:
        r = subprocess.run(["dpkg", "-S"] + allnames, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            pkgs, _, file = line.partition(": ")
            if "diversion" in pkgs:
                continue
            owners.setdefault(file, set()).update(
                x.strip().split(":")[0] for x in pkgs.split(","))

    q = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\t"
                        "${Depends}\t${Pre-Depends}\t${Provides}\t${db:Status-Abbrev}\n"],
                       capture_output=True, text=True).stdout
    base = set()
    depends = {}
    providers = {}
    for line in q.splitlines():
        f = line.split("\t")
        if len(f) < 7 or not f[6].startswith("ii"):
            continue
        if f[1] == "yes" or f[2] == "required":
            base.add(f[0])
        depends[f[0]] = [d for d in (f[3] + "," + f[4]).split(",") if d.strip()]
        for v in f[5].split(","):
            if v.strip():
                providers.setdefault(v.split("(")[0].strip(), set()).add(f[0])
    # what installing the listed packages installs: their Depends and
    # Pre-Depends, recursively (deps.sh installs without Recommends), as
    # installed here; of an "a | b", what is installed
    wanted = set()
    todo = list(packages)
    while todo:
        name = todo.pop().split(":")[0]
        for real in ({name} if name in depends else providers.get(name, set())):
            if real in wanted:
                continue
            wanted.add(real)
            for dep in depends[real]:
                for alt in dep.split("|"):
                    todo.append(alt.split("(")[0].strip())

    bad = 0
    for cmd in sorted(resolved):
        pkgs = set()
        for n in spellings[cmd]:
            pkgs |= owners.get(n, set())
        if not pkgs:
            if resolved[cmd].startswith("/usr/local/") or resolved[cmd].startswith(top):
                if verbose:
                    print(f"{cmd}: {resolved[cmd]} is no package's: passed over")
                continue
            print(f"{cmd} ({where[cmd]}): {resolved[cmd]} belongs to no package")
            bad += 1
            continue
        ok = pkgs & (wanted | base)
        if verbose:
            print(f"{cmd}: {' '.join(sorted(pkgs))}{'' if ok else ' (missing)'}")
        if not ok:
            print(f"{cmd} ({where[cmd]}): package {' or '.join(sorted(pkgs))}, "
                  "which tests/provision/deps.sh does not install and minbase lacks")
            bad += 1
    if verbose:
        print(f"{len(where)} candidates, {len(resolved)} commands, {bad} unprovided")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
